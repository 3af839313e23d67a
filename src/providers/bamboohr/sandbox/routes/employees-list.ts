/**
 * Employee list with cursor paging, following the OpenAPI contract (bamboohr-public-openapi.yaml):
 *  - operationId `get-employees-list`  GET /api/v1/employees
 *    `filter[...]` (GetEmployeesFilterRequestObject: firstName, lastName, jobTitleName, status, ids),
 *    `sort`, `page[limit|after|before]` (CursorPaginationQueryObject: limit 1–100, default 50),
 *    `fields` (extra fields; invalid names silently ignored) → GetEmployeesResponseObject
 *    {data, meta: {total, page: {limit, nextCursor, prevCursor}}, _links}. A cursor whose employee
 *    is gone or no longer matches answers 400 `BadPage`, as the contract describes.
 */
import { isFieldName, type FieldName } from '../fields.ts';
import { HttpError, sendJson, type ApiContext } from '../http.ts';
import type { BambooRoster, EmployeeRecord } from '../roster.ts';
import { cachedView } from '../view-cache.ts';

const SORTABLE: Readonly<Record<string, FieldName>> = {
  employeeId: 'employeeId',
  firstName: 'firstName',
  lastName: 'lastName',
  preferredName: 'preferredName',
  jobTitleName: 'jobTitle',
  status: 'status',
};

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

interface ListView {
  readonly list: readonly EmployeeRecord[];
  index?: Map<string, number>;
}

export function getEmployeesList(ctx: ApiContext): void {
  const { roster } = ctx.state;
  const q = ctx.query;

  const rawLimit = q.get('page[limit]');
  const limit = rawLimit === null || rawLimit === '' ? 50 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw bad('InvalidRequest', `page[limit] must be a whole number from 1 to 100 (got "${rawLimit}")`);
  const after = q.get('page[after]');
  const before = q.get('page[before]');
  if (after && before) throw bad('BadPage', 'Use either page[after] or page[before], not both');

  // Filters.
  const status = q.get('filter[status]');
  if (status !== null && status !== 'active' && status !== 'inactive') throw bad('InvalidRequest', 'filter[status] must be "active" or "inactive"');
  const idParts = [...q.getAll('filter[ids]'), ...q.getAll('filter[ids][]')].flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (idParts.some((s) => !/^\d+$/.test(s))) throw bad('InvalidRequest', 'filter[ids] must be employee ids (integers)');
  const ids = idParts.length > 0 ? new Set(idParts.map((s) => String(Number(s)))) : null;
  const contains: [FieldName, string][] = [];
  for (const [param, field] of [['firstName', 'firstName'], ['lastName', 'lastName'], ['jobTitleName', 'jobTitle']] as const) {
    const v = q.get(`filter[${param}]`);
    if (v) contains.push([field, v.toLowerCase()]);
  }

  // Sort.
  const sortParam = q.get('sort') ?? '';
  const sortKeys = sortParam
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const desc = s.startsWith('-');
      const name = desc ? s.slice(1) : s;
      const field = SORTABLE[name];
      if (!field) throw bad('InvalidRequest', `Cannot sort by "${name}" (sortable: ${Object.keys(SORTABLE).join(', ')})`);
      return { field, desc };
    });

  const key = `list:${status}:${[...(ids ?? [])].join(',')}:${JSON.stringify(contains)}:${sortParam}`;
  const view = cachedView<ListView>(roster, key, () => {
    let list: readonly EmployeeRecord[] = roster.records();
    if (status || ids || contains.length > 0) {
      list = list.filter(
        (rec) =>
          (!status || rec.status.toLowerCase() === status) &&
          (!ids || ids.has(rec.id)) &&
          contains.every(([f, v]) => (roster.value(rec, f) ?? '').toLowerCase().includes(v)),
      );
    }
    if (sortKeys.length > 0) list = sortList(list, sortKeys, roster);
    return { list };
  });

  let start = 0;
  let end: number;
  if (after || before) {
    const id = decodeCursor((after || before) as string);
    const idx = indexOf(view, id);
    if (idx < 0) throw bad('BadPage', 'The page cursor no longer points at an employee in this result (changed or deleted since); start again from the first page');
    if (after) {
      start = idx + 1;
      end = Math.min(view.list.length, start + limit);
    } else {
      end = idx;
      start = Math.max(0, end - limit);
    }
  } else end = Math.min(view.list.length, limit);

  const extra = parseExtraFields(q.get('fields'));
  const data: Record<string, unknown>[] = view.list.slice(start, end).map((rec) => row(rec, roster, extra));
  if (ctx.state.faults.malformedRecord && start === 0) data.push({ id: null, firstName: 'Broken', lastName: 'Record' });
  const nextCursor = end < view.list.length && end > start ? encodeCursor((view.list[end - 1] as EmployeeRecord).id) : null;
  const prevCursor = start > 0 && end > start ? encodeCursor((view.list[start] as EmployeeRecord).id) : null;

  const link = (mutate: (p: URLSearchParams) => void): { href: string } => {
    const p = new URLSearchParams(q);
    mutate(p);
    const s = p.toString();
    return { href: `${ctx.apiBase}/employees${s ? `?${s}` : ''}` };
  };
  const links: Record<string, { href: string }> = { self: link(() => undefined) };
  if (nextCursor) links['next'] = link((p) => (p.delete('page[before]'), p.set('page[after]', nextCursor)));
  if (prevCursor) links['prev'] = link((p) => (p.delete('page[after]'), p.set('page[before]', prevCursor)));

  sendJson(ctx.res, 200, {
    data,
    meta: { total: view.list.length, page: { limit, nextCursor, prevCursor } },
    _links: links,
  });
}

