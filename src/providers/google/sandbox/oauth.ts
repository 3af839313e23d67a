/**
 * Google's OAuth 2.0 server as the sandbox plays it (`https://oauth2.googleapis.com/token`,
 * `https://accounts.google.com/o/oauth2/v2/auth`):
 *
 * - **Service accounts with domain-wide delegation** (developers.google.com/identity/protocols/
 *   oauth2/service-account, "Preparing to make an authorized API call" and "Delegating
 *   domain-wide authority"; RFC 7523 §2.1): `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
 *   with `assertion` = a JWT signed RS256 with the service account's private key, claims `iss`
 *   (the account's e-mail), `scope` (space-delimited), `aud` (the token endpoint), `iat`, `exp`
 *   (at most one hour after `iat`) and `sub` (the user to act as). The signature is checked
 *   against the account's public key; every scope must be one the admin granted the account's
 *   client id under "Domain-wide delegation", else `unauthorized_client` ("Client is
 *   unauthorized to retrieve access tokens using this method, or client not authorized for any
 *   of the scopes requested."); an unknown `sub` is `invalid_grant` ("Invalid email or User ID").
 * - **OAuth clients** (developers.google.com/identity/protocols/oauth2/web-server): the
 *   authorization code with PKCE (auto-approved as the configured admin) and
 *   `grant_type=refresh_token`; Google does not rotate refresh tokens.
 * - Errors are RFC 6749 §5.2 JSON `{error, error_description}`.
 *
 * Access tokens are opaque here; the API checks their scopes and subject.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

export const TOKEN_PATH = '/token';
export const AUTHORIZE_PATH = '/o/oauth2/v2/auth';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Audiences Google accepts for the JWT (the token endpoint's documented names). */
const OFFICIAL_AUDIENCES = ['https://oauth2.googleapis.com/token', 'https://www.googleapis.com/oauth2/v4/token', 'https://accounts.google.com/o/oauth2/token'];

export interface ServiceAccount {
  readonly clientEmail: string;
  /** The OAuth client id the admin grants scopes to under "Domain-wide delegation". */
  readonly clientId: string;
  /** PKCS#8 PEM, as in the service account's JSON key file (`private_key`). */
  readonly privateKey: string;
  readonly privateKeyId: string;
  readonly publicKey: KeyObject;
}

export interface GoogleOAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
}

export interface AccessGrant {
  /** The user the token acts as (an e-mail), or the service account itself. */
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
  readonly expiresAt: number;
  readonly clientId: string;
  /** The refresh token or service account key it came from (to revoke). */
  readonly source: string;
}

export class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

interface RefreshGrant {
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
}

interface Code {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scopes: ReadonlySet<string>;
  readonly offline: boolean;
  readonly expiresAt: number;
}

const random = (prefix: string): string => `${prefix}${randomBytes(24).toString('base64url')}`;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function decodePart(part: string | undefined): Record<string, unknown> | null {
  if (!part) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Creates a service account with a fresh RSA key, as "Create key → JSON" in the Cloud console does. */
export function newServiceAccount(clientEmail: string, clientId: string): ServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    clientEmail,
    clientId,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKeyId: randomBytes(20).toString('hex'),
    publicKey,
  };
}

export class GoogleOAuthServer {
  readonly serviceAccounts = new Map<string, ServiceAccount>();
  readonly clients = new Map<string, GoogleOAuthClient>();
  /** clientId → scopes granted under "Domain-wide delegation" in the Admin console. */
  readonly delegation = new Map<string, Set<string>>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly accessTokens = new Map<string, AccessGrant>();
  private readonly codes = new Map<string, Code>();
  accessTokenSeconds = 3599;
  /** What the token endpoint answered, by grant type and outcome (for tests). */
  readonly stats = { jwt: 0, refresh: 0, code: 0, refused: 0 };

