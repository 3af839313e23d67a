/**
 * The Admin SDK Directory API for the Google Workspace connector: an access token (a service
 * account's JWT exchanged with domain-wide delegation, or the OAuth access token the platform
 * keeps fresh), GET with Google's errors turned into what an admin must do, and `pageToken` paging.
 *
 * Service account (developers.google.com/identity/protocols/oauth2/service-account, "Preparing to
 * make an authorized API call"; RFC 7523 §2.1): `POST {authBaseUrl}/token` with
 * `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and `assertion` = the JWT (jwt.ts),
 * `sub` = the admin to act as. Refusals (RFC 6749 §5.2): `unauthorized_client` = the client ID has
 * no domain-wide delegation for these scopes; `invalid_grant` "Invalid email or User ID" = no such
 * user to act as; other `invalid_grant`s = the key is wrong, deleted or disabled.
 *
 * Errors (the JSON error format, cloud.google.com/apis/design/errors: `{"error": {"code",
 * "message", "errors": [{"reason"}], "status"}}`): 401 after a fresh token → reconnect; 403
 * `insufficientPermissions` → a scope is not granted; 403 `forbidden` ("Not Authorized to access
 * this resource/api") → the user acted as is not an admin (or not of this customer); 429 and 5xx
 * are retried by the shared HTTP client.
 */
import type { ConnectorOptions } from '../../../connectors/types.ts';
import { AuthFailedError, BadRequestError, MissingPermissionError, badData, classifyHttpFailure } from '../../../connectors/errors.ts';
import { createHttpClient, isRecord, parseJsonBody, redact, type HttpClient, type HttpResponse } from '../../../connectors/http.ts';
import { resolveApiBase, USER_AGENT } from '../../../connectors/json-api.ts';
import { originOf, SettingsError, stringSetting } from '../../settings.ts';
import { GOOGLE_API, GOOGLE_SCOPES, GOOGLE_TOKEN_HOST } from '../descriptor.ts';
import { JWT_BEARER_GRANT, parsePrivateKey, signAssertion } from './jwt.ts';

export const PROVIDER = 'google' as const;
const NAME = 'Google Workspace';
const API_PREFIX = '/admin/directory/v1';
const EXPIRY_MARGIN_MS = 120_000;
const MAX_PAGES = 1_000_000;
const DELEGATION = 'Google Admin console → Security → Access and data control → API controls → Domain-wide delegation';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface DirectoryClient {
  url(path: string, query?: Query): URL;
  get(url: URL, accept?: readonly number[]): Promise<{ readonly status: number; readonly body: Record<string, unknown>; readonly response: HttpResponse }>;
  /** Every page of a list: its `key` array (absent on an empty page) and the page's body. */
  pages(path: string, query: Query, key: string): AsyncGenerator<unknown[]>;
}

function googleReason(res: HttpResponse): string | undefined {
  try {
    const body: unknown = JSON.parse(res.text);
    const error = isRecord(body) ? body['error'] : undefined;
    const first = isRecord(error) && Array.isArray(error['errors']) ? (error['errors'] as unknown[])[0] : undefined;
    return isRecord(first) && typeof first['reason'] === 'string' ? first['reason'] : undefined;
  } catch {
    return undefined;
  }
}

const scopeList = GOOGLE_SCOPES.join(', ');

