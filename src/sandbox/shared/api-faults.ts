/**
 * Fault knobs for the sandboxes of paged JSON APIs (Google Workspace, Entra ID), and the request
 * log tests assert against.
 *
 * Gateway faults hit every API request, before auth, in this order: rate limit, outage, malformed
 * (a 200 with a truncated body). `failPage` fails one page of the people listing (1-based, counted
 * per listing from its first page) with an error status or a body that is JSON but not the
 * contract. `shortPages` makes pages shorter than asked while paging still leads on (providers
 * promise at most a page size, not exactly). Revoked keys (a refresh token, an access token, a
 * client id or secret) are refused by the token endpoint and the API until cleared.
 *
 * `forbidden` answers every API request 403 (after authentication) until cleared, and
 * `malformedRecord` adds one record without an id to the first page of the people listing.
 *
 * A 429 carries `Retry-After` when `retryAfter` is set (or the sandbox's default is), in seconds or
 * (with `retryAfterDate`) as an HTTP-date, so clients are tested with both and without.
 */
import { FaultChecks, optional, SandboxFaults, type RequestLogEntry } from '../shared/faults.ts';

export interface ApiFaultSpec {
  readonly rateLimit?: { count: number; retryAfter?: number | null; retryAfterDate?: boolean } | null;
  readonly outage?: { count: number; status?: 500 | 502 | 503 | 504 } | null;
  readonly malformed?: { count: number } | null;
  readonly failPage?: { page: number; status?: number; times?: number; malformed?: boolean } | null;
  readonly shortPages?: boolean | null;
  readonly slowMs?: number | null;
  readonly revokeKey?: string | readonly string[] | null;
  /** Every API request is refused with 403 (the credential lacks a permission), until cleared. */
  readonly forbidden?: boolean | null;
  /** The people listing's first page holds one extra record without an id. */
  readonly malformedRecord?: boolean | null;
}

export interface ApiFaultState {
  rateLimit: { count: number; retryAfter: number | null; retryAfterDate: boolean } | null;
  outage: { count: number; status: 500 | 502 | 503 | 504 } | null;
  malformed: { count: number } | null;
  failPage: { page: number; status: number; times: number; malformed: boolean } | null;
  shortPages: boolean;
  slowMs: number;
  revokedKeys: string[];
  forbidden: boolean;
  malformedRecord: boolean;
}

export class ApiFaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiFaultError';
  }
}

export interface FiredApiFault {
  readonly kind: 'rateLimit' | 'outage' | 'malformed';
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
}

export type ApiRequestLogEntry = RequestLogEntry;

export class ApiFaults extends SandboxFaults<ApiFaultState, ApiFaultSpec> {
  constructor(
    /** The provider's words for a 429. */
    private readonly rateLimitMessage: string,
    /** `Retry-After` seconds when the spec says nothing (null: none, as Google sends none). */
    private readonly defaultRetryAfter: number | null,
  ) {
    super(
      ApiFaults.empty,
      new FaultChecks((message) => new ApiFaultError(message)),
      ['rateLimit', 'outage', 'malformed', 'failPage', 'shortPages', 'slowMs', 'revokeKey', 'forbidden', 'malformedRecord'],
      'revokeKey must be a refresh token, access token, client id or secret (or a list of them)',
    );
  }

  static empty(): ApiFaultState {
    return { rateLimit: null, outage: null, malformed: null, failPage: null, shortPages: false, slowMs: 0, revokedKeys: [], forbidden: false, malformedRecord: false };
  }

  protected override copy(state: ApiFaultState): ApiFaultState {
    return { ...state, revokedKeys: [...state.revokedKeys] };
  }

  protected override apply(spec: ApiFaultSpec, next: ApiFaultState): void {
    const check = this.check;
    if (spec.rateLimit !== undefined) {
      if (spec.rateLimit === null) next.rateLimit = null;
      else {
        const r = check.obj(spec.rateLimit, 'rateLimit');
        const ra = r['retryAfter'];
        next.rateLimit = {
          count: check.count(r['count'], 'rateLimit.count'),
          retryAfter: ra === null ? null : ra === undefined ? this.defaultRetryAfter : check.nonNegative(ra, 'rateLimit.retryAfter'),
          retryAfterDate: check.bool(optional(r['retryAfterDate'], false), 'rateLimit.retryAfterDate'),
        };
      }
    }
    this.parseOutage(spec.outage, next);
    if (spec.malformed !== undefined) {
      next.malformed = spec.malformed === null ? null : { count: check.count(check.obj(spec.malformed, 'malformed')['count'], 'malformed.count') };
    }
    if (spec.failPage !== undefined) next.failPage = spec.failPage === null ? null : this.parseFailPage(spec.failPage);
    if (spec.shortPages !== undefined) next.shortPages = spec.shortPages === null ? false : check.bool(spec.shortPages, 'shortPages');
    this.parseSlowAndRevoked(spec, next);
    this.parseFlags(spec, next);
  }


  private parseFailPage(v: unknown): NonNullable<ApiFaultState['failPage']> {
    const f = this.check.obj(v, 'failPage');
    const page = this.check.count(f['page'], 'failPage.page');
    if (page < 1) throw new ApiFaultError('failPage.page must be 1 or more');
    const status = optional(f['status'], 503);
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) throw new ApiFaultError('failPage.status must be an HTTP error status (400–599)');
    return { page, status, times: this.check.count(optional(f['times'], 1), 'failPage.times'), malformed: this.check.bool(optional(f['malformed'], false), 'failPage.malformed') };
  }

  get shortPages(): boolean {
    return this.state.shortPages;
  }

  /** The next armed gateway fault, consumed. */
  take(now: number = Date.now()): FiredApiFault | null {
    const rl = this.consume('rateLimit');
    if (rl) {
      const headers: Record<string, string> = {};
      if (rl.retryAfter !== null) headers['Retry-After'] = rl.retryAfterDate ? new Date(now + rl.retryAfter * 1000).toUTCString() : String(Math.ceil(rl.retryAfter));
      return { kind: 'rateLimit', status: 429, message: this.rateLimitMessage, headers };
    }
    const out = this.takeOutage();
    if (out) return { kind: 'outage', ...out };
    if (this.consume('malformed')) return { kind: 'malformed', status: 200, message: '', headers: {} };
    return null;
  }

  /** The failure armed for this page of a listing, consumed as it fires. */
  takeFailPage(page: number): { status: number; malformed: boolean } | null {
    const f = this.state.failPage;
    if (!f || f.page !== page || f.times <= 0) return null;
    f.times--;
    if (f.times === 0) this.state.failPage = null;
    return { status: f.malformed ? 200 : f.status, malformed: f.malformed };
  }
}
