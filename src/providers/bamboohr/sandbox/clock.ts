/**
 * The sandbox clock: strictly increasing per change, never behind wall time, millisecond
 * resolution. Reading `latest` reserves that instant, so a change made afterwards is always
 * stamped strictly later: a client that passes `latest` back as `since` (strictly-after
 * semantics) never loses a change.
 */
export class SandboxClock {
  private last: number;

  constructor(startMs: number = Date.now()) {
    this.last = startMs;
  }

  /** A stamp for a new change: strictly greater than every stamp and every `peek()` so far. */
  tick(): number {
    const now = Math.max(Date.now(), this.last + 1);
    this.last = now;
    return now;
  }

  /** The current instant (for `latest`); later `tick()`s are strictly greater. */
  peek(): number {
    const now = Math.max(Date.now(), this.last);
    this.last = now;
    return now;
  }
}

/** ISO 8601 in UTC with an explicit offset, as BambooHR writes it: `2026-11-25T10:00:00.123+00:00`. */
export function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Parses an ISO 8601 timestamp (date-only, or with time; no offset means UTC). `null` when invalid. */
export function parseIsoTimestamp(text: string): number | null {
  const m = ISO_8601.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', off] = m;
  let offset = 'Z';
  if (off && off !== 'Z' && off !== 'z') {
    const sign = off[0];
    const digits = off.slice(1).replace(':', '');
    offset = `${sign}${digits.slice(0, 2)}:${(digits.slice(2) || '00').padEnd(2, '0')}`;
  }
  const ms = (frac + '000').slice(0, 3);
  const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  if (Number.isNaN(value)) return null;
  // Reject impossible calendar dates that Date.parse would roll over (2026-02-31).
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  return value;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(text: string): boolean {
  if (!DATE_ONLY.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === text;
}
