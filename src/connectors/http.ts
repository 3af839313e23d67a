/**
 * Shared HTTP plumbing for every provider connector: one place for timeouts, retries with
 * exponential backoff and full jitter, `Retry-After`, and turning the final failure into a
 * ProviderError.
 *
 * - Per-attempt timeout: `AbortSignal.timeout(policy.timeoutMs)` combined with the caller's
 *   signal (`AbortSignal.any`). The timeout covers the whole attempt, body included. A caller's
 *   abort is never retried: its reason is rethrown as-is.
 * - Retried: 429, 408, 500, 502, 503, 504, timeouts and network errors (connection refused or
 *   reset, DNS). 500 is retried because providers (BambooHR included) answer transient faults
 *   with it; a deterministic 500 costs at most `maxAttempts` requests. Other 4xx and 5xx
 *   (e.g. 501) are final at once.
 * - Backoff: "full jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 *   delay = random(0, min(maxDelayMs, baseDelayMs · 2^(attempt−1))).
 * - `Retry-After` follows RFC 9110 §10.2.3: either `delay-seconds` (a non-negative integer)
 *   or an `HTTP-date`. A date is measured against the response's own `Date` header when there
 *   is one (both are the server's clock, so client clock skew does not matter), else against
 *   the local clock. When present on a retryable answer it replaces the backoff delay; when it
 *   asks for more than `maxRetryAfterMs` the request fails at once (we never sleep past the cap).
 *   A 503 carrying Retry-After is throttling (BambooHR before 2026-09-16) and reported as
 *   `rate_limited`.
 *
 * - A body that should be JSON (or XML) and cannot be parsed (`expect`), cut off mid-way or
 *   garbled by a proxy, is retried like a 5xx: it is the same kind of transient fault. Only when
 *   every attempt fails is it `bad_data`. (A body that parses but breaks the contract is the
 *   caller's to judge, and is not retried: asking again would not change it.)
 *
 * - With a request gate (`gate`), at most its limit of requests are in flight, and a throttled
 *   answer pauses all of them for the same delay (request-gate.ts).
 *
 * Credentials: callers pass their secrets in `secrets`; they are redacted from any provider
 * message. Requests and headers are never attached to errors.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { HttpPolicy, RetryInfo } from './types.ts';
import { BadDataError, BadRequestError, badData, classifyHttpFailure, safeUrl, type ProviderError } from './errors.ts';
import { outboundPolicy, outboundRefusal } from '../net/outbound-policy.ts';
import type { RequestGate } from './request-gate.ts';

export const DEFAULT_HTTP_POLICY: HttpPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 30_000,
  maxRetryAfterMs: 120_000,
});

export function resolveHttpPolicy(partial?: Partial<HttpPolicy>): HttpPolicy {
  const p = { ...DEFAULT_HTTP_POLICY, ...stripUndefined(partial ?? {}) };
  return {
    maxAttempts: Math.max(1, Math.floor(p.maxAttempts)),
    baseDelayMs: Math.max(0, p.baseDelayMs),
    maxDelayMs: Math.max(0, p.maxDelayMs),
    timeoutMs: Math.max(1, p.timeoutMs),
    maxRetryAfterMs: Math.max(0, p.maxRetryAfterMs),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Full-jitter backoff for the retry after failed attempt `attempt` (1-based). */
export function backoffDelay(attempt: number, policy: Pick<HttpPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3) into milliseconds from now. `dateHeader` is the
 * response's `Date`, used as "now" for an HTTP-date. Returns undefined when absent or invalid.
 */
