/**
 * The fault state machine and request log both provider sandboxes share: spec checking, the
 * outage / slow-answer / revoked-key knobs, counted faults consumed as they fire, and the log of
 * API requests tests assert against. Provider-specific knobs live in each sandbox's `faults.ts`.
 */

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
  /** Items a collection answer held (its `value` list), where the sandbox notes it (Entra's Graph). */
  readonly items?: number;
}

export type OutageStatus = 500 | 502 | 503 | 504;

/** The knobs every sandbox has; providers add their own. */
export interface BaseFaultState {
  outage: { count: number; status: OutageStatus } | null;
  slowMs: number;
  revokedKeys: string[];
  /** Every API request is refused with 403 (the credential lacks a permission), until cleared. */
  forbidden: boolean;
  /** The people listing holds one extra record without an id, until cleared. */
  malformedRecord: boolean;
}

/** The keys of the spec both sandboxes understand. */
export interface BaseFaultSpec {
  readonly outage?: unknown;
  readonly slowMs?: number | null;
  readonly revokeKey?: string | readonly string[] | null;
  readonly forbidden?: boolean | null;
  readonly malformedRecord?: boolean | null;
}

/** Makes the provider's own error class (so callers can keep testing `instanceof`). */
export type FaultErrorFactory = (message: string) => Error;

/** Spec value checks that throw the provider's fault error. */
export class FaultChecks {
  constructor(readonly error: FaultErrorFactory) {}

  obj(v: unknown, name: string): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw this.error(`${name} must be an object`);
    return v as Record<string, unknown>;
  }

  count(v: unknown, name: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw this.error(`${name} must be a whole number ≥ 0`);
    return v;
  }

  nonNegative(v: unknown, name: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw this.error(`${name} must be a number ≥ 0`);
    return v;
  }

  bool(v: unknown, name: string): boolean {
    if (typeof v !== 'boolean') throw this.error(`${name} must be true or false`);
    return v;
  }
}

/** `undefined` and `null` fall back to the default. */
export function optional<T>(v: unknown, fallback: T): T | unknown {
  return v === undefined || v === null ? fallback : v;
}

/** A fault that answers instead of the route. */
export interface FiredFault {
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
}

const MAX_LOG = 20_000;

/** Counted faults in a state: the keys whose value is `{count} | null`. */
type CountedKey<S> = { [K in keyof S]: S[K] extends { count: number } | null ? K : never }[keyof S];

export abstract class SandboxFaults<S extends BaseFaultState, Spec extends BaseFaultSpec, E extends RequestLogEntry = RequestLogEntry> {
  protected state: S;
  private readonly log: E[] = [];

  protected constructor(
    private readonly initial: () => S,
    protected readonly check: FaultChecks,
    private readonly known: readonly string[],
    /** The message when `revokeKey` is not a non-empty string or a list of them. */
    private readonly revokeKeyMessage: string,
  ) {
    this.state = initial();
  }

  /** Arms faults; keys not mentioned keep their current setting. Throws the provider's fault error on bad input. */
  set(spec: Spec): void {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw this.check.error('faults must be an object');
    const known = new Set(this.known);
    const unknown = Object.keys(spec).filter((k) => !known.has(k));
    if (unknown.length > 0) throw this.check.error(`unknown fault(s): ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
    const next = this.copy(this.state);
    this.apply(spec, next);
    this.state = next;
  }

  /** A copy of the state `set` may change (arrays copied, not shared). */
  protected abstract copy(state: S): S;

  /** Reads the spec into `next`, in the provider's order (use the parse helpers below for shared knobs). */
  protected abstract apply(spec: Spec, next: S): void;

  protected parseOutage(v: unknown, next: S): void {
    if (v === undefined) return;
    if (v === null) {
      next.outage = null;
      return;
    }
    const o = this.check.obj(v, 'outage');
    const status = optional(o['status'], 503);
    if (status !== 500 && status !== 502 && status !== 503 && status !== 504) throw this.check.error('outage.status must be 500, 502, 503 or 504');
    next.outage = { count: this.check.count(o['count'], 'outage.count'), status };
  }

  /** `slowMs` then `revokeKey`. */
  protected parseSlowAndRevoked(spec: Spec, next: S): void {
    if (spec.slowMs !== undefined) next.slowMs = spec.slowMs === null ? 0 : this.check.nonNegative(spec.slowMs, 'slowMs');
    if (spec.revokeKey === undefined) return;
    if (spec.revokeKey === null) {
      next.revokedKeys = [];
      return;
    }
    const keys = Array.isArray(spec.revokeKey) ? (spec.revokeKey as unknown[]) : [spec.revokeKey];
    for (const k of keys) {
      if (typeof k !== 'string' || k === '') throw this.check.error(this.revokeKeyMessage);
      if (!next.revokedKeys.includes(k)) next.revokedKeys.push(k);
    }
  }

  /** `forbidden` and `malformedRecord`: on until cleared. */
  protected parseFlags(spec: Spec, next: S): void {
    if (spec.forbidden !== undefined) next.forbidden = spec.forbidden === null ? false : this.check.bool(spec.forbidden, 'forbidden');
    if (spec.malformedRecord !== undefined) next.malformedRecord = spec.malformedRecord === null ? false : this.check.bool(spec.malformedRecord, 'malformedRecord');
  }

  get forbidden(): boolean {
    return this.state.forbidden;
  }

  get malformedRecord(): boolean {
    return this.state.malformedRecord;
  }

  /** Disarms every fault and un-revokes every key (the request log is kept; see clearRequests). */
  clear(): void {
    this.state = this.initial();
  }

  /** A snapshot of what is armed. */
  get active(): S {
    return structuredClone(this.state);
  }

  /** Every API request so far (oldest first; the last 20,000 are kept). */
  get requests(): readonly E[] {
    return this.log;
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  // ─────────────── used by the server ───────────────

  get slowMs(): number {
    return this.state.slowMs;
  }

  isRevoked(key: string): boolean {
    return this.state.revokedKeys.includes(key);
  }

  record(entry: E): void {
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  /** Consumes one firing of a counted fault (disarmed when it reaches 0); null when none is armed. */
  protected consume<K extends CountedKey<S>>(key: K): NonNullable<S[K]> | null {
    const fault = this.state[key] as { count: number } | null;
    if (!fault || fault.count <= 0) return null;
    fault.count--;
    if (fault.count === 0) (this.state as Record<K, unknown>)[key] = null;
    return fault as unknown as NonNullable<S[K]>;
  }

  /** The armed outage, consumed. */
  protected takeOutage(): FiredFault | null {
    const out = this.consume('outage' as CountedKey<S>) as BaseFaultState['outage'];
    return out ? { status: out.status, message: `Simulated outage (${out.status})`, headers: {} } : null;
  }
}
