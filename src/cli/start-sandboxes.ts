/**
 * The built-in sandboxes of `refresh start`: on a first start (no integrations yet) one per
 * provider asked for (`--sandbox bamboohr,hibob`; BambooHR alone by default), each connected as an
 * integration ranked in the order given and enabled, so the first syncs start at once. They all
 * draw from one company (src/sandbox/base-roster.ts): a person two sandboxes hold has the same work
 * e-mail and employee number in both, so two sources merge without a single correlation case and
 * field priority decides every field (the console shows which source won and which field it locks).
 *
 * What was started is kept in DATA_DIR/sandbox.json (embedded state, like the vault key): later
 * starts bring back the same sandboxes, with their people and ports, for the same integrations. An
 * integration the admin removed stays removed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../app/integrations-service.ts';
import { startConnect } from '../app/oauth-service.ts';
import { PROVIDER_MODULES, providerModule } from '../providers/registry.ts';
import type { ProviderId } from '../providers/types.ts';
import type { SandboxHandle } from '../sandbox/handle.ts';
import { listIntegrations, readCredentials, updateIntegration, type Integration } from '../store/integrations.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';

export const SANDBOX_EMPLOYEES = 300;
export const SANDBOX_SEED = 42;
/** The first sandbox's port; the next ones follow it. */
export const SANDBOX_PORT = 9101;

export interface SandboxStartOptions {
  /** Comma-separated provider ids, ranked in that order (first start, or to add sandboxes later). */
  readonly sandbox?: string;
  /** The size of the company behind every sandbox (first start, or to change it); kept for later starts. */
  readonly sandboxEmployees?: number;
  readonly sandboxSeed?: number;
}

interface SandboxEntry {
  readonly provider: ProviderId;
  readonly integrationId: string;
  readonly port: number;
}

interface SandboxesRecord {
  readonly employees: number;
  readonly seed: number;
  readonly sandboxes: readonly SandboxEntry[];
}

/** The record as the first versions wrote it: one BambooHR sandbox. */
interface LegacyRecord {
  readonly integrationId: string;
  readonly employees: number;
  readonly seed: number;
  readonly port: number;
}

export interface StartedSandbox {
  readonly handle: SandboxHandle;
  readonly integration: Integration;
  /** "BambooHR". */
  readonly providerName: string;
}

/** `bamboohr,hibob` → the provider ids, checked; a message naming what is available otherwise. */
export function parseSandboxList(value: string): ProviderId[] {
  const known = Object.keys(PROVIDER_MODULES);
  const ids = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (ids.length === 0) throw new Error(`--sandbox needs at least one provider (available: ${known.join(', ')})`);
  for (const id of ids) if (!Object.hasOwn(PROVIDER_MODULES, id)) throw new Error(`--sandbox: no sandbox for "${id}" (available: ${known.join(', ')})`);
  if (new Set(ids).size !== ids.length) throw new Error('--sandbox: each provider once');
  return ids as ProviderId[];
}