export function parseRetryAfter(value: string | null | undefined, dateHeader?: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date always names its month (IMF-fixdate, rfc850-date, asctime-date).
  if (!/[a-z]{3}/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  const serverNow = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  const reference = Number.isNaN(serverNow) ? nowMs : serverNow;
  return Math.max(0, at - reference);
}

export interface HttpClientOptions {
  /** Provider id for errors, e.g. `bamboohr`. */
  readonly provider: string;
  readonly policy?: Partial<HttpPolicy> | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onRetry?: ((info: RetryInfo) => void) | undefined;
  /** Headers sent with every request (e.g. Authorization). Kept in a closure only. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Response header carrying the provider's error message, e.g. `X-BambooHR-Error-Message`. */
  readonly errorMessageHeader?: string | undefined;
  /** What the credential is called in messages ("API key", "access token"). */
  readonly credentialLabel?: string | undefined;
  /** Secret strings to redact from anything that could reach an error or a log. */
  readonly secrets?: readonly string[] | undefined;
  /** Test seams. */
  readonly fetch?: typeof fetch | undefined;
  readonly random?: (() => number) | undefined;
  readonly sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /**
   * The connector's request gate: caps its requests in flight and makes every one of them wait
   * out a provider's `Retry-After` (see request-gate.ts). Without one, requests are not limited.
   */
  readonly gate?: RequestGate | undefined;
}

export interface HttpRequest {
  readonly url: string | URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string body; objects go through `json`. */
  readonly body?: string;
  /** Sent as JSON with `Content-Type: application/json`. */
  readonly json?: unknown;
  /**
   * Statuses handed back to the caller instead of being retried or thrown
   * (e.g. 404 for a single employee, 405/501 for an endpoint a connector can fall back from).
   */
  readonly acceptStatus?: readonly number[];
  /** Parse a 2xx body as this (`parsed` on the response); an unparseable one is retried, then `bad_data`. */
  readonly expect?: 'json' | 'json-or-xml';
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Final URL (after redirects), without userinfo. */
  readonly url: string;
  readonly text: string;
  /** The provider's error message, when it sent one (redacted). */
  readonly providerMessage: string | undefined;
  /** The parsed body of a 2xx answer, when the request said what to `expect`. */
  readonly parsed?: { readonly format: BodyFormat; readonly data: unknown };
}

export interface HttpClient {
  readonly provider: string;
  readonly policy: HttpPolicy;
  request(req: HttpRequest): Promise<HttpResponse>;
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Replaces every known secret (and its Basic-auth encodings) in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join('[redacted]');
  }
  return out;
}

function secretVariants(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    out.add(s);
    out.add(encodeURIComponent(s));
    out.add(Buffer.from(`${s}:x`).toString('base64'));
    out.add(Buffer.from(s).toString('base64'));
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

const MAX_PROVIDER_MESSAGE = 300;

/** The provider's own words: the error header, else a message in a JSON or short text body. */
function extractProviderMessage(headers: Headers, text: string, errorHeader: string | undefined): string | undefined {
  const fromHeader = errorHeader ? headers.get(errorHeader)?.trim() : undefined;
  if (fromHeader) return fromHeader.slice(0, MAX_PROVIDER_MESSAGE);
  const body = text.trim();
  if (body === '') return undefined;
  if (body.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (isRecord(parsed)) {
        const e = parsed['error'];
        const errors = Array.isArray(parsed['errors']) ? (parsed['errors'] as unknown[])[0] : undefined;
        const candidates = [isRecord(e) ? e['message'] : e, parsed['message'], isRecord(errors) ? errors['message'] : undefined, parsed['detail'], parsed['title']];
        const m = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '');
        if (m) return m.trim().slice(0, MAX_PROVIDER_MESSAGE);
      }
    } catch {
      /* not JSON after all */
    }
    return undefined;
  }
  if (!body.startsWith('<') && body.length <= MAX_PROVIDER_MESSAGE) return body;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CLOSED: 'connection closed unexpectedly',
};

/** "connection refused" etc. from a fetch TypeError's cause chain. */
export function describeNetworkError(err: unknown): string {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur; depth++) {
    if (isRecord(cur) || cur instanceof Error) {
      const code = (cur as { code?: unknown }).code;
      if (typeof code === 'string') {
        if (NETWORK_CODES[code]) return NETWORK_CODES[code];
        if (/CERT|SSL|TLS/i.test(code)) return 'TLS certificate problem';
      }
      const errors = (cur as { errors?: unknown }).errors;
      if (Array.isArray(errors) && errors.length > 0) {
        const inner = describeNetworkError(errors[0]);
        if (inner !== 'network error') return inner;
      }
      cur = (cur as { cause?: unknown }).cause;
    } else {
      break;
    }
  }
  return 'network error';
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.name === 'AbortError' && (err.cause as Error | undefined)?.name === 'TimeoutError'));
}

