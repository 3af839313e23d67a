import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { listAudit } from '../../app/audit-service.ts';
import { cursorKey, notFound } from '../../app/errors.ts';
import { resolveCase, resolveCasesInBulk, withSuggestions } from '../../app/correlation-service.ts';
import { countCorrelationCases, getCorrelationCase, listCorrelationCases } from '../../store/correlation-cases.ts';
import { encodeCursor } from '../../store/ids.ts';
import { IdParams, responses } from '../contract/common.ts';
import { AuditPage, AuditQuery, BulkResolveBody, BulkResolveResult, CorrelationCase, CorrelationCasePage, CorrelationCaseQuery, ResolveCaseBody } from '../contract/audit.ts';

export function auditRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/audit',
      { schema: { tags: ['audit'], summary: 'Every change by a run or an admin: actor, time, before and after (newest first)', querystring: AuditQuery, response: responses({ 200: AuditPage }, 400) } },
      async (request) => {
        const { employeeId, integrationId, actor, limit, cursor } = request.query;
        return listAudit(ctx, request.tenantId, { limit, ...(employeeId ? { employeeId } : {}), ...(integrationId ? { integrationId } : {}), ...(actor ? { actor } : {}), ...(cursor ? { cursor } : {}) });
      },
    );

    const tags = ['correlation cases'];
    app.get(
      '/correlation-cases',
      { schema: { tags, summary: 'Ambiguous matches held for an admin (never merged silently), with how many match', querystring: CorrelationCaseQuery, response: responses({ 200: CorrelationCasePage }, 400) } },
      async (request) => {
        const { status, limit, cursor } = request.query;
        const after = cursorKey(cursor);
        const rows = await listCorrelationCases(ctx.store.db, request.tenantId, { limit: limit + 1, ...(status ? { status } : {}), ...(after ? { after } : {}) });
        const page = await withSuggestions(ctx.store.db, request.tenantId, rows.slice(0, limit));
        const total = await countCorrelationCases(ctx.store.db, request.tenantId, status ? { status } : {});
        return { data: page, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null, total };
      },
    );
    app.get('/correlation-cases/:id', { schema: { tags, params: IdParams, response: responses({ 200: CorrelationCase }, 404) } }, async (request) => {
      const found = await getCorrelationCase(ctx.store.db, request.tenantId, request.params.id);
      if (!found) throw notFound('correlation case', request.params.id);
      return (await withSuggestions(ctx.store.db, request.tenantId, [found]))[0]!;
    });
    app.post(
      '/correlation-cases/bulk-resolve',
      {
        schema: {
          tags,
          summary: 'Link all suggested, or create all as new: each open case (or each named) decided on its own and atomically, as one decision would be; answers how many succeeded and, for each that did not, who and why',
          body: BulkResolveBody,
          response: responses({ 200: BulkResolveResult }, 400),
        },
      },
      async (request) => resolveCasesInBulk(ctx, request.tenantId, request.body),
    );
    app.post(
      '/correlation-cases/:id/resolve',
      { schema: { tags, summary: 'Link the source record to an employee, or create a new one', params: IdParams, body: ResolveCaseBody, response: responses({ 200: CorrelationCase }, 400, 404, 409) } },
      async (request) => (await withSuggestions(ctx.store.db, request.tenantId, [await resolveCase(ctx, request.tenantId, request.params.id, request.body)]))[0]!,
    );
  };
}
