import { z } from 'zod';
import {
  CADENCES,
  DEFAULT_GROUP_SYNC,
  FieldMappingSchema,
  SafeguardSchema,
  ScopeSchema,
  defaultUserSync,
  asFieldMapping,
  type UserSyncSettings,
} from '../core/integration-settings.ts';
import { isProviderError } from '../connectors/errors.ts';
import { DESCRIPTORS, PROVIDER_IDS, descriptorOf, providerName } from '../providers/descriptors.ts';
import { createConnector } from '../providers/registry.ts';
import { validateCredentials, validateSettings } from './provider-input.ts';
import {
  createIntegration,
  getIntegration,
  listIntegrations,
  updateIntegration,
  type ConnectionStatus,
  type Integration,
} from '../store/integrations.ts';
import { activeRun, enqueueRun, lastFinishedRun, RunConflictError, type Run } from '../store/runs.ts';
import { ApiError, notFound, validateBody } from './errors.ts';
import { GroupSyncPatch, groupSyncNeedsRun, resolveGroupSyncPatch } from './group-sync-settings.ts';
import { audit } from '../store/audit.ts';
import { setPriority } from './priority-service.ts';
import type { AppContext } from './context.ts';
import { consecutiveFailures } from '../sync/schedule.ts';

export const CreateIntegrationBody = z.object({
  provider: z.enum(PROVIDER_IDS, { message: `provider must be one of: ${PROVIDER_IDS.join(', ')}` }),
  name: z.string().trim().min(1).max(100).optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
  credentials: z.record(z.string(), z.string()).optional(),
});

export const UserSyncPatch = z
  .object({
    enabled: z.boolean(),
    cadence: z.enum(CADENCES),
    scope: ScopeSchema,
    fieldMapping: FieldMappingSchema,
    outOfScopeAction: z.enum(['deactivate', 'ignore']),
    safeguard: SafeguardSchema.partial(),
  })
  .partial()
  .strict();

export const PatchIntegrationBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    settings: z.record(z.string(), z.unknown()),
    userSync: UserSyncPatch,
    groupSync: GroupSyncPatch,
    priority: z.number().int().min(1, 'priority is a rank: 1 is the highest'),
  })
  .partial()
  .strict();

export const SyncBody = z.object({ mode: z.enum(['full', 'incremental']).default('incremental'), dryRun: z.boolean().default(false) }).strict();


/** Checks credentials against the provider: the connection status an admin sees. */
async function probe(ctx: AppContext, provider: string, settings: Record<string, unknown>, credentials: Record<string, string>): Promise<{ status: ConnectionStatus; detail: string | null }> {
  try {
    const connector = createConnector(provider, { baseUrl: String(settings.baseUrl ?? ''), settings, credentials, http: { maxAttempts: 2, timeoutMs: 10_000, ...ctx.engine.httpPolicy } });
    await connector.checkConnection();
    return { status: 'connected', detail: null };
  } catch (error) {
    if (isProviderError(error)) return { status: error.code === 'auth_failed' ? 'revoked' : 'error', detail: error.message };
    throw error;
  }
}

export async function createIntegrationFromRequest(ctx: AppContext, tenantId: string, body: unknown): Promise<Integration> {
  const input = validateBody(CreateIntegrationBody, body);
  const descriptor = DESCRIPTORS[input.provider];
  const settings = validateSettings(descriptor, input.settings);
  const credentials = input.credentials ? validateCredentials(descriptor, input.credentials).credentials : null;
  const connection = credentials ? await probe(ctx, input.provider, settings, credentials) : { status: 'disconnected' as const, detail: 'Not connected yet: connect it with an API key or OAuth.' };
  const integration = await createIntegration(ctx.store.db, ctx.vault, {
    tenantId,
    provider: input.provider,
    name: input.name ?? descriptor.name,
    settings,
    credentials,
    connection,
    userSync: defaultUserSync(descriptor.defaultMapping),
    groupSync: DEFAULT_GROUP_SYNC,
  });
  await audit(ctx.store.db, tenantId, 'integration.created', integration.id, null, { provider: integration.provider, name: integration.name, connection: connection.status });
  return integration;
}

