import { buildServer } from '../api/server.ts';
import { ensureApiKey, openRuntime } from './runtime.ts';

/** `refresh serve`: a stateless API node. Runs are queued in the database for the workers. */
export async function serveCommand(): Promise<void> {
  const { config, ctx } = await openRuntime(false);
  const { key, generated } = await ensureApiKey(ctx);
  const app = await buildServer(ctx);
  await app.listen({ port: config.port, host: config.host });
  if (generated) console.log(`API key (shown once): ${key}`);
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
  const { ctx } = await openRuntime(false);
  ctx.worker.start();
  ctx.logger.info({ worker: ctx.worker.id }, 'worker started');
  const stop = async () => {
    await ctx.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
