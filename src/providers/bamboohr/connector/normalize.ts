/**
 * BambooHR row → canonical SourceRecord.
 *
 * Rows come from the employee dataset (`get-data-from-dataset`), a single employee
 * (`get-employee`, JSON or XML) or the employee list (`get-employees-list`); all are flat
 * objects keyed by BambooHR field names.
 *
 * Rules:
 * - id: `employeeId`, else `id` (string or number). A row without one is a RecordFailure
 *   "record has no employee id". `attributes.employeeId` always holds the id; `id` is dropped.
 * - attributes: every scalar value as a string, trimmed and Unicode NFC; empty strings, null,
 *   and BambooHR's `0000-00-00` placeholder dropped; objects/arrays and keys starting with `_`
 *   (e.g. `_restrictedFields`) dropped.
 * - dates: a field whose name ends in `Date` (hireDate, terminationDate, originalHireDate, …)
 *   holding `YYYY-MM-DD` or an ISO timestamp is stored as `YYYY-MM-DD` (the calendar date as
 *   written, offset ignored). Values that are not dates are kept as written in attributes but
 *   never reach `lifecycle`.
 * - status: `Active`/`Inactive`, case-insensitive (the list endpoint answers lower case), is
 *   stored canonically as `Active`/`Inactive` and decides `lifecycle.active`. When the status is
 *   missing or something else, the person is active unless their terminationDate is on or
 *   before `today` (UTC by default; the engine applies the tenant's time zone to future
 *   termination dates itself).
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';

export interface NormalizeOptions {
  /** Today as `YYYY-MM-DD`; defaults to the current UTC date. */
  readonly today?: string;
}

const NOT_NFC_STABLE = /[\u0300-\uffff]/;

const PLACEHOLDERS: ReadonlySet<string> = new Set(['0000-00-00', '0000-00-00 00:00:00', '0000-00-00T00:00:00']);

/** A provider value as a clean attribute string, or undefined when it carries nothing. */
export function cleanValue(value: unknown): string | undefined {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
  else if (typeof value === 'bigint') s = value.toString();
  else if (typeof value === 'boolean') s = value ? 'true' : 'false';
  else return undefined;
  // Only a character from U+0300 on can change under NFC (combining marks and later scripts):
  // most values are checked by this scan instead of a call into ICU.
  if (NOT_NFC_STABLE.test(s)) s = s.normalize('NFC');
  s = s.trim();
  if (s === '' || PLACEHOLDERS.has(s)) return undefined;
  return s;
}

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ]\d{2}:\d{2})/;

/** `YYYY-MM-DD` from a date or ISO timestamp; undefined when it is not a real calendar date. */
export function normalizeDate(value: string): string | undefined {
  const m = DATE_PREFIX.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y === 0 || mo < 1 || mo > 12 || d < 1) return undefined;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > daysInMonth) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function isDateField(key: string): boolean {
  return key.endsWith('Date');
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export function isRecordFailure(value: SourceRecord | RecordFailure): value is RecordFailure {
  return 'reason' in value;
}

/** One row → a SourceRecord, or a RecordFailure when it cannot be one. */
export function normalizeRow(row: Readonly<Record<string, unknown>>, options: NormalizeOptions = {}): SourceRecord | RecordFailure {
  const externalId = cleanValue(row['employeeId']) ?? cleanValue(row['id']);
  if (externalId === undefined) return { reason: 'record has no employee id' };

  const attributes: Record<string, string> = {};
  for (const key in row) {
    if (!Object.hasOwn(row, key) || key === 'id' || key.startsWith('_')) continue;
    let value = cleanValue(row[key]);
    if (value === undefined) continue;
    if (isDateField(key)) value = normalizeDate(value) ?? value;
    attributes[key] = value;
  }
  attributes['employeeId'] = externalId;

  const status = attributes['status']?.toLowerCase();
  if (status === 'active') attributes['status'] = 'Active';
  else if (status === 'inactive') attributes['status'] = 'Inactive';

  const hireDate = attributes['hireDate'] === undefined ? undefined : normalizeDate(attributes['hireDate']);
  const terminationDate = attributes['terminationDate'] === undefined ? undefined : normalizeDate(attributes['terminationDate']);
  const today = options.today ?? todayUtc();
  const active =
    status === 'active' ? true : status === 'inactive' ? false : !(terminationDate !== undefined && terminationDate <= today);

  return {
    externalId,
    attributes,
    lifecycle: {
      active,
      ...(hireDate === undefined ? {} : { hireDate }),
      ...(terminationDate === undefined ? {} : { terminationDate }),
    },
  };
}

/** Rows → one SourcePage (records and failures). */
export function normalizeRows(rows: Iterable<Readonly<Record<string, unknown>>>, options: NormalizeOptions = {}): SourcePage {
  const records: SourceRecord[] = [];
  const failures: RecordFailure[] = [];
  for (const row of rows) {
    const r = normalizeRow(row, options);
    if (isRecordFailure(r)) failures.push(r);
    else records.push(r);
  }
  return { records, failures };
}
