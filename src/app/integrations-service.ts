import {
  DEFAULT_GROUP_SYNC,
  defaultUserSync,
  asFieldMapping,
  type UserSyncSettings,
} from '../core/integration-settings.ts';
import { DESCRIPTORS, descriptorOf, providerName } from '../providers/descriptors.ts';
import { requireAcceptedCredentials } from './connection-check.ts';
import { stableHash } from '../core/hash.ts';
import { findIdempotentResource, IdempotencyKeyTaken, type IdempotentRequest } from '../store/idempotency.ts';
import { resolveCredentials, validateSettings } from './provider-input.ts';
import { putIntegrationSecret } from '../store/oauth.ts';
import {
  createIntegration,
  getIntegration,
  listIntegrations,
  updateIntegration,
  type Integration,
} from '../store/integrations.ts';
import { activeRun, enqueueRun, lastFinishedRun, RunConflictError, type NewRun, type Run } from '../store/runs.ts';

/** Who asks for a run here (the scheduler enqueues its own). */
type EnqueueTrigger = Exclude<NewRun['trigger'], 'schedule'>;
import { ApiError, notFound, validateBody } from './errors.ts';
import { groupSyncNeedsRun, resolveGroupSyncPatch } from './group-sync-settings.ts';
import { CreateIntegrationBody, PatchIntegrationBody, SyncBody } from '../api/contract/integrations.ts';
import { audit } from '../store/audit.ts';
import { setPriority } from './priority-service.ts';
import { mappingSourceFields, requireKnownSourceFields, scopeSourceFields } from './source-fields.ts';
import type { AppContext } from './context.ts';
import { consecutiveFailures, nextRunAt } from '../sync/schedule.ts';
import { countActiveLinked } from '../store/links.ts';


/** `Idempotency-Key` scope of a create. */
const CREATE_SCOPE = 'integration.create';

/**
 * `POST /integrations`. Credentials are tried against the provider first: a refusal is a 4xx and
 * nothing is stored (connection-check.ts). With an `Idempotency-Key`, the same request sent again
 * (a double click, a retry after a lost answer) answers the integration the first one created.
 */
export async function createIntegrationFromRequest(ctx: AppContext, tenantId: string, body: unknown, opts: { idempotencyKey?: string | undefined } = {}): Promise<Integration> {
  const input = validateBody(CreateIntegrationBody, body);
  const descriptor = DESCRIPTORS[input.provider];
  const settings = validateSettings(descriptor, input.settings);
  // The fingerprint names the credential fields sent, never their values (not even hashed).
  const credentialFields = input.credentials ? Object.keys(input.credentials).sort() : null;
  const idempotency = opts.idempotencyKey ? { scope: CREATE_SCOPE, key: opts.idempotencyKey, requestHash: stableHash({ provider: input.provider, name: input.name ?? null, settings, credentialFields }) } : undefined;
  if (idempotency) {
    const replayed = await replayCreate(ctx, tenantId, idempotency);
    if (replayed) return replayed;
  }
  const resolved = input.credentials ? await resolveCredentials(descriptor, settings, input.credentials) : null;
  const credentials = resolved?.credentials ?? null;
  if (credentials) await requireAcceptedCredentials(ctx, input.provider, settings, credentials);
  const connection = credentials ? { status: 'connected' as const, detail: null } : { status: 'disconnected' as const, detail: `Not connected yet: connect it with ${descriptor.auth.map((m) => m.label).join(' or ')}.` };
  let integration: Integration;
  try {
    // The integration, the OAuth client of an imported grant (the one that must refresh it) and
    // the audit entry commit together.
    integration = await ctx.store.db.transaction().execute(async (trx) => {
      const made = await createIntegration(
        trx,
        ctx.vault,
        { tenantId, provider: input.provider, name: input.name ?? descriptor.name, settings, credentials, connection, userSync: defaultUserSync(descriptor.defaultMapping, descriptor.defaultScope), groupSync: DEFAULT_GROUP_SYNC },
        idempotency,
      );
      if (resolved?.app) await putIntegrationSecret(trx, ctx.vault, tenantId, made.id, 'oauth_client', resolved.app);
      await audit(trx, tenantId, 'integration.created', made.id, null, { provider: made.provider, name: made.name, connection: connection.status, method: resolved?.method.kind ?? null });
      return made;
    });
  } catch (error) {
    // Another request with the same key created it meanwhile: that one is the answer.
    if (error instanceof IdempotencyKeyTaken && idempotency) return (await replayCreate(ctx, tenantId, idempotency))!;
    throw error;
  }
  return integration;
}

