import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { notFound } from '../../app/errors.ts';
import { audit } from '../../store/audit.ts';
import { sessionOf } from '../../auth/sessions.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../../store/tenants.ts';
import type { ApiKeyCache } from '../../auth/api-key-cache.ts';
import { IdParams, NoContent, pageOf, responses } from '../contract/common.ts';
import { ApiKeyInfo, CreateApiKeyBody, CreatedApiKey } from '../contract/api-keys.ts';


/** Who did it: the signed-in admin (an API key acts as an unnamed admin, as everywhere else). */
function actorOf(request: FastifyRequest): { type: string; id: string | null } {
  return { type: 'admin', id: sessionOf(request)?.user.id ?? null };
}

/**
 * API keys of the tenant: list (never the key), create (the key shown once), revoke. `keys` is
 * the node's cache of verified keys, forgotten once a revoke commits (before it answers).
 */
export function apiKeyRoutes(ctx: AppContext, keys: Pick<ApiKeyCache, 'forgetAll'>): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['api keys'];

    app.get('/api-keys', { schema: { tags, summary: 'API keys of the organization, with when each was last used (never the key itself)', response: responses({ 200: pageOf(ApiKeyInfo) }) } }, async (request) => {
      return { data: await listApiKeys(ctx.store.db, request.tenantId), nextCursor: null };
    });

    app.post('/api-keys', { schema: { tags, summary: 'Create an API key: the key is in this answer only, once', body: CreateApiKeyBody, response: responses({ 201: CreatedApiKey }, 400, 403) } }, async (request, reply) => {
      // The key and its audit entry commit together.
      const { key, info } = await ctx.store.db.transaction().execute(async (trx) => {
        const made = await createApiKey(trx, request.tenantId, request.body.name);
        await audit(trx, request.tenantId, 'api_key.created', made.info.id, null, { name: made.info.name, prefix: made.info.prefix }, actorOf(request));
        return made;
      });
      return reply.status(201).send({ ...info, key });
    });

    app.delete('/api-keys/:id', { schema: { tags, summary: 'Revoke an API key: it stops working at once', params: IdParams, response: responses({ 204: NoContent }, 403, 404) } }, async (request, reply) => {
      await ctx.store.db.transaction().execute(async (trx) => {
        const revoked = await revokeApiKey(trx, request.tenantId, request.params.id);
        if (!revoked) throw notFound('API key', request.params.id);
        await audit(trx, request.tenantId, 'api_key.revoked', revoked.id, { name: revoked.name, prefix: revoked.prefix }, null, actorOf(request));
      });
      // Committed: from here no request on this node is let in with it (api-key-cache.ts).
      keys.forgetAll();
      return reply.status(204).send();
    });
  };
}
