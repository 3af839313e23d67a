import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { createIntegrationFromRequest, healthOf, listIntegrationsFor, patchIntegrationFromRequest, requestSync, requireIntegration } from '../../app/integrations-service.ts';
import { removeIntegrationFromRequest } from '../../app/oauth-service.ts';
import { previewScope } from '../../app/scope-preview.ts';
import { setupWebhook } from '../../app/webhooks-service.ts';
import { presentIntegration } from '../../app/presenters.ts';
import type { Integration as StoredIntegration } from '../../store/integrations.ts';
import { IdParams, optionalBody, NoContent, responses } from '../contract/common.ts';
import { CreateIntegrationBody, IdempotencyHeaders, Integration, IntegrationPage, PatchIntegrationBody, ScopePreview, ScopePreviewBody, SyncAccepted, SyncBody } from '../contract/integrations.ts';
import { WebhookSetup, WebhookSetupBody } from '../contract/webhooks.ts';

export function integrationRoutes(ctx: AppContext): FastifyPluginAsync {
  const present = async (i: StoredIntegration) => {
    const { health, lastRun } = await healthOf(ctx, i);
    return presentIntegration(i, health, lastRun);
  };
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['integrations'];

    app.get('/integrations', { schema: { tags, summary: 'List integrations, highest priority first', response: responses({ 200: IntegrationPage }) } }, async (request) => {
      const list = await listIntegrationsFor(ctx, request.tenantId);
      return { data: await Promise.all(list.map(present)), nextCursor: null };
    });

    app.post(
      '/integrations',
      {
        schema: {
          tags,
          summary: 'Create (and connect) an integration: credentials are tried against the provider first, and a refusal (422) or an unreachable provider (502) stores nothing. With an Idempotency-Key, the same request sent again answers the integration it created',
          headers: IdempotencyHeaders,
          body: CreateIntegrationBody,
          response: responses({ 201: Integration }, 400, 409, 422, 502),
        },
      },
      async (request, reply) => {
        const integration = await createIntegrationFromRequest(ctx, request.tenantId, request.body, { idempotencyKey: request.headers['idempotency-key'] });
        return reply.status(201).send(await present(integration));
      },
    );

    app.get('/integrations/:id', { schema: { tags, summary: 'One integration with its health', params: IdParams, response: responses({ 200: Integration }, 404) } }, async (request) => {
      return present(await requireIntegration(ctx, request.tenantId, request.params.id));
    });

    app.patch(
      '/integrations/:id',
      { schema: { tags, summary: 'Change name, settings, priority, User Auto-Sync or Group Sync (a partial body of the same shape)', params: IdParams, body: PatchIntegrationBody, response: responses({ 200: Integration }, 400, 404, 409) } },
      async (request) => present(await patchIntegrationFromRequest(ctx, request.tenantId, request.params.id, request.body)),
    );

    app.post(
      '/integrations/:id/user-sync/preview',
      { schema: { tags, summary: 'Who is in and out of sync scope under a scope (and what that would change), before saving it', params: IdParams, body: ScopePreviewBody, response: responses({ 200: ScopePreview }, 400, 404, 409) } },
      async (request) => previewScope(ctx, request.tenantId, request.params.id, request.body),
    );

    app.delete(
      '/integrations/:id',
      { schema: { tags, summary: 'Remove an integration: revoke and delete its credentials, unlink its people (they keep their values, now unlocked); history stays', params: IdParams, response: responses({ 204: NoContent }, 404, 409) } },
      async (request, reply) => {
        await removeIntegrationFromRequest(ctx, request.tenantId, request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/integrations/:id/sync',
      { schema: { tags, summary: 'Start a run (202), or 409 with the running run id in error.details.runId', params: IdParams, body: optionalBody(SyncBody), response: responses({ 202: SyncAccepted }, 400, 404, 409) } },
      async (request, reply) => {
        const run = await requestSync(ctx, request.tenantId, request.params.id, request.body ?? {});
        return reply.status(202).send({ runId: run.id });
      },
    );

    app.post(
      '/integrations/:id/webhook',
      { schema: { tags, summary: 'Set up BambooHR webhooks: returns the URL, and the signing secret once', params: IdParams, body: optionalBody(WebhookSetupBody), response: responses({ 201: WebhookSetup }, 400, 404, 409, 502) } },
      async (request, reply) => reply.status(201).send(await setupWebhook(ctx, request.tenantId, request.params.id, request.body ?? {})),
    );
  };
}