export function createDirectoryClient(opts: ConnectorOptions): DirectoryClient {
  const base = resolveApiBase(PROVIDER, opts, GOOGLE_API);
  const oauthToken = opts.credentials['authType'] === 'oauth' ? opts.credentials['accessToken'] : undefined;
  const clientEmail = opts.credentials['clientEmail']?.trim();
  const privateKey = opts.credentials['privateKey'];
  const subject = opts.credentials['subject']?.trim();
  if (!oauthToken && (!clientEmail || !privateKey || !subject)) {
    throw new AuthFailedError(`The ${NAME} integration has no service account key or OAuth grant; connect it again on the Integrations page.`, { provider: PROVIDER });
  }
  let tokenUrl: string;
  try {
    tokenUrl = `${originOf(stringSetting(opts.settings, 'authBaseUrl') ?? GOOGLE_TOKEN_HOST, 'authBaseUrl')}/token`;
  } catch (error) {
    if (error instanceof SettingsError) throw new BadRequestError(error.message, { provider: PROVIDER });
    throw error;
  }
  const secrets = [...(oauthToken ? [oauthToken] : []), ...(privateKey ? [privateKey] : [])];
  const credentialLabel = oauthToken ? 'access token' : 'service account key';
  const http: HttpClient = createHttpClient({
    provider: PROVIDER,
    policy: opts.http,
    signal: opts.signal,
    onRetry: opts.onRetry,
    sleep: opts.sleep,
    headers: { Accept: 'application/json', 'User-Agent': USER_AGENT },
    credentialLabel,
    secrets,
  });
  let token: { value: string; expiresAt: number } | undefined = oauthToken ? { value: oauthToken, expiresAt: Number.POSITIVE_INFINITY } : undefined;

  async function serviceAccountToken(): Promise<string> {
    let key;
    try {
      key = parsePrivateKey(privateKey!);
    } catch {
      throw new AuthFailedError(`The ${NAME} service account's private key is not a PEM private key; paste private_key from the account's JSON key file and reconnect.`, { provider: PROVIDER });
    }
    const assertion = signAssertion({ clientEmail: clientEmail!, privateKey: key, scopes: GOOGLE_SCOPES, audience: tokenUrl, subject: subject! });
    const res = await http.request({ url: tokenUrl, method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(), acceptStatus: [400, 401, 403] });
    let answer: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(res.text);
      if (isRecord(parsed)) answer = parsed;
    } catch {
      /* judged below */
    }
    if (res.status >= 400) {
      const error = typeof answer['error'] === 'string' ? answer['error'] : 'error';
      const description = redact(String(answer['error_description'] ?? error), [privateKey!, assertion]);
      const o = { provider: PROVIDER, status: res.status, providerMessage: description, url: tokenUrl };
      if (error === 'unauthorized_client') {
        throw new MissingPermissionError(`${NAME} refused to let the service account act as the admin (${description}): domain-wide delegation is missing a permission. In the ${DELEGATION}, add the service account's client ID with the scopes ${scopeList}; nothing was changed, and the next sync tries again.`, { ...o, status: 403 });
      }
      if (error === 'invalid_grant' && /email|user id/i.test(description)) {
        throw new BadRequestError(`${NAME} does not know the admin the service account acts as (${description}). Enter the e-mail of an active super admin of your Workspace as "Admin to act as".`, o);
      }
      // A deleted, disabled or wrong key: the credential itself is refused.
      throw new AuthFailedError(`${NAME} refused the service account key (${description}). Create a new JSON key for the service account and reconnect the integration with it.`, { ...o, status: 401 });
    }
    const value = answer['access_token'];
    if (typeof value !== 'string' || value === '') throw badData(PROVIDER, tokenUrl, 'the token answer has no access_token');
    const seconds = Number(answer['expires_in'] ?? 3599);
    token = { value, expiresAt: Date.now() + (Number.isFinite(seconds) ? seconds : 3599) * 1000 - EXPIRY_MARGIN_MS };
    secrets.push(value);
    return value;
  }

  async function accessToken(fresh: boolean): Promise<string> {
    if (token && (!fresh || oauthToken) && token.expiresAt > Date.now()) return token.value;
    return serviceAccountToken();
  }

  const url = (path: string, query: Query = {}): URL => {
    const u = new URL(`${base}${API_PREFIX}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  };

  function forbidden(res: HttpResponse): MissingPermissionError {
    const said = res.providerMessage ? `: ${res.providerMessage.replace(/[.\s]+$/u, '')}` : '';
    const o = { provider: PROVIDER, status: res.status, providerMessage: res.providerMessage, url: res.url };
    if (googleReason(res) === 'insufficientPermissions') {
      const where = oauthToken ? 'sign in with Google again as a Workspace admin and approve' : `in the ${DELEGATION}, grant the service account's client ID`;
      return new MissingPermissionError(`${NAME} denied access (${res.status}${said}): the connection lacks a permission; ${where} the read-only scopes ${scopeList}. Nothing was changed, and the next sync tries again.`, o);
    }
    const who = oauthToken ? 'the Google account that signed in' : 'the admin the service account acts as ("Admin to act as")';
    return new MissingPermissionError(
      `${NAME} denied access (${res.status}${said}): ${who} lacks the admin permission to read the directory. In the Google Admin console → Account → Admin roles, make ${who} a super admin (or give its role the Users and Groups read privileges), or connect as another admin; nothing was changed, and the next sync tries again.`,
      o,
    );
  }

  async function get(target: URL, accept: readonly number[] = []): Promise<{ status: number; body: Record<string, unknown>; response: HttpResponse }> {
    for (let attempt = 0; ; attempt++) {
      const bearer = await accessToken(attempt > 0);
      const res = await http.request({ url: target, headers: { Authorization: `Bearer ${bearer}` }, expect: 'json', acceptStatus: [401, 403, 404] });
      if (res.status === 401 && attempt === 0 && !oauthToken) continue;
      if (res.status >= 200 && res.status < 300) {
        const body = parseJsonBody(PROVIDER, res);
        if (!isRecord(body)) throw badData(PROVIDER, res.url, 'the answer is not a JSON object');
        return { status: res.status, body, response: res };
      }
      if (accept.includes(res.status)) return { status: res.status, body: {}, response: res };
      if (res.status === 403) throw forbidden(res);
      throw classifyHttpFailure({ provider: PROVIDER, url: res.url, status: res.status, providerMessage: res.providerMessage, credentialLabel });
    }
  }

  async function* pages(path: string, query: Query, key: string): AsyncGenerator<unknown[]> {
    let pageToken: string | undefined;
    const seen = new Set<string>();
    for (let n = 0; n < MAX_PAGES; n++) {
      const { body, response } = await get(url(path, { ...query, pageToken }));
      const items = body[key];
      if (items !== undefined && !Array.isArray(items)) throw badData(PROVIDER, response.url, `"${key}" is not a list`);
      yield (items as unknown[] | undefined) ?? [];
      const next = body['nextPageToken'];
      if (next === undefined || next === '') return;
      if (typeof next !== 'string') throw badData(PROVIDER, response.url, '"nextPageToken" is not a string');
      if (seen.has(next)) throw badData(PROVIDER, response.url, 'the same "nextPageToken" came twice');
      seen.add(next);
      pageToken = next;
    }
  }

  return { url, get, pages };
}
