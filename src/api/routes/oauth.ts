import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { ApiError } from '../../app/errors.ts';
import { healthOf } from '../../app/integrations-service.ts';
import { ConnectBody, completeCallback, disconnect, startConnect, type Initiator } from '../../app/oauth-service.ts';
import { presentIntegration } from '../../app/presenters.ts';
import { readSessionCookie } from '../../auth/sessions.ts';
import type { Integration } from '../../store/integrations.ts';

const IdParams = z.object({ id: z.string().min(1) });
const ProviderParams = z.object({ provider: z.string().min(1) });

/** Console-started flows bind the state to the session; API-key flows to the key's tenant. */
function initiatorOf(request: FastifyRequest): Initiator {
  return request.headers.authorization ? {} : { sessionId: readSessionCookie(request) };
}

export function oauthRoutes(ctx: AppContext): FastifyPluginAsync {
  const present = async (i: Integration) => {
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
          body: ConnectBody.partial().passthrough().optional(),
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
      { schema: { tags: ['oauth'], summary: 'OAuth redirect target per provider (authorization code + state [+ iss])', params: ProviderParams, security: [] } },
      async (request, reply) => {
        const accept = String(request.headers.accept ?? '');
        let integration;
        try {
          integration = await completeCallback(ctx, request.params.provider, request.query as Record<string, unknown>, { sessionId: readSessionCookie(request) });
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
      { schema: { tags, summary: 'Revoke (where supported) and delete the credentials; syncs pause; fields the source locked unlock', params: IdParams } },
      async (request) => {
        const { integration, revoked } = await disconnect(ctx, request.tenantId, request.params.id);
        return { ...(await present(integration)), revoked };
      },
    );
  };
}
