/**
 * Fault knobs for the BambooHR sandbox, and the request log tests assert against.
 *
 * Counted faults are consumed as they fire. `slowMs`, `shortPages` and revoked keys stay until
 * cleared. The gateway-level faults (rate limit, outage) hit every `/api` request, before auth.
 */
import { FaultChecks, optional, SandboxFaults, type FiredFault } from '../../../sandbox/shared/faults.ts';

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
  /** Every API request is answered 403 (the key's user lacks a permission), until cleared. */
  readonly forbidden?: boolean | null;
  /** The first dataset page (and employee list page) holds one extra row that has no employee id. */
  readonly malformedRecord?: boolean | null;
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
  forbidden: boolean;
  malformedRecord: boolean;
}

export type { RequestLogEntry } from '../../../sandbox/shared/faults.ts';

export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

export type { FiredFault } from '../../../sandbox/shared/faults.ts';

export class BambooFaults extends SandboxFaults<BambooFaultState, BambooFaultSpec> {
  constructor() {
    super(BambooFaults.empty, new FaultChecks((message) => new FaultError(message)), ['rateLimit', 'outage', 'failPage', 'slowMs', 'revokeKey', 'shortPages', 'forbidden', 'malformedRecord'], 'revokeKey must be a non-empty string (or a list of them)');
  }

  private static empty(): BambooFaultState {
    return { rateLimit: null, outage: null, failPage: [], slowMs: 0, revokedKeys: [], shortPages: false, forbidden: false, malformedRecord: false };
  }

  protected override copy(state: BambooFaultState): BambooFaultState {
    return { ...state, failPage: [...state.failPage], revokedKeys: [...state.revokedKeys] };
  }

  protected override apply(spec: BambooFaultSpec, next: BambooFaultState): void {
    const check = this.check;
    if (spec.rateLimit !== undefined) {
      if (spec.rateLimit === null) next.rateLimit = null;
      else {
        const r = check.obj(spec.rateLimit, 'rateLimit');
        const status = optional(r['status'], 429);
        if (status !== 429 && status !== 503) throw new FaultError('rateLimit.status must be 429 or 503');
        next.rateLimit = {
          count: check.count(r['count'], 'rateLimit.count'),
          retryAfter: check.nonNegative(optional(r['retryAfter'], 1), 'rateLimit.retryAfter'),
          status,
          retryAfterDate: check.bool(optional(r['retryAfterDate'], false), 'rateLimit.retryAfterDate'),
        };
      }
    }
    this.parseOutage(spec.outage, next);
    if (spec.failPage !== undefined) {
      next.failPage = [];
      if (spec.failPage !== null) {
        const list = Array.isArray(spec.failPage) ? (spec.failPage as unknown[]) : [spec.failPage];
        for (const item of list) {
          const f = check.obj(item, 'failPage');
          const page = check.count(f['page'], 'failPage.page');
          if (page < 1) throw new FaultError('failPage.page must be 1 or more');
          const status = optional(f['status'], 500);
          if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
            throw new FaultError('failPage.status must be an HTTP error status (400–599)');
          }
          const times = check.count(optional(f['times'], 1), 'failPage.times');
          next.failPage.push({ page, status, times, malformed: check.bool(optional(f['malformed'], false), 'failPage.malformed') });
        }
      }
    }
    this.parseSlowAndRevoked(spec, next);
    if (spec.shortPages !== undefined) next.shortPages = spec.shortPages === null ? false : check.bool(spec.shortPages, 'shortPages');
    this.parseFlags(spec, next);
  }

  get shortPages(): boolean {
    return this.state.shortPages;
  }


  /** Rate limit first, then outage; each fired request consumes one. */
  takeGatewayFault(now: number = Date.now()): FiredFault | null {
    const rl = this.consume('rateLimit');
    if (rl) {
      const retryAfter = rl.retryAfterDate ? new Date(now + rl.retryAfter * 1000).toUTCString() : String(Math.ceil(rl.retryAfter));
      return {
        status: rl.status,
        message: rl.status === 429 ? 'Rate limit exceeded. Please retry later.' : 'Service temporarily unavailable (throttled). Please retry later.',
        headers: { 'Retry-After': retryAfter },
      };
    }
    return this.takeOutage();
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
