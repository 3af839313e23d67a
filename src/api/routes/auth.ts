import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { audit } from '../../store/audit.ts';
import type { AdminUser } from '../../auth/admin-users.ts';
import { checkSignIn } from '../../app/sign-in-service.ts';
import { clearSessionCookie, createSession, deleteSession, sessionOf, setSessionCookie } from '../../auth/sessions.ts';
import { DEFAULT_TENANT_ID } from '../../store/tenants.ts';
import { NoContent, openResponses, responses } from '../contract/common.ts';
import { LoginBody, LoginResult, Me } from '../contract/auth.ts';

const presentUser = (u: AdminUser) => ({ id: u.id, email: u.email, role: u.role, tenantId: u.tenantId });

export function authRoutes(ctx: AppContext, clock: () => Date): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['auth'];

    app.post(
      '/auth/login',
      { schema: { tags, summary: 'Console sign-in: sets the session cookie and returns the CSRF token for writes', security: [], body: LoginBody, response: openResponses({ 200: LoginResult }, 400, 401, 429) } },
      async (request, reply) => {
        const { email, password } = request.body;
        const tenantId = request.body.tenantId ?? DEFAULT_TENANT_ID;
        // 429 (with Retry-After) when throttled, 401 for a wrong email or password.
        const user = await checkSignIn(ctx, { tenantId, email, password, address: request.ip, now: clock() });
        // The session and its audit entry commit together; the cookie is set once both have.
        const session = await ctx.store.db.transaction().execute(async (trx) => {
          const made = await createSession(trx, tenantId, user.id);
          await audit(trx, tenantId, 'admin.signed_in', user.id, null, { email: user.email }, { type: 'admin', id: user.id });
          return made;
        });
        setSessionCookie(reply, request, session.id);
        return { user: presentUser({ id: user.id, tenantId: user.tenant_id, email: user.email, role: user.role as AdminUser['role'], createdAt: user.created_at }), csrfToken: session.csrfToken, expiresAt: session.expiresAt };
      },
    );

    app.post('/auth/logout', { schema: { tags, summary: 'Ends the console session and clears its cookie', response: responses({ 204: NoContent }) } }, async (request, reply) => {
      const session = sessionOf(request);
      if (session) await deleteSession(ctx.store.db, session.idHash);
      clearSessionCookie(reply, request);
      return reply.status(204).send();
    });

    app.get('/auth/me', { schema: { tags, summary: 'Who is signed in; the CSRF token again (after a page reload)', response: responses({ 200: Me }) } }, async (request) => {
      const session = sessionOf(request);
      if (!session) return { user: null, csrfToken: null, expiresAt: null, via: 'api_key' as const };
      return { user: presentUser(session.user), csrfToken: session.csrfToken, expiresAt: session.expiresAt, via: 'session' as const };
    });
  };
}
