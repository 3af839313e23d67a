/**
 * Full fetch from the employee dataset.
 *
 * OpenAPI operationId: `get-data-from-dataset` — `POST /api/v1/datasets/{datasetName}` with
 * `datasetName = employee`, body `DataRequest` (`fields`, `filters`, `sortBy`), answer
 * `EmployeeResponse` (`data`, `pagination`: total_records, current_page, total_pages,
 * next_page, prev_page). Paged with `?page=&page_size=` (max 1000).
 *
 * - The status filter `includes ["Active","Inactive"]` is required to get everyone: without it
 *   the dataset answers active people only, and future hires are "Inactive" there.
 * - Sorted by employeeId so people added during the fetch land at the end rather than shifting
 *   page boundaries.
 * - Paging follows `pagination` only: `next_page` (its `page` parameter, never its host — the
 *   credentials stay with our base URL) or `current_page < total_pages`. A short page is never
 *   taken as the end. Numbers may come as strings. No `pagination` at all means one page.
 *   A page number seen twice is `bad_data` (a server ignoring `page` would loop forever).
 * - Completeness: when the rows read (distinct ids) are fewer than `total_records` (the lower
 *   of the first and last page's figure, so people deleted meanwhile are not counted), the
 *   fetch fails with `bad_data` instead of yielding a roster with holes: a partial roster must
 *   never look complete (engine rule 1).
 * - 400 naming unknown fields (accounts differ in their fields): page 1 is retried once without
 *   the fields the message names.
 * - Parallel pages (`ahead`): once a page says how many there are (`total_pages`) and the next
 *   one is the following number, the next `ahead` pages are requested at once (through the
 *   client's request gate, which caps the requests in flight and waits out `Retry-After` for all)
 *   and handed out in page order; every check above still runs on each page in turn.
 * - 404/405/501 on page 1 means the account has no datasets API: the caller falls back to
 *   `get-employees-list` (employees-list.ts).
 */
import type { RecordFailure } from '../../../core/source-record.ts';
import { badData, isProviderError } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody, type HttpResponse } from '../../../connectors/http.ts';
import { PROVIDER, type BambooClient } from './client.ts';

export const DEFAULT_DATASET = 'employee';
export const DATASET_PATH = datasetPath(DEFAULT_DATASET);

export function datasetPath(name: string): string {
  return `/api/v1/datasets/${encodeURIComponent(name)}`;
}

/**
 * The employee dataset's name. The contract's examples disagree ("employee" in the fields
 * example, "employees" in the v1.2 listing), so ask `GET /api/v1/datasets` (operationId
 * get-datasets) and take "employee", else a name that is clearly it; keep the default when the
 * listing is unavailable. Credentials refused is not "unavailable": that error propagates.
 */
export async function discoverEmployeeDataset(client: BambooClient): Promise<string> {
  let res: HttpResponse;
  try {
    res = await client.get('/api/v1/datasets', {}, { acceptStatus: [403, 404, 405, 501] });
  } catch (err) {
    if (isProviderError(err) && err.code === 'auth_failed') throw err;
    return DEFAULT_DATASET;
  }
  if (res.status !== 200) return DEFAULT_DATASET;
  let body: unknown;
  try {
    body = parseJsonBody(PROVIDER, res);
  } catch {
    return DEFAULT_DATASET;
  }
  const list = isRecord(body) && Array.isArray(body['datasets']) ? (body['datasets'] as unknown[]) : [];
  const names = list.map((d) => (isRecord(d) && typeof d['name'] === 'string' ? d['name'] : '')).filter(Boolean);
  return names.find((n) => n === DEFAULT_DATASET) ?? names.find((n) => /^employees?$/i.test(n)) ?? DEFAULT_DATASET;
}
export const MAX_DATASET_PAGE_SIZE = 1000;
/** Statuses on page 1 that mean "no datasets API here": fall back to the employee list. */
export const DATASET_UNSUPPORTED_STATUSES: readonly number[] = [404, 405, 501];
const MAX_PAGES = 100_000;

/** The dataset fields requested by default (BambooHR field names). */
export const DEFAULT_DATASET_FIELDS: readonly string[] = Object.freeze([
  'employeeId',
  'employeeNumber',
  'firstName',
  'lastName',
  'preferredName',
  'displayName',
  'workEmail',
  'homeEmail',
  'jobTitle',
  'department',
  'division',
  'location',
  'supervisorEId',
  'supervisorEmail',
  'hireDate',
  'terminationDate',
  'status',
  'employmentHistoryStatus',
  'mobilePhone',
  'workPhone',
  'country',
]);

