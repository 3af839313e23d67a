import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { fieldPrioritiesOf, FieldPrioritiesBody, putFieldPriorities } from '../../app/priority-service.ts';

export function fieldPriorityRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['field priorities'];

    app.get('/field-priorities', { schema: { tags, summary: 'Per-field source orders that override the integration ranks (e.g. e-mail from Entra ID first), and the ranks every other field follows' } }, async (request) => {
      return fieldPrioritiesOf(ctx, request.tenantId);
    });

    // The body is validated by the service with messages naming the field at fault; the schema documents it.
    app.put('/field-priorities', { schema: { tags, summary: 'Replace the per-field source orders; people several sources share are resolved again at once, without refetching', body: FieldPrioritiesBody.partial().passthrough() } }, async (request) => {
      return putFieldPriorities(ctx, request.tenantId, request.body);
    });
  };
}
