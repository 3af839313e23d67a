/**
 * An OAuth 2.0 authorization server for sandboxes (BambooHR, Employment Hero, Deel), at the paths
 * the provider uses: authorize (auto-approves a configured client whose redirect URI matches
 * exactly), token (authorization_code with PKCE S256; refresh_token with rotation), revoke
 * (RFC 7009; revoking either token ends the grant), Bearer access tokens for the API, and control
 * knobs under `/_sandbox/oauth`:
 *   POST /_sandbox/oauth/revoke            {"clientId"?}   every grant (of the client) revoked: API 401, refresh invalid_grant
 *   POST /_sandbox/oauth/lifetime          {"accessTokenSeconds": n}
 *   POST /_sandbox/oauth/token-delay       {"ms": n}        the token endpoint answers n ms late
 *   POST /_sandbox/oauth/expire-access-tokens              every issued access token expires now
 *   POST /_sandbox/oauth/grants            {"clientId"}    a grant made "elsewhere": its refresh token, for a headless import
 *   GET  /_sandbox/oauth                                    clients (no secrets), grants, counts
 *
 * Rotation as OAuth 2.0 Security BCP (RFC 9700 §4.14.2) describes it: each refresh answers a new
 * refresh token and the used one dies; presenting a used one again is taken as theft and revokes
 * the whole grant (its access tokens too). `stats.reuses` counts those.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody as readBodyText, send, sendJson } from './http-server.ts';

export interface SandboxOAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
}

interface Grant {
  readonly id: string;
  readonly clientId: string;
  readonly scope: string;
  revoked: boolean;
}
interface Code {
  readonly grantId: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly expiresAt: number;
  used: boolean;
}

const token = (prefix: string) => `${prefix}_${randomBytes(24).toString('base64url')}`;
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface OAuthServerOptions {
  /** The provider's paths, e.g. BambooHR `/authorize.php`, `/token.php`, `/revoke.php`. */
  readonly paths: { readonly authorize: string; readonly token: string; readonly revoke?: string };
  /** Shown on the error page. */
  readonly name: string;
  /** Issue refresh tokens only when the scope asks for it (BambooHR: `offline_access`); null: always. */
  readonly refreshScope: string | null;
  /** The one client authentication the token endpoint takes (RFC 6749 §2.3.1); both when absent. */
  readonly clientAuth?: 'client_secret_basic' | 'client_secret_post';
}

export class SandboxOAuth {
  readonly clients = new Map<string, SandboxOAuthClient>();
  private readonly grants = new Map<string, Grant>();
  private readonly codes = new Map<string, Code>();
  private readonly accessTokens = new Map<string, { grantId: string; expiresAt: number }>();
  private readonly refreshTokens = new Map<string, { grantId: string; used: boolean }>();
  accessTokenSeconds = 3600;
  /**
   * How long the token endpoint takes to answer (a slow authorization server): refreshes that
   * workers start at about the same time are then in flight together, as they are in production.
   */
  tokenDelayMs = 0;
  /** Counts for tests: token requests by grant type and outcome; `reuses` = rotated refresh tokens presented again. */
  readonly stats = { codesIssued: 0, tokensIssued: 0, refreshes: 0, refused: 0, reuses: 0 };

  constructor(
    clients: readonly SandboxOAuthClient[] = [],
    readonly options: OAuthServerOptions = { paths: { authorize: '/authorize.php', token: '/token.php', revoke: '/revoke.php' }, name: 'BambooHR', refreshScope: 'offline_access' },
  ) {
    for (const c of clients) this.clients.set(c.clientId, c);
  }

