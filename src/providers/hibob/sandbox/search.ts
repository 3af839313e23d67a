/**
 * `POST /v1/people/search` for the HiBob sandbox, per HiBob's "Search for employees" reference and
 * "People read API contract" (apidocs.hibob.com/reference/post_people-search,
 * apidocs.hibob.com/docs/people-read-api-contract):
 *
 * - Body `{fields?, filters?, showInactive?, humanReadable?}`. `fields` are field ids in dot
 *   notation (`root.id`, `work.department`); the slash form (`/root/id`) is accepted too. At most
 *   400. Unknown or unpermitted fields are silently omitted (200, no warning). Without `fields`,
 *   the root and work fields are returned.
 * - `filters`: at most one `{fieldPath: "root.id"|"root.email", operator: "equals", values: [...]}`;
 *   anything else, or an empty `filters: []`, is 400.
 * - `showInactive` (default false): false returns only `internal.status = Active` people
 *   (terminated people and future starters are Inactive).
 * - `humanReadable`: omitted/empty → machine values (list-item ids); `APPEND` → machine values plus
 *   a `humanReadable` node holding display values; `REPLACE` → display values instead.
 * - No paging: every match in one `{"employees": [...]}`.
 * - Response keys: slash notation, each `{"value": ...}` (`"/work/department": {"value": "1234"}`),
 *   and/or nested category objects (root fields at the top level, `work: {...}`): the contract says
 *   the same employee may carry both. The sandbox's `shape` option picks (default: slash keys).
 *
 * Machine values follow HiBob: `work.department`, `work.title`, `payroll.employment.type` are
 * named-list item ids; `work.site` is the site's name and `work.siteId` its numeric id;
 * `work.reportsTo` is an object `{id, displayName, email, firstName, surname}`;
 * `work.employeeIdInCompany` and `work.reportsToIdInCompany` are numbers; `work.isManager` a boolean.
 */
import type { HibobRecord, HibobRoster } from './roster.ts';

export type ResponseShape = 'both' | 'paths' | 'nested';
export type HumanReadable = 'APPEND' | 'REPLACE' | null;

interface Ctx {
  readonly roster: HibobRoster;
  readonly managers: ReadonlySet<string>;
}

interface FieldDef {
  readonly id: string;
  readonly path: string;
  /** Where the value sits in the nested form (root fields at the top level). */
  readonly nested: readonly string[];
  /** Its metadata (`GET /v1/company/people/fields`). */
  readonly meta: FieldMeta;
  machine(r: HibobRecord, c: Ctx): unknown;
  /** The display value, for fields whose machine value is an id or an object. */
  human?(r: HibobRecord, c: Ctx): unknown;
}

/** One entry of "Get all employee fields" (apidocs.hibob.com/reference/get_company-people-fields). */
export interface FieldMeta {
  readonly id: string;
  readonly name: string;
  readonly categoryId: string;
  readonly categoryDisplayName: string;
  readonly type: string;
  readonly jsonPath: string;
  readonly historical: boolean;
  readonly typeData: { readonly listId?: string };
}

const CATEGORY_NAMES: Readonly<Record<string, string>> = { root: 'Basic info', work: 'Work', internal: 'Lifecycle', home: 'Home', payroll: 'Employment' };

function def(id: string, name: string, type: string, machine: FieldDef['machine'], human?: FieldDef['human'], extra: { listId?: string; historical?: boolean } = {}): FieldDef {
  const parts = id.split('.');
  const categoryId = parts[0] as string;
  const meta: FieldMeta = {
    id,
    name,
    categoryId,
    categoryDisplayName: CATEGORY_NAMES[categoryId] ?? categoryId,
    type,
    jsonPath: categoryId === 'root' ? parts.slice(1).join('.') : id,
    historical: extra.historical ?? false,
    typeData: extra.listId ? { listId: extra.listId } : {},
  };
  return { id, path: `/${parts.join('/')}`, nested: parts[0] === 'root' ? parts.slice(1) : parts, meta, machine, ...(human ? { human } : {}) };
}

const manager = (r: HibobRecord, c: Ctx): HibobRecord | undefined => (r.reportsTo === null ? undefined : c.roster.record(r.reportsTo));

/**
 * The fields the sandbox serves: a subset of HiBob's out-of-the-box employee fields, ids, names,
 * categories and types as HiBob's metadata lists them ("Get all employee fields", "Fields and lists
 * metadata" at apidocs.hibob.com/docs/fields-metadata). The work numbers are `work.workPhone`
 * ("Work phone") and `work.workMobile` ("Work mobile"); `home.mobilePhone` is the personal mobile
 * in the Home category. There is no `work.mobilePhone`.
 */