function bad(code: string, message: string): HttpError {
  return new HttpError(400, message, code);
}

function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const id = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)['id'] : undefined;
    if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  } catch {
    // fall through
  }
  throw bad('BadPage', 'Invalid page cursor');
}

function indexOf(view: ListView, id: string): number {
  if (!view.index) {
    const index = new Map<string, number>();
    view.list.forEach((rec, i) => index.set(rec.id, i));
    view.index = index;
  }
  return view.index.get(id) ?? -1;
}

/** Extra fields on top of the defaults; names the sandbox does not know are ignored, as the contract says. */
function parseExtraFields(raw: string | null): FieldName[] {
  if (!raw) return [];
  const names = raw.split(',').map((s) => s.trim());
  return [...new Set(names.filter((n): n is FieldName => isFieldName(n)))];
}

const DEFAULT_KEYS = new Set(['employeeId', 'firstName', 'lastName', 'preferredName']);

function row(rec: EmployeeRecord, roster: BambooRoster, extra: readonly FieldName[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    employeeId: rec.id,
    firstName: rec.firstName,
    lastName: rec.lastName,
    preferredName: rec.preferredName,
    photoUrl: null,
    jobTitleName: rec.jobTitle,
    status: rec.status.toLowerCase(),
    _restrictedFields: [],
  };
  for (const f of extra) if (!DEFAULT_KEYS.has(f)) out[f] = roster.value(rec, f);
  return out;
}

function sortList(list: readonly EmployeeRecord[], keys: readonly { field: FieldName; desc: boolean }[], roster: BambooRoster): EmployeeRecord[] {
  const decorated = list.map((rec) => ({ rec, values: keys.map((k) => roster.value(rec, k.field)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as { field: FieldName; desc: boolean };
      const x = a.values[i] ?? null;
      const y = b.values[i] ?? null;
      if (x === y) continue;
      // Nulls first ascending, last descending (the contract's rule) — flipping handles both.
      const c = x === null ? -1 : y === null ? 1 : k.field === 'employeeId' ? Number(x) - Number(y) : collator.compare(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return Number(a.rec.id) - Number(b.rec.id);
  });
  return decorated.map((d) => d.rec);
}
