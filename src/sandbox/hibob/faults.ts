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

export interface HibobRateLimitFault {
  readonly count: number;
  /** `Retry-After` in seconds; omitted → no Retry-After header (HiBob does not promise one). */
  readonly retryAfter?: number | null;
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
}

export interface HibobFaultState {
  rateLimit: { count: number; retryAfter: number | null } | null;
  outage: { count: number; status: 500 | 502 | 503 | 504 } | null;
  malformed: { count: number } | null;
  slowMs: number;
  revokedKeys: string[];
}

export interface HibobRequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  /** ISO time the request arrived. */
  readonly at: string;
  readonly ms: number;
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

const MAX_LOG = 20_000;

export class HibobFaults {
  private state: HibobFaultState = HibobFaults.empty();
  private readonly log: HibobRequestLogEntry[] = [];

  static empty(): HibobFaultState {
    return { rateLimit: null, outage: null, malformed: null, slowMs: 0, revokedKeys: [] };
  }

  /** Arms faults; keys not given keep their setting. Throws HibobFaultError on bad input. */
  set(spec: HibobFaultSpec): void {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new HibobFaultError('faults must be an object');
    const known = new Set(['rateLimit', 'outage', 'malformed', 'slowMs', 'revokeKey']);
    const unknown = Object.keys(spec).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new HibobFaultError(`unknown fault(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
    const next: HibobFaultState = { ...this.state, revokedKeys: [...this.state.revokedKeys] };
    if (spec.rateLimit !== undefined) {
      if (spec.rateLimit === null) next.rateLimit = null;
      else {
        const r = obj(spec.rateLimit, 'rateLimit');
        const ra = r['retryAfter'];
        next.rateLimit = {
          count: count(r['count'], 'rateLimit.count'),
          retryAfter: ra === undefined || ra === null ? null : nonNegative(ra, 'rateLimit.retryAfter'),
        };
      }
    }
    if (spec.outage !== undefined) {
      if (spec.outage === null) next.outage = null;
      else {
        const o = obj(spec.outage, 'outage');
        const status = o['status'] ?? 503;
        if (status !== 500 && status !== 502 && status !== 503 && status !== 504) throw new HibobFaultError('outage.status must be 500, 502, 503 or 504');
        next.outage = { count: count(o['count'], 'outage.count'), status };
      }
    }
    if (spec.malformed !== undefined) {
      next.malformed = spec.malformed === null ? null : { count: count(obj(spec.malformed, 'malformed')['count'], 'malformed.count') };
    }
    if (spec.slowMs !== undefined) next.slowMs = spec.slowMs === null ? 0 : nonNegative(spec.slowMs, 'slowMs');
    if (spec.revokeKey !== undefined) {
      if (spec.revokeKey === null) next.revokedKeys = [];
      else {
        const keys = Array.isArray(spec.revokeKey) ? (spec.revokeKey as unknown[]) : [spec.revokeKey];
        for (const k of keys) {
          if (typeof k !== 'string' || k === '') throw new HibobFaultError('revokeKey must be a service user id (or a list of them)');
          if (!next.revokedKeys.includes(k)) next.revokedKeys.push(k);
        }
      }
    }
    this.state = next;
  }

  /** Disarms every fault and un-revokes every service user (the request log is kept). */
  clear(): void {
    this.state = HibobFaults.empty();
  }

  get active(): HibobFaultState {
    return structuredClone(this.state);
  }

  get requests(): readonly HibobRequestLogEntry[] {
    return this.log;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  get slowMs(): number {
    return this.state.slowMs;
  }

  isRevoked(serviceUserId: string): boolean {
    return this.state.revokedKeys.includes(serviceUserId);
  }

  record(entry: HibobRequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  /** The next armed gateway fault, consumed. */
  take(now: number = Date.now()): FiredHibobFault | null {
    const rl = this.state.rateLimit;
    if (rl && rl.count > 0) {
      rl.count--;
      if (rl.count === 0) this.state.rateLimit = null;
      const resetSeconds = rl.retryAfter ?? 60;
      const headers: Record<string, string> = {
        'X-RateLimit-Limit': '50',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil(now / 1000 + resetSeconds)),
      };
      if (rl.retryAfter !== null) headers['Retry-After'] = String(Math.ceil(rl.retryAfter));
      return { kind: 'rateLimit', status: 429, message: 'Too Many Requests', headers };
    }
    const out = this.state.outage;
    if (out && out.count > 0) {
      out.count--;
      if (out.count === 0) this.state.outage = null;
      return { kind: 'outage', status: out.status, message: `Simulated outage (${out.status})`, headers: {} };
    }
    const bad = this.state.malformed;
    if (bad && bad.count > 0) {
      bad.count--;
      if (bad.count === 0) this.state.malformed = null;
      return { kind: 'malformed', status: 200, message: '', headers: {} };
    }
    return null;
  }
}

function obj(v: unknown, name: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HibobFaultError(`${name} must be an object`);
  return v as Record<string, unknown>;
}

function count(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new HibobFaultError(`${name} must be a whole number ≥ 0`);
  return v;
}

function nonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HibobFaultError(`${name} must be a number ≥ 0`);
  return v;
}
