import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { fieldPrioritiesOf, putFieldPriorities } from '../../app/priority-service.ts';
import { responses } from '../contract/common.ts';
import { FieldPriorities, FieldPrioritiesBody, FieldPrioritiesSaved } from '../contract/field-priorities.ts';

export function fieldPriorityRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['field priorities'];

    app.get('/field-priorities', { schema: { tags, summary: 'Per-field source orders that override the integration ranks (e.g. e-mail from Entra ID first), and the ranks every other field follows', response: responses({ 200: FieldPriorities }) } }, async (request) => {
      return fieldPrioritiesOf(ctx, request.tenantId);
    });

    app.put('/field-priorities', { schema: { tags, summary: 'Replace the per-field source orders; people several sources share are resolved again at once, without refetching', body: FieldPrioritiesBody, response: responses({ 200: FieldPrioritiesSaved }, 400) } }, async (request) => {
      return putFieldPriorities(ctx, request.tenantId, request.body);
    });
  };
}
