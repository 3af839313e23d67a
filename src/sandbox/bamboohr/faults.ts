/**
 * Fault knobs for the BambooHR sandbox, and the request log tests assert against.
 *
 * Counted faults are consumed as they fire. `slowMs`, `shortPages` and revoked keys stay until
 * cleared. The gateway-level faults (rate limit, outage) hit every `/api` request, before auth.
 */

export interface RateLimitFault {
  /** How many of the next API requests are throttled. */
  readonly count: number;
  /** `Retry-After` in seconds (default 1). */
  readonly retryAfter?: number;
  /** 429 (BambooHR since 2026-09-16) or 503 (before). Default 429. */
  readonly status?: 429 | 503;
  /** Send `Retry-After` as an HTTP-date instead of seconds. */
  readonly retryAfterDate?: boolean;
}

export interface OutageFault {
  readonly count: number;
  /** Default 503. */
  readonly status?: 500 | 502 | 503 | 504;
}

export interface FailPageFault {
  /** 1-based dataset page that fails. */
  readonly page: number;
  /** Default 500. */
  readonly status?: number;
  /** How many times it fails before succeeding (default 1). */
  readonly times?: number;
  /** Answer 200 with a truncated JSON body instead of an error status. */
  readonly malformed?: boolean;
}

export interface BambooFaultSpec {
  readonly rateLimit?: RateLimitFault | null;
  readonly outage?: OutageFault | null;
  readonly failPage?: FailPageFault | readonly FailPageFault[] | null;
  /** Delay every API response by this many milliseconds (0 or null to stop). */
  readonly slowMs?: number | null;
  /** Refuse this key (or keys) with 401 from now on, until cleared. */
  readonly revokeKey?: string | readonly string[] | null;
  /** Dataset pages hold fewer rows than page_size (70–100 %), pagination still leads on. */
  readonly shortPages?: boolean | null;
}

/** What is armed right now (remaining counts). */
type Armed<T> = { -readonly [K in keyof T]-?: Exclude<T[K], undefined> };

export interface BambooFaultState {
  rateLimit: Armed<RateLimitFault> | null;
  outage: Armed<OutageFault> | null;
  failPage: Armed<FailPageFault>[];
  slowMs: number;
  revokedKeys: string[];
  shortPages: boolean;
}

export interface RequestLogEntry {
  readonly method: string;
  /** Path without the query string, e.g. `/api/v1/datasets/employee`. */
  readonly path: string;
  /** The raw query string including `?`, or `''`. */
  readonly query: string;
  readonly status: number;
  /** ISO 8601 time the request arrived. */
  readonly at: string;
  /** Time to answer, in milliseconds (including any slowMs delay). */
  readonly ms: number;
}

export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

/** A fault that answers instead of the route. */
export interface FiredFault {
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
}

const MAX_LOG = 20_000;

export class BambooFaults {
  private state: BambooFaultState = BambooFaults.empty();
  private readonly log: RequestLogEntry[] = [];

  private static empty(): BambooFaultState {
    return { rateLimit: null, outage: null, failPage: [], slowMs: 0, revokedKeys: [], shortPages: false };
  }

