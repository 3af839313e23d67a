import { sql, SqliteAdapter, type Kysely, type RawBuilder, type SqlBool, type Transaction } from 'kysely';
import type { FieldValues, Role } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import type { ProvenanceMap } from '../core/resolve.ts';
import type { Database, EmployeeRow, NewEmployeeRow } from './schema.ts';
import { parseJson } from './ids.ts';
import { decodeProvenance, encodeProvenance } from './provenance.ts';
import { stableHash } from '../core/hash.ts';
import { normalizeEmail, normalizeEmployeeNumber } from '../core/correlate.ts';

export interface Employee {
  readonly id: string;
  readonly tenantId: string;
  readonly status: PersonStatus;
  readonly role: Role;
  readonly fields: FieldValues;
  readonly provenance: ProvenanceMap;
  readonly customConfig: Record<string, unknown>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Grows at every write (the ETag). */
  readonly version: number;
}

export function toEmployee(row: EmployeeRow): Employee {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    status: row.status as PersonStatus,
    role: row.role as Role,
    fields: parseJson(row.fields, {}),
    provenance: decodeProvenance(row.provenance),
    customConfig: parseJson(row.custom_config, {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
  };
}

export function searchText(fields: FieldValues): string {
  const text = [fields.displayName, fields.preferredName, fields.firstName, fields.lastName, fields.email, fields.employeeNumber, fields.jobTitle].filter(Boolean).join(' ');
  // ASCII is its own NFKC form and lower-cases alike in every locale but Turkish, Azeri and
  // Lithuanian: the plain lower-casing skips ICU for most people (a sync computes 100,000).
  return ASCII.test(text) ? text.toLowerCase() : text.normalize('NFKC').toLocaleLowerCase('en');
}

const ASCII = /^[\x00-\x7f]*$/;

type Db = Kysely<Database> | Transaction<Database>;

/**
 * What a sync plans from: the person's status and fields (not role or custom configuration,
 * which sync never reads nor writes). A held run is stale when this moved for one of its people.
 */
export function syncBaseHash(row: { status: string; fields: string }): string {
  return stableHash({ s: row.status, f: parseJson<FieldValues>(row.fields, {}) });
}

export async function getEmployee(db: Db, tenantId: string, id: string): Promise<Employee | undefined> {
  const row = await db.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toEmployee(row) : undefined;
}

export async function employeesByIds(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, EmployeeRow>> {
  const out = new Map<string, EmployeeRow>();
  for (const chunk of chunks(ids, LOOKUP_CHUNK)) {
    const rows = await db.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId).where(inValues(db, 'id', chunk)).execute();
    for (const row of rows) out.set(row.id, row);
  }
  return out;
}

/** Correlation look-up: employee ids by normalised email or employee number. */
export async function employeesByKeys(db: Db, tenantId: string, emails: readonly string[], numbers: readonly string[]): Promise<{ id: string; email_norm: string | null; employee_number: string | null }[]> {
  const out: { id: string; email_norm: string | null; employee_number: string | null }[] = [];
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    for (const chunk of chunks([...new Set(emails)], LOOKUP_CHUNK)) out.push(...(await pgKeyLookup(db, tenantId, 'email_norm', chunk)));
    for (const chunk of chunks([...new Set(numbers)], LOOKUP_CHUNK)) out.push(...(await pgKeyLookup(db, tenantId, 'employee_number', chunk)));
    return out;
  }
  for (const chunk of chunks(emails, LOOKUP_CHUNK)) {
    out.push(...(await db.selectFrom('employees').select(['id', 'email_norm', 'employee_number']).where('tenant_id', '=', tenantId).where(inValues(db, 'email_norm', chunk)).execute()));
  }
  for (const chunk of chunks(numbers, LOOKUP_CHUNK)) {
    out.push(...(await db.selectFrom('employees').select(['id', 'email_norm', 'employee_number']).where('tenant_id', '=', tenantId).where(inValues(db, 'employee_number', chunk)).execute()));
  }
  return out;
}

/**
 * PostgreSQL: one index probe of (tenant, key) per value, whatever the planner believes of the
 * tenant. Written as `tenant_id = $1 and key = any($2)`, a tenant whose rows the statistics do
 * not know (any first sync: none yet, or a new tenant missing from the common values) was planned
 * as a scan of every row of the tenant filtered by the keys, since the tenant alone looked like
 * a few rows: each page's look-up read the whole tenant written so far (at 100,000 people,
 * 3 s of a first sync's database time, and it grew with the square of the roster). The lateral
 * subquery (kept apart by `offset 0`) is planned for one value at a time, where the index on
 * both columns always wins. Each distinct value once: the caller's values are a set.
 */
