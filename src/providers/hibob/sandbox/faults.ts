/**
 * Fault knobs for the HiBob sandbox and the request log tests assert against.
 *
 * Counted faults are consumed as they fire; `slowMs` and revoked service users stay until cleared.
 * Gateway faults (rate limit, outage, malformed body) hit every `/v1` request, before auth, in
 * that order: rate limit, outage, malformed.
 *
 * HiBob answers excess with 429 (e.g. 50 requests a minute on `/v1/people/search`) and publishes
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; `Retry-After` is sent only
 * when `retryAfter` is set, so clients are tested both with and without it.
 */
import { FaultChecks, optional, SandboxFaults, type RequestLogEntry } from '../../../sandbox/shared/faults.ts';

export interface HibobRateLimitFault {
  readonly count: number;
  /** `Retry-After` in seconds; omitted → no Retry-After header (HiBob does not promise one). */
  readonly retryAfter?: number | null;
  /** Send `Retry-After` as an HTTP-date instead of seconds. */
  readonly retryAfterDate?: boolean;
}

export interface HibobOutageFault {
  readonly count: number;
  /** Default 503. */
  readonly status?: 500 | 502 | 503 | 504;
}

export interface HibobMalformedFault {
  /** How many responses are answered 200 with a truncated JSON body. */
  readonly count: number;
}

export interface HibobFaultSpec {
  readonly rateLimit?: HibobRateLimitFault | null;
  readonly outage?: HibobOutageFault | null;
  readonly malformed?: HibobMalformedFault | null;
  readonly slowMs?: number | null;
  /** Service user id(s) whose token is revoked (→ 401). `null` un-revokes all. */
  readonly revokeKey?: string | readonly string[] | null;
  /** Every API request is answered 403 (the service user lacks the People permission), until cleared. */
  readonly forbidden?: boolean | null;
  /** The people search answers one extra employee object that has no id. */
  readonly malformedRecord?: boolean | null;
}

export interface HibobFaultState {
  rateLimit: { count: number; retryAfter: number | null; retryAfterDate: boolean } | null;
  outage: { count: number; status: 500 | 502 | 503 | 504 } | null;
  malformed: { count: number } | null;
  slowMs: number;
  revokedKeys: string[];
  forbidden: boolean;
  malformedRecord: boolean;
}

export interface HibobRequestLogEntry extends RequestLogEntry {
  /** For `/v1/people/search`: the request body's options (never credentials). */
  readonly search?: { fields: number; showInactive: boolean; humanReadable: string | null; filtered: boolean; employees: number };
}

export class HibobFaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HibobFaultError';
  }
}

export interface FiredHibobFault {
  readonly kind: 'rateLimit' | 'outage' | 'malformed';
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
}

export class HibobFaults extends SandboxFaults<HibobFaultState, HibobFaultSpec, HibobRequestLogEntry> {
  constructor() {
    super(HibobFaults.empty, new FaultChecks((message) => new HibobFaultError(message)), ['rateLimit', 'outage', 'malformed', 'slowMs', 'revokeKey', 'forbidden', 'malformedRecord'], 'revokeKey must be a service user id (or a list of them)');
  }

  static empty(): HibobFaultState {
    return { rateLimit: null, outage: null, malformed: null, slowMs: 0, revokedKeys: [], forbidden: false, malformedRecord: false };
  }

  protected override copy(state: HibobFaultState): HibobFaultState {
    return { ...state, revokedKeys: [...state.revokedKeys] };
  }

  protected override apply(spec: HibobFaultSpec, next: HibobFaultState): void {
    const check = this.check;
    if (spec.rateLimit !== undefined) {
      if (spec.rateLimit === null) next.rateLimit = null;
      else {
        const r = check.obj(spec.rateLimit, 'rateLimit');
        const ra = r['retryAfter'];
        next.rateLimit = {
          count: check.count(r['count'], 'rateLimit.count'),
          retryAfter: ra === undefined || ra === null ? null : check.nonNegative(ra, 'rateLimit.retryAfter'),
          retryAfterDate: check.bool(optional(r['retryAfterDate'], false), 'rateLimit.retryAfterDate'),
        };
      }
    }
    this.parseOutage(spec.outage, next);
    if (spec.malformed !== undefined) {
      next.malformed = spec.malformed === null ? null : { count: check.count(check.obj(spec.malformed, 'malformed')['count'], 'malformed.count') };
    }
    this.parseSlowAndRevoked(spec, next);
    this.parseFlags(spec, next);
  }


  /** The next armed gateway fault, consumed. */
  take(now: number = Date.now()): FiredHibobFault | null {
    const rl = this.consume('rateLimit');
    if (rl) {
      const resetSeconds = rl.retryAfter ?? 60;
      const headers: Record<string, string> = {
        'X-RateLimit-Limit': '50',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil(now / 1000 + resetSeconds)),
      };
      if (rl.retryAfter !== null) headers['Retry-After'] = rl.retryAfterDate ? new Date(now + rl.retryAfter * 1000).toUTCString() : String(Math.ceil(rl.retryAfter));
      return { kind: 'rateLimit', status: 429, message: 'Too Many Requests', headers };
    }
    const out = this.takeOutage();
    if (out) return { kind: 'outage', ...out };
    if (this.consume('malformed')) return { kind: 'malformed', status: 200, message: '', headers: {} };
    return null;
  }
}
