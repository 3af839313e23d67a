/**
 * Provider failures, in the style of oauth4webapi's error classes: one base class with a
 * stable, machine-readable `code`, the HTTP `status` when there was one, the provider's own
 * words (`providerMessage`, for BambooHR the `X-BambooHR-Error-Message` header) and the
 * underlying `cause`. The `message` is one sentence an HR admin understands, saying what
 * happened and what to do about it.
 *
 * Nothing here ever holds credentials: the HTTP layer redacts known secrets from provider
 * messages, and no request (or its headers) is ever attached to an error.
 */
import { providerName } from '../providers/descriptors.ts';

export type ProviderErrorCode =
  | 'auth_failed'
  | 'missing_permission'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'bad_data'
  | 'not_found'
  | 'bad_request';

export interface ProviderErrorOptions {
  /** Provider id, e.g. `bamboohr`. */
  readonly provider: string;
  readonly status?: number | undefined;
  readonly providerMessage?: string | undefined;
  /** The request URL (never with userinfo; our providers carry no secrets in URLs). */
  readonly url?: string | undefined;
  /** How long the provider asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs?: number | undefined;
  /** Attempts made before giving up. */
  readonly attempts?: number | undefined;
  readonly cause?: unknown;
}

/** The provider's display name for messages (`bamboohr` → `BambooHR`), from its descriptor. */
export const providerDisplayName = providerName;

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly provider: string;
  readonly status: number | undefined;
  /** True when a later attempt may succeed without anyone changing anything. */
  readonly retryable: boolean;
  readonly providerMessage: string | undefined;
  readonly url: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number | undefined;

  constructor(code: ProviderErrorCode, message: string, retryable: boolean, options: ProviderErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.provider = options.provider;
    this.status = options.status;
    this.retryable = retryable;
    this.providerMessage = options.providerMessage;
    this.url = options.url;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
    Error.captureStackTrace?.(this, new.target);
  }

  /** A plain, credential-free shape for run records and API errors. */
  toJSON(): { code: ProviderErrorCode; message: string; provider: string; status?: number; providerMessage?: string } {
    return {
      code: this.code,
      message: this.message,
      provider: this.provider,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.providerMessage === undefined ? {} : { providerMessage: this.providerMessage }),
    };
  }
}

/** 401: credentials wrong, expired or revoked. The admin must reconnect. */
export class AuthFailedError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions) {
    super('auth_failed', message, false, options);
  }
}

/**
 * 403: the credentials are good but lack a permission (a scope, a category, an admin role). The
 * admin grants it in the provider; reconnecting with the same credentials would not help.
 */
export class MissingPermissionError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions) {
    super('missing_permission', message, false, options);
  }
}

/** 429 (or 503 with Retry-After) still failing after retries, or asked to wait beyond the cap. */
export class RateLimitedError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions) {
    super('rate_limited', message, true, options);
  }
}

/** 5xx, timeouts, connection refused/reset, DNS failures. */
export class ProviderUnavailableError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions) {
    super('provider_unavailable', message, true, options);
  }
}

/** An unparseable or contract-violating body. */
export class BadDataError extends ProviderError {
  constructor(
    message: string,
    options: ProviderErrorOptions,
    /** What was wrong with the body, in a few words ("invalid JSON: …"). */
    readonly detail?: string,
  ) {
    super('bad_data', message, false, options);
  }
}

/** 404: wrong company domain, wrong endpoint, or the thing is gone. */
export class NotFoundError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions) {
    super('not_found', message, false, options);
  }
}

/** Any other 4xx. */
export class BadRequestError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions) {
    super('bad_request', message, false, options);
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError;
}

export type TransportFailureKind = 'timeout' | 'network';

export interface HttpFailure {
  readonly provider: string;
  readonly url?: string | URL | undefined;
  /** The HTTP status; absent when no response arrived (timeout, network). */
  readonly status?: number | undefined;
  readonly providerMessage?: string | undefined;
  /** For transport failures: what went wrong. */
  readonly transport?: TransportFailureKind | undefined;
  /** A short description of a network failure, e.g. "connection refused". */
  readonly networkDetail?: string | undefined;
  /** The provider's Retry-After, in ms, when it sent one. */
  readonly retryAfterMs?: number | undefined;
  /** Set when the Retry-After exceeded the policy's cap (we refused to wait that long). */
  readonly maxRetryAfterMs?: number | undefined;
  readonly attempts?: number | undefined;
  readonly timeoutMs?: number | undefined;
  /** What the credential is called in messages: "API key", "access token". */
  readonly credentialLabel?: string | undefined;
  /** What the credential needs for a 403, in the provider's words ("read access to People"). */
  readonly permissionHint?: string | undefined;
  readonly cause?: unknown;
}

/** Removes userinfo from a URL so it can appear in messages. */
export function safeUrl(url: string | URL | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return undefined;
  }
}

