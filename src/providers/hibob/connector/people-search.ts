/**
 * `POST /v1/people/search` — HiBob's bulk employee read.
 *
 * Followed from HiBob's "Search for employees" reference and "People read API contract"
 * (apidocs.hibob.com/reference/post_people-search, apidocs.hibob.com/docs/people-read-api-contract):
 * - Body `{fields, filters?, showInactive, humanReadable?}`. `fields` are field ids in dot notation
 *   from the fields metadata (`root.id`, `work.department`); at most 400.
 * - `showInactive` defaults to false (active only); a full sync sends true so terminated people and
 *   future starters (`internal.status` Inactive) come back too.
 * - `filters` supports only `root.id` / `root.email` with `equals`, at most one; an empty list can
 *   be a 400, so the property is omitted when not filtering.
 * - `humanReadable`: omitted → machine values (named-list ids), `APPEND` → machine values plus a
 *   `humanReadable` node with display values, `REPLACE` → display values only. We send `APPEND`:
 *   ids stay authoritative (department/site ids, the manager's id) and display values cover list
 *   fields whose lists we do not fetch (job title, employment type, lifecycle status).
 * - No pagination: one `{"employees": [...]}` holds every match. No changed-since either.
 * - Fields without permission, or unknown, are silently omitted (200).
 * - Response keys: slash notation (`"/work/department": {"value": ...}`), and the same employee
 *   may also carry nested category objects (`work: {department: ...}`, root fields at the top level).
 *   `fieldValue` reads either form.
 */
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import { PROVIDER, type HibobClient } from './client.ts';

export const PEOPLE_SEARCH_PATH = '/v1/people/search';
export const MAX_SEARCH_FIELDS = 400;

/**
 * The fields a sync reads (dot-notation field ids), none from a personal category: the work numbers
 * are `work.workPhone` and `work.workMobile` (HiBob's field list, apidocs.hibob.com/reference/get_company-people-fields);
 * `home.mobilePhone` is personal and only read when an admin maps it (see `extraFieldIds`).
 */
export const SEARCH_FIELDS: readonly string[] = [
  'root.id',
  'root.email',
  'root.firstName',
  'root.surname',
  'root.displayName',
  'work.title',
  'work.department',
  'work.site',
  'work.siteId',
  'work.reportsTo',
  'work.reportsToIdInCompany',
  'work.employeeIdInCompany',
  'work.startDate',
  'work.isManager',
  'work.workPhone',
  'work.workMobile',
  'internal.status',
  'internal.lifecycleStatus',
  'internal.terminationDate',
  'payroll.employment.type',
];

/** A HiBob field id as the metadata writes it (`home.mobilePhone`, `work.custom.field_100`). */
export const FIELD_ID = /^[a-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/;

/**
 * Field ids beyond SEARCH_FIELDS that the integration maps or scopes on (a mapping names them by
 * their HiBob id, e.g. `home.mobilePhone`), or lists in `settings.extraFields`; they come back as
 * attributes under the same id. Capped so the search stays within HiBob's 400 fields.
 */
export function extraFieldIds(names: Iterable<unknown>): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (typeof n !== 'string') continue;
    const id = n.startsWith('source.') ? n.slice('source.'.length) : n;
    if (FIELD_ID.test(id) && !SEARCH_FIELDS.includes(id) && !out.includes(id)) out.push(id);
  }
  return out.slice(0, MAX_SEARCH_FIELDS - SEARCH_FIELDS.length);
}

export type HumanReadableMode = 'APPEND' | 'REPLACE';

export interface SearchOptions {
  readonly fields: readonly string[];
  readonly showInactive: boolean;
  readonly humanReadable?: HumanReadableMode;
  readonly filter?: { readonly fieldPath: 'root.id' | 'root.email'; readonly values: readonly string[] };
}

export interface SearchResult {
  /** Raw employee objects, in the provider's order. */
  readonly employees: readonly unknown[];
  /** The response's `Date` header as ISO 8601, when it had a valid one. */
  readonly serverDate: string | undefined;
  readonly url: string;
}

export function searchBody(options: SearchOptions): Record<string, unknown> {
  if (options.fields.length > MAX_SEARCH_FIELDS) throw new RangeError(`HiBob accepts at most ${MAX_SEARCH_FIELDS} fields`);
  return {
    fields: [...options.fields],
    ...(options.filter ? { filters: [{ fieldPath: options.filter.fieldPath, operator: 'equals', values: [...options.filter.values] }] } : {}),
    showInactive: options.showInactive,
    ...(options.humanReadable ? { humanReadable: options.humanReadable } : {}),
  };
}

export async function searchPeople(client: HibobClient, options: SearchOptions): Promise<SearchResult> {
  const res = await client.post(PEOPLE_SEARCH_PATH, searchBody(options));
  const body = parseJsonBody(PROVIDER, res);
  if (!isRecord(body) || !Array.isArray(body['employees'])) throw badData(PROVIDER, res.url, 'the answer has no "employees" list');
  const date = res.headers.get('date');
  const ms = date ? Date.parse(date) : Number.NaN;
  return { employees: body['employees'] as unknown[], serverDate: Number.isNaN(ms) ? undefined : new Date(ms).toISOString(), url: res.url };
}

function unwrap(v: unknown): unknown {
  // Slash-keyed values come wrapped: {"value": ...}.
  return isRecord(v) && 'value' in v && Object.keys(v).length === 1 ? v['value'] : v;
}

/**
 * A field's value from one employee object, whichever form HiBob used: the slash key
 * (`"/work/department": {"value": x}` or a bare value), else the nested form (`work.department`;
 * root fields at the top level, or under `root`). `undefined` when absent (silently omitted).
 */
export function fieldValue(employee: Readonly<Record<string, unknown>>, fieldId: string): unknown {
  const parts = fieldId.split('.');
  const slash = employee[`/${parts.join('/')}`];
  if (slash !== undefined) return unwrap(slash);
  const walk = (start: unknown, keys: readonly string[]): unknown => {
    let cur = start;
    for (const k of keys) {
      if (!isRecord(cur)) return undefined;
      cur = cur[k];
    }
    return cur;
  };
  if (parts[0] === 'root') {
    const top = walk(employee, parts.slice(1));
    return top !== undefined ? top : walk(employee['root'], parts.slice(1));
  }
  return walk(employee, parts);
}

/** A field's display value from the `humanReadable` node (APPEND), when there is one. */
export function humanValue(employee: Readonly<Record<string, unknown>>, fieldId: string): unknown {
  const node = employee['humanReadable'];
  return isRecord(node) ? fieldValue(node, fieldId) : undefined;
}
