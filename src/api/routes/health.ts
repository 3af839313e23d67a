import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { probeResponses } from '../contract/common.ts';
import { Liveness, Readiness, type ReadinessChecks } from '../contract/operations.ts';
import { ApiError } from '../../app/errors.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';

/** How long readiness waits for the database before calling it unreachable. */
const READY_TIMEOUT_MS = 2000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Probes, never authenticated nor rate-limited (server.ts): `/health/live` for a process
 * supervisor (restart when it stops answering), `/health/ready` for a load balancer (send traffic
 * only when the database answers and its schema is this version's), `/health` as before.
 */
export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['health'];
    app.get(
      '/health',
      { schema: { summary: 'Liveness and database reachability', tags, security: [], response: probeResponses({ 200: z.object({ status: z.literal('ok'), database: z.string() }) }) } },
      async () => {
        await ctx.store.ping();
        return { status: 'ok' as const, database: ctx.store.dialect };
      },
    );

    app.get('/health/live', { schema: { summary: 'Liveness: the process answers (restart it when this fails)', tags, security: [], response: probeResponses({ 200: Liveness }) } }, async () => ({ status: 'ok' as const }));

    app.get(
      '/health/ready',
      { schema: { summary: 'Readiness: 200 when the database answers and its migrations are current, else 503 saying why', tags, security: [], response: probeResponses({ 200: Readiness }, 503) } },
      async () => {
        const checks: z.infer<typeof ReadinessChecks> = { database: 'ok', migrations: 'unknown' };
        let detail: string | null = null;
        try {
          await within(ctx.store.ping(), READY_TIMEOUT_MS);
          const pending = await within(ctx.store.pendingMigrations(), READY_TIMEOUT_MS);
          checks.migrations = pending.length === 0 ? 'current' : 'pending';
          if (pending.length > 0) detail = `The database lacks ${pending.length} migration(s) of this version (${pending.slice(0, 3).join(', ')}): start a node of this version to apply them.`;
        } catch (error) {
          checks.database = 'unreachable';
          detail = `The database does not answer: ${error instanceof Error ? error.message : String(error)}`;
        }
        if (detail !== null) throw new ApiError(503, 'not_ready', detail, { checks });
        return { status: 'ready' as const, database: ctx.store.dialect, checks };
      },
    );
  };
}
