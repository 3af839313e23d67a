import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { ApiError } from '../../app/errors.ts';
import { audit } from '../../store/audit.ts';
import { findAdminForLogin, normalizeAdminEmail, type AdminUser } from '../../auth/admin-users.ts';
import { dummyHash, verifyPassword } from '../../auth/passwords.ts';
import { clearSessionCookie, createSession, deleteSession, sessionOf, setSessionCookie } from '../../auth/sessions.ts';
import { DEFAULT_TENANT_ID } from '../../store/tenants.ts';
import { NoContent, openResponses, responses } from '../contract/common.ts';
import { LoginBody, LoginResult, Me } from '../contract/auth.ts';

const presentUser = (u: AdminUser) => ({ id: u.id, email: u.email, role: u.role, tenantId: u.tenantId });

/** Failed sign-ins per account and per address: 10 in 15 minutes, then 429 until the window passes. */
class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly limit = 10, private readonly windowMs = 15 * 60_000) {}
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const recent = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
      this.failures.set(key, recent);
      if (recent.length >= this.limit) wait = Math.max(wait, recent[0]! + this.windowMs - now);
    }
    return Math.ceil(wait / 1000);
  }
  fail(keys: string[], now = Date.now()): void {
    if (this.failures.size > 10_000) this.failures.clear();
    for (const key of keys) this.failures.set(key, [...(this.failures.get(key) ?? []), now]);
  }
  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

export function authRoutes(ctx: AppContext): FastifyPluginAsync {
  const throttle = new LoginThrottle();
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['auth'];

    app.post(
      '/auth/login',
      { schema: { tags, summary: 'Console sign-in: sets the session cookie and returns the CSRF token for writes', security: [], body: LoginBody, response: openResponses({ 200: LoginResult }, 400, 401, 429) } },
      async (request, reply) => {
        const { email, password } = request.body;
        const tenantId = request.body.tenantId ?? DEFAULT_TENANT_ID;
        const keys = [`a:${tenantId}:${normalizeAdminEmail(email)}`, `ip:${request.ip}`];
        const wait = throttle.retryAfter(keys);
        if (wait > 0) {
          reply.header('retry-after', String(wait));
          throw new ApiError(429, 'too_many_attempts', `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`, { retryAfterSeconds: wait });
        }
        const user = await findAdminForLogin(ctx.store.db, tenantId, email);
        // Unknown email or wrong password take the same time and give the same answer.
        const ok = await verifyPassword(password, user?.password_hash ?? (await dummyHash()));
        if (!user || !ok) {
          throttle.fail(keys);
          throw new ApiError(401, 'invalid_credentials', 'The email or password is not correct.');
        }
        throttle.succeed(keys.slice(0, 1));
        const session = await createSession(ctx.store.db, tenantId, user.id);
        setSessionCookie(reply, request, session.id);
        await audit(ctx.store.db, tenantId, 'admin.signed_in', user.id, null, { email: user.email }, { type: 'admin', id: user.id });
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
