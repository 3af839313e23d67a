import { randomBytes } from 'node:crypto';
import { buildServer } from '../api/server.ts';
import type { AppContext } from '../app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../app/integrations-service.ts';
import { startBambooSandbox, type BambooSandbox } from '../providers/bamboohr/sandbox/server.ts';
import { listIntegrations, readCredentials, updateIntegration } from '../store/integrations.ts';
import { activeRun } from '../store/runs.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { waitForRun } from '../jobs/worker.ts';
import { ensureApiKey, openRuntime, table } from './runtime.ts';
import { runSummary } from './sync.ts';
import { ensureFirstAdmin } from '../auth/admin-users.ts';

const SANDBOX_EMPLOYEES = 300;
const SANDBOX_SEED = 42;

/**
 * `refresh start`: everything in one process. On first start it creates the default tenant, an
 * internal BambooHR sandbox, connects and enables it and runs the first sync, so a newcomer sees
 * real data at once. The sandbox comes back on every start with the same people.
 */
export async function startCommand(): Promise<void> {
  const { config, ctx } = await openRuntime(true);
  const { key, generated } = await ensureApiKey(ctx);
  const admin = await ensureFirstAdmin(ctx.store.db, DEFAULT_TENANT_ID, config.adminEmail, config.adminPassword);
  const sandbox = await ensureSandbox(ctx);
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

  await firstSync(ctx);

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

async function ensureSandbox(ctx: AppContext): Promise<BambooSandbox | null> {
  const integrations = await listIntegrations(ctx.store.db, DEFAULT_TENANT_ID);
  const existing = integrations.find((i) => i.settings.sandbox === true && i.provider === 'bamboohr');
  if (!existing && integrations.length > 0) return null; // the admin has their own integrations
  const credentials = existing ? await readCredentials(ctx.store.db, ctx.vault, DEFAULT_TENANT_ID, existing.id) : null;
  const apiKey = credentials?.apiKey ?? `sandbox-${randomBytes(12).toString('hex')}`;
  const port = Number(existing?.settings.sandboxPort ?? 9101);
  const sandbox = await startBambooSandbox({ employees: SANDBOX_EMPLOYEES, seed: SANDBOX_SEED, port, apiKeys: [apiKey] }).catch(() =>
    startBambooSandbox({ employees: SANDBOX_EMPLOYEES, seed: SANDBOX_SEED, port: 0, apiKeys: [apiKey] }),
  );
  if (existing) {
    if (existing.settings.baseUrl !== sandbox.url) {
      await updateIntegration(ctx.store.db, ctx.vault, DEFAULT_TENANT_ID, existing.id, { settings: { ...existing.settings, baseUrl: sandbox.url, sandboxPort: sandbox.port } });
    }
    return sandbox;
  }
  const created = await createIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, {
    provider: 'bamboohr',
    name: 'BambooHR (sandbox)',
    settings: { companyDomain: 'sandbox', baseUrl: sandbox.url, sandbox: true, sandboxPort: sandbox.port },
    credentials: { apiKey },
  });
  // Enabling queues the first sync (DESIGN.md: connected ≠ enabled; enabling starts syncing).
  await patchIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, created.id, { userSync: { enabled: true } });
  return sandbox;
}

async function firstSync(ctx: AppContext): Promise<void> {
  for (const integration of await listIntegrations(ctx.store.db, DEFAULT_TENANT_ID)) {
    const run = await activeRun(ctx.store.db, DEFAULT_TENANT_ID, integration.id);
    if (!run) continue;
    process.stdout.write(`Syncing ${integration.name}… `);
    const done = await waitForRun(ctx.engine, DEFAULT_TENANT_ID, run.id, 600_000);
    console.log(done.status);
    console.log(table(runSummary(done)));
    console.log('');
  }
}
