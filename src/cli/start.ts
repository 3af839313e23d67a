import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildServer } from '../api/server.ts';
import type { AppContext } from '../app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../app/integrations-service.ts';
import { startBambooSandbox, type BambooSandbox } from '../providers/bamboohr/sandbox/server.ts';
import { listIntegrations, readCredentials, updateIntegration, type Integration } from '../store/integrations.ts';
import { activeRun } from '../store/runs.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { waitForRun } from '../jobs/worker.ts';
import { ensureApiKey, openRuntime, table } from './runtime.ts';
import { runSummary } from './sync.ts';
import { ensureFirstAdmin } from '../auth/admin-users.ts';

const SANDBOX_EMPLOYEES = 300;
const SANDBOX_SEED = 42;
const SANDBOX_PORT = 9101;

export interface StartOptions {
  /** People in the built-in sandbox (first start, or to change it); kept for later starts. */
  readonly sandboxEmployees?: number;
  readonly sandboxSeed?: number;
}

/**
 * The built-in sandbox as it was started, kept in DATA_DIR (embedded state, like the vault key):
 * which integration it serves and the people it holds, so every later start brings back the
 * same sandbox for that integration.
 */
interface SandboxRecord {
  readonly integrationId: string;
  readonly employees: number;
  readonly seed: number;
  readonly port: number;
}

export async function startCommand(options: StartOptions = {}): Promise<void> {
  const startedAt = Date.now();
  const { config, ctx } = await openRuntime(true);
  const { key, generated } = await ensureApiKey(ctx);
  const admin = await ensureFirstAdmin(ctx.store.db, DEFAULT_TENANT_ID, config.adminEmail, config.adminPassword);
  const sandbox = await ensureSandbox(ctx, options);
  const app = await buildServer(ctx);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as { code?: string }).code;
    await ctx.close();
    await sandbox?.close();
    if (code === 'EADDRINUSE') throw new Error(`Port ${config.port} on ${config.host} is in use: stop the other process or set PORT.`);
    throw error;
  }
  ctx.worker.start();
  const url = `http://${config.host}:${config.port}`;
  console.log(`\nReFresh People Sync is running (embedded SQLite in ${config.dataDir}).`);
  console.log(`  Console:  ${url}/`);
  console.log(`  API:      ${url}/api/v1  (OpenAPI: ${url}/api/v1/openapi.json)`);
  if (generated) console.log(`  API key:  ${key}\n            Shown once — keep it. Use it as 'Authorization: Bearer <key>'.`);
  else if (key) console.log('  API key:  from REFRESH_API_KEY');
  else console.log('  API key:  the one printed on first start (or set REFRESH_API_KEY)');
  if (admin.generatedPassword) console.log(`  Sign in:  ${admin.email} / ${admin.generatedPassword}\n            Shown once — keep it (or set REFRESH_ADMIN_PASSWORD).`);
  else if (config.adminPassword) console.log(`  Sign in:  ${admin.email} with REFRESH_ADMIN_PASSWORD`);
  else console.log(`  Sign in:  ${admin.email} with the password printed on first start (or set REFRESH_ADMIN_PASSWORD)`);
  if (sandbox) console.log(`  Sandbox:  BambooHR simulator at ${sandbox.url} (${sandbox.roster.size} people; control API under ${sandbox.url}/_sandbox)`);
  console.log(`  Logs:     ${config.dataDir}/logs/refresh.log\n`);

  await firstSync(ctx, startedAt);

  const stop = async () => {
    console.log('\nStopping…');
    await app.close();
    await ctx.close();
    await sandbox?.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function ensureSandbox(ctx: AppContext, options: StartOptions): Promise<BambooSandbox | null> {
  const file = path.join(ctx.config.dataDir, 'sandbox.json');
  const integrations = await listIntegrations(ctx.store.db, DEFAULT_TENANT_ID);
  const saved = readSandboxRecord(file) ?? adoptLegacySandbox(integrations);
  if (saved) {
    const existing = integrations.find((i) => i.id === saved.integrationId);
    if (!existing) return null; // the admin removed it: it stays removed
    const record = { ...saved, employees: options.sandboxEmployees ?? saved.employees, seed: options.sandboxSeed ?? saved.seed };
    const apiKey = (await readCredentials(ctx.store.db, ctx.vault, DEFAULT_TENANT_ID, existing.id))?.apiKey ?? `sandbox-${randomBytes(12).toString('hex')}`;
    const sandbox = await startSandbox(record, apiKey);
    if (existing.settings.baseUrl !== sandbox.url) {
      await updateIntegration(ctx.store.db, ctx.vault, DEFAULT_TENANT_ID, existing.id, { settings: { ...existing.settings, baseUrl: sandbox.url } });
    }
    writeSandboxRecord(file, { ...record, port: sandbox.port });
    return sandbox;
  }
  if (integrations.length > 0) return null; // the admin has their own integrations
  const apiKey = `sandbox-${randomBytes(12).toString('hex')}`;
  const sandbox = await startSandbox({ integrationId: '', employees: options.sandboxEmployees ?? SANDBOX_EMPLOYEES, seed: options.sandboxSeed ?? SANDBOX_SEED, port: SANDBOX_PORT }, apiKey);
  const created = await createIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, {
    provider: 'bamboohr',
    name: SANDBOX_NAME,
    settings: { companyDomain: 'sandbox', baseUrl: sandbox.url },
    credentials: { apiKey },
  });
  writeSandboxRecord(file, { integrationId: created.id, employees: options.sandboxEmployees ?? SANDBOX_EMPLOYEES, seed: options.sandboxSeed ?? SANDBOX_SEED, port: sandbox.port });
  // Enabling queues the first sync (DESIGN.md: connected ≠ enabled; enabling starts syncing).
  await patchIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, created.id, { userSync: { enabled: true } });
  return sandbox;
}

