import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { listAudit } from '../../app/audit-service.ts';
import { notFound } from '../../app/errors.ts';
import { resolveCase, ResolveCaseBody } from '../../app/correlation-service.ts';
import { getCorrelationCase, listCorrelationCases } from '../../store/correlation-cases.ts';
import { decodeCursor, encodeCursor } from '../../store/ids.ts';

const Paging = { limit: z.coerce.number().int().min(1).max(1000).default(100), cursor: z.string().optional() };

export function auditRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/audit',
      { schema: { tags: ['audit'], summary: 'Every change by a run or an admin: actor, time, before and after (newest first)', querystring: z.object({ employeeId: z.string().optional(), integrationId: z.string().optional(), actor: z.enum(['admin', 'system', 'run']).optional(), ...Paging }) } },
      async (request) => {
        const { employeeId, integrationId, actor, limit, cursor } = request.query;
        return listAudit(ctx, request.tenantId, { limit, ...(employeeId ? { employeeId } : {}), ...(integrationId ? { integrationId } : {}), ...(actor ? { actor } : {}), ...(cursor ? { cursor } : {}) });
      },
    );

    const tags = ['correlation cases'];
    app.get('/correlation-cases', { schema: { tags, summary: 'Ambiguous matches held for an admin (never merged silently)', querystring: z.object({ status: z.enum(['open', 'resolved']).optional(), ...Paging }) } }, async (request) => {
      const { status, limit, cursor } = request.query;
      const after = cursor ? (decodeCursor(cursor) ?? undefined) : undefined;
      const rows = await listCorrelationCases(ctx.store.db, request.tenantId, { limit: limit + 1, ...(status ? { status } : {}), ...(after ? { after } : {}) });
      const page = rows.slice(0, limit);
      return { data: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
    });
    app.get('/correlation-cases/:id', { schema: { tags, params: z.object({ id: z.string() }) } }, async (request) => {
      const found = await getCorrelationCase(ctx.store.db, request.tenantId, request.params.id);
      if (!found) throw notFound('correlation case', request.params.id);
      return found;
    });
    app.post('/correlation-cases/:id/resolve', { schema: { tags, summary: 'Link the source record to an employee, or create a new one', params: z.object({ id: z.string() }), body: ResolveCaseBody.optional() } }, async (request) => {
      return resolveCase(ctx, request.tenantId, request.params.id, request.body);
    });
  };
}