function urlPath(url: string | undefined): string {
  if (url === undefined) return 'the request';
  try {
    return new URL(url).pathname;
  } catch {
    return 'the request';
  }
}

function said(providerMessage: string | undefined): string {
  const m = providerMessage?.trim().replace(/[.\s]+$/u, '');
  return m ? `: ${m}` : '';
}

function afterAttempts(attempts: number | undefined): string {
  return attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number(s.toFixed(s < 10 ? 2 : 0))} s`;
}

/**
 * Turns a final HTTP or transport failure into the fitting ProviderError. Used by the HTTP
 * layer once retries are exhausted (or not allowed), and by connectors for statuses they
 * accepted and then decided are failures.
 */
export function classifyHttpFailure(f: HttpFailure): ProviderError {
  const name = providerDisplayName(f.provider);
  const url = safeUrl(f.url);
  const base: ProviderErrorOptions = {
    provider: f.provider,
    status: f.status,
    providerMessage: f.providerMessage,
    url,
    retryAfterMs: f.retryAfterMs,
    attempts: f.attempts,
    cause: f.cause,
  };
  const status = f.status;
  const credential = f.credentialLabel ?? 'credentials';
  const tail = afterAttempts(f.attempts);

  if (status === undefined) {
    if (f.transport === 'timeout') {
      const within = f.timeoutMs !== undefined ? ` within ${seconds(f.timeoutMs)}` : '';
      return new ProviderUnavailableError(
        `${name} did not answer${within}${tail}, so the sync stopped and will try again on its next run.`,
        base,
      );
    }
    const detail = f.networkDetail ? ` (${f.networkDetail})` : '';
    return new ProviderUnavailableError(
      `${name} could not be reached${detail}${tail}; check the integration's address and your network, the sync will try again on its next run.`,
      base,
    );
  }

  if (status === 401) {
    return new AuthFailedError(
      `${name} refused the ${credential} (401)${said(f.providerMessage)}. Reconnect the integration with a valid ${credential}.`,
      base,
    );
  }
  if (status === 403) {
    const grant = f.permissionHint ?? 'read employee data';
    return new MissingPermissionError(
      `${name} denied access with this ${credential} (403)${said(f.providerMessage)}: it lacks a permission. In ${name}, allow it to ${grant}; nothing was changed, and the next sync tries again.`,
      base,
    );
  }
  const rateLimited = status === 429 || (status === 503 && f.retryAfterMs !== undefined);
  if (rateLimited) {
    if (f.maxRetryAfterMs !== undefined && f.retryAfterMs !== undefined && f.retryAfterMs > f.maxRetryAfterMs) {
      return new RateLimitedError(
        `${name} is rate-limiting requests (${status}) and asked to wait ${seconds(f.retryAfterMs)}, longer than the ${seconds(f.maxRetryAfterMs)} the sync waits${said(f.providerMessage)}. The sync will try again on its next run.`,
        base,
      );
    }
    return new RateLimitedError(
      `${name} kept rate-limiting requests (${status})${tail}${said(f.providerMessage)}. The sync will try again on its next run.`,
      base,
    );
  }
  if (status === 404) {
    return new NotFoundError(
      `${name} answered "not found" (404) for ${urlPath(url)}${said(f.providerMessage)}. Check the address in the integration settings.`,
      base,
    );
  }
  if (status === 408 || status >= 500) {
    return new ProviderUnavailableError(
      `${name} is unavailable (${status})${tail}${said(f.providerMessage)}. The sync will try again on its next run; check ${name}'s status page if this persists.`,
      base,
    );
  }
  if (status >= 400) {
    return new BadRequestError(
      `${name} rejected the request (${status})${said(f.providerMessage)}. Check the integration settings or contact support.`,
      base,
    );
  }
  return new BadDataError(
    `${name} answered with an unexpected status (${status}) for ${urlPath(url)}${said(f.providerMessage)}. Contact support if this persists.`,
    base,
  );
}

/** A `bad_data` error naming the URL whose body could not be used. */
export function badData(provider: string, url: string | URL | undefined, detail: string, cause?: unknown): BadDataError {
  const name = providerDisplayName(provider);
  const where = safeUrl(url);
  return new BadDataError(
    `${name} sent data the sync could not read${where ? ` from ${where}` : ''} (${detail}); nothing was changed, and the sync will try again on its next run.`,
    { provider, url: where, cause },
    detail,
  );
}

/**
 * The provider no longer knows an incremental cursor (Microsoft Graph's `410 Gone` with
 * `syncStateNotFound` for an expired delta token; a stored cursor that is not the provider's). Not
 * a failure: the run reads everyone instead (a full run), which yields a fresh cursor, and the next
 * run is incremental again.
 */
export class CursorExpiredError extends Error {
  override name = 'CursorExpiredError';
  constructor(
    message: string,
    readonly provider: string,
  ) {
    super(message);
  }
}
