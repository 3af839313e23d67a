import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { cursorKey, notFound } from '../../app/errors.ts';
import { presentRun } from '../../app/presenters.ts';
import { approveRun, rejectRun } from '../../app/runs-service.ts';
import { encodeCursor } from '../../store/ids.ts';
import { listChanges } from '../../store/run-changes.ts';
import { getRun, listRuns } from '../../store/runs.ts';
import { IdParams, responses } from '../contract/common.ts';
import { Run, RunChangePage, RunChangesQuery, RunListQuery, RunPage } from '../contract/runs.ts';

export function runRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['runs'];

    app.get('/runs', { schema: { tags, summary: 'Runs, newest first', querystring: RunListQuery, response: responses({ 200: RunPage }, 400) } }, async (request) => {
      const { integrationId, limit, cursor } = request.query;
      const before = cursorKey(cursor);
      const runs = await listRuns(ctx.store.db, request.tenantId, { ...(integrationId ? { integrationId } : {}), limit: limit + 1, ...(before ? { before } : {}) });
      const page = runs.slice(0, limit);
      return { data: page.map(presentRun), nextCursor: runs.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
    });

    app.get('/runs/:id', { schema: { tags, summary: 'One run with counts and progress', params: IdParams, response: responses({ 200: Run }, 404) } }, async (request) => {
      const run = await getRun(ctx.store.db, request.tenantId, request.params.id);
      if (!run) throw notFound('run', request.params.id);
      return presentRun(run);
    });

    app.get(
      '/runs/:id/changes',
      { schema: { tags, summary: "A run's changes: created, updated (before/after), deactivated, reactivated, skipped and failed with reasons", params: IdParams, querystring: RunChangesQuery, response: responses({ 200: RunChangePage }, 400, 404) } },
      async (request) => {
        const run = await getRun(ctx.store.db, request.tenantId, request.params.id);
        if (!run) throw notFound('run', request.params.id);
        const { limit, cursor, kind } = request.query;
        const seq = cursorKey(cursor, (key) => /^(0|[1-9][0-9]{0,14})$/.test(key));
        const afterSeq = seq === undefined ? undefined : Number(seq);
        const changes = await listChanges(ctx.store.db, request.tenantId, run.id, { limit: limit + 1, ...(afterSeq !== undefined ? { afterSeq } : {}), ...(kind ? { kind } : {}) });
        const page = changes.slice(0, limit);
        return { data: page, nextCursor: changes.length > limit ? encodeCursor(String(page[page.length - 1]!.seq)) : null };
      },
    );

    app.post('/runs/:id/approve', { schema: { tags, summary: 'Apply a run held by the safeguard, exactly once and exactly as staged; 409 plan_stale (the run is set aside, nothing applied) when its people, settings or a later run moved since it was planned: start a fresh sync', params: IdParams, response: responses({ 202: Run }, 404, 409) } }, async (request, reply) => {
      return reply.status(202).send(presentRun(await approveRun(ctx, request.tenantId, request.params.id)));
    });

    app.post('/runs/:id/reject', { schema: { tags, summary: 'Discard a run held by the safeguard', params: IdParams, response: responses({ 200: Run }, 404, 409) } }, async (request) => {
      return presentRun(await rejectRun(ctx, request.tenantId, request.params.id));
    });
  };
}
