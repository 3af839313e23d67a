import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { probeResponses } from '../contract/common.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';

export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      { schema: { summary: 'Liveness and database reachability', tags: ['health'], security: [], response: probeResponses({ 200: z.object({ status: z.literal('ok'), database: z.string() }) }) } },
      async () => {
        await ctx.store.ping();
        return { status: 'ok' as const, database: ctx.store.dialect };
      },
    );
  };
}