export type Row = Record<string, unknown>;

export interface DatasetPage {
  readonly page: number;
  readonly rows: readonly Row[];
  /** Entries of `data` that were not objects at all. */
  readonly failures: readonly RecordFailure[];
  /** `pagination.total_records`: how many people the dataset holds. */
  readonly total?: number;
}

export interface DatasetOptions {
  readonly fields: readonly string[];
  readonly pageSize?: number;
  /** The dataset's name (see discoverEmployeeDataset); "employee" by default. */
  readonly dataset?: string;
  /**
   * Pages requested ahead of the one being read (1 = one at a time). Once page 1 has told how
   * many pages there are, pages 2, 3, … are requested in parallel, up to this many at once
   * (the client's request gate also caps them), and still handed out in order.
   */
  readonly ahead?: number;
}

export type DatasetOpening =
  | { readonly supported: false; readonly status: number }
  | {
      readonly supported: true;
      /** The fields actually requested (after dropping unknown ones). */
      readonly fields: readonly string[];
      /** Fields dropped because BambooHR said they are unknown to this account. */
      readonly droppedFields: readonly string[];
      readonly pages: AsyncIterable<DatasetPage>;
    };

export function datasetRequestBody(fields: readonly string[]): unknown {
  return {
    fields,
    filters: {
      match: 'all',
      filters: [{ field: 'status', operator: 'includes', value: ['Active', 'Inactive'] }],
    },
    sortBy: [{ field: 'employeeId', sort: 'asc' }],
  };
}

