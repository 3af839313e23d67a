/**
 * The Microsoft identity platform's client-credentials grant as the sandbox plays it
 * (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow, "Get a token"):
 * `POST /{tenant}/oauth2/v2.0/token` with `client_id`, `client_secret`,
 * `scope=https://graph.microsoft.com/.default` and `grant_type=client_credentials`; `{tenant}` is
 * the tenant id or one of its domains. The answer is `{token_type, expires_in, ext_expires_in,
 * access_token}`; failures are `{error, error_description: "AADSTS…: …", error_codes, timestamp,
 * trace_id, correlation_id}` (learn.microsoft.com/entra/identity-platform/reference-error-codes).
 *
 * An app holds application permissions ("roles", granted with admin consent); the access token
 * carries them, and Graph checks them per call.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export interface EntraApp {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly displayName: string;
  /** Application permissions with admin consent, e.g. `User.Read.All`. */
  roles: string[];
}

export interface EntraAccessGrant {
  readonly clientId: string;
  readonly roles: ReadonlySet<string>;
  readonly expiresAt: number;
}

export class EntraTokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    readonly description: string,
  ) {
    super(description);
  }

  toJSON(): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    return {
      error: this.error,
      error_description: `AADSTS${this.aadsts}: ${this.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [this.aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadsts}`,
    };
  }
}

const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class EntraTokenServer {
  readonly apps = new Map<string, EntraApp>();
  private readonly tokens = new Map<string, EntraAccessGrant>();
  accessTokenSeconds = 3599;
  issued = 0;

  constructor(
    /** Whether `{tenant}` names this tenant (its id or a domain). */
    private readonly isTenant: (tenant: string) => boolean,
    private readonly isRevoked: (key: string) => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  token(tenant: string, form: URLSearchParams): Record<string, unknown> {
    if (!this.isTenant(tenant)) {
      throw new EntraTokenError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (form.get('grant_type') !== 'client_credentials') {
      throw new EntraTokenError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`);
    }
    const clientId = form.get('client_id') ?? '';
    const app = this.apps.get(clientId);
    if (!app) throw new EntraTokenError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    const scope = form.get('scope') ?? '';
    if (scope !== GRAPH_DEFAULT_SCOPE && scope !== 'https://graph.microsoft.com//.default') {
      throw new EntraTokenError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    if (!safeEqual(app.clientSecret, form.get('client_secret') ?? '')) {
      throw new EntraTokenError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    if (this.isRevoked(app.clientSecret) || this.isRevoked(clientId)) {
      throw new EntraTokenError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app.`);
    }
    const accessToken = `eyJ0eXAiOiJKV1QifQ.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(accessToken, { clientId, roles: new Set(app.roles), expiresAt: this.now() + this.accessTokenSeconds * 1000 });
    this.issued++;
    return { token_type: 'Bearer', expires_in: this.accessTokenSeconds, ext_expires_in: this.accessTokenSeconds, access_token: accessToken };
  }

  /** The grant behind a token; `expired` when it was valid once. */
  check(token: string): EntraAccessGrant | 'unknown' | 'expired' {
    const grant = this.tokens.get(token);
    if (!grant || this.isRevoked(token)) return 'unknown';
    if (grant.expiresAt <= this.now()) return 'expired';
    return grant;
  }

  expireAccessTokens(): void {
    for (const [token, grant] of this.tokens) this.tokens.set(token, { ...grant, expiresAt: 0 });
  }
}
