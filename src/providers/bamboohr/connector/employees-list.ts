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
