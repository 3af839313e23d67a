/**
 * Datasets API, following the OpenAPI contract (bamboohr-public-openapi.yaml):
 *  - operationId `get-datasets`            GET  /api/v1/datasets                      → DatasetResponse
 *  - operationId `get-fields-from-dataset` GET  /api/v1/datasets/{datasetName}/fields → DatasetFieldsResponse
 *  - operationId `get-data-from-dataset`   POST /api/v1/datasets/{datasetName}        DataRequest → EmployeeResponse
 *    (`data` rows + `pagination` {total_records, current_page, total_pages, next_page, prev_page};
 *    paging by query `page` / `page_size`, default 500; filters by field type as the operation's
 *    description lists them; future hires are "Inactive").
 */
import { FIELD_BY_NAME, FIELDS, isFieldName, type FieldDef, type FieldName } from '../fields.ts';
import { isIsoDate } from '../clock.ts';
import { dateOf, dayOf, todayUtc } from '../generator.ts';
import { HttpError, readJson, send, sendApiError, sendJson, type ApiContext } from '../http.ts';
import type { BambooRoster, EmployeeRecord } from '../roster.ts';
import { cachedView } from '../view-cache.ts';

export const DATASET_NAME = 'employee';
const DEFAULT_PAGE_SIZE = 500;

function requireDataset(name: string | undefined): void {
  if (name !== DATASET_NAME) throw new HttpError(400, `Dataset label not found for dataset "${name ?? ''}" (available: ${DATASET_NAME})`);
}

export function getDatasets(ctx: ApiContext): void {
  sendJson(ctx.res, 200, { datasets: [{ name: DATASET_NAME, label: 'Employee' }] });
}

export function getDatasetFields(ctx: ApiContext): void {
  requireDataset(ctx.params['datasetName']);
  const { page, pageSize } = parsePaging(ctx, DEFAULT_PAGE_SIZE);
  const all = FIELDS.map((f) => ({
    name: f.name,
    label: f.label,
    parentType: 'page',
    parentName: f.section,
    entityName: f.section.toLowerCase(),
  }));
  const totalPages = Math.ceil(all.length / pageSize);
  const path = `/datasets/${DATASET_NAME}/fields`;
  sendJson(ctx.res, 200, {
    pagination: pagination(ctx, path, all.length, page, pageSize, totalPages),
    name: DATASET_NAME,
    label: 'Employee',
    fields: all.slice((page - 1) * pageSize, page * pageSize),
  });
}

export async function getDataFromDataset(ctx: ApiContext): Promise<void> {
  requireDataset(ctx.params['datasetName']);
  const { roster, faults } = ctx.state;
  const { page, pageSize } = parsePaging(ctx, DEFAULT_PAGE_SIZE);
  const body = await readJson(ctx.req);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON DataRequest object with a "fields" array');
  }
  const request = body as Record<string, unknown>;
  const fields = parseFields(request['fields']);
  for (const unsupported of ['aggregations', 'groupBy'] as const) {
    const v = request[unsupported];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
      throw new HttpError(400, `"${unsupported}" is not supported by the ReFresh sandbox`);
    }
  }
  const predicate = compileFilters(request['filters'], roster);
  const sort = parseSort(request['sortBy']);
  const key = `dataset:${JSON.stringify(request['filters'] ?? null)}:${JSON.stringify(request['sortBy'] ?? null)}`;
  const matching = cachedView(roster, key, () => {
    let list: readonly EmployeeRecord[] = roster.records();
    if (predicate) list = list.filter(predicate);
    if (sort.length > 0) list = sortRecords(list, sort, roster);
    return list;
  });

  const fired = faults.takeFailPage(page);
  if (fired && !fired.malformed) {
    sendApiError(ctx.res, fired.status, `Simulated failure of dataset page ${page}`);
    return;
  }

  const bounds = pageBounds(matching.length, pageSize, faults.shortPages);
  const totalPages = bounds.length - 1;
  const start = page <= totalPages ? (bounds[page - 1] as number) : matching.length;
  const end = page <= totalPages ? (bounds[page] as number) : matching.length;
  // Rows are written straight to JSON text (no per-row objects): the hot path of a 100,000-person fetch.
  const keys = fields.map((f) => `${JSON.stringify(f)}:`);
  const rows: string[] = new Array<string>(end - start);
  for (let i = start; i < end; i++) {
    const rec = matching[i] as EmployeeRecord;
    let row = '{';
    for (let k = 0; k < fields.length; k++) {
      const v = roster.value(rec, fields[k] as FieldName);
      row += (k === 0 ? '' : ',') + (keys[k] as string) + (v === null ? 'null' : jsonString(v));
    }
    rows[i - start] = `${row}}`;
  }
  if (faults.malformedRecord && page === 1) rows.push(`{${keys.map((k) => `${k}null`).join(',')}}`);
  const payload = `{"data":[${rows.join(',')}],"pagination":${JSON.stringify(
    pagination(ctx, `/datasets/${DATASET_NAME}`, matching.length, page, pageSize, totalPages),
  )}}`;
  if (fired?.malformed) {
    // A broken page: 200 with a body cut off mid-way.
    send(ctx.res, 200, payload.slice(0, Math.max(1, Math.floor(payload.length / 2))), 'application/json; charset=utf-8');
    return;
  }
  send(ctx.res, 200, payload, 'application/json; charset=utf-8');
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON string literal; skips JSON.stringify for the common case of nothing to escape. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