function requireDescriptorOf(integration: Integration) {
  const descriptor = descriptorOf(integration.provider);
  if (!descriptor) throw new ApiError(409, 'unknown_provider', `${integration.name} is an integration of "${integration.provider}", which this version of ReFresh does not know.`);
  return descriptor;
}

export async function requireIntegration(ctx: AppContext, tenantId: string, id: string): Promise<Integration> {
  const integration = await getIntegration(ctx.store.db, tenantId, id);
  if (!integration) throw notFound('integration', id);
  return integration;
}

export async function patchIntegrationFromRequest(ctx: AppContext, tenantId: string, id: string, body: unknown): Promise<Integration> {
  const patch = validateBody(PatchIntegrationBody, body);
  const integration = await requireIntegration(ctx, tenantId, id);
  let userSync: UserSyncSettings | undefined;
  if (patch.userSync) {
    const { safeguard, fieldMapping, ...rest } = patch.userSync;
    userSync = {
      ...integration.userSync,
      ...rest,
      ...(fieldMapping ? { fieldMapping: asFieldMapping(fieldMapping) } : {}),
      safeguard: { ...integration.userSync.safeguard, ...safeguard },
    } as UserSyncSettings;
    if (userSync.enabled && integration.connection.status !== 'connected') {
      throw new ApiError(409, 'not_connected', `User Auto-Sync needs a connected integration; ${integration.name} is ${integration.connection.status}${integration.connection.detail ? ` (${integration.connection.detail})` : ''}. Connect it first.`, {
        connection: integration.connection.status,
      });
    }
  }
  const groupSync = patch.groupSync ? resolveGroupSyncPatch(integration, patch.groupSync, userSync ?? integration.userSync) : undefined;
  let settings: Record<string, unknown> | undefined;
  if (patch.settings) settings = validateSettings(requireDescriptorOf(integration), { ...integration.settings, ...patch.settings });
  const turnedOn = (userSync?.enabled === true && !integration.userSync.enabled) || (groupSync !== undefined && groupSyncNeedsRun(integration.groupSync, groupSync));
  const updated = (await updateIntegration(ctx.store.db, ctx.vault, tenantId, id, {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(settings && { settings }),
    ...(userSync && { userSync }),
    ...(groupSync && { groupSync }),
    ...(userSync && !userSync.enabled && { nextRunAt: null }),
  }))!;
  await audit(ctx.store.db, tenantId, 'integration.updated', id, { userSync: integration.userSync, groupSync: integration.groupSync, name: integration.name }, { userSync: updated.userSync, groupSync: updated.groupSync, name: updated.name });
  if (patch.priority !== undefined) await setPriority(ctx, tenantId, id, patch.priority);
  // Enabling starts the first sync at once rather than at the next scheduled slot.
  if (turnedOn) await requestSync(ctx, tenantId, id, { mode: 'incremental', dryRun: false }, 'config').catch((e) => (e instanceof ApiError ? undefined : Promise.reject(e)));
  return (await getIntegration(ctx.store.db, tenantId, id))!;
}

export async function requestSync(ctx: AppContext, tenantId: string, id: string, body: unknown, trigger: 'manual' | 'config' | 'cli' | 'start' | 'webhook' = 'manual'): Promise<Run> {
  const options = validateBody(SyncBody, body);
  const integration = await requireIntegration(ctx, tenantId, id);
  if (integration.connection.status !== 'connected') {
    throw new ApiError(409, 'not_connected', `${integration.name} is ${integration.connection.status}: reconnect it before syncing.`, { connection: integration.connection.status });
  }
  if (!integration.userSync.enabled && !options.dryRun) {
    throw new ApiError(409, 'sync_disabled', `User Auto-Sync is off for ${integration.name}: enable it (PATCH {"userSync": {"enabled": true}}) or ask for a dry run.`);
  }
  try {
    const run = await enqueueRun(ctx.store.db, { tenantId, integrationId: id, trigger, mode: options.mode, dryRun: options.dryRun });
    ctx.worker.wake();
    return run;
  } catch (error) {
    if (error instanceof RunConflictError) {
      if (error.reason === 'blocked') {
        throw new ApiError(409, 'run_blocked', `Run ${error.runId} is held by the safeguard: approve or reject it before syncing again.`, { runId: error.runId });
      }
      throw new ApiError(409, 'run_in_progress', 'A sync of this integration is already queued or running; follow that run.', { runId: error.runId });
    }
    throw error;
  }
}

