/**
 * Microsoft Graph v1.0 for the Entra ID connector: an app-only access token by the client-credentials
 * grant, GET with Graph's errors turned into what an admin must do, and `@odata.nextLink` paging.
 *
 * Token (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow, "Get a
 * token"): `POST {authBaseUrl}/{tenantId}/oauth2/v2.0/token` with `client_id`, `client_secret`,
 * `scope=https://graph.microsoft.com/.default`, `grant_type=client_credentials`; the answer is
 * `{token_type, expires_in, access_token}`, a refusal `{error, error_description: "AADSTS…"}`
 * (reference-error-codes). The token is kept until shortly before `expires_in` and fetched again
 * once when Graph answers 401 (it may have been revoked or expired early).
 *
 * Errors (the spec's `microsoft.graph.ODataErrors.ODataError`: `{"error": {"code", "message"}}`):
 * 401 after a fresh token → the client secret no longer works: reconnect; 403
 * `Authorization_RequestDenied` → the app lacks an application permission: the message names the
 * ones the call needs (learn.microsoft.com/graph/permissions-reference); 410 on a delta link
 * (learn.microsoft.com/graph/delta-query-overview, "Synchronization reset": `syncStateNotFound`,
 * `resyncRequired`) → CursorExpiredError; 429 and 5xx are retried by the shared HTTP client
 * (Graph's throttling guidance: honour `Retry-After`).
 *
 * Paging (learn.microsoft.com/graph/paging): follow `@odata.nextLink` as given, an absolute URL
 * that must stay on the API's origin; the last page has none (a delta round ends with
 * `@odata.deltaLink` instead).
 */
import type { ConnectorOptions } from '../../../connectors/types.ts';
import { AuthFailedError, BadRequestError, CursorExpiredError, MissingPermissionError, badData, classifyHttpFailure } from '../../../connectors/errors.ts';
import { createHttpClient, isRecord, parseJsonBody, redact, type HttpClient, type HttpResponse } from '../../../connectors/http.ts';
import { resolveApiBase, USER_AGENT } from '../../../connectors/json-api.ts';
import { originOf, SettingsError, stringSetting } from '../../settings.ts';
import { ENTRA_LOGIN, GRAPH_API } from '../descriptor.ts';

export const PROVIDER = 'entra' as const;
const NAME = 'Microsoft Entra ID';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** Fetch a new token this long before the old one expires. */
const EXPIRY_MARGIN_MS = 120_000;
const MAX_PAGES = 1_000_000;

export interface GraphRequest {
  /** The application permissions this call needs, named in a 403's message. */
  readonly permissions: readonly string[];
  /** Statuses handed back instead of thrown (404 for "no manager"). */
  readonly accept?: readonly number[];
}

export interface GraphClient {
  readonly base: string;
  /** `{base}/v1.0{path}` with the query options. */
  url(path: string, query?: Readonly<Record<string, string>>): URL;
  get(url: URL | string, req: GraphRequest): Promise<{ readonly status: number; readonly body: unknown; readonly response: HttpResponse }>;
  /** Every page of a collection: `value` and the page's own body (for `@odata.deltaLink`). */
  pages(first: URL | string, req: GraphRequest): AsyncGenerator<{ readonly value: unknown[]; readonly body: Record<string, unknown>; readonly url: string }>;
}

function graphErrorCode(res: HttpResponse): string | undefined {
  try {
    const body: unknown = JSON.parse(res.text);
    const error = isRecord(body) ? body['error'] : undefined;
    return isRecord(error) && typeof error['code'] === 'string' ? error['code'] : undefined;
  } catch {
    return undefined;
  }
}

/** "User.Read.All and User-LifeCycleInfo.Read.All". */
export function permissionList(permissions: readonly string[]): string {
  return permissions.length <= 1 ? (permissions[0] ?? 'User.Read.All') : `${permissions.slice(0, -1).join(', ')} and ${permissions.at(-1)!}`;
}

export function missingPermission(res: Pick<HttpResponse, 'status' | 'providerMessage' | 'url'>, permissions: readonly string[]): MissingPermissionError {
  const said = res.providerMessage ? `: ${res.providerMessage.replace(/[.\s]+$/u, '')}` : '';
  const plural = permissions.length > 1 ? 's' : '';
  return new MissingPermissionError(
    `${NAME} denied access (${res.status}${said}): the app registration lacks a permission. In the Microsoft Entra admin center → App registrations → API permissions, add the Microsoft Graph application permission${plural} ${permissionList(permissions)} and grant admin consent; nothing was changed, and the next sync tries again.`,
    { provider: PROVIDER, status: res.status, providerMessage: res.providerMessage, url: res.url },
  );
}