// ───────────────────────── paging ─────────────────────────

export function parsePaging(ctx: ApiContext, defaultSize: number): { page: number; pageSize: number } {
  const page = positiveInt(ctx.query.get('page'), 'page', 1);
  const requested = positiveInt(ctx.query.get('page_size'), 'page_size', defaultSize);
  return { page, pageSize: Math.min(requested, ctx.state.pageSizeMax) };
}

function positiveInt(raw: string | null, name: string, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw.trim()) || Number(raw) < 1) throw new HttpError(400, `Invalid ${name} "${raw}": expected a whole number of 1 or more`);
  return Number(raw);
}

function pagination(ctx: ApiContext, path: string, total: number, page: number, pageSize: number, totalPages: number) {
  const link = (p: number): string => `${ctx.apiBase}${path}?page=${p}&page_size=${pageSize}`;
  return {
    total_records: total,
    current_page: page,
    total_pages: totalPages,
    next_page: page < totalPages ? link(page + 1) : null,
    prev_page: page > 1 ? link(Math.min(page - 1, Math.max(totalPages, 1))) : null,
  };
}

let boundsCache: { key: string; bounds: number[] } | null = null;

/**
 * Page boundaries: `bounds[p-1]..bounds[p]` is page p. Normally every page holds `size` rows;
 * with short pages each holds 70–100 % of it (deterministic per page number), so there are more
 * pages than total/size and only following `next_page` reaches everyone.
 */
export function pageBounds(total: number, size: number, short: boolean): number[] {
  const key = `${total}:${size}:${short}`;
  if (boundsCache?.key === key) return boundsCache.bounds;
  const bounds = [0];
  let at = 0;
  for (let p = 1; at < total; p++) {
    let rows = size;
    if (short) rows = Math.max(1, size - Math.floor(hash01(p) * 0.3 * size + (size > 1 && p % 3 === 1 ? 1 : 0)));
    at = Math.min(total, at + rows);
    bounds.push(at);
  }
  boundsCache = { key, bounds };
  return bounds;
}

function hash01(n: number): number {
  let t = (n * 2654435761) >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x45d9f3b) >>> 0;
  t = (t ^ (t >>> 16)) >>> 0;
  return t / 4294967296;
}

// ───────────────────────── fields ─────────────────────────

function parseFields(raw: unknown): FieldName[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((f) => typeof f !== 'string')) {
    throw new HttpError(400, 'The "fields" property is required: a non-empty array of field names');
  }
  const unknown = (raw as string[]).filter((f) => !isFieldName(f));
  if (unknown.length > 0) {
    throw new HttpError(400, `Invalid field(s) requested for dataset ${DATASET_NAME}: ${[...new Set(unknown)].join(', ')}`);
  }
  return [...new Set(raw as FieldName[])];
}