  constructor(
    private readonly tokenUrl: () => string,
    /** Whether `sub` names a live, unsuspended user of the domain. */
    private readonly userExists: (email: string) => boolean,
    /** The admin the browser flow signs in as. */
    private readonly consentingAdmin: () => string,
    /** Keys revoked through the fault knobs (`revokeKey`). */
    private readonly revokedByFault: (key: string) => boolean = () => false,
    private readonly now: () => number = Date.now,
  ) {}

  private isRevoked(key: string): boolean {
    return this.revokedByFault(key);
  }

  addServiceAccount(account: ServiceAccount, delegatedScopes: readonly string[] = []): void {
    this.serviceAccounts.set(account.clientEmail, account);
    if (delegatedScopes.length > 0) this.delegation.set(account.clientId, new Set(delegatedScopes));
  }

  /** Issues a refresh token directly (a grant made earlier in the browser; for headless import). */
  issueRefreshToken(clientId: string, subject: string, scopes: readonly string[]): string {
    if (!this.clients.has(clientId)) throw new TokenError(401, 'invalid_client', 'The OAuth client was not found.');
    const token = random('1//');
    this.refreshTokens.set(token, { clientId, subject, scopes: new Set(scopes) });
    return token;
  }

  expireAccessTokens(): void {
    for (const [token, grant] of this.accessTokens) this.accessTokens.set(token, { ...grant, expiresAt: 0 });
  }

  /** The grant behind a Bearer token, or null when unknown, expired or revoked. */
  accessGrant(token: string): AccessGrant | null {
    const g = this.accessTokens.get(token);
    if (!g || g.expiresAt <= this.now() || this.isRevoked(token) || this.isRevoked(g.source)) return null;
    return g;
  }

  /** `POST /token` with the form fields. */
  token(form: URLSearchParams): Record<string, unknown> {
    try {
      const grantType = form.get('grant_type');
      if (grantType === JWT_BEARER) return this.jwtGrant(form.get('assertion') ?? '');
      if (grantType === 'refresh_token') return this.refreshGrant(form);
      if (grantType === 'authorization_code') return this.codeGrant(form);
      throw new TokenError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    } catch (error) {
      if (error instanceof TokenError) this.stats.refused++;
      throw error;
    }
  }

