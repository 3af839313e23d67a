/**
 * Fallback full fetch from the employee list, for accounts whose datasets API answers
 * 404/405/501.
 *
 * OpenAPI operationId: `get-employees-list` — `GET /api/v1/employees` with cursor paging
 * `page[limit]` (at most 100) and `page[after]`, extra fields by `fields=a,b,c` (unknown ones
 * silently ignored), answer `GetEmployeesResponseObject` (`data`, `meta.total`,
 * `meta.page.nextCursor`).
 *
 * - Follows `meta.page.nextCursor` until it is null; a cursor seen twice is `bad_data`.
 * - The list calls the job title `jobTitleName`; it is copied to `jobTitle` (the dataset's name)
 *   so field mappings work whichever endpoint answered.
 * - No status filter: the list returns active and inactive people alike.
 * - Completeness is checked against `meta.total` like the dataset fetch.
 */
import type { RecordFailure } from '../../../core/source-record.ts';
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import { PROVIDER, type BambooClient } from './client.ts';
import { clampPageSize, toInt, type Row } from './datasets-employee.ts';

export const EMPLOYEES_PATH = '/api/v1/employees';
export const MAX_LIST_PAGE_SIZE = 100;
const MAX_PAGES = 1_000_000;

/** Fields the list always returns; not asked for in `fields`. */
const LIST_DEFAULT_FIELDS: ReadonlySet<string> = new Set(['employeeId', 'firstName', 'lastName', 'preferredName', 'status']);

export interface EmployeeListPage {
  readonly rows: readonly Row[];
  readonly failures: readonly RecordFailure[];
}

export interface EmployeeListOptions {
  readonly fields: readonly string[];
  readonly pageSize?: number;
}

function toRow(entry: Record<string, unknown>): Row {
  const row: Row = { ...entry };
  if (row['jobTitle'] === undefined && row['jobTitleName'] !== undefined) row['jobTitle'] = row['jobTitleName'];
  delete row['jobTitleName'];
  delete row['photoUrl'];
  return row;
}

export async function* listEmployees(client: BambooClient, options: EmployeeListOptions): AsyncGenerator<EmployeeListPage> {
  const limit = clampPageSize(options.pageSize, MAX_LIST_PAGE_SIZE, MAX_LIST_PAGE_SIZE);
  const fields = options.fields.filter((f) => !LIST_DEFAULT_FIELDS.has(f)).join(',');
  const seenCursors = new Set<string>();
  const seenIds = new Set<string>();
  let anonymous = 0;
  let firstTotal: number | undefined;
  let lastTotal: number | undefined;
  let after: string | undefined;
  let url = '';
  for (let count = 0; ; count++) {
    if (count >= MAX_PAGES) throw badData(PROVIDER, url, `more than ${MAX_PAGES} pages`);
    const res = await client.get(EMPLOYEES_PATH, {
      'page[limit]': limit,
      'page[after]': after,
      ...(fields === '' ? {} : { fields }),
    });
    url = res.url;
    const body = parseJsonBody(PROVIDER, res);
    if (!isRecord(body) || !Array.isArray(body['data'])) throw badData(PROVIDER, res.url, 'the answer has no "data" list');
    const rows: Row[] = [];
    const failures: RecordFailure[] = [];
    for (const entry of body['data'] as unknown[]) {
      if (!isRecord(entry)) {
        failures.push({ reason: 'record is not an object' });
        anonymous++;
        continue;
      }
      const row = toRow(entry);
      const id = row['employeeId'] ?? row['id'];
      if ((typeof id === 'string' && id.trim() !== '') || typeof id === 'number') seenIds.add(String(id).trim());
      else anonymous++;
      rows.push(row);
    }
    const meta = isRecord(body['meta']) ? body['meta'] : undefined;
    const total = toInt(meta?.['total']);
    if (total !== undefined) {
      firstTotal ??= total;
      lastTotal = total;
    }
    yield { rows, failures };

    const page = isRecord(meta?.['page']) ? (meta['page'] as Record<string, unknown>) : undefined;
    const next = page?.['nextCursor'];
    if (typeof next !== 'string' || next === '') break;
    if (seenCursors.has(next)) throw badData(PROVIDER, res.url, 'the same page cursor was answered twice');
    seenCursors.add(next);
    after = next;
  }
  if (firstTotal !== undefined && lastTotal !== undefined) {
    const expected = Math.min(firstTotal, lastTotal);
    if (seenIds.size + anonymous < expected) {
      throw badData(PROVIDER, url, `${seenIds.size + anonymous} people were read but BambooHR reported ${expected}; the list changed while it was read`);
    }
  }
}