  /** An access token for a new grant of `clientId`, as if the code flow had run (sandbox handles give it to connectors). */
  issueAccessToken(clientId: string, scope = ''): string {
    if (!this.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
    const grant: Grant = { id: token('grant'), clientId, scope, revoked: false };
    this.grants.set(grant.id, grant);
    const access = token('at');
    this.accessTokens.set(access, { grantId: grant.id, expiresAt: Date.now() + 24 * 3600_000 });
    return access;
  }

  /** A grant made outside this flow (as if the admin had consented elsewhere): its first refresh token. */
  issueGrant(clientId: string, scope = ''): { refreshToken: string } {
    if (!this.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
    const grant: Grant = { id: token('grant'), clientId, scope, revoked: false };
    this.grants.set(grant.id, grant);
    const refresh = token('rt');
    this.refreshTokens.set(refresh, { grantId: grant.id, used: false });
    return { refreshToken: refresh };
  }

  /** Revokes every grant (of one client, or all): API calls 401, refreshes `invalid_grant`. */
  revokeGrant(clientId?: string): number {
    let n = 0;
    for (const g of this.grants.values()) {
      if (!g.revoked && (clientId === undefined || g.clientId === clientId)) {
        g.revoked = true;
        n++;
      }
    }
    return n;
  }

  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.expiresAt = 0;
  }

  /** null when the access token is good; otherwise why not. */
  checkAccessToken(accessToken: string): string | null {
    const t = this.accessTokens.get(accessToken);
    if (!t) return 'Invalid access token';
    if (this.grants.get(t.grantId)?.revoked) return 'The authorization grant has been revoked';
    if (t.expiresAt <= Date.now()) return 'The access token has expired';
    return null;
  }

  authorize(url: URL): { status: number; location?: string; error?: string } {
    const q = url.searchParams;
    const client = this.clients.get(q.get('client_id') ?? '');
    // Unknown client or foreign redirect URI: never redirect (RFC 6749 §4.1.2.1), show an error.
    if (!client) return { status: 400, error: 'Unknown client_id' };
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirectUri)) return { status: 400, error: 'redirect_uri does not match any URI registered for this application' };
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      return { status: 302, location: back.toString() };
    };
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    const challenge = q.get('code_challenge');
    if (!challenge || q.get('code_challenge_method') !== 'S256') return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
    const grant: Grant = { id: token('grant'), clientId: client.clientId, scope: q.get('scope') ?? '', revoked: false };
    this.grants.set(grant.id, grant);
    const code = token('code');
    this.codes.set(code, { grantId: grant.id, clientId: client.clientId, redirectUri, challenge, expiresAt: Date.now() + 60_000, used: false });
    this.stats.codesIssued++;
    back.searchParams.set('code', code);
    return { status: 302, location: back.toString() };
  }

  token(params: URLSearchParams, authorization: string | undefined): { status: number; body: Record<string, unknown> } {
    const refuse = (status: number, error: string, description: string) => {
      this.stats.refused++;
      return { status, body: { error, error_description: description } };
    };
    let clientId = params.get('client_id') ?? '';
    let secret = params.get('client_secret') ?? '';
    const basic = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    const required = this.options.clientAuth;
    if ((required === 'client_secret_basic' && !basic) || (required === 'client_secret_post' && basic)) return refuse(401, 'invalid_client', `client authentication must be ${required}`);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, i));
      secret = decodeURIComponent(decoded.slice(i + 1));
    }
    const client = this.clients.get(clientId);
    if (!client || !safeEqual(client.clientSecret, secret)) return refuse(401, 'invalid_client', 'client authentication failed');
    const grantType = params.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = this.codes.get(params.get('code') ?? '');
      if (!code || code.clientId !== client.clientId) return refuse(400, 'invalid_grant', 'unknown authorization code');
      if (code.used) {
        // RFC 6749 §4.1.2: a reused code revokes what it granted.
        this.revokeGrantId(code.grantId);
        return refuse(400, 'invalid_grant', 'authorization code already used');
      }
      code.used = true;
      if (code.expiresAt <= Date.now()) return refuse(400, 'invalid_grant', 'authorization code expired');
      if (params.get('redirect_uri') !== code.redirectUri) return refuse(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
      const verifier = params.get('code_verifier');
      if (!verifier) return refuse(400, 'invalid_grant', 'code_verifier is required (PKCE)');
      if (!safeEqual(s256(verifier), code.challenge)) return refuse(400, 'invalid_grant', 'PKCE verification failed');
      return { status: 200, body: this.issue(code.grantId) };
    }
    if (grantType === 'refresh_token') {
      const rt = this.refreshTokens.get(params.get('refresh_token') ?? '');
      const grant = rt ? this.grants.get(rt.grantId) : undefined;
      if (!rt || !grant || grant.clientId !== client.clientId) return refuse(400, 'invalid_grant', 'unknown refresh token');
      if (grant.revoked) return refuse(400, 'invalid_grant', 'the authorization grant has been revoked');
      if (rt.used) {
        // RFC 9700 §4.14.2: a rotated refresh token presented again means someone has a copy.
        this.stats.reuses++;
        this.revokeGrantId(grant.id);
        return refuse(400, 'invalid_grant', 'refresh token already used (rotated); the grant is revoked');
      }
      rt.used = true;
      this.stats.refreshes++;
      return { status: 200, body: this.issue(grant.id) };
    }
    return refuse(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
  }

  revoke(params: URLSearchParams): void {
    const t = params.get('token') ?? '';
    const grantId = this.accessTokens.get(t)?.grantId ?? this.refreshTokens.get(t)?.grantId;
    if (grantId) this.revokeGrantId(grantId);
  }

  summary(): Record<string, unknown> {
    return {
      clients: [...this.clients.values()].map((c) => ({ clientId: c.clientId, redirectUris: c.redirectUris })),
      grants: [...this.grants.values()].map((g) => ({ clientId: g.clientId, scope: g.scope, revoked: g.revoked })),
      accessTokenSeconds: this.accessTokenSeconds,
      tokenDelayMs: this.tokenDelayMs,
      stats: this.stats,
    };
  }

  private revokeGrantId(id: string): void {
    const g = this.grants.get(id);
    if (g) g.revoked = true;
  }

  private issue(grantId: string): Record<string, unknown> {
    const grant = this.grants.get(grantId)!;
    const access = token('at');
    this.accessTokens.set(access, { grantId, expiresAt: Date.now() + this.accessTokenSeconds * 1000 });
    this.stats.tokensIssued++;
    const body: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: this.accessTokenSeconds, scope: grant.scope };
    if (this.options.refreshScope === null || grant.scope.split(' ').includes(this.options.refreshScope)) {
      const refresh = token('rt');
      this.refreshTokens.set(refresh, { grantId, used: false });
      body['refresh_token'] = refresh;
    }
    return body;
  }
}