  /** `GET /o/oauth2/v2/auth`: validates the request and answers the redirect URL with a code (auto-consent). */
  authorize(query: URLSearchParams): string {
    const clientId = query.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    if (!client) throw new TokenError(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirectUri)) throw new TokenError(400, 'redirect_uri_mismatch', `The redirect URI in the request, ${redirectUri}, does not match the ones authorized for the OAuth client.`);
    const back = new URL(redirectUri);
    const state = query.get('state');
    if (state !== null) back.searchParams.set('state', state);
    const challenge = query.get('code_challenge');
    if (query.get('response_type') !== 'code' || !challenge || query.get('code_challenge_method') !== 'S256') {
      back.searchParams.set('error', 'invalid_request');
      return back.toString();
    }
    const scopes = new Set((query.get('scope') ?? '').split(/\s+/).filter(Boolean));
    const code = random('4/');
    this.codes.set(code, { clientId, redirectUri, challenge, scopes, offline: query.get('access_type') === 'offline', expiresAt: this.now() + 600_000 });
    back.searchParams.set('code', code);
    back.searchParams.set('scope', [...scopes].join(' '));
    return back.toString();
  }

  private issue(grant: Omit<AccessGrant, 'expiresAt'>): { access_token: string; expires_in: number; token_type: 'Bearer' } {
    const accessToken = random('ya29.');
    this.accessTokens.set(accessToken, { ...grant, expiresAt: this.now() + this.accessTokenSeconds * 1000 });
    return { access_token: accessToken, expires_in: this.accessTokenSeconds, token_type: 'Bearer' };
  }

  private jwtGrant(assertion: string): Record<string, unknown> {
    const parts = assertion.split('.');
    const header = decodePart(parts[0]);
    const claims = decodePart(parts[1]);
    if (parts.length !== 3 || !header || !claims) throw new TokenError(400, 'invalid_grant', 'Invalid JWT: the assertion is not a signed JWT (header.claims.signature).');
    const iss = typeof claims['iss'] === 'string' ? claims['iss'] : '';
    const account = this.serviceAccounts.get(iss);
    if (!account) throw new TokenError(400, 'invalid_grant', 'Invalid grant: account not found');
    const signed = header['alg'] === 'RS256' && verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), account.publicKey, Buffer.from(parts[2]!, 'base64url'));
    if (!signed || this.isRevoked(account.clientEmail) || this.isRevoked(account.clientId)) throw new TokenError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const aud = claims['aud'];
    if (typeof aud !== 'string' || ![this.tokenUrl(), ...OFFICIAL_AUDIENCES].includes(aud)) throw new TokenError(400, 'invalid_grant', 'Invalid JWT: Failed audience check. The expected audience is the token endpoint.');
    const now = Math.floor(this.now() / 1000);
    const iat = claims['iat'];
    const exp = claims['exp'];
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= now || iat > now + 300 || exp - iat > 3600) {
      throw new TokenError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    }
    const scopes = new Set((typeof claims['scope'] === 'string' ? claims['scope'] : '').split(/\s+/).filter(Boolean));
    if (scopes.size === 0) throw new TokenError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const sub = typeof claims['sub'] === 'string' ? claims['sub'].toLowerCase() : undefined;
    if (sub !== undefined) {
      const granted = this.delegation.get(account.clientId) ?? new Set<string>();
      if (![...scopes].every((s) => granted.has(s))) {
        throw new TokenError(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
      }
      if (!this.userExists(sub)) throw new TokenError(400, 'invalid_grant', 'Invalid email or User ID');
    }
    this.stats.jwt++;
    return this.issue({ subject: sub ?? account.clientEmail, scopes, clientId: account.clientId, source: account.clientEmail });
  }

  private client(form: URLSearchParams): GoogleOAuthClient {
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client || !safeEqual(client.clientSecret, form.get('client_secret') ?? '')) throw new TokenError(401, 'invalid_client', 'Unauthorized');
    return client;
  }

  private refreshGrant(form: URLSearchParams): Record<string, unknown> {
    const client = this.client(form);
    const token = form.get('refresh_token') ?? '';
    const grant = this.refreshTokens.get(token);
    if (!grant || grant.clientId !== client.clientId || this.isRevoked(token)) throw new TokenError(400, 'invalid_grant', 'Token has been expired or revoked.');
    if (!this.userExists(grant.subject)) throw new TokenError(400, 'invalid_grant', 'Token has been expired or revoked.');
    this.stats.refresh++;
    return { ...this.issue({ subject: grant.subject, scopes: grant.scopes, clientId: client.clientId, source: token }), scope: [...grant.scopes].join(' ') };
  }

  private codeGrant(form: URLSearchParams): Record<string, unknown> {
    const client = this.client(form);
    const codeValue = form.get('code') ?? '';
    const code = this.codes.get(codeValue);
    this.codes.delete(codeValue);
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!code || code.clientId !== client.clientId || code.expiresAt <= this.now() || code.redirectUri !== form.get('redirect_uri') || !safeEqual(challenge, code.challenge)) {
      throw new TokenError(400, 'invalid_grant', 'Bad Request');
    }
    const subject = this.consentingAdmin();
    const refreshToken = code.offline ? this.issueRefreshToken(client.clientId, subject, [...code.scopes]) : undefined;
    this.stats.code++;
    const tokens = this.issue({ subject, scopes: code.scopes, clientId: client.clientId, source: refreshToken ?? codeValue });
    return { ...tokens, scope: [...code.scopes].join(' '), ...(refreshToken ? { refresh_token: refreshToken } : {}) };
  }
}

/** The public key of a PEM private key (for accounts given as options). */
export function serviceAccountFromKey(clientEmail: string, clientId: string, privateKey: string): ServiceAccount {
  return { clientEmail, clientId, privateKey, privateKeyId: randomBytes(20).toString('hex'), publicKey: createPublicKey(privateKey) };
}