export const FIELDS: readonly FieldDef[] = [
  def('root.id', 'ID', 'employee-reference', (r) => r.id),
  def('root.email', 'Email', 'text', (r) => r.email),
  def('root.firstName', 'First name', 'text', (r) => r.firstName),
  def('root.surname', 'Last name', 'text', (r) => r.surname),
  def('root.displayName', 'Display name', 'text', (r) => r.displayName),
  def('root.fullName', 'Full name', 'text', (r) => `${r.firstName} ${r.surname}`),
  def('root.creationDateTime', 'Creation date', 'time', (r) => r.creationDateTime),
  def('work.title', 'Job title', 'list', (r) => r.titleId, (r, c) => c.roster.itemName('title', r.titleId), { listId: 'title', historical: true }),
  def('work.department', 'Department', 'list', (r) => r.departmentId, (r, c) => c.roster.itemName('department', r.departmentId), { listId: 'department', historical: true }),
  def('work.site', 'Site', 'text', (r, c) => c.roster.itemName('site', r.siteId)),
  def('work.siteId', 'Site', 'list_id', (r) => (r.siteId === null ? null : Number(r.siteId)), undefined, { listId: 'site', historical: true }),
  def(
    'work.reportsTo',
    'Reports to',
    'employee',
    (r, c) => {
      const m = manager(r, c);
      return m ? { id: m.id, displayName: m.displayName, email: m.email, firstName: m.firstName, surname: m.surname } : null;
    },
    (r, c) => manager(r, c)?.displayName ?? null,
    { historical: true },
  ),
  def('work.manager', 'Manager', 'employee-reference', (r) => r.reportsTo, undefined, { historical: true }),
  def('work.reportsToIdInCompany', 'Reports to (employee ID)', 'number', (r, c) => manager(r, c)?.employeeIdInCompany ?? null),
  def('work.employeeIdInCompany', 'Employee ID', 'number', (r) => r.employeeIdInCompany),
  def('work.startDate', 'Start date', 'date', (r) => r.startDate),
  def('work.isManager', 'Is manager', 'boolean', (r, c) => c.managers.has(r.id)),
  def('work.workPhone', 'Work phone', 'text', (r) => r.workPhone),
  def('work.workMobile', 'Work mobile', 'text', (r) => r.workMobile),
  def('internal.status', 'Status', 'list', (r) => r.status, undefined, { listId: 'status', historical: true }),
  def('internal.lifecycleStatus', 'Lifecycle status', 'list', (r) => r.lifecycleStatus, (r) => r.lifecycleStatus.charAt(0).toUpperCase() + r.lifecycleStatus.slice(1), { listId: 'lifecycleStatus', historical: true }),
  def('internal.terminationDate', 'Termination date', 'date', (r) => r.terminationDate),
  def('home.mobilePhone', 'Mobile phone', 'text', (r) => r.homeMobilePhone),
  def('payroll.employment.type', 'Employment type', 'list', (r) => r.employmentTypeId, (r, c) => c.roster.itemName('employmentType', r.employmentTypeId), { listId: 'employmentType', historical: true }),
];

const BY_ID = new Map<string, FieldDef>();
for (const f of FIELDS) {
  BY_ID.set(f.id, f);
  BY_ID.set(f.path, f);
}
const DEFAULT_FIELDS = FIELDS.filter((f) => f.id.startsWith('root.') || f.id.startsWith('work.'));
export const MAX_FIELDS = 400;

export class SearchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchError';
  }
}

export interface SearchRequest {
  readonly fields: readonly FieldDef[];
  readonly fieldCount: number;
  readonly filter: { readonly by: 'id' | 'email'; readonly values: ReadonlySet<string> } | null;
  readonly showInactive: boolean;
  readonly humanReadable: HumanReadable;
}

