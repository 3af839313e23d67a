import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { Kysely } from 'kysely';
import { ApiError } from '../app/errors.ts';
import type { Database } from '../store/schema.ts';
import { nowIso } from '../store/ids.ts';
import { getAdminUser, type AdminUser } from './admin-users.ts';

/**
 * Console sessions. The session id is 32 random bytes that live only in the browser's cookie
 * (HttpOnly, SameSite=Lax, Path=/, Secure over https); the database keeps its SHA-256. Every
 * non-GET request made with the cookie must carry the session's CSRF token in `X-CSRF-Token`.
 * The token is an HMAC of the session id, so `GET /auth/me` can hand it back after a reload;
 * its hash is stored too and is what requests are checked against. API-key (Bearer) requests
 * carry no cookie and need no CSRF token.
 */
export const SESSION_COOKIE = 'refresh_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Idle timeout: a session unused for this long expires; use slides it forward. */
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** Absolute lifetime, however active. */
export const SESSION_MAX_MS = 7 * 24 * 3_600_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ConsoleSession {
  readonly idHash: string;
  readonly tenantId: string;
  readonly user: AdminUser;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
export const csrfTokenFor = (sessionId: string) => createHmac('sha256', sessionId).update('refresh-csrf-v1').digest('base64url');

function equalHashes(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function createSession(db: Kysely<Database>, tenantId: string, userId: string, now = Date.now()): Promise<{ id: string; csrfToken: string; expiresAt: string }> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = csrfTokenFor(id);
  const expiresAt = new Date(now + SESSION_IDLE_MS).toISOString();
  await db
    .insertInto('admin_sessions')
    .values({ id_hash: sha256(id), tenant_id: tenantId, user_id: userId, csrf_token_hash: sha256(csrfToken), created_at: new Date(now).toISOString(), expires_at: expiresAt })
    .execute();
  // Housekeeping: expired sessions are useless; drop them while we are here.
  await db.deleteFrom('admin_sessions').where('expires_at', '<', nowIso()).execute();
  return { id, csrfToken, expiresAt };
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
}

/** The session cookie's value (parsed by @fastify/cookie), if it has the shape of one. */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return value && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
}

/**
 * HttpOnly, SameSite=Lax, Path=/; Secure whenever the request came over HTTPS, which behind a
 * reverse proxy Fastify learns from X-Forwarded-Proto when TRUST_PROXY trusts that proxy.
 */
function cookieOptions(request: FastifyRequest, maxAgeSeconds: number): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', maxAge: maxAgeSeconds, secure: request.protocol === 'https' };
}

export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, cookieOptions(request, Math.floor(SESSION_MAX_MS / 1000)));
}

export function clearSessionCookie(reply: FastifyReply, request: FastifyRequest): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request, 0));
}

const sessions = new WeakMap<FastifyRequest, ConsoleSession>();

/** The console session that authenticated this request (undefined for API-key requests). */
export function sessionOf(request: FastifyRequest): ConsoleSession | undefined {
  return sessions.get(request);
}

/**
 * Authenticates a request by its session cookie: 401 when missing, unknown or expired; 403 when
 * a non-GET request lacks the session's CSRF token or the admin's role may only read.
 */
export async function authenticateSession(db: Kysely<Database>, request: FastifyRequest): Promise<ConsoleSession> {
  const id = readSessionCookie(request);
  if (!id) throw new ApiError(401, 'unauthenticated', 'Sign in, or send an API key as `Authorization: Bearer <key>`.');
  const idHash = sha256(id);
  const row = await db.selectFrom('admin_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  const now = Date.now();
  if (!row || Date.parse(row.expires_at) <= now || Date.parse(row.created_at) + SESSION_MAX_MS <= now) {
    if (row) await deleteSession(db, idHash);
    throw new ApiError(401, 'session_expired', 'Your session has expired. Sign in again.');
  }
  const user = await getAdminUser(db, row.tenant_id, row.user_id);
  if (!user) {
    await deleteSession(db, idHash);
    throw new ApiError(401, 'session_expired', 'Your session has ended. Sign in again.');
  }
  const csrfToken = csrfTokenFor(id);
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !equalHashes(sha256(sent), row.csrf_token_hash)) {
      throw new ApiError(403, 'csrf_failed', 'This request needs the X-CSRF-Token header from sign-in. Reload the page and try again.');
    }
    if (user.role !== 'organization_admin' && request.url.split('?')[0] !== '/api/v1/auth/logout') {
      throw new ApiError(403, 'forbidden', 'Only an Organization Admin can change settings.');
    }
  }
  // Sliding idle expiry, written at most every few minutes rather than on every request.
  let expiresAt = row.expires_at;
  if (Date.parse(row.expires_at) - now < SESSION_IDLE_MS - 5 * 60_000) {
    expiresAt = new Date(Math.min(now + SESSION_IDLE_MS, Date.parse(row.created_at) + SESSION_MAX_MS)).toISOString();
    await db.updateTable('admin_sessions').set({ expires_at: expiresAt }).where('id_hash', '=', idHash).execute();
  }
  const session: ConsoleSession = { idHash, tenantId: row.tenant_id, user, csrfToken, expiresAt };
  sessions.set(request, session);
  return session;
}
