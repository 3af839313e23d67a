import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { ApiError } from '../../app/errors.ts';

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may read /metrics. Metrics name providers, volumes and failure rates across every tenant:
 * operators' business, not the public's, and not a tenant admin's (an API key is a tenant's).
 *
 * - With METRICS_TOKEN set: `Authorization: Bearer <token>` (Prometheus' scrape config sends it),
 *   from anywhere, compared in constant time.
 * - Without it: only a direct connection from this machine (a sidecar or node exporter) with no
 *   X-Forwarded-* header, so a reverse proxy on the same host does not expose it to the world.
 *
 * A token rather than a separate port: one listener is simpler to run in containers and behind
 * load balancers, and a token works where a port cannot be kept private.
 */
export function metricsAllowed(request: FastifyRequest, token: string | undefined): boolean {
  if (token) {
    const match = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i);
    return match !== null && match !== undefined && timingSafeEqual(digest(match[1]!), digest(token));
  }
  const forwarded = Object.keys(request.headers).some((h) => h.startsWith('x-forwarded-') || h === 'forwarded');
  return !forwarded && LOOPBACK.test(request.socket.remoteAddress ?? '');
}

/**
 * `GET /metrics` in Prometheus' text format (prom-client): run durations and outcomes per
 * provider, people written, provider errors by class, queue depth and oldest queued run, lease
 * takeovers, and the process's own (CPU, memory, event-loop lag). Prometheus text is not JSON, so
 * it stands outside the /api/v1 contract, as Prometheus convention has it.
 */
export function metricsRoute(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!metricsAllowed(request, ctx.config.metricsToken)) {
        throw new ApiError(ctx.config.metricsToken ? 401 : 403, 'metrics_forbidden', ctx.config.metricsToken ? 'Send the operator token as `Authorization: Bearer <METRICS_TOKEN>`.' : 'Metrics are served only to this machine; set METRICS_TOKEN to scrape from elsewhere.');
      }
      const body = await ctx.metrics.registry.metrics();
      return reply.header('content-type', ctx.metrics.registry.contentType).header('cache-control', 'no-store').send(body);
    });
  };
}

/**
 * A listener with /metrics alone, for `refresh worker` (METRICS_PORT): workers execute the runs,
 * so their run metrics live in their process and would otherwise have no way out.
 */
export async function serveMetrics(ctx: AppContext, port: number, host: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => {
    const status = error instanceof ApiError ? error.status : 500;
    return reply.status(status).send({ error: { code: error instanceof ApiError ? error.code : 'internal_error', message: error instanceof ApiError ? error.message : 'Something went wrong on our side.', details: {} } });
  });
  await app.register(metricsRoute(ctx));
  await app.listen({ port, host });
  return app;
}