export async function listIntegrationsFor(ctx: AppContext, tenantId: string): Promise<Integration[]> {
  return listIntegrations(ctx.store.db, tenantId);
}

/** Consecutive failed runs after which an integration is "failing" rather than having a hiccup. */
export const FAILING_AFTER = 3;

export interface Health {
  readonly state: 'healthy' | 'never_run' | 'running' | 'disabled' | 'authorisation_expired' | 'provider_unavailable' | 'failing' | 'blocked_by_safeguard' | 'disconnected';
  readonly message: string;
  readonly statusPageUrl: string | null;
}

/** The integration's health in words, with the action the admin should take. */
export async function healthOf(ctx: AppContext, integration: Integration): Promise<{ health: Health; lastRun: Run | null }> {
  const info = descriptorOf(integration.provider);
  const name = providerName(integration.provider);
  const lastRun = (await lastFinishedRun(ctx.store.db, integration.tenantId, integration.id)) ?? null;
  const running = await activeRun(ctx.store.db, integration.tenantId, integration.id);
  const h = (state: Health['state'], message: string, statusPageUrl: string | null = null) => ({ health: { state, message, statusPageUrl }, lastRun });
  const c = integration.connection;
  if (c.status === 'expired' || c.status === 'revoked') return h('authorisation_expired', `Authorisation expired — reconnect ${name}. ${c.detail ?? ''}`.trim());
  if (c.status === 'disconnected') return h('disconnected', `${name} is not connected: connect it on the Integrations page.`);
  if (c.status === 'error') return h('failing', `${name} connection failed: ${c.detail ?? 'unknown error'}. Check the settings and reconnect.`);
  if (!integration.userSync.enabled) return h('disabled', `Connected, but User Auto-Sync is off: enable it to start syncing ${name}.`);
  if (running) return h('running', `A ${running.mode} sync is ${running.status}.`);
  if (!lastRun) return h('never_run', `User Auto-Sync is on and has not run yet; it runs shortly, or click Sync now.`);
  if (lastRun.status === 'blocked') return h('blocked_by_safeguard', `${lastRun.error?.message ?? 'The last run was held by the safeguard.'}`);
  if (lastRun.status === 'failed') {
    const code = lastRun.error?.code;
    const { count } = await consecutiveFailures(ctx.store.db, integration);
    const retry = integration.nextRunAt ? ` The next attempt is at ${integration.nextRunAt}.` : '';
    if (count >= FAILING_AFTER && code !== 'auth_failed') {
      return h('failing', `The last ${count} syncs failed; the latest: ${lastRun.error?.message ?? 'unknown error'}${retry}`, code === 'provider_unavailable' || code === 'rate_limited' ? (info?.statusPageUrl ?? null) : null);
    }
    if (code === 'auth_failed') return h('authorisation_expired', `Authorisation expired — reconnect ${name}. ${lastRun.error?.message ?? ''}`.trim());
    if (code === 'missing_permission') return h('failing', `${name} is connected but lacks a permission: ${lastRun.error?.message ?? ''}`.trim());
    if (code === 'provider_unavailable' || code === 'rate_limited') {
      return h('provider_unavailable', `${name} is unavailable: ${lastRun.error?.message ?? ''} Check ${name}'s status page; the sync retries by itself.${retry}`, info?.statusPageUrl ?? null);
    }
    return h('failing', `The last sync failed: ${lastRun.error?.message ?? 'unknown error'}`);
  }
  const n = lastRun.counts;
  const summary = `the last ${lastRun.mode} sync read ${n.fetched} people: ${n.created} added, ${n.updated} updated, ${n.deactivated} deactivated, ${n.reactivated} reactivated, ${n.skipped} skipped`;
  if (lastRun.status === 'partial') return h('healthy', `In step with ${name}, except ${n.failed} records that could not be read (see the last run); ${summary}.`);
  return h('healthy', `In step with ${name}: ${summary}.`);
}