/** The integration an earlier request with this key created, or undefined when the key is new. */
async function replayCreate(ctx: AppContext, tenantId: string, request: IdempotentRequest): Promise<Integration | undefined> {
  const earlier = await findIdempotentResource(ctx.store.db, tenantId, request);
  if (!earlier) return undefined;
  if (earlier.requestHash !== request.requestHash) {
    throw new ApiError(422, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request (another provider, name, settings or kind of credentials): send a new key for a new request.', { field: 'Idempotency-Key' });
  }
  const integration = await getIntegration(ctx.store.db, tenantId, earlier.resourceId);
  if (!integration) throw new ApiError(409, 'integration_removed', `The integration this request created (${earlier.resourceId}) has been removed since: send a new Idempotency-Key to create another.`, { integrationId: earlier.resourceId });
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
  if (patch.settings) settings = validateSettings(requireDescriptorOf(integration), { ...integration.settings, ...patch.settings }, patch.settings);
  const named = [...mappingSourceFields(patch.userSync?.fieldMapping ?? {}, 'userSync.fieldMapping'), ...(patch.userSync?.scope ? scopeSourceFields(patch.userSync.scope, 'userSync.scope') : [])];
  await requireKnownSourceFields(ctx, integration, settings ?? integration.settings, named);
  const turnedOn = (userSync?.enabled === true && !integration.userSync.enabled) || (groupSync !== undefined && groupSyncNeedsRun(integration.groupSync, groupSync));
  // The audit entry commits in the transaction of the change it describes.
  await ctx.store.db.transaction().execute(async (trx) => {
    const updated = (await updateIntegration(trx, ctx.vault, tenantId, id, {
      ...(patch.name !== undefined && { name: patch.name }),
      ...(settings && { settings }),
      ...(userSync && { userSync }),
      ...(groupSync && { groupSync }),
      ...(userSync && !userSync.enabled && { nextRunAt: null }),
    }))!;
    await audit(trx, tenantId, 'integration.updated', id, { userSync: integration.userSync, groupSync: integration.groupSync, name: integration.name }, { userSync: updated.userSync, groupSync: updated.groupSync, name: updated.name });
  });
  if (patch.priority !== undefined) await setPriority(ctx, tenantId, id, patch.priority);
  // Enabling starts the first sync at once rather than at the next scheduled slot.
  if (turnedOn) await requestSync(ctx, tenantId, id, { mode: 'incremental', dryRun: false }, 'config').catch((e) => (e instanceof ApiError ? undefined : Promise.reject(e)));
  return (await getIntegration(ctx.store.db, tenantId, id))!;
}

/**
 * After a successful Reconnect (new credentials or an OAuth grant): the schedule resumes (the next
 * slot one cadence from now) and a verification run starts at once, so health turns from
 * "authorisation expired" to healthy by itself, with no click on Sync now (issue 9 §4). A run
 * already queued, running or held stays the one to follow.
 */
export async function resumeAfterReconnect(ctx: AppContext, tenantId: string, id: string): Promise<Integration> {
  const integration = await requireIntegration(ctx, tenantId, id);
  if (!integration.userSync.enabled) return integration;
  const next = await nextRunAt(ctx.store.db, integration, null, new Date());
  if (next !== undefined) await updateIntegration(ctx.store.db, ctx.vault, tenantId, id, { nextRunAt: next });
  await requestSync(ctx, tenantId, id, { mode: 'incremental', dryRun: false }, 'reconnect').catch((e) => (e instanceof ApiError ? undefined : Promise.reject(e)));
  return (await getIntegration(ctx.store.db, tenantId, id))!;
}

export async function requestSync(ctx: AppContext, tenantId: string, id: string, body: unknown, trigger: EnqueueTrigger = 'manual'): Promise<Run> {
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
  /** When a failing integration is tried again: the console shows it in the viewer's time zone. */
  readonly nextAttemptAt: string | null;
}

/** The first sentence of a provider's or engine's message (they can run to several). */
function firstSentence(text: string | undefined): string {
  const t = (text ?? '').trim();
  const m = /^.*?[.!?](?=\s|$)/.exec(t);
  return (m ? m[0] : t).replace(/[.!?]$/, '');
}

/** What a run changed, as the end of "the last sync …": "added 283 people", "added 2 people and updated 5", "changed nothing". */
export function changedSummary(n: Pick<Run['counts'], 'created' | 'updated' | 'deactivated' | 'reactivated'>): string {
  const parts = (
    [
      [n.created, 'added'],
      [n.updated, 'updated'],
      [n.deactivated, 'deactivated'],
      [n.reactivated, 'reactivated'],
    ] as const
  )
    .filter(([count]) => count > 0)
    .map(([count, verb], i) => `${verb} ${count.toLocaleString('en')}${i === 0 ? ` ${count === 1 ? 'person' : 'people'}` : ''}`);
  if (parts.length === 0) return 'changed nothing';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * The integration's health: one sentence about the integration (not only its last run), with no
 * times or ids in it — `nextAttemptAt` carries the time, which the console shows in the viewer's
 * zone — and the provider's status page always.
 */
export async function healthOf(ctx: AppContext, integration: Integration): Promise<{ health: Health; lastRun: Run | null }> {
  const info = descriptorOf(integration.provider);
  const name = providerName(integration.provider);
  const statusPageUrl = info?.statusPageUrl ?? null;
  const lastRun = (await lastFinishedRun(ctx.store.db, integration.tenantId, integration.id)) ?? null;
  const running = await activeRun(ctx.store.db, integration.tenantId, integration.id);
  const h = (state: Health['state'], message: string, nextAttemptAt: string | null = null) => ({ health: { state, message, statusPageUrl, nextAttemptAt }, lastRun });
  const c = integration.connection;
  const expired = `Authorisation expired: ${name} no longer accepts ReFresh's credentials, so reconnect it to resume syncing.`;
  if (c.status === 'expired' || c.status === 'revoked') return h('authorisation_expired', expired);
  if (c.status === 'disconnected') return h('disconnected', `${name} is not connected: connect it on the Integrations page to start syncing.`);
  if (c.status === 'error') return h('failing', `ReFresh cannot reach ${name} with the saved settings: check them and reconnect.`);
  if (!integration.userSync.enabled) return h('disabled', `${name} is connected, but User Auto-Sync is off: enable it to start syncing people.`);
  if (running) return h('running', `Syncing people from ${name} now.`);
  if (!lastRun) return h('never_run', `User Auto-Sync is on and the first sync of ${name} starts shortly.`);
  // A held run has applied nothing: what it would do is its plan.
  if (lastRun.status === 'blocked') return h('blocked_by_safeguard', `A sync of ${name} would deactivate ${(lastRun.planned ?? lastRun.counts).deactivated.toLocaleString('en')} people, more than the safeguard allows, and waits for your approval.`);
  if (lastRun.status === 'failed') {
    const code = lastRun.error?.code;
    const next = integration.nextRunAt;
    if (code === 'auth_failed') return h('authorisation_expired', expired);
    const { count } = await consecutiveFailures(ctx.store.db, integration);
    const times = count >= FAILING_AFTER ? `The last ${count} syncs of ${name} failed` : `The last sync of ${name} failed`;
    if (code === 'missing_permission') return h('failing', `${name} is connected but lacks a permission ReFresh needs: ${firstSentence(lastRun.error?.message) || 'see the last run'}.`, next);
    if (code === 'provider_unavailable') return h(count >= FAILING_AFTER ? 'failing' : 'provider_unavailable', `${times} because ${name} is not answering; ReFresh retries by itself.`, next);
    if (code === 'rate_limited') return h(count >= FAILING_AFTER ? 'failing' : 'provider_unavailable', `${times} because ${name} limited ReFresh's requests; ReFresh retries by itself.`, next);
    return h('failing', `${times}: ${firstSentence(lastRun.error?.message) || 'an unexpected error'}.`, next);
  }
  const synced = await countActiveLinked(ctx.store.db, integration.tenantId, integration.id);
  const people = `${synced.toLocaleString('en')} active ${synced === 1 ? 'person' : 'people'} synced`;
  if (lastRun.status === 'partial') return h('healthy', `Mostly in step with ${name} (${people}), but ${lastRun.counts.failed.toLocaleString('en')} records could not be read in the last sync.`);
  return h('healthy', `In step with ${name}: ${people}; the last sync ${changedSummary(lastRun.counts)}.`);
}