/** Validates a search body as HiBob does; throws SearchError (→ 400) on what HiBob rejects. */
export function parseSearchBody(body: unknown): SearchRequest {
  if (body === undefined) body = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SearchError('The request body must be a JSON object');
  const b = body as Record<string, unknown>;
  let fields: FieldDef[] = DEFAULT_FIELDS;
  let fieldCount = DEFAULT_FIELDS.length;
  if (b['fields'] !== undefined) {
    const raw = b['fields'];
    if (!Array.isArray(raw) || raw.some((f) => typeof f !== 'string')) throw new SearchError('fields must be a list of field ids');
    if (raw.length > MAX_FIELDS) throw new SearchError(`fields may list at most ${MAX_FIELDS} field ids`);
    fieldCount = raw.length;
    const seen = new Set<FieldDef>();
    for (const f of raw as string[]) {
      const d = BY_ID.get(f.trim());
      if (d) seen.add(d); // unknown ids: silently omitted, as HiBob does
    }
    fields = [...seen];
  }
  let filter: SearchRequest['filter'] = null;
  if (b['filters'] !== undefined) {
    const raw = b['filters'];
    if (!Array.isArray(raw) || raw.length === 0) throw new SearchError('filters must be omitted or hold exactly one filter');
    if (raw.length > 1) throw new SearchError('At most one filter is supported');
    const f = raw[0] as Record<string, unknown> | null;
    if (!f || typeof f !== 'object') throw new SearchError('A filter must be an object');
    const path = typeof f['fieldPath'] === 'string' ? f['fieldPath'].replace(/^\//, '').replace(/\//g, '.') : '';
    if (path !== 'root.id' && path !== 'root.email') throw new SearchError('Only root.id and root.email can be filtered on');
    if (f['operator'] !== 'equals') throw new SearchError('Only the "equals" operator is supported');
    const values = f['values'];
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) throw new SearchError('filter values must be a non-empty list of strings');
    filter = { by: path === 'root.id' ? 'id' : 'email', values: new Set((values as string[]).map((v) => (path === 'root.email' ? v.toLowerCase() : v))) };
  }
  const si = b['showInactive'];
  if (si !== undefined && typeof si !== 'boolean') throw new SearchError('showInactive must be true or false');
  const hr = b['humanReadable'];
  let humanReadable: HumanReadable = null;
  if (hr !== undefined && hr !== null && hr !== '') {
    if (hr !== 'APPEND' && hr !== 'REPLACE') throw new SearchError('humanReadable must be "APPEND" or "REPLACE" (or omitted)');
    humanReadable = hr;
  }
  return { fields, fieldCount, filter, showInactive: si === true, humanReadable };
}

function setNested(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let cur = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i] as string;
    let next = cur[k] as Record<string, unknown> | undefined;
    if (next === undefined) cur[k] = next = {};
    cur = next;
  }
  cur[keys[keys.length - 1] as string] = value;
}

/** The people a request matches, in roster order. */
export function matchingRecords(roster: HibobRoster, req: SearchRequest): HibobRecord[] {
  const out: HibobRecord[] = [];
  for (const r of roster.records()) {
    if (!req.showInactive && r.status !== 'Active') continue;
    if (req.filter) {
      const key = req.filter.by === 'id' ? r.id : (r.email ?? '').toLowerCase();
      if (!req.filter.values.has(key)) continue;
    }
    out.push(r);
  }
  return out;
}

/**
 * The response body, `{"employees": [...]}`, as JSON text in chunks of 1,000 employees (the
 * server streams them).
 */
export function renderSearch(roster: HibobRoster, req: SearchRequest, shape: ResponseShape): { chunks: string[]; count: number } {
  const managers = new Set<string>();
  for (const r of roster.records()) if (r.reportsTo !== null) managers.add(r.reportsTo);
  const ctx: Ctx = { roster, managers };
  const records = matchingRecords(roster, req);
  const paths = shape !== 'nested';
  const nested = shape !== 'paths';
  const chunks: string[] = [];
  let batch: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as HibobRecord;
    const emp: Record<string, unknown> = {};
    const human: Record<string, unknown> | null = req.humanReadable === 'APPEND' ? {} : null;
    for (const f of req.fields) {
      let value = f.machine(r, ctx);
      let hv: unknown;
      if (f.human && value !== null && value !== undefined) hv = f.human(r, ctx);
      if (req.humanReadable === 'REPLACE' && hv !== undefined && hv !== null) value = hv;
      if (paths) emp[f.path] = { value };
      if (nested) setNested(emp, f.nested, value);
      if (human && hv !== undefined && hv !== null) {
        if (paths) human[f.path] = { value: hv };
        if (nested) setNested(human, f.nested, hv);
      }
    }
    if (human) emp['humanReadable'] = human;
    batch.push(JSON.stringify(emp));
    if (batch.length === 1000) {
      chunks.push(batch.join(','));
      batch = [];
    }
  }
  if (batch.length > 0) chunks.push(batch.join(','));
  const out = chunks.map((c, k) => (k === 0 ? `{"employees":[${c}` : `,${c}`));
  if (out.length === 0) out.push('{"employees":[');
  out.push(']}');
  return { chunks: out, count: records.length };
}