/** Statuses meaning "no employee list here" (as for the datasets API): read people one by one. */
const LIST_UNSUPPORTED_STATUSES: readonly number[] = [404, 405, 501];

/** Ids per request of a batch read: the list's page size limit (`page[limit]` at most 100). */
export const IDS_PER_REQUEST = MAX_LIST_PAGE_SIZE;

/**
 * Many employees by id in few requests: the list's documented batch fetch (`filter[ids]=1,2,3`,
 * the contract's `batchByIds` example), 100 ids a request, the requests in parallel (the client's
 * request gate caps them). Answers the rows found and the ids the list did not return: the list
 * leaves out people the caller may not see, so a missing id is not evidence of a deletion; the
 * caller asks for those one by one (get-employee says 404 or 403), as it does for everyone when
 * the list answers 404/405/501 (no list API on the account). Ids that are not whole numbers
 * (the filter takes integers) are returned as missing without being asked.
 */
export async function listEmployeesByIds(client: BambooClient, ids: readonly string[], options: { readonly fields: readonly string[] }): Promise<{ rows: Row[]; missing: string[] }> {
  const numeric = [...new Set(ids.filter((id) => /^\d+$/.test(id)))];
  const fields = options.fields.filter((f) => !LIST_DEFAULT_FIELDS.has(f)).join(',');
  const batches: string[][] = [];
  for (let i = 0; i < numeric.length; i += IDS_PER_REQUEST) batches.push(numeric.slice(i, i + IDS_PER_REQUEST));
  const answers = await Promise.all(
    batches.map(async (batch) => {
      const rows: Row[] = [];
      let after: string | undefined;
      const cursors = new Set<string>();
      // One page answers a batch; the cursor is followed all the same, should the server page shorter.
      for (;;) {
        const res = await client.get(
          EMPLOYEES_PATH,
          { 'filter[ids]': batch.join(','), 'page[limit]': IDS_PER_REQUEST, 'page[after]': after, ...(fields === '' ? {} : { fields }) },
          { acceptStatus: LIST_UNSUPPORTED_STATUSES },
        );
        // An account without the list: everyone in the batch is read one by one instead.
        if (LIST_UNSUPPORTED_STATUSES.includes(res.status)) return [];
        const body = parseJsonBody(PROVIDER, res);
        if (!isRecord(body) || !Array.isArray(body['data'])) throw badData(PROVIDER, res.url, 'the answer has no "data" list');
        for (const entry of body['data'] as unknown[]) if (isRecord(entry)) rows.push(toRow(entry));
        const meta = isRecord(body['meta']) ? body['meta'] : undefined;
        const next = isRecord(meta?.['page']) ? (meta['page'] as Record<string, unknown>)['nextCursor'] : undefined;
        if (typeof next !== 'string' || next === '') return rows;
        if (cursors.has(next)) throw badData(PROVIDER, res.url, 'the same page cursor was answered twice');
        cursors.add(next);
        after = next;
      }
    }),
  );
  const rows = answers.flat();
  const wanted = new Set(ids);
  const found = new Set<string>();
  const kept: Row[] = [];
  for (const row of rows) {
    const id = String(row['employeeId'] ?? row['id'] ?? '').trim();
    // Only the people asked for, each once (a server ignoring the filter must not add others).
    if (!wanted.has(id) || found.has(id)) continue;
    found.add(id);
    kept.push(row);
  }
  return { rows: kept, missing: ids.filter((id) => !found.has(id)) };
}