// ───────────────────────── filters ─────────────────────────

const OPERATORS: Readonly<Record<FieldDef['type'], readonly string[]>> = {
  text: ['contains', 'does_not_contain', 'equal', 'not_equal', 'empty', 'not_empty'],
  date: ['lt', 'lte', 'gt', 'gte', 'last', 'next', 'range', 'equal', 'not_equal', 'empty', 'not_empty'],
  int: ['equal', 'not_equal', 'gte', 'gt', 'lte', 'lt', 'empty', 'not_empty'],
  options: ['includes', 'does_not_include', 'empty', 'not_empty'],
};

type Predicate = (rec: EmployeeRecord) => boolean;

function compileFilters(raw: unknown, roster: BambooRoster): Predicate | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new HttpError(400, '"filters" must be an object {match, filters: [...]}');
  const spec = raw as Record<string, unknown>;
  const match = spec['match'] ?? 'all';
  if (match !== 'all' && match !== 'any') throw new HttpError(400, '"filters.match" must be "all" or "any"');
  const list = spec['filters'] ?? [];
  if (!Array.isArray(list)) throw new HttpError(400, '"filters.filters" must be an array');
  if (list.length === 0) return null;
  const unknown = list
    .map((f: unknown) => (f && typeof f === 'object' ? (f as Record<string, unknown>)['field'] : undefined))
    .filter((f) => typeof f !== 'string' || !isFieldName(f));
  if (unknown.length > 0) throw new HttpError(400, `Invalid filter field(s): ${unknown.map(String).join(', ')}`);
  const preds = list.map((f: unknown) => compileFilter(f as Record<string, unknown>, roster));
  return match === 'all' ? (rec) => preds.every((p) => p(rec)) : (rec) => preds.some((p) => p(rec));
}

function compileFilter(f: Record<string, unknown>, roster: BambooRoster): Predicate {
  const field = f['field'] as FieldName;
  const def = FIELD_BY_NAME.get(field) as FieldDef;
  const op = f['operator'];
  if (typeof op !== 'string' || !OPERATORS[def.type].includes(op)) {
    throw new HttpError(400, `Invalid operator "${String(op)}" for ${def.type} field ${field} (allowed: ${OPERATORS[def.type].join(', ')})`);
  }
  const get = (rec: EmployeeRecord): string | null => roster.value(rec, field);
  const value = f['value'];
  if (op === 'empty') return (rec) => get(rec) === null;
  if (op === 'not_empty') return (rec) => get(rec) !== null;

  switch (def.type) {
    case 'text': {
      const v = scalar(value, field).toLowerCase();
      if (op === 'contains') return (rec) => (get(rec) ?? '').toLowerCase().includes(v);
      if (op === 'does_not_contain') return (rec) => !(get(rec) ?? '').toLowerCase().includes(v);
      if (op === 'equal') return (rec) => (get(rec) ?? '').toLowerCase() === v;
      return (rec) => (get(rec) ?? '').toLowerCase() !== v;
    }
    case 'options': {
      const wanted = new Set(listValue(value, field).map((s) => s.toLowerCase()));
      // Option ids (as `/meta/lists` or field-options give them) match too.
      const list = roster.lists().find((l) => l.alias === field);
      if (list) for (const o of list.options) if (wanted.has(String(o.id))) wanted.add(o.name.toLowerCase());
      const has = (rec: EmployeeRecord): boolean => wanted.has((get(rec) ?? '').toLowerCase());
      return op === 'includes' ? has : (rec) => !has(rec);
    }
    case 'int': {
      const n = Number(scalar(value, field));
      if (!Number.isFinite(n)) throw new HttpError(400, `Filter value for ${field} must be a number`);
      const num = (rec: EmployeeRecord): number | null => {
        const v = get(rec);
        return v === null ? null : Number(v);
      };
      const cmp: Record<string, (a: number) => boolean> = {
        equal: (a) => a === n, not_equal: (a) => a !== n, gt: (a) => a > n, gte: (a) => a >= n, lt: (a) => a < n, lte: (a) => a <= n,
      };
      const test = cmp[op] as (a: number) => boolean;
      return (rec) => {
        const a = num(rec);
        return a === null ? op === 'not_equal' : test(a);
      };
    }
    case 'date': {
      const day = (rec: EmployeeRecord): string | null => get(rec)?.slice(0, 10) ?? null;
      if (op === 'range') {
        const r = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
        const start = dateValue(r['start'], `${field} range start`);
        const end = dateValue(r['end'], `${field} range end`);
        return (rec) => {
          const d = day(rec);
          return d !== null && d >= start && d <= end;
        };
      }
      if (op === 'last' || op === 'next') {
        const r = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
        const duration = Number(r['duration']);
        const unit = r['unit'];
        const perUnit: Record<string, number> = { days: 1, weeks: 7, months: 30, years: 365 };
        if (!Number.isFinite(duration) || duration < 0 || typeof unit !== 'string' || !(unit in perUnit)) {
          throw new HttpError(400, `Filter "${op}" on ${field} needs {"duration": "N", "unit": "days|weeks|months|years"}`);
        }
        const today = dayOf(todayUtc());
        const span = Math.round(duration * (perUnit[unit] as number));
        const [from, to] = op === 'last' ? [dateOf(today - span), dateOf(today)] : [dateOf(today), dateOf(today + span)];
        return (rec) => {
          const d = day(rec);
          return d !== null && d >= from && d <= to;
        };
      }
      const v = dateValue(value, field);
      const cmp: Record<string, (d: string) => boolean> = {
        lt: (d) => d < v, lte: (d) => d <= v, gt: (d) => d > v, gte: (d) => d >= v, equal: (d) => d === v, not_equal: (d) => d !== v,
      };
      const test = cmp[op] as (d: string) => boolean;
      return (rec) => {
        const d = day(rec);
        return d === null ? op === 'not_equal' : test(d);
      };
    }
  }
}

