import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { receiveWebhook, setupWebhook } from '../../app/webhooks-service.ts';

const IdParams = z.object({ id: z.string().min(1) });
const IntegrationParams = z.object({ integrationId: z.string().min(1).max(100) });

export function webhookRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // The HMAC covers the raw bytes: keep them, in this plugin's scope only.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1_000_000 }, (_req, body, done) => done(null, body));

    app.post(
      '/integrations/:id/webhook',
      { schema: { tags: ['integrations'], summary: 'Set up BambooHR webhooks: returns the URL, and the signing secret once', params: IdParams } },
      async (request, reply) => {
        const raw = request.body as Buffer | undefined;
        let body: unknown = {};
        if (raw && raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            return reply.status(400).send({ error: { code: 'invalid_request', message: 'body: not valid JSON', details: {} } });
          }
        }
        return reply.status(201).send(await setupWebhook(ctx, request.tenantId, request.params.id, body));
      },
    );

    // Open route (no Bearer): the signature is the proof.
    app.post(
      '/webhooks/bamboohr/:integrationId',
      { schema: { tags: ['webhooks'], summary: 'BambooHR webhook receiver (HMAC-SHA256 signed); 202 queues an incremental run', params: IntegrationParams, security: [] } },
      async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const outcome = await receiveWebhook(ctx, request.params.integrationId, request.headers, raw);
        return reply.status(202).send(outcome);
      },
    );
  };
}
