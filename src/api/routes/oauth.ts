import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { ApiError } from '../../app/errors.ts';
import { healthOf } from '../../app/integrations-service.ts';
import { completeCallback, disconnect, startConnect, type Initiator } from '../../app/oauth-service.ts';
import { presentIntegration } from '../../app/presenters.ts';
import { readSessionCookie } from '../../auth/sessions.ts';
import type { Integration as StoredIntegration } from '../../store/integrations.ts';
import { IdParams, optionalBody, openResponses, responses } from '../contract/common.ts';
import { ConnectBody, Disconnected, Integration, OAuthStart } from '../contract/integrations.ts';

const ProviderParams = z.strictObject({ provider: z.string().min(1).max(100) });
/** The authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`); other parameters are the provider's and ignored. */
const CallbackQuery = z.looseObject({
  code: z.string().max(4096).optional(),
  state: z.string().max(1024).optional(),
  iss: z.string().max(2048).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

/** Console-started flows bind the state to the session; API-key flows to the key's tenant. */
function initiatorOf(request: FastifyRequest): Initiator {
  return request.headers.authorization ? {} : { sessionId: readSessionCookie(request) };
}

export function oauthRoutes(ctx: AppContext): FastifyPluginAsync {
  const present = async (i: StoredIntegration) => {
    const { health, lastRun } = await healthOf(ctx, i);
    return presentIntegration(i, health, lastRun);
  };
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['integrations'];

    app.post(
      '/integrations/:id/connect',
      {
        schema: {
          tags,
          summary: 'Connect or reconnect: OAuth → {authorizeUrl} to send the admin to; API key → {credentials} re-probed, same integration',
          params: IdParams,
          body: optionalBody(ConnectBody),
          response: responses({ 200: z.union([OAuthStart, Integration]) }, 400, 404, 409),
        },
      },
      async (request) => {
        const result = await startConnect(ctx, request.tenantId, request.params.id, request.body ?? {}, initiatorOf(request));
        if (result.kind === 'oauth') return { authorizeUrl: result.authorizeUrl, expiresAt: result.expiresAt, redirectUri: result.redirectUri };
        return present(result.integration);
      },
    );

    // Open route (no Bearer): the one-time state is the proof. Browsers are sent on to the console.
    app.get(
      '/oauth/callback/:provider',
      {
        schema: {
          tags: ['oauth'],
          summary: 'OAuth redirect target per provider (authorization code + state [+ iss]); browsers are sent on to the console (303), JSON clients get the integration',
          params: ProviderParams,
          querystring: CallbackQuery,
          security: [],
          response: openResponses({ 200: Integration, 303: z.undefined().describe('To the console') }, 400, 404, 409, 502),
        },
      },
      async (request, reply) => {
        const accept = String(request.headers.accept ?? '');
        let integration;
        try {
          integration = await completeCallback(ctx, request.params.provider, request.query, { sessionId: readSessionCookie(request) });
        } catch (error) {
          // A browser that comes back with a refused callback lands on the console with the reason,
          // not on a JSON error page; API clients get the error itself.
          if (accept.includes('application/json') || !(error instanceof ApiError) || error.status >= 500) throw error;
          return reply.redirect(`/settings/integrations?oauthError=${encodeURIComponent(error.code)}&message=${encodeURIComponent(error.message)}`, 303);
        }
        if (accept.includes('application/json')) return present(integration);
        return reply.redirect(`/settings/integrations/${encodeURIComponent(integration.id)}?connected=1`, 303);
      },
    );

    app.post(
      '/integrations/:id/disconnect',
      { schema: { tags, summary: 'Revoke (where supported) and delete the credentials; syncs pause; fields the source locked unlock', params: IdParams, response: responses({ 200: Disconnected }, 404) } },
      async (request) => {
        const { integration, revoked } = await disconnect(ctx, request.tenantId, request.params.id);
        return { ...(await present(integration)), revoked };
      },
    );
  };
}