function scalar(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new HttpError(400, `Filter value for ${field} must be a string`);
}

function listValue(value: unknown, field: string): string[] {
  let v = value;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('[')) {
      try {
        v = JSON.parse(t) as unknown;
      } catch {
        throw new HttpError(400, `Filter value for ${field} must be a list like ["value1", "value2"]`);
      }
    } else v = [t];
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
    throw new HttpError(400, `Filter value for ${field} must be a list like ["value1", "value2"]`);
  }
  return v.map(String);
}

function dateValue(value: unknown, what: string): string {
  if (typeof value !== 'string' || !isIsoDate(value)) throw new HttpError(400, `Filter value for ${what} must be a date written YYYY-MM-DD`);
  return value;
}

// ───────────────────────── sorting ─────────────────────────

interface SortKey {
  readonly field: FieldName;
  readonly desc: boolean;
}

function parseSort(raw: unknown): SortKey[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new HttpError(400, '"sortBy" must be an array of {field, sort}');
  return raw.map((s: unknown) => {
    const o = s && typeof s === 'object' ? (s as Record<string, unknown>) : {};
    const field = o['field'];
    if (typeof field !== 'string' || !isFieldName(field)) throw new HttpError(400, `Invalid sortBy field: ${String(field)}`);
    const dir = o['sort'] ?? 'asc';
    if (dir !== 'asc' && dir !== 'desc') throw new HttpError(400, `sortBy.sort must be "asc" or "desc"`);
    return { field, desc: dir === 'desc' };
  });
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

function sortRecords(list: readonly EmployeeRecord[], keys: readonly SortKey[], roster: BambooRoster): EmployeeRecord[] {
  const decorated = list.map((rec) => ({ rec, values: keys.map((k) => roster.value(rec, k.field)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as SortKey;
      const x = a.values[i] ?? null;
      const y = b.values[i] ?? null;
      if (x === y) continue;
      let c: number;
      if (x === null) c = -1;
      else if (y === null) c = 1;
      else if (FIELD_BY_NAME.get(k.field)?.type === 'int') c = Number(x) - Number(y);
      else c = collator.compare(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return Number(a.rec.id) - Number(b.rec.id);
  });
  return decorated.map((d) => d.rec);
}
