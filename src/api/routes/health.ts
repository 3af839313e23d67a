import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { openResponses } from '../contract/common.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';

export function healthRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      { schema: { summary: 'Liveness and database reachability', tags: ['health'], security: [], response: openResponses({ 200: z.object({ status: z.literal('ok'), database: z.string() }) }) } },
      async () => {
        await sql`select 1`.execute(ctx.store.db);
        return { status: 'ok' as const, database: ctx.store.dialect };
      },
    );
  };
}