type AttemptOutcome =
  | { readonly kind: 'ok'; readonly response: HttpResponse }
  | { readonly kind: 'bad_body'; readonly response: HttpResponse; readonly error: ProviderError }
  | { readonly kind: 'status'; readonly response: HttpResponse; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'timeout'; readonly error: unknown }
  | { readonly kind: 'network'; readonly error: unknown };

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const policy = resolveHttpPolicy(options.policy);
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  const secrets = secretVariants(options.secrets ?? []);
  const defaultHeaders = { ...(options.headers ?? {}) };
  const callerSignal = options.signal;

  const clean = (s: string | undefined): string | undefined => (s === undefined ? undefined : redact(s, secrets));

  async function attempt(req: HttpRequest): Promise<AttemptOutcome> {
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const headers: Record<string, string> = { ...defaultHeaders, ...(req.headers ?? {}) };
    let body = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['Content-Type'] ??= 'application/json';
    }
    try {
      // The outbound-request policy (src/net): allowed hosts, checked addresses, same-origin redirects only.
      const res = await outboundPolicy().fetch(options.provider, req.url, { method: req.method ?? 'GET', headers, body: body ?? null, signal }, options.fetch);
      const text = await res.text();
      const response: HttpResponse = {
        status: res.status,
        headers: res.headers,
        url: safeUrl(res.url || String(req.url)) ?? '',
        text,
        providerMessage: res.ok ? undefined : clean(extractProviderMessage(res.headers, text, options.errorMessageHeader)),
      };
      if (res.ok && req.expect) {
        try {
          const parsed = req.expect === 'json' ? { format: 'json' as const, data: parseJsonBody(options.provider, response) } : parseJsonOrXml(options.provider, response);
          return { kind: 'ok', response: { ...response, parsed } };
        } catch (error) {
          return { kind: 'bad_body', response, error: error as ProviderError };
        }
      }
      if (res.ok || req.acceptStatus?.includes(res.status)) return { kind: 'ok', response };
      return {
        kind: 'status',
        response,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), res.headers.get('date')),
      };
    } catch (err) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      const refused = outboundRefusal(err);
      if (refused) throw new BadRequestError(refused.message, { provider: options.provider, url: safeUrl(req.url) });
      if (isTimeout(err) || timeout.aborted) return { kind: 'timeout', error: err };
      return { kind: 'network', error: err };
    }
  }

  function notifyRetry(info: RetryInfo): void {
    try {
      options.onRetry?.(info);
    } catch {
      /* a progress callback must never break a request */
    }
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const url = safeUrl(req.url);
    let last: AttemptOutcome | undefined;
    for (let n = 1; n <= policy.maxAttempts; n++) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      const outcome = options.gate ? await options.gate.run(() => attempt(req), callerSignal) : await attempt(req);
      if (outcome.kind === 'ok') return outcome.response;
      last = outcome;

      let reason: RetryInfo['reason'];
      let status: number | undefined;
      let throttled = false;
      let delay = backoffDelay(n, policy, random);
      if (outcome.kind === 'status') {
        status = outcome.response.status;
        if (!isRetryableStatus(status)) throw finalError(outcome, n);
        throttled = status === 429 || (status === 503 && outcome.retryAfterMs !== undefined);
        reason = throttled ? 'rate_limited' : 'provider_unavailable';
        if (outcome.retryAfterMs !== undefined) {
          if (outcome.retryAfterMs > policy.maxRetryAfterMs) throw finalError(outcome, n, true);
          delay = outcome.retryAfterMs;
        }
      } else if (outcome.kind === 'bad_body') {
        reason = 'bad_body';
      } else {
        reason = 'network';
      }
      if (n === policy.maxAttempts) break;
      notifyRetry({ attempt: n, delayMs: delay, reason, ...(status === undefined ? {} : { status }) });
      // Throttled: the wait is the gate's, so the connector's other requests wait it out too
      // (they would be refused as well); this one waits in the gate before its next attempt.
      if (throttled && options.gate) options.gate.pause(delay);
      else await sleep(delay, callerSignal);
    }
    if (!last || last.kind === 'ok') throw new Error('unreachable: request loop ended without an outcome');
    throw finalError(last, policy.maxAttempts);

    function finalError(outcome: Exclude<AttemptOutcome, { kind: 'ok' }>, attempts: number, retryAfterTooLong = false): ProviderError {
      if (outcome.kind === 'bad_body') {
        const detail = (outcome.error instanceof BadDataError ? outcome.error.detail : undefined) ?? 'an unreadable body';
        return badData(options.provider, outcome.response.url || url, attempts > 1 ? `${detail}, ${attempts} times` : detail, outcome.error);
      }
      if (outcome.kind === 'status') {
        return classifyHttpFailure({
          provider: options.provider,
          url: outcome.response.url || url,
          status: outcome.response.status,
          providerMessage: outcome.response.providerMessage,
          retryAfterMs: outcome.retryAfterMs,
          maxRetryAfterMs: retryAfterTooLong ? policy.maxRetryAfterMs : undefined,
          attempts,
          credentialLabel: options.credentialLabel,
        });
      }
      return classifyHttpFailure({
        provider: options.provider,
        url,
        transport: outcome.kind,
        networkDetail: outcome.kind === 'network' ? describeNetworkError(outcome.error) : undefined,
        timeoutMs: policy.timeoutMs,
        attempts,
        credentialLabel: options.credentialLabel,
        cause: sanitizeCause(outcome.error, clean),
      });
    }
  }

  return { provider: options.provider, policy, request };
}

