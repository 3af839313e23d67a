/**
 * A JSON API client for connectors of bearer-token REST APIs (Employment Hero, Deel): the base URL
 * from the connector options, settings or the provider's official host; the shared HTTP policy;
 * every 2xx body parsed as JSON inside the retry loop; the credential redacted from anything that
 * could reach an error or a log.
 */
import type { ConnectorOptions } from './types.ts';
import { AuthFailedError, BadRequestError } from './errors.ts';
import { createHttpClient, type HttpClient, type HttpResponse } from './http.ts';
import { originOf, SettingsError, stringSetting } from '../providers/settings.ts';
import { providerName } from '../providers/descriptors.ts';

export const USER_AGENT = 'ReFresh-People-Sync/0.1 (+https://refresh.example/people-sync)';

export type Query = Readonly<Record<string, string | number | undefined>>;

export interface JsonApiClient {
  readonly baseUrl: string;
  readonly http: HttpClient;
  url(path: string, query?: Query): URL;
  get(path: string, query?: Query): Promise<HttpResponse>;
}

/** The API root: `opts.baseUrl`, else `settings.baseUrl`, else `official`; a `bad_request` ProviderError when unusable. */
export function resolveApiBase(provider: string, opts: Pick<ConnectorOptions, 'baseUrl' | 'settings'>, official: string): string {
  try {
    return originOf(opts.baseUrl?.trim() || stringSetting(opts.settings, 'baseUrl') || official, `The ${providerName(provider)} address`);
  } catch (error) {
    if (error instanceof SettingsError) throw new BadRequestError(error.message, { provider });
    throw error;
  }
}

export interface BearerClientOptions {
  readonly provider: string;
  readonly official: string;
  /** What the token is called in messages. */
  readonly credentialLabel: string;
  readonly token: string | undefined;
  /** Prefix under the base URL every path goes to, e.g. `/rest/v2`. */
  readonly pathPrefix?: string;
}

export function createBearerClient(opts: ConnectorOptions, c: BearerClientOptions): JsonApiClient {
  const baseUrl = resolveApiBase(c.provider, opts, c.official);
  const token = c.token?.trim();
  if (!token) throw new AuthFailedError(`The ${providerName(c.provider)} integration has no ${c.credentialLabel}; connect it again on the Integrations page.`, { provider: c.provider });
  const http = createHttpClient({
    provider: c.provider,
    policy: opts.http,
    signal: opts.signal,
    onRetry: opts.onRetry,
    sleep: opts.sleep,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'User-Agent': USER_AGENT },
    credentialLabel: c.credentialLabel,
    secrets: [token, ...Object.values(opts.credentials).filter((v) => typeof v === 'string' && v.length >= 8)],
  });
  const prefix = c.pathPrefix ?? '';
  const url = (path: string, query?: Query): URL => {
    const u = new URL(`${baseUrl}${prefix}${path.startsWith('/') ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  };
  return { baseUrl, http, url, get: (path, query) => http.request({ url: url(path, query), method: 'GET', expect: 'json' }) };
}