async function pgKeyLookup(db: Db, tenantId: string, column: 'email_norm' | 'employee_number', values: readonly string[]) {
  const { rows } = await sql<{ id: string; email_norm: string | null; employee_number: string | null }>`
    select e.id, e.email_norm, e.employee_number from unnest(${[...values]}::text[]) as k(v),
      lateral (select id, email_norm, employee_number from employees where tenant_id = ${tenantId} and ${sql.ref(column)} = k.v offset 0) as e`.execute(db);
  return rows;
}

export async function insertEmployees(db: Db, rows: readonly NewEmployeeRow[]): Promise<void> {
  for (const chunk of chunks(rows, 1000)) {
    await db.insertInto('employees').values(chunk).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
}

export interface EmployeeWrite {
  readonly id: string;
  readonly status: PersonStatus;
  readonly fields: FieldValues;
  readonly provenance: ProvenanceMap;
  /** The provenance already in its stored form, when it came from storage (saves a round trip). */
  readonly storedProvenance?: string;
  /** `fields` already as JSON, when the caller has it (a new person's fields are its change's `after`). */
  readonly storedFields?: string;
  readonly emailNorm: string | null;
  readonly employeeNumber: string | null;
  readonly updatedAt: string;
}

/** The columns a sync write sets (one definition for the Kysely and the prepared-statement paths). */
export function employeeWriteColumns(w: EmployeeWrite) {
  return {
    status: w.status,
    fields: w.storedFields ?? JSON.stringify(w.fields),
    provenance: w.storedProvenance ?? encodeProvenance(w.provenance),
    email_norm: w.emailNorm,
    employee_number: w.employeeNumber,
    search_text: searchText(w.fields),
    updated_at: w.updatedAt,
  };
}

/**
 * A sync's write of one person: only the columns sync owns (never role or custom configuration),
 * and, given `baseVersion`, only while the person is still at the version the change was planned
 * from (compare-and-set). Every write moves the version. Answers whether the row was written.
 */
/** The columns of a person's resolved state, keys derived from the fields (an admin's edit, a re-resolution). */
export function stateColumns(state: { status: PersonStatus; fields: FieldValues; provenance: ProvenanceMap }, updatedAt: string) {
  return {
    status: state.status,
    fields: JSON.stringify(state.fields),
    provenance: encodeProvenance(state.provenance),
    email_norm: normalizeEmail(state.fields.email) ?? null,
    employee_number: normalizeEmployeeNumber(state.fields.employeeNumber) ?? null,
    search_text: searchText(state.fields),
    updated_at: updatedAt,
  };
}

export async function updateEmployee(db: Db, tenantId: string, w: EmployeeWrite, baseVersion: number | null = null): Promise<boolean> {
  let q = db
    .updateTable('employees')
    .set((eb) => ({ ...employeeWriteColumns(w), version: eb('version', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', w.id);
  if (baseVersion !== null) q = q.where('version', '=', baseVersion);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export const EMPLOYEE_SORTS = ['name', 'email', 'department', 'status', 'source', 'updated'] as const;
export type EmployeeSort = (typeof EMPLOYEE_SORTS)[number];

/** Where the previous page ended: its last row's sort value and id (the tie-break). */
export interface EmployeeKeyset {
  readonly value: string;
  readonly id: string;
}

export interface EmployeeQuery {
  readonly q?: string;
  readonly email?: string;
  readonly status?: PersonStatus;
  /** Only people linked to this source ('none': people no source is linked to). */
  readonly integrationId?: string;
  /** Only members of this group or of its sub-groups. */
  readonly groupId?: string;
  /** Department, case-insensitive and exact (after trimming). */
  readonly department?: string;
  readonly role?: Role;
  /** Sort column and direction; id order when absent. */
  readonly sort?: { readonly by: EmployeeSort; readonly desc: boolean };
  readonly limit: number;
  /** Id order: the last id of the previous page; with `sort`, its keyset. */
  readonly after?: string | EmployeeKeyset;
}

/** A field's value from the fields JSON (text in both stores); the name inline, so PostgreSQL sees one expression in GROUP BY and ORDER BY. */
function fieldSql(db: Db, name: string): RawBuilder<string | null> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? sql<string | null>`json_extract(employees.fields, ${sql.lit(`$.${name}`)})` : sql<string | null>`(employees.fields::jsonb ->> ${sql.lit(name)})`;
}

/**
 * The value a column sorts by, never null (an empty value sorts first ascending), the same
 * expression for the ORDER BY and for the keyset comparison so a cursor stays exact: name as the
 * console shows it (display name, else preferred or first name and last name, else e-mail),
 * lower-cased; the source is the first linked integration's name ('' for ReFresh-only people).
 */
function sortSql(db: Db, tenantId: string, by: EmployeeSort): RawBuilder<string> {
  const f = (name: string) => fieldSql(db, name);
  switch (by) {
    case 'name':
      return sql<string>`lower(coalesce(nullif(${f('displayName')}, ''), nullif(trim(coalesce(nullif(${f('preferredName')}, ''), ${f('firstName')}, '') || ' ' || coalesce(${f('lastName')}, '')), ''), employees.email_norm, ''))`;
    case 'email':
      return sql<string>`coalesce(employees.email_norm, '')`;
    case 'department':
      return sql<string>`lower(coalesce(${f('department')}, ''))`;
    case 'status':
      return sql<string>`employees.status`;
    case 'source':
      return sql<string>`coalesce((select min(lower(i.name)) from employee_links l join integrations i on i.id = l.integration_id where l.tenant_id = ${tenantId} and l.employee_id = employees.id and i.removed_at is null), '')`;
    case 'updated':
      return sql<string>`employees.updated_at`;
  }
}

type ListedRow = EmployeeRow & { sort_key?: string };

/** One person's current sort value ('' when they are gone: the page then continues from the start of the ties). */
export async function sortValueOf(db: Db, tenantId: string, by: EmployeeSort, id: string): Promise<string> {
  const row = await db.selectFrom('employees').select(sortSql(db, tenantId, by).as('v')).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row?.v ?? '';
}

export async function listEmployees(db: Db, tenantId: string, query: EmployeeQuery): Promise<ListedRow[]> {
  const search = query.q ? await searchPlan(db, tenantId, query.q, query.limit) : undefined;
  let q = filteredEmployees(db, tenantId, query, search);
  const sort = query.sort;
  if (!sort) {
    if (typeof query.after === 'string') q = q.where('id', '>', query.after);
    return q.selectAll().orderBy('id').limit(query.limit).execute();
  }
  const key = sortSql(db, tenantId, sort.by);
  const after = query.after;
  if (after !== undefined && typeof after !== 'string') {
    q = sort.desc
      ? q.where(sql<boolean>`(${key} < ${after.value} or (${key} = ${after.value} and employees.id < ${after.id}))`)
      : q.where(sql<boolean>`(${key} > ${after.value} or (${key} = ${after.value} and employees.id > ${after.id}))`);
  }
  const dir = sort.desc ? sql`desc` : sql`asc`;
  return q
    .selectAll()
    .select(key.as('sort_key'))
    .orderBy(sql`${key} ${dir}`)
    .orderBy(sql`employees.id ${dir}`)
    .limit(query.limit)
    .execute();
}

/** How many people the query's filters (not its page) match. */
export async function countEmployees(db: Db, tenantId: string, query: Omit<EmployeeQuery, 'limit' | 'after' | 'sort'>): Promise<number> {
  const search = query.q ? await searchPlan(db, tenantId, query.q, 1000) : undefined;
  const row = await filteredEmployees(db, tenantId, query, search).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Departments in use, as written (the first spelling of each, case-insensitively), sorted. */
export async function listDepartments(db: Db, tenantId: string, limit = 500): Promise<string[]> {
  const dept = fieldSql(db, 'department');
  const rows = await db
    .selectFrom('employees')
    .select((eb) => eb.fn.min(dept).as('name'))
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`coalesce(${dept}, '') <> ''`)
    .groupBy(sql`lower(${dept})`)
    .orderBy(sql`lower(${dept})`)
    .limit(limit)
    .execute();
  return rows.map((r) => String(r.name));
}

function filteredEmployees(db: Db, tenantId: string, query: Omit<EmployeeQuery, 'limit' | 'after' | 'sort'>, search: { condition: RawBuilder<boolean>; drives: boolean } | undefined) {
  // With few matches the search index drives (`+` keeps SQLite from walking the tenant's id index instead).
  let q = db.selectFrom('employees').where(search?.drives ? sql<boolean>`+employees.tenant_id = ${tenantId}` : sql<boolean>`employees.tenant_id = ${tenantId}`);
  if (query.email !== undefined) q = q.where('email_norm', '=', query.email);
  if (query.status !== undefined) q = q.where('status', '=', query.status);
  if (query.role !== undefined) q = q.where('role', '=', query.role);
  if (query.department !== undefined) q = q.where(sql<boolean>`lower(trim(coalesce(${fieldSql(db, 'department')}, ''))) = lower(${query.department.trim()})`);
  if (search) q = q.where(search.condition);
  if (query.integrationId === 'none') {
    q = q.where(({ not, exists, selectFrom }) => not(exists(selectFrom('employee_links').select('employee_links.external_id').whereRef('employee_links.employee_id', '=', 'employees.id'))));
  } else if (query.integrationId) {
    const integrationId = query.integrationId;
    q = q.where(({ exists, selectFrom }) =>
      exists(selectFrom('employee_links').select('employee_links.external_id').whereRef('employee_links.employee_id', '=', 'employees.id').where('employee_links.integration_id', '=', integrationId)),
    );
  }
  if (query.groupId) {
    // The group and its descendants, as the headcount counts them.
    const tree = sql<{ id: string }>`with recursive tree(id) as (select id from groups where tenant_id = ${tenantId} and id = ${query.groupId} union select g.id from groups g join tree on g.parent_id = tree.id where g.tenant_id = ${tenantId} and g.archived = 0) select id from tree`;
    q = q.where(sql<boolean>`exists (select 1 from group_memberships m where m.tenant_id = ${tenantId} and m.employee_id = employees.id and m.group_id in (${tree}))`);
  }
  return q;
}

/** Up to this many matches, the index's matches are read and sorted; beyond, employees are read in id order until a page is full. */
const INDEX_DRIVES_UP_TO = 2000;

/**
 * `q` as a substring of the search text. Three characters or more are found through the trigram
 * index (migrations 0016, 0017, 0027: FTS5 on SQLite, where a quoted phrase is a substring match;
 * pg_trgm's GIN on PostgreSQL, which serves the LIKE), which first counts the matches cheaply: a
 * rare `q` is read from the index (its rows fetched and sorted), a common one by reading
 * employees in id order until the page is full (a few hundred rows), whichever reads less.
 * Shorter `q` reads in id order too. The index is caught up off the write path
 * (search-index.ts): the people queued for it are candidates too, and every candidate is checked
 * against its current text, so a search answers the same whatever the index's lag.
 */
async function searchPlan(db: Db, tenantId: string, raw: string, limit: number): Promise<{ condition: RawBuilder<boolean>; drives: boolean }> {
  const text = raw.normalize('NFKC').toLocaleLowerCase('en');
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
  const pattern = `%${escaped}%`;
  const like = { condition: sql<boolean>`employees.search_text like ${pattern} escape '\\'`, drives: false };
  if ([...text].length < 3) return like;
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const bound = Math.max(INDEX_DRIVES_UP_TO, 20 * limit);
  // Candidates: the index's matches and the people queued for indexing (their entry may be stale),
  // each checked against the current text.
  const candidates = sqlite
    ? sql`select rowid from employees_search where employees_search match ${`"${text.replaceAll('"', '""')}"`} union all select employee_rowid from employees_search_pending`
    : sql`select employee_id from employees_search where tenant_id = ${tenantId} and search_text like ${pattern} escape '\\' union all select employee_id from employees_search_pending`;
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from (${candidates} limit ${bound + 1}) as c`.execute(db);
  if (Number(rows[0]?.n ?? 0) > bound) return like;
  // `+` keeps SQLite from walking the tenant's id index instead (PostgreSQL's planner weighs it).
  return { condition: sql<boolean>`${sql.raw(sqlite ? 'employees.rowid' : 'employees.id')} in (${candidates}) and ${like.condition}`, drives: sqlite };
}

/** Values a look-up sends in one statement (one parameter each way, see inValues). */
export const LOOKUP_CHUNK = 5000;

/**
 * `column IN (values)` with the values as one parameter: a JSON array read by `json_each` on
 * SQLite, a text array on PostgreSQL (`= any($1)`). A page's 1,000 look-ups are then a short
 * statement compiled and parsed at once, not 1,000 placeholders; either way the column's index
 * serves it. Values JSON cannot carry faithfully (a NUL, a lone surrogate) keep the plain list.
 */
/** A NUL, or a lone surrogate (a code point of category Cs only matches unpaired in a `u` pattern). */
const UNFAITHFUL_IN_JSON = /[\0\p{Cs}]/u;

export function inValues(db: Db, column: string, values: readonly string[]): RawBuilder<SqlBool> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return sql<SqlBool>`${sql.ref(column)} = any(${[...values]}::text[])`;
  if (values.some((v) => UNFAITHFUL_IN_JSON.test(v))) return sql<SqlBool>`${sql.ref(column)} in (${sql.join(values)})`;
  return sql<SqlBool>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
