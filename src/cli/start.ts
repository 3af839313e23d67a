import { buildServer } from '../api/server.ts';
import type { AppContext } from '../app/context.ts';
import { listIntegrations } from '../store/integrations.ts';
import { activeRun } from '../store/runs.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { waitForRun } from '../jobs/worker.ts';
import { ensureApiKey, openRuntime, table } from './runtime.ts';
import { runSummary } from './sync.ts';
import { ensureFirstAdmin } from '../auth/admin-users.ts';
import { ensureSandboxes, type SandboxStartOptions } from './start-sandboxes.ts';

export type StartOptions = SandboxStartOptions;

export async function startCommand(options: StartOptions = {}): Promise<void> {
  const startedAt = Date.now();
  const { config, ctx } = await openRuntime('file');
  const { key, generated } = await ensureApiKey(ctx);
  const admin = await ensureFirstAdmin(ctx.store.db, DEFAULT_TENANT_ID, config.adminEmail, config.adminPassword);
  const sandboxes = await ensureSandboxes(ctx, options).catch(async (error: unknown) => {
    await ctx.close();
    throw error;
  });
  const closeSandboxes = async () => {
    for (const s of sandboxes) await s.handle.close();
  };
  const app = await buildServer(ctx);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as { code?: string }).code;
    await ctx.close();
    await closeSandboxes();
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
  for (const s of sandboxes) {
    const rank = sandboxes.length > 1 ? `rank ${s.integration.priority}; ` : '';
    console.log(`  Sandbox:  ${s.providerName} simulator at ${s.handle.url} (${s.handle.count()} people; ${rank}integration ${s.integration.id}; control API under ${s.handle.url}/_sandbox)`);
  }
  if (sandboxes.length > 1) {
    const order = [...sandboxes].sort((a, b) => a.integration.priority - b.integration.priority).map((s) => s.providerName).join(' above ');
    console.log(`            One company behind them all: ${order} (Settings → Field priority); each person's page shows which source won each field.`);
  }
  console.log(`  Logs:     ${config.dataDir}/logs/refresh.log\n`);

  await firstSync(ctx, startedAt);

  const stop = async () => {
    console.log('\nStopping…');
    await app.close();
    await ctx.close();
    await closeSandboxes();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