const SANDBOX_NAME = 'BambooHR (sandbox)';

/** The same port as last time when it is free, else any: the integration follows the sandbox. */
async function startSandbox(record: SandboxRecord, apiKey: string): Promise<BambooSandbox> {
  const options = { employees: record.employees, seed: record.seed, apiKeys: [apiKey] };
  return startBambooSandbox({ ...options, port: record.port }).catch(() => startBambooSandbox({ ...options, port: 0 }));
}

function readSandboxRecord(file: string): SandboxRecord | null {
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxRecord;
}

function writeSandboxRecord(file: string, record: SandboxRecord): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * Data directories from before the record: their sandbox integration lost its marker when it was
 * created (the settings schema dropped it), so it is recognised by what start gave it.
 */
function adoptLegacySandbox(integrations: readonly Integration[]): SandboxRecord | null {
  const legacy = integrations.find((i) => i.provider === 'bamboohr' && i.name === SANDBOX_NAME && i.settings.companyDomain === 'sandbox' && /^http:\/\/127\.0\.0\.1:\d+$/.test(String(i.settings.baseUrl ?? '')));
  if (!legacy) return null;
  return { integrationId: legacy.id, employees: SANDBOX_EMPLOYEES, seed: SANDBOX_SEED, port: Number(new URL(String(legacy.settings.baseUrl)).port) };
}

/** Follows the syncs under way at start: the first one, or one a stopped process left unfinished (resumed at once). */
async function firstSync(ctx: AppContext, startedAt: number): Promise<void> {
  for (const integration of await listIntegrations(ctx.store.db, DEFAULT_TENANT_ID)) {
    const run = await activeRun(ctx.store.db, DEFAULT_TENANT_ID, integration.id);
    if (!run) continue;
    const interrupted = run.startedAt !== null && Date.parse(run.startedAt) < startedAt;
    process.stdout.write(interrupted ? `Resuming the interrupted sync of ${integration.name}… ` : `Syncing ${integration.name}… `);
    const done = await waitForRun(ctx.engine, DEFAULT_TENANT_ID, run.id, 3_600_000);
    console.log(done.status);
    console.log(table(runSummary(done)));
    console.log('');
  }
}
