/**
 * BambooHR HTTP client: base URL, authentication and the shared HTTP policy.
 *
 * Server: `https://{companyDomain}.bamboohr.com` (the OpenAPI document's `servers` entry),
 * overridable by `ConnectorOptions.baseUrl` or `settings.baseUrl` (sandbox, regional host, proxy).
 * Auth (OpenAPI `securitySchemes`): `basic` — the API key as user name and `x` as password — or
 * `oauth` — `Authorization: Bearer <access token>` when `credentials.accessToken` is given.
 * Errors: BambooHR explains failures in the `X-BambooHR-Error-Message` response header.
 *
 * The credentials live only in this closure: the returned client has no enumerable field
 * holding them, and they are redacted from any provider message.
 */
import type { ConnectorOptions } from '../../../connectors/types.ts';
import { AuthFailedError, BadRequestError, type ProviderError } from '../../../connectors/errors.ts';
import { abortableSleep, createHttpClient, type HttpClient, type HttpResponse } from '../../../connectors/http.ts';
import { RequestGate } from '../../../connectors/request-gate.ts';
import { SettingsError } from '../../settings.ts';
import { bambooApiBase } from '../descriptor.ts';

export const PROVIDER = 'bamboohr' as const;
export const ERROR_MESSAGE_HEADER = 'X-BambooHR-Error-Message';
const USER_AGENT = 'ReFresh-People-Sync/0.1 (+https://refresh.example/people-sync)';

export type Query = Readonly<Record<string, string | number | undefined>>;

export interface RequestOptions {
  /** `Accept` header; JSON unless said otherwise. */
  readonly accept?: string;
  /** Statuses returned to the caller instead of thrown. */
  readonly acceptStatus?: readonly number[];
}

export interface BambooClient {
  readonly baseUrl: string;
  readonly http: HttpClient;
  url(path: string, query?: Query): URL;
  get(path: string, query?: Query, options?: RequestOptions): Promise<HttpResponse>;
  post(path: string, query: Query | undefined, json: unknown, options?: RequestOptions): Promise<HttpResponse>;
}

/**
 * The API root: `opts.baseUrl`, else `settings.baseUrl`, else `https://{companyDomain}.bamboohr.com`
 * (the descriptor's rule). Throws a `bad_request` ProviderError when none can be formed.
 */
export function resolveBambooBaseUrl(opts: Pick<ConnectorOptions, 'baseUrl' | 'settings'>): string {
  try {
    return bambooApiBase(opts.settings, opts.baseUrl);
  } catch (error) {
    if (error instanceof SettingsError) throw configError(error.message);
    throw error;
  }
}

function configError(message: string): ProviderError {
  return new BadRequestError(message, { provider: PROVIDER });
}

interface Auth {
  readonly header: string;
  readonly label: string;
  readonly secrets: readonly string[];
}

function resolveAuth(credentials: Readonly<Record<string, string>>): Auth {
  const token = credentials['accessToken']?.trim();
  if (token) return { header: `Bearer ${token}`, label: 'access token', secrets: [token] };
  const key = credentials['apiKey']?.trim();
  if (key) {
    return { header: `Basic ${Buffer.from(`${key}:x`).toString('base64')}`, label: 'API key', secrets: [key] };
  }
  throw new AuthFailedError('The BambooHR integration has no API key or access token; reconnect it with a valid API key.', {
    provider: PROVIDER,
  });
}

/**
 * BambooHR requests one client has in flight at most. BambooHR publishes no concurrency limit; it
 * throttles with 429 and `Retry-After` (503 before 2026-09-16), which the client's gate obeys for
 * all its requests at once. A few parallel reads hide its latency (about 0.25 s a request) without
 * being a burst: a full read keeps DATASET_PAGES_AHEAD dataset pages of 1,000 in flight; an
 * incremental's batch read of 1,000 changed people (10 list requests of 100) goes in one round
 * instead of three, the whole run then two round trips (the changed call, then the batch).
 */
export const MAX_CONCURRENT_REQUESTS = 10;

/** Dataset pages asked for ahead of the one being read (a bounded window of the roster). */
export const DATASET_PAGES_AHEAD = 4;

/** Creates the client; throws a ProviderError (bad_request / auth_failed) for unusable settings. */
export function createBambooClient(opts: ConnectorOptions, limits: { readonly maxConcurrent?: number } = {}): BambooClient {
  const baseUrl = resolveBambooBaseUrl(opts);
  const auth = resolveAuth(opts.credentials);
  const http = createHttpClient({
    gate: new RequestGate(limits.maxConcurrent ?? MAX_CONCURRENT_REQUESTS, opts.sleep ?? abortableSleep, opts.signal),
    provider: PROVIDER,
    policy: opts.http,
    signal: opts.signal,
    onRetry: opts.onRetry,
    sleep: opts.sleep,
    headers: { Authorization: auth.header, 'User-Agent': USER_AGENT },
    errorMessageHeader: ERROR_MESSAGE_HEADER,
    credentialLabel: auth.label,
    secrets: [...auth.secrets, ...Object.values(opts.credentials).filter((v) => typeof v === 'string' && v.length >= 8)],
  });

  const url = (path: string, query?: Query): URL => {
    const u = new URL(`${baseUrl}${path.startsWith('/') ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) u.searchParams.set(k, String(v));
    }
    return u;
  };

  return {
    baseUrl,
    http,
    url,
    get: (path, query, options) =>
      http.request({
        url: url(path, query),
        method: 'GET',
        headers: { Accept: options?.accept ?? 'application/json' },
        expect: 'json-or-xml',
        ...(options?.acceptStatus ? { acceptStatus: options.acceptStatus } : {}),
      }),
    post: (path, query, json, options) =>
      http.request({
        url: url(path, query),
        method: 'POST',
        headers: { Accept: options?.accept ?? 'application/json' },
        json,
        expect: 'json-or-xml',
        ...(options?.acceptStatus ? { acceptStatus: options.acceptStatus } : {}),
      }),
  };
}