/**
 * A credential-free copy of a transport error for `cause`: name, message, code and the same
 * for its causes. Undici's errors carry no request headers today; copying keeps it that way.
 */
function sanitizeCause(err: unknown, clean: (s: string | undefined) => string | undefined, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 4) return undefined;
  const copy = new Error(clean(err.message) ?? '', { cause: sanitizeCause(err.cause, clean, depth + 1) });
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Body helpers
// ---------------------------------------------------------------------------------------------

/** Parses a JSON body; a body that is not JSON is `bad_data` naming the URL. */
export function parseJsonBody(provider: string, res: Pick<HttpResponse, 'text' | 'url'> & { readonly parsed?: HttpResponse['parsed'] }): unknown {
  if (res.parsed?.format === 'json') return res.parsed.data;
  try {
    return JSON.parse(res.text) as unknown;
  } catch (err) {
    const detail = res.text.trim() === '' ? 'empty body' : `invalid JSON: ${(err as Error).message}`;
    throw badData(provider, res.url, detail, err);
  }
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Decodes numeric character references (&#233;) as well as the XML ones.
  htmlEntities: true,
});

/**
 * Parses an XML body into fast-xml-parser's object form: attributes as `@_name`, text as
 * `#text` (or the bare string for attribute-less leaves), all values strings. Repeated
 * elements become arrays, single ones do not: read them with `asArray`.
 */
export function parseXmlBody(provider: string, res: Pick<HttpResponse, 'text' | 'url'>): Record<string, unknown> {
  const text = res.text;
  if (text.trim() === '') throw badData(provider, res.url, 'empty body');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw badData(provider, res.url, `invalid XML: ${valid.err.msg} (line ${valid.err.line})`);
  try {
    const parsed: unknown = xmlParser.parse(text);
    if (!isRecord(parsed)) throw new Error('no root element');
    return parsed;
  } catch (err) {
    throw badData(provider, res.url, `invalid XML: ${(err as Error).message}`, err);
  }
}

export type BodyFormat = 'json' | 'xml';

/** The body's format, from Content-Type, else by sniffing its first character. */
export function bodyFormat(res: Pick<HttpResponse, 'text' | 'headers'>): BodyFormat | undefined {
  const type = res.headers.get('content-type')?.toLowerCase() ?? '';
  if (type.includes('json')) return 'json';
  if (type.includes('xml')) return 'xml';
  const first = res.text.trimStart()[0];
  if (first === '<') return 'xml';
  if (first === '{' || first === '[') return 'json';
  return undefined;
}

/** JSON or XML, whichever the provider answered. */
export function parseJsonOrXml(provider: string, res: HttpResponse): { format: BodyFormat; data: unknown } {
  if (res.parsed) return res.parsed;
  const format = bodyFormat(res);
  if (format === 'xml') return { format, data: parseXmlBody(provider, res) };
  if (format === 'json') return { format, data: parseJsonBody(provider, res) };
  throw badData(provider, res.url, res.text.trim() === '' ? 'empty body' : 'neither JSON nor XML');
}

/** `undefined` → [], one → [one], many → many. For XML elements that may repeat. */
export function asArray<T>(value: T | readonly T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** The text of an XML node as parsed: a bare string, or `#text` of an element with attributes. */
export function xmlText(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (isRecord(node)) {
    const t = node['#text'];
    if (typeof t === 'string' || typeof t === 'number') return String(t);
    return '';
  }
  return undefined;
}

export { isRecord };