export async function ensureSandboxes(ctx: AppContext, options: SandboxStartOptions = {}): Promise<StartedSandbox[]> {
  const wanted = options.sandbox !== undefined ? parseSandboxList(options.sandbox) : null;
  const file = path.join(ctx.config.dataDir, 'sandbox.json');
  const integrations = await listIntegrations(ctx.store.db, DEFAULT_TENANT_ID);
  const saved = readRecord(file) ?? adoptLegacy(integrations);
  if (!saved && integrations.length > 0) return []; // the admin has their own integrations
  const employees = options.sandboxEmployees ?? saved?.employees ?? SANDBOX_EMPLOYEES;
  const seed = options.sandboxSeed ?? saved?.seed ?? SANDBOX_SEED;
  const entries: SandboxEntry[] = [];
  const started: StartedSandbox[] = [];
  const created: Integration[] = [];
  try {
    for (const entry of saved?.sandboxes ?? []) {
      const existing = integrations.find((i) => i.id === entry.integrationId);
      if (!existing) continue; // the admin removed it: it stays removed
      const handle = await startOn(entry.provider, entry.port, employees, seed);
      started.push({ handle, integration: await follow(ctx, existing, handle), providerName: providerModule(entry.provider).descriptor.name });
      entries.push({ ...entry, port: portOf(handle) });
    }
    const held = new Set((saved?.sandboxes ?? []).map((e) => e.provider));
    const fresh = (wanted ?? (saved ? [] : ['bamboohr' as const])).filter((p) => !held.has(p));
    for (const provider of fresh) {
      const { descriptor } = providerModule(provider);
      const handle = await startOn(provider, SANDBOX_PORT + entries.length, employees, seed);
      // Ranked in the order created: the first sandbox is rank 1.
      const integration = await createIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, {
        provider,
        name: `${descriptor.name} (sandbox)`,
        settings: { ...handle.connection.settings },
        credentials: { ...handle.connection.credentials },
      });
      started.push({ handle, integration, providerName: descriptor.name });
      created.push(integration);
      entries.push({ provider, integrationId: integration.id, port: portOf(handle) });
    }
    if (saved || entries.length > 0) writeRecord(file, { employees, seed, sandboxes: entries });
    // Enabling queues the first sync (DESIGN.md: connected ≠ enabled; enabling starts syncing).
    for (const integration of created) {
      const enabled = await patchIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, integration.id, { userSync: { enabled: true } });
      const at = started.findIndex((s) => s.integration.id === integration.id);
      started[at] = { ...started[at]!, integration: enabled };
    }
  } catch (error) {
    for (const s of started) await s.handle.close();
    throw error;
  }
  return started;
}

/** The same port as last time when it is free, else any: the integration follows the sandbox. */
async function startOn(provider: ProviderId, port: number, employees: number, seed: number): Promise<SandboxHandle> {
  const { sandbox } = providerModule(provider);
  return sandbox.start({ employees, seed, port }).catch(() => sandbox.start({ employees, seed, port: 0 }));
}

function portOf(handle: SandboxHandle): number {
  return Number(new URL(handle.url).port);
}

/**
 * A sandbox that came back: its integration follows its address, and takes its credentials again
 * when they are not the ones stored (an OAuth sandbox forgets its grants when it stops: its grant is
 * imported anew; an older data directory's BambooHR key is replaced by the sandbox's).
 */
async function follow(ctx: AppContext, integration: Integration, handle: SandboxHandle): Promise<Integration> {
  let current = integration;
  const settings = { ...integration.settings, ...handle.connection.settings };
  if (JSON.stringify(settings) !== JSON.stringify(integration.settings)) {
    current = (await updateIntegration(ctx.store.db, ctx.vault, DEFAULT_TENANT_ID, integration.id, { settings })) ?? current;
  }
  const stored = (await readCredentials(ctx.store.db, ctx.vault, DEFAULT_TENANT_ID, integration.id)) ?? {};
  const wanted = handle.connection.credentials;
  if (Object.entries(wanted).some(([k, v]) => stored[k] !== v)) {
    const result = await startConnect(ctx, DEFAULT_TENANT_ID, integration.id, { credentials: { ...wanted } });
    if (result.kind === 'reconnected') current = result.integration;
  }
  return current;
}

function readRecord(file: string): SandboxesRecord | null {
  if (!existsSync(file)) return null;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as SandboxesRecord | LegacyRecord;
  if ('sandboxes' in raw) return raw;
  return { employees: raw.employees, seed: raw.seed, sandboxes: [{ provider: 'bamboohr', integrationId: raw.integrationId, port: raw.port }] };
}

function writeRecord(file: string, record: SandboxesRecord): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * Data directories from before the record: their sandbox integration lost its marker when it was
 * created (the settings schema dropped it), so it is recognised by what start gave it.
 */
function adoptLegacy(integrations: readonly Integration[]): SandboxesRecord | null {
  const legacy = integrations.find((i) => i.provider === 'bamboohr' && i.name === 'BambooHR (sandbox)' && i.settings.companyDomain === 'sandbox' && /^http:\/\/127\.0\.0\.1:\d+$/.test(String(i.settings.baseUrl ?? '')));
  if (!legacy) return null;
  return { employees: SANDBOX_EMPLOYEES, seed: SANDBOX_SEED, sandboxes: [{ provider: 'bamboohr', integrationId: legacy.id, port: Number(new URL(String(legacy.settings.baseUrl)).port) }] };
}