export function createGraphClient(opts: ConnectorOptions): GraphClient {
  const base = resolveApiBase(PROVIDER, opts, GRAPH_API);
  let authBase: string;
  try {
    authBase = originOf(stringSetting(opts.settings, 'authBaseUrl') ?? ENTRA_LOGIN, 'authBaseUrl');
  } catch (error) {
    if (error instanceof SettingsError) throw new BadRequestError(error.message, { provider: PROVIDER });
    throw error;
  }
  const tenantId = stringSetting(opts.settings, 'tenantId');
  const clientId = opts.credentials['clientId']?.trim();
  const clientSecret = opts.credentials['clientSecret'];
  if (!tenantId) throw new BadRequestError(`The ${NAME} integration has no tenant ID; enter the Directory (tenant) ID in its settings.`, { provider: PROVIDER });
  if (!clientId || !clientSecret) throw new AuthFailedError(`The ${NAME} integration has no client ID and secret; connect it again on the Integrations page.`, { provider: PROVIDER });
  const secrets = [clientSecret, encodeURIComponent(clientSecret), clientId];
  const http: HttpClient = createHttpClient({
    provider: PROVIDER,
    policy: opts.http,
    signal: opts.signal,
    onRetry: opts.onRetry,
    sleep: opts.sleep,
    headers: { Accept: 'application/json', 'User-Agent': USER_AGENT },
    credentialLabel: 'client secret',
    secrets,
  });
  const tokenUrl = `${authBase}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
  let token: { value: string; expiresAt: number } | undefined;

  async function fetchToken(): Promise<string> {
    const body = new URLSearchParams({ client_id: clientId!, client_secret: clientSecret!, scope: GRAPH_SCOPE, grant_type: 'client_credentials' }).toString();
    const res = await http.request({ url: tokenUrl, method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body, acceptStatus: [400, 401, 403] });
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      parsed = undefined;
    }
    const answer = isRecord(parsed) ? parsed : {};
    if (res.status >= 400) {
      const error = typeof answer['error'] === 'string' ? answer['error'] : 'error';
      // "AADSTS7000222: The provided client secret keys … are expired. Trace ID: …": the first part.
      const description = redact(String(answer['error_description'] ?? '').split(/\s+Trace ID:/)[0]!.trim(), secrets) || error;
      const o = { provider: PROVIDER, status: res.status, providerMessage: description, url: tokenUrl };
      if (/AADSTS90002\b/.test(description) || (error === 'invalid_request' && /tenant/i.test(description))) {
        throw new BadRequestError(`${NAME} does not know the tenant "${tenantId}" (${description}). Check the Tenant ID in the integration settings.`, o);
      }
      if (error === 'invalid_client' || error === 'unauthorized_client' || res.status === 401) {
        throw new AuthFailedError(`${NAME} refused the app's client secret (${res.status}): ${description} Create a new client secret under App registrations → Certificates & secrets and reconnect the integration with it.`, o);
      }
      throw new BadRequestError(`${NAME} refused the token request (${res.status}): ${description} Check the integration's client ID and tenant.`, o);
    }
    const value = answer['access_token'];
    if (typeof value !== 'string' || value === '') throw badData(PROVIDER, tokenUrl, 'the token answer has no access_token');
    const seconds = typeof answer['expires_in'] === 'number' ? answer['expires_in'] : Number(answer['expires_in'] ?? 3599);
    token = { value, expiresAt: Date.now() + (Number.isFinite(seconds) ? seconds : 3599) * 1000 - EXPIRY_MARGIN_MS };
    secrets.push(value);
    return value;
  }

  async function accessToken(fresh: boolean): Promise<string> {
    if (!fresh && token && token.expiresAt > Date.now()) return token.value;
    return fetchToken();
  }

  const url = (path: string, query: Readonly<Record<string, string>> = {}): URL => {
    const u = new URL(`${base}/v1.0${path}`);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u;
  };

  async function get(target: URL | string, req: GraphRequest): Promise<{ status: number; body: unknown; response: HttpResponse }> {
    for (let attempt = 0; ; attempt++) {
      const bearer = await accessToken(attempt > 0);
      const res = await http.request({ url: target, headers: { Authorization: `Bearer ${bearer}` }, expect: 'json', acceptStatus: [401, 403, 404, 410] });
      if (res.status === 401 && attempt === 0) continue;
      if (res.status >= 200 && res.status < 300) return { status: res.status, body: parseJsonBody(PROVIDER, res), response: res };
      if (req.accept?.includes(res.status)) return { status: res.status, body: undefined, response: res };
      if (res.status === 403 && graphErrorCode(res) !== 'InvalidAuthenticationToken') throw missingPermission(res, req.permissions);
      if (res.status === 410) throw new CursorExpiredError(`${NAME} no longer knows the delta link (410 ${graphErrorCode(res) ?? 'Gone'}): everyone is read again`, PROVIDER);
      throw classifyHttpFailure({ provider: PROVIDER, url: res.url, status: res.status, providerMessage: res.providerMessage, credentialLabel: 'client secret' });
    }
  }

  async function* pages(first: URL | string, req: GraphRequest): AsyncGenerator<{ value: unknown[]; body: Record<string, unknown>; url: string }> {
    let next: string | undefined = String(first);
    const origin = new URL(base).origin;
    for (let n = 0; n < MAX_PAGES && next !== undefined; n++) {
      const { body, response } = await get(next, req);
      if (!isRecord(body) || !Array.isArray(body['value'])) throw badData(PROVIDER, response.url, 'the answer has no "value" list');
      const link = body['@odata.nextLink'];
      if (link !== undefined && typeof link !== 'string') throw badData(PROVIDER, response.url, '"@odata.nextLink" is not a link');
      if (typeof link === 'string') {
        let u: URL;
        try {
          u = new URL(link);
        } catch {
          throw badData(PROVIDER, response.url, '"@odata.nextLink" is not a URL');
        }
        if (u.origin !== origin) throw badData(PROVIDER, response.url, `"@odata.nextLink" leads off ${origin}`);
        if (u.toString() === next) throw badData(PROVIDER, response.url, '"@odata.nextLink" repeats the page it came with');
      }
      yield { value: body['value'] as unknown[], body, url: response.url };
      next = link as string | undefined;
    }
  }

  return { base, url, get, pages };
}
