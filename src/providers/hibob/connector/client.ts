/**
 * HiBob HTTP client: base URL, service-user authentication and the shared HTTP policy.
 *
 * Followed from HiBob's documentation (apidocs.hibob.com, "API Service Users" and "Getting
 * started"): the API lives at `https://api.hibob.com/v1/...` (`https://api.sandbox.hibob.com` for a
 * HiBob sandbox account); a service user authenticates with HTTP Basic, its ID as user name and its
 * token as password; a wrong or revoked token answers 401, a service user without permission on a
 * category 403. Rate limiting ("Rate limiting"): excess answers 429 (people search: 50 a minute);
 * the shared client waits for `Retry-After` when sent, else backs off with jitter.
 *
 * Base URL: `ConnectorOptions.baseUrl`, else `settings.baseUrl` (a sandbox, HiBob's sandbox host or a
 * proxy), else `https://api.hibob.com`. Credentials: `{serviceUserId, token}`; they live only in this
 * closure and are redacted from any provider message.
 */
import type { ConnectorOptions } from '../../../connectors/types.ts';
import { AuthFailedError, BadRequestError, type ProviderError } from '../../../connectors/errors.ts';
import { createHttpClient, type HttpClient, type HttpResponse } from '../../../connectors/http.ts';

export const PROVIDER = 'hibob' as const;
export const DEFAULT_BASE_URL = 'https://api.hibob.com';
const USER_AGENT = 'ReFresh-People-Sync/0.1 (+https://refresh.example/people-sync)';

export interface HibobClient {
  readonly baseUrl: string;
  readonly http: HttpClient;
  url(path: string, query?: Readonly<Record<string, string | undefined>>): URL;
  get(path: string, query?: Readonly<Record<string, string | undefined>>, options?: { readonly acceptStatus?: readonly number[] }): Promise<HttpResponse>;
  post(path: string, json: unknown): Promise<HttpResponse>;
}

function configError(message: string): ProviderError {
  return new BadRequestError(message, { provider: PROVIDER });
}

/** The API root without a trailing slash; throws `bad_request` for an unusable address. */
export function resolveHibobBaseUrl(opts: Pick<ConnectorOptions, 'baseUrl' | 'settings'>): string {
  const setting = opts.settings['baseUrl'];
  const explicit = opts.baseUrl?.trim() || (typeof setting === 'string' && setting.trim() !== '' ? setting.trim() : undefined);
  if (!explicit) return DEFAULT_BASE_URL;
  let u: URL;
  try {
    u = new URL(explicit);
  } catch {
    throw configError(`The HiBob address "${explicit}" is not a valid URL; fix it in the integration settings.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw configError(`The HiBob address "${explicit}" must start with https://; fix it in the integration settings.`);
  }
  if (u.username || u.password) throw configError('The HiBob address must not contain credentials; enter the service user in the credentials instead.');
  // Accept the documented `https://api.hibob.com/v1` as well as the bare host.
  return `${u.origin}${u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}`;
}

/** Creates the client; throws a ProviderError (bad_request / auth_failed) for unusable settings. */
export function createHibobClient(opts: ConnectorOptions): HibobClient {
  const baseUrl = resolveHibobBaseUrl(opts);
  const id = opts.credentials['serviceUserId']?.trim();
  const token = opts.credentials['token']?.trim();
  if (!id || !token) {
    throw new AuthFailedError('The HiBob integration has no service user ID and token; reconnect it with a HiBob service user.', { provider: PROVIDER });
  }
  const pair = `${id}:${token}`;
  const http = createHttpClient({
    provider: PROVIDER,
    policy: opts.http,
    signal: opts.signal,
    onRetry: opts.onRetry,
    sleep: opts.sleep,
    headers: { Authorization: `Basic ${Buffer.from(pair).toString('base64')}`, 'User-Agent': USER_AGENT, Accept: 'application/json' },
    credentialLabel: 'service user token',
    secrets: [token, pair, ...Object.values(opts.credentials).filter((v) => typeof v === 'string' && v.length >= 8)],
  });

  const url = (path: string, query?: Readonly<Record<string, string | undefined>>): URL => {
    const u = new URL(`${baseUrl}${path.startsWith('/') ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  };

  return {
    baseUrl,
    http,
    url,
    get: (path, query, options) =>
      http.request({ url: url(path, query), method: 'GET', expect: 'json', ...(options?.acceptStatus ? { acceptStatus: options.acceptStatus } : {}) }),
    post: (path, json) => http.request({ url: url(path), method: 'POST', json, expect: 'json' }),
  };
}
