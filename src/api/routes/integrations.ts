import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import {
  CreateIntegrationBody,
  PatchIntegrationBody,
  SyncBody,
  createIntegrationFromRequest,
  healthOf,
  listIntegrationsFor,
  patchIntegrationFromRequest,
  requestSync,
  requireIntegration,
} from '../../app/integrations-service.ts';
import { removeIntegrationFromRequest } from '../../app/oauth-service.ts';
import { previewScope, ScopePreviewBody } from '../../app/scope-preview.ts';
import { presentIntegration } from '../../app/presenters.ts';
import type { Integration } from '../../store/integrations.ts';

const IdParams = z.object({ id: z.string().min(1) });

export function integrationRoutes(ctx: AppContext): FastifyPluginAsync {
  const present = async (i: Integration) => {
    const { health, lastRun } = await healthOf(ctx, i);
    return presentIntegration(i, health, lastRun);
  };
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['integrations'];

    app.get('/integrations', { schema: { tags, summary: 'List integrations, highest priority first' } }, async (request) => {
      const list = await listIntegrationsFor(ctx, request.tenantId);
      return { data: await Promise.all(list.map(present)), nextCursor: null };
    });

    // Bodies are validated by the service with messages naming the field at fault; the schema documents them.
    app.post('/integrations', { schema: { tags, summary: 'Create (and connect) an integration', body: CreateIntegrationBody.partial().passthrough() } }, async (request, reply) => {
      const integration = await createIntegrationFromRequest(ctx, request.tenantId, request.body);
      return reply.status(201).send(await present(integration));
    });

    app.get('/integrations/:id', { schema: { tags, summary: 'One integration with its health', params: IdParams } }, async (request) => {
      return present(await requireIntegration(ctx, request.tenantId, request.params.id));
    });

    app.patch('/integrations/:id', { schema: { tags, summary: 'Change name, settings or User Auto-Sync (partial body)', params: IdParams, body: PatchIntegrationBody.partial().passthrough() } }, async (request) => {
      return present(await patchIntegrationFromRequest(ctx, request.tenantId, request.params.id, request.body));
    });

    app.post('/integrations/:id/user-sync/preview', { schema: { tags, summary: 'Who is in and out of sync scope under a scope (and what that would change), before saving it', params: IdParams, body: ScopePreviewBody.partial().passthrough().optional() } }, async (request) => {
      return previewScope(ctx, request.tenantId, request.params.id, request.body);
    });

    app.delete('/integrations/:id', { schema: { tags, summary: 'Remove an integration: revoke and delete its credentials, unlink its people (they keep their values, now unlocked); history stays', params: IdParams } }, async (request, reply) => {
      await removeIntegrationFromRequest(ctx, request.tenantId, request.params.id);
      return reply.status(204).send();
    });

    app.post('/integrations/:id/sync', { schema: { tags, summary: 'Start a run (202), or 409 with the running run id', params: IdParams, body: SyncBody.partial().passthrough().optional() } }, async (request, reply) => {
      const run = await requestSync(ctx, request.tenantId, request.params.id, request.body ?? {});
      return reply.status(202).send({ runId: run.id });
    });
  };
}