  /** Arms faults; keys not mentioned keep their current setting. Throws FaultError on bad input. */
  set(spec: BambooFaultSpec): void {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new FaultError('faults must be an object');
    const known = new Set(['rateLimit', 'outage', 'failPage', 'slowMs', 'revokeKey', 'shortPages']);
    const unknown = Object.keys(spec).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new FaultError(`unknown fault(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
    const next: BambooFaultState = { ...this.state, failPage: [...this.state.failPage], revokedKeys: [...this.state.revokedKeys] };

    if (spec.rateLimit !== undefined) {
      if (spec.rateLimit === null) next.rateLimit = null;
      else {
        const r = obj(spec.rateLimit, 'rateLimit');
        const status = optional(r['status'], 429);
        if (status !== 429 && status !== 503) throw new FaultError('rateLimit.status must be 429 or 503');
        next.rateLimit = {
          count: count(r['count'], 'rateLimit.count'),
          retryAfter: nonNegative(optional(r['retryAfter'], 1), 'rateLimit.retryAfter'),
          status,
          retryAfterDate: bool(optional(r['retryAfterDate'], false), 'rateLimit.retryAfterDate'),
        };
      }
    }
    if (spec.outage !== undefined) {
      if (spec.outage === null) next.outage = null;
      else {
        const o = obj(spec.outage, 'outage');
        const status = optional(o['status'], 503);
        if (status !== 500 && status !== 502 && status !== 503 && status !== 504) throw new FaultError('outage.status must be 500, 502, 503 or 504');
        next.outage = { count: count(o['count'], 'outage.count'), status };
      }
    }
    if (spec.failPage !== undefined) {
      next.failPage = [];
      if (spec.failPage !== null) {
        const list = Array.isArray(spec.failPage) ? (spec.failPage as unknown[]) : [spec.failPage];
        for (const item of list) {
          const f = obj(item, 'failPage');
          const page = count(f['page'], 'failPage.page');
          if (page < 1) throw new FaultError('failPage.page must be 1 or more');
          const status = optional(f['status'], 500);
          if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
            throw new FaultError('failPage.status must be an HTTP error status (400–599)');
          }
          const times = count(optional(f['times'], 1), 'failPage.times');
          next.failPage.push({ page, status, times, malformed: bool(optional(f['malformed'], false), 'failPage.malformed') });
        }
      }
    }
    if (spec.slowMs !== undefined) next.slowMs = spec.slowMs === null ? 0 : nonNegative(spec.slowMs, 'slowMs');
    if (spec.revokeKey !== undefined) {
      if (spec.revokeKey === null) next.revokedKeys = [];
      else {
        const keys = Array.isArray(spec.revokeKey) ? (spec.revokeKey as unknown[]) : [spec.revokeKey];
        for (const k of keys) {
          if (typeof k !== 'string' || k === '') throw new FaultError('revokeKey must be a non-empty string (or a list of them)');
          if (!next.revokedKeys.includes(k)) next.revokedKeys.push(k);
        }
      }
    }
    if (spec.shortPages !== undefined) next.shortPages = spec.shortPages === null ? false : bool(spec.shortPages, 'shortPages');
    this.state = next;
  }

  /** Disarms every fault and un-revokes every key (the request log is kept; see clearRequests). */
  clear(): void {
    this.state = BambooFaults.empty();
  }

  /** A snapshot of what is armed. */
  get active(): BambooFaultState {
    return structuredClone(this.state);
  }

  /** Every API request so far (oldest first; the last 20,000 are kept). */
  get requests(): readonly RequestLogEntry[] {
    return this.log;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  // ─────────────── used by the server ───────────────

  get slowMs(): number {
    return this.state.slowMs;
  }

  get shortPages(): boolean {
    return this.state.shortPages;
  }

  isRevoked(key: string): boolean {
    return this.state.revokedKeys.includes(key);
  }

  record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  /** Rate limit first, then outage; each fired request consumes one. */
  takeGatewayFault(now: number = Date.now()): FiredFault | null {
    const rl = this.state.rateLimit;
    if (rl && rl.count > 0) {
      rl.count--;
      if (rl.count === 0) this.state.rateLimit = null;
      const retryAfter = rl.retryAfterDate ? new Date(now + rl.retryAfter * 1000).toUTCString() : String(Math.ceil(rl.retryAfter));
      return {
        status: rl.status,
        message: rl.status === 429 ? 'Rate limit exceeded. Please retry later.' : 'Service temporarily unavailable (throttled). Please retry later.',
        headers: { 'Retry-After': retryAfter },
      };
    }
    const out = this.state.outage;
    if (out && out.count > 0) {
      out.count--;
      if (out.count === 0) this.state.outage = null;
      return { status: out.status, message: `Simulated outage (${out.status})`, headers: {} };
    }
    return null;
  }

  /** A failure armed for this dataset page, consumed as it fires. */
  takeFailPage(page: number): { status: number; malformed: boolean } | null {
    const idx = this.state.failPage.findIndex((f) => f.page === page && f.times > 0);
    if (idx < 0) return null;
    const f = this.state.failPage[idx] as Armed<FailPageFault>;
    f.times--;
    if (f.times === 0) this.state.failPage.splice(idx, 1);
    return { status: f.malformed ? 200 : f.status, malformed: f.malformed };
  }
}

function obj(v: unknown, name: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FaultError(`${name} must be an object`);
  return v as Record<string, unknown>;
}

function optional<T>(v: unknown, fallback: T): T | unknown {
  return v === undefined || v === null ? fallback : v;
}

function count(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FaultError(`${name} must be a whole number ≥ 0`);
  return v;
}

function nonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FaultError(`${name} must be a number ≥ 0`);
  return v;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new FaultError(`${name} must be true or false`);
  return v;
}
