import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { receiveWebhook } from '../../app/webhooks-service.ts';
import { Id, openResponses } from '../contract/common.ts';
import { WebhookReceived } from '../contract/webhooks.ts';

const IntegrationParams = z.strictObject({ integrationId: Id });

export function webhookRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // The HMAC covers the raw bytes: keep them, in this plugin's scope only. The body is the
    // provider's (BambooHR's webhook payload), checked by its signature rather than a schema.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1_000_000 }, (_req, body, done) => done(null, body));

    // Open route (no Bearer): the signature is the proof.
    app.post(
      '/webhooks/bamboohr/:integrationId',
      { schema: { tags: ['webhooks'], summary: 'BambooHR webhook receiver (HMAC-SHA256 signed); 202 queues an incremental run', params: IntegrationParams, security: [], response: openResponses({ 202: WebhookReceived }, 400, 401, 404) } },
      async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const outcome = await receiveWebhook(ctx, request.params.integrationId, request.headers, raw);
        return reply.status(202).send({ ...outcome, employees: [...outcome.employees] });
      },
    );
  };
}