/** A positive integer from a number or numeric string. */
export function toInt(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function clampPageSize(value: unknown, max: number, fallback: number): number {
  const n = toInt(value);
  if (n === undefined || n < 1) return fallback;
  return Math.min(n, max);
}

/**
 * The requested fields a 400's message names as unknown (never `employeeId`), or [] when it
 * names none. Matching is by whole field name, quoted or not, so any wording works.
 */
export function fieldsNamedInError(err: unknown, fields: readonly string[]): string[] {
  if (!isProviderError(err) || err.code !== 'bad_request' || err.status !== 400) return [];
  const message = err.providerMessage ?? '';
  if (message === '') return [];
  return fields.filter((f) => {
    if (f === 'employeeId' || f === '') return false;
    const escaped = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(^|[^A-Za-z0-9_])${escaped}($|[^A-Za-z0-9_])`).test(message);
  });
}

interface ParsedPage {
  readonly rows: Row[];
  readonly failures: RecordFailure[];
  readonly currentPage: number | undefined;
  readonly totalPages: number | undefined;
  readonly totalRecords: number | undefined;
  readonly nextPage: number | undefined;
  readonly hasPagination: boolean;
}

function parsePage(res: HttpResponse): ParsedPage {
  const body = parseJsonBody(PROVIDER, res);
  if (!isRecord(body)) throw badData(PROVIDER, res.url, 'the answer is not a JSON object');
  const data = body['data'];
  if (!Array.isArray(data)) throw badData(PROVIDER, res.url, 'the answer has no "data" list');
  const rows: Row[] = [];
  const failures: RecordFailure[] = [];
  for (const entry of data) {
    if (isRecord(entry)) rows.push(entry);
    else failures.push({ reason: 'record is not an object' });
  }
  const p = body['pagination'];
  if (!isRecord(p)) {
    return { rows, failures, currentPage: undefined, totalPages: undefined, totalRecords: undefined, nextPage: undefined, hasPagination: false };
  }
  return {
    rows,
    failures,
    currentPage: toInt(p['current_page']),
    totalPages: toInt(p['total_pages']),
    totalRecords: toInt(p['total_records']),
    nextPage: pageFromLink(p['next_page'], res.url),
    hasPagination: true,
  };
}

/** The `page` parameter of a `next_page` link; `-1` for a link without a usable page number. */
function pageFromLink(link: unknown, base: string): number | undefined {
  if (typeof link !== 'string' || link.trim() === '') return undefined;
  try {
    const u = new URL(link, base || 'http://localhost/');
    const n = toInt(u.searchParams.get('page'));
    return n ?? -1;
  } catch {
    return -1;
  }
}

function rowId(row: Row): string | undefined {
  for (const key of ['employeeId', 'id']) {
    const v = row[key];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'string' && v.trim() !== '') return v.trim().normalize('NFC');
  }
  return undefined;
}

/**
 * Requests page 1 (dropping unknown fields once if needed) and returns the page stream, or
 * `{supported: false}` when the account has no datasets API.
 */
export async function openEmployeeDataset(client: BambooClient, options: DatasetOptions): Promise<DatasetOpening> {
  const pageSize = clampPageSize(options.pageSize, MAX_DATASET_PAGE_SIZE, MAX_DATASET_PAGE_SIZE);
  let fields = [...options.fields];
  const dropped: string[] = [];

  const path = datasetPath(options.dataset ?? DEFAULT_DATASET);
  const request = (page: number): Promise<HttpResponse> =>
    client.post(path, { page, page_size: pageSize }, datasetRequestBody(fields), {
      acceptStatus: page === 1 ? DATASET_UNSUPPORTED_STATUSES : [],
    });

  let first: HttpResponse;
  try {
    first = await request(1);
  } catch (err) {
    const unknown = fieldsNamedInError(err, fields);
    if (unknown.length === 0) throw err;
    dropped.push(...unknown);
    fields = fields.filter((f) => !unknown.includes(f));
    first = await request(1);
  }
  if (DATASET_UNSUPPORTED_STATUSES.includes(first.status)) return { supported: false, status: first.status };

  const ahead = Math.max(1, Math.floor(options.ahead ?? 1));
  // Page 1 goes to the page stream, which lets go of it once read: an answer's body text (about
  // 1 MB for 1,000 people) is not held for the rest of the run.
  let unread: HttpResponse | undefined = first;

  async function* pages(): AsyncGenerator<DatasetPage> {
    const seenPages = new Set<number>();
    const seenIds = new Set<string>();
    let anonymousRows = 0;
    let firstTotal: number | undefined;
    let lastTotal: number | undefined;
    let requested = 1;
    let res: HttpResponse | undefined = unread;
    unread = undefined;
    /** Pages asked for before their turn: page number → the answer (its error kept for its turn). */
    const early = new Map<number, Promise<HttpResponse>>();
    const requestEarly = (page: number): void => {
      if (early.has(page) || seenPages.has(page)) return;
      const answer = request(page);
      answer.catch(() => undefined); // observed when its turn comes, or dropped unread
      early.set(page, answer);
    };
    try {
      for (let count = 0; ; count++) {
        if (count >= MAX_PAGES) throw badData(PROVIDER, res?.url, `more than ${MAX_PAGES} pages`);
        let current: HttpResponse | undefined = res ?? (await (early.get(requested) ?? request(requested)));
        early.delete(requested);
        res = undefined;
        const parsed = parsePage(current);
        const url = current.url;
        // Parsed: its body text is not held while the page's records are processed downstream.
        current = undefined;
        const pageNo = parsed.currentPage ?? requested;
        if (seenPages.has(pageNo)) throw badData(PROVIDER, url, `page ${pageNo} was answered twice`);
        seenPages.add(pageNo);
        if (parsed.totalRecords !== undefined) {
          firstTotal ??= parsed.totalRecords;
          lastTotal = parsed.totalRecords;
        }
        for (const row of parsed.rows) {
          const id = rowId(row);
          if (id === undefined) anonymousRows++;
          else seenIds.add(id);
        }
        anonymousRows += parsed.failures.length;

        let next: number | undefined;
        if (parsed.nextPage !== undefined) next = parsed.nextPage === -1 ? pageNo + 1 : parsed.nextPage;
        else if (parsed.totalPages !== undefined && pageNo < parsed.totalPages) next = pageNo + 1;
        // Numbered pages with a known count: the following ones are asked for now, while this
        // one is read. Anything else (a next page that is not the following number) goes one by one.
        if (ahead > 1 && next === pageNo + 1 && parsed.totalPages !== undefined) {
          for (let p = next; p < next + ahead && p <= parsed.totalPages; p++) requestEarly(p);
        }
        yield { page: pageNo, rows: parsed.rows, failures: parsed.failures, ...(parsed.totalRecords !== undefined ? { total: parsed.totalRecords } : {}) };

        if (next === undefined) break;
        if (seenPages.has(next)) throw badData(PROVIDER, url, `the next page (${next}) was already read`);
        requested = next;
      }
    } finally {
      // Stopped early or failed: nothing waits on answers nobody will read.
      await Promise.allSettled(early.values());
    }
    if (firstTotal !== undefined && lastTotal !== undefined) {
      const expected = Math.min(firstTotal, lastTotal);
      const got = seenIds.size + anonymousRows;
      if (got < expected) {
        throw badData(
          PROVIDER,
          client.url(path).toString(),
          `${got} people were read but BambooHR reported ${expected}; the list changed while it was read or pages were incomplete`,
        );
      }
    }
  }

  return { supported: true, fields, droppedFields: dropped, pages: pages() };
}

