import { buildServer } from '../api/server.ts';
import { serveMetrics } from '../api/routes/metrics.ts';
import { ensureFirstAdmin } from '../auth/admin-users.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { ensureApiKey, openRuntime } from './runtime.ts';

/**
 * `refresh serve`: a stateless API node. Runs are queued in the database for the workers. Every
 * node makes sure the first admin exists (REFRESH_ADMIN_EMAIL / REFRESH_ADMIN_PASSWORD): nodes
 * starting together create it once, and only the node that generated a password prints it.
 */
export async function serveCommand(): Promise<void> {
  const { config, ctx } = await openRuntime('stdout', {}, 'production');
  const { key, generated } = await ensureApiKey(ctx);
  const admin = await ensureFirstAdmin(ctx.store.db, DEFAULT_TENANT_ID, config.adminEmail, config.adminPassword);
  const app = await buildServer(ctx);
  await app.listen({ port: config.port, host: config.host });
  console.log(`ReFresh API node listening on http://${config.host}:${config.port} (console at /, API at /api/v1).`);
  if (generated) console.log(`API key (shown once): ${key}`);
  if (admin.generatedPassword) console.log(`First admin (shown once — keep it, or set REFRESH_ADMIN_PASSWORD): ${admin.email} / ${admin.generatedPassword}`);
  else console.log(`Sign in as ${admin.email}${config.adminPassword ? ' with REFRESH_ADMIN_PASSWORD' : ''}.`);
  const stop = async () => {
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `refresh worker`: claims queued runs (and takes over runs whose worker died). */
export async function workerCommand(): Promise<void> {
  const { config, ctx } = await openRuntime('stdout', {}, 'production');
  ctx.worker.start();
  ctx.logger.info({ worker: ctx.worker.id }, 'worker started');
  // The runs' metrics live in the worker that ran them: served on METRICS_PORT when set.
  const metrics = config.metricsPort ? await serveMetrics(ctx, config.metricsPort, config.host) : undefined;
  if (metrics) console.log(`Worker metrics at http://${config.host}:${config.metricsPort}/metrics.`);
  const stop = async () => {
    await metrics?.close();
    await ctx.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