async function formOrJson(req: IncomingMessage): Promise<URLSearchParams> {
  const text = await readBodyText(req, (status, message) => Object.assign(new Error(message), { status }));
  if (String(req.headers['content-type'] ?? '').includes('application/json')) {
    const params = new URLSearchParams();
    try {
      for (const [k, v] of Object.entries(JSON.parse(text || '{}') as Record<string, unknown>)) if (v !== undefined && v !== null) params.set(k, String(v));
    } catch {}
    return params;
  }
  return new URLSearchParams(text);
}

/** Handles the OAuth endpoints and their control knobs; false when the path is not one of them. */
export async function handleOAuth(oauth: SandboxOAuth, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname;
  const { paths } = oauth.options;
  if (!(path === paths.authorize || path === paths.token || path === paths.revoke || path === '/_sandbox/oauth' || path.startsWith('/_sandbox/oauth/'))) return false;
  const method = req.method ?? 'GET';
  const noStore = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
  if (path === paths.authorize && method === 'GET') {
    const r = oauth.authorize(url);
    if (r.location) res.writeHead(r.status, { Location: r.location }).end();
    else send(res, r.status, `<!doctype html><title>${oauth.options.name}</title><p>${r.error ?? 'error'}</p>`, 'text/html; charset=utf-8');
    return true;
  }
  if (path === paths.token && method === 'POST') {
    const params = await formOrJson(req);
    if (oauth.tokenDelayMs > 0) await new Promise((r) => setTimeout(r, oauth.tokenDelayMs));
    const r = oauth.token(params, req.headers.authorization);
    sendJson(res, r.status, r.body, noStore);
    return true;
  }
  if (path === paths.revoke && method === 'POST') {
    oauth.revoke(await formOrJson(req));
    res.writeHead(200, noStore).end();
    return true;
  }
  if (path === '/_sandbox/oauth' && method === 'GET') {
    sendJson(res, 200, oauth.summary());
    return true;
  }
  if (method === 'POST' && path.startsWith('/_sandbox/oauth/')) {
    const body = await formOrJson(req);
    const action = path.slice('/_sandbox/oauth/'.length);
    if (action === 'revoke') {
      sendJson(res, 200, { revoked: oauth.revokeGrant(body.get('clientId') ?? undefined) });
      return true;
    }
    if (action === 'lifetime') {
      const n = Number(body.get('accessTokenSeconds'));
      if (!Number.isFinite(n) || n < 1) {
        sendJson(res, 400, { error: { code: 'invalid', message: 'accessTokenSeconds must be a number ≥ 1' } });
        return true;
      }
      oauth.accessTokenSeconds = n;
      sendJson(res, 200, { accessTokenSeconds: n });
      return true;
    }
    if (action === 'token-delay') {
      const n = Number(body.get('ms'));
      if (!Number.isFinite(n) || n < 0 || n > 60_000) {
        sendJson(res, 400, { error: { code: 'invalid', message: 'ms must be a number from 0 to 60000' } });
        return true;
      }
      oauth.tokenDelayMs = n;
      sendJson(res, 200, { tokenDelayMs: n });
      return true;
    }
    if (action === 'expire-access-tokens') {
      oauth.expireAccessTokens();
      sendJson(res, 200, { expired: true });
      return true;
    }
    if (action === 'grants') {
      const clientId = body.get('clientId') ?? '';
      if (!oauth.clients.has(clientId)) {
        sendJson(res, 400, { error: { code: 'invalid', message: `clientId must be one of the sandbox's OAuth clients (${[...oauth.clients.keys()].join(', ') || 'none'})` } });
        return true;
      }
      sendJson(res, 201, { clientId, ...oauth.issueGrant(clientId, body.get('scope') ?? '') });
      return true;
    }
  }
  sendJson(res, 404, { error: { code: 'not_found', message: `No OAuth endpoint ${method} ${path}` } });
  return true;
}
