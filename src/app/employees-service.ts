import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { normalizeEmail, normalizeEmployeeNumber } from '../core/correlate.ts';
import { cleanValue, type FieldName, type FieldValues, type Role } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { CreateEmployeeBody, EmployeeListQuery, PatchEmployeeBody } from '../api/contract/employees.ts';
import type { FieldPriorities, ProvenanceMap } from '../core/resolve.ts';
import { countEmployees, EMPLOYEE_SORTS, getEmployee, listEmployees, searchText, sortValueOf, stateColumns, toEmployee, type Employee, type EmployeeKeyset, type EmployeeSort } from '../store/employees.ts';
import { decodeCursor, encodeCursor, newId, nowIso } from '../store/ids.ts';
import { listIntegrations, type Integration } from '../store/integrations.ts';
import type { Database } from '../store/schema.ts';
import { linksForEmployees } from '../store/links.ts';
import { encodeProvenance } from '../store/provenance.ts';
import { refreshHeadcounts } from '../store/group-headcounts.ts';
import type { AppContext } from './context.ts';
import type { RevisionMemo } from './revision-memo.ts';
import { ApiError, badCursor, cursorKey, notFound, validateBody } from './errors.ts';
import { audit } from '../store/audit.ts';
import { fieldLocks, statusOwner } from './locks.ts';
import { getFieldPriorities } from '../store/field-priorities.ts';

const EMAIL = z.email();

type Db = Kysely<Database> | Transaction<Database>;

function cleanFields(input: Record<string, string | null>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(input)) out[k] = v === null ? null : (cleanValue(v) ?? null);
  return out;
}

async function assertEmailFree(db: Db, tenantId: string, email: string, self?: string): Promise<void> {
  const norm = normalizeEmail(email)!;
  const other = await db.selectFrom('employees').select('id').where('tenant_id', '=', tenantId).where('email_norm', '=', norm).executeTakeFirst();
  if (other && other.id !== self) throw new ApiError(409, 'email_taken', `Another employee (${other.id}) already has the email ${norm}.`, { employeeId: other.id, field: 'fields.email' });
}

function checkEmail(value: string | null | undefined): void {
  if (value === undefined) return;
  if (value === null || !EMAIL.safeParse(value).success) throw new ApiError(400, 'invalid_request', 'fields.email: must be an email address', { field: 'fields.email' });
}

/** The version an If-Match names: `"7"`, `W/"7"` or `*` (any); null when it names none we could have sent. */
export function parseIfMatch(header: string | undefined): number | '*' | undefined | null {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  const m = /^(?:W\/)?"(\d{1,15})"$/.exec(value);
  return m ? Number(m[1]) : null;
}

/** The ETag of an employee: its version (grows at every write, an admin's or a sync's). */
export function employeeEtag(version: number): string {
  return `"${version}"`;
}

function preconditionFailed(id: string, current: number): ApiError {
  return new ApiError(412, 'precondition_failed', `Employee ${id} changed since you read it (it is now at version ${current}): read it again (GET /employees/${id}), reapply your edit and send the new ETag in If-Match.`, { id, version: current, etag: employeeEtag(current) });
}

/**
 * Manual edits: locked fields (owned by an enabled source linked to the person) are refused with
 * the owner named; role and custom configuration are ReFresh-only and always editable.
 *
 * The edit is read, checked and written in one transaction, at the version it read
 * (compare-and-set): a sync or another admin writing the person meanwhile makes it read again
 * (without If-Match) or answer 412 (with an If-Match naming an older version). The audit entry
 * commits with the change.
 */
export async function patchEmployee(ctx: AppContext, tenantId: string, id: string, body: unknown, actorId: string | null = null, ifMatch?: string): Promise<Employee> {
  const patch = validateBody(PatchEmployeeBody, body);
  const expected = parseIfMatch(ifMatch);
  const integrations = new Map((await listIntegrations(ctx.store.db, tenantId)).map((i) => [i.id, i]));
  const overrides = await getFieldPriorities(ctx.store.db, tenantId);
  for (let attempt = 1; ; attempt += 1) {
    const written = await ctx.store.db.transaction().execute((trx) => writePatch(trx, tenantId, id, patch, { integrations, overrides, expected, actorId }));
    if (written) return written;
    // Someone wrote the person between our read and our write: read again (a few times at most).
    if (attempt >= 5) throw new ApiError(409, 'edit_conflict', `Employee ${id} kept changing while your edit was saved; try again.`, { id });
  }
}

async function writePatch(
  trx: Transaction<Database>,
  tenantId: string,
  id: string,
  patch: z.infer<typeof PatchEmployeeBody>,
  opts: { integrations: ReadonlyMap<string, Integration>; overrides: FieldPriorities; expected: number | '*' | undefined | null; actorId: string | null },
): Promise<Employee | null> {
  const row = await trx.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('employee', id);
  if (opts.expected !== undefined && opts.expected !== '*' && opts.expected !== row.version) throw preconditionFailed(id, row.version);
  const employee = toEmployee(row);
  const links = await linksForEmployees(trx, tenantId, [id]);
  const locks = fieldLocks(links, opts.integrations, opts.overrides);
  const fields: FieldValues = { ...employee.fields };
  const provenance: ProvenanceMap = { ...employee.provenance };
  const edits = cleanFields(patch.fields ?? {});
  for (const [name, value] of Object.entries(edits) as [FieldName, string | null][]) {
    const owner = locks.get(name);
    if (owner && (employee.fields[name] ?? null) !== value) {
      throw new ApiError(409, 'field_locked', `${name} is managed by ${owner.name}; change it there.`, { field: name, integrationId: owner.id, provider: owner.provider });
    }
    if (value === null) delete fields[name];
    else fields[name] = value;
    delete provenance[name];
  }
  if ('email' in edits) {
    checkEmail(edits.email);
    await assertEmailFree(trx, tenantId, edits.email!, id);
  }
  let status = employee.status;
  if (patch.status && patch.status !== employee.status) {
    const owner = statusOwner(links, opts.integrations);
    if (owner) throw new ApiError(409, 'field_locked', `status is managed by ${owner.name}; deactivate or rehire the person there.`, { field: 'status', integrationId: owner.id, provider: owner.provider });
    status = patch.status;
    delete provenance.status;
  }
  const role = patch.role ?? employee.role;
  // JSON Merge Patch (RFC 7396) at the top level: a name set to null is removed.
  const customConfig = patch.customConfig ? Object.fromEntries(Object.entries({ ...employee.customConfig, ...patch.customConfig }).filter(([, v]) => v !== null)) : employee.customConfig;
  const result = await trx
    .updateTable('employees')
    .set((eb) => ({ ...stateColumns({ status, fields, provenance }, nowIso()), role, custom_config: JSON.stringify(customConfig), version: eb('version', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('version', '=', row.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    if (opts.expected !== undefined && opts.expected !== '*') {
      const now = await trx.selectFrom('employees').select('version').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      throw preconditionFailed(id, now?.version ?? row.version);
    }
    return null;
  }
  // The person's groups count active people only.
  if (status !== employee.status) await refreshHeadcounts(trx, tenantId);
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const name of Object.keys(edits) as FieldName[]) {
    if ((employee.fields[name] ?? null) === (fields[name] ?? null)) continue;
    before[name] = employee.fields[name] ?? null;
    after[name] = fields[name] ?? null;
  }
  const note = (key: string, was: unknown, now: unknown) => {
    before[key] = was;
    after[key] = now;
  };
  if (role !== employee.role) note('role', employee.role, role);
  if (status !== employee.status) note('status', employee.status, status);
  if (patch.customConfig) note('customConfig', employee.customConfig, customConfig);
  if (Object.keys(after).length > 0 || Object.keys(before).length > 0) {
    await audit(trx, tenantId, 'employee.updated', id, before, after, { type: 'admin', id: opts.actorId });
  }
  return (await getEmployee(trx, tenantId, id))!;
}

export async function createEmployee(ctx: AppContext, tenantId: string, body: unknown, actorId: string | null = null): Promise<Employee> {
  const input = validateBody(CreateEmployeeBody, body);
  const fields = Object.fromEntries(Object.entries(cleanFields(input.fields)).filter(([, v]) => v !== null)) as FieldValues;
  const id = await ctx.store.db.transaction().execute((trx) => insertEmployee(trx, tenantId, { fields, role: input.role, status: input.status, customConfig: input.customConfig }, actorId));
  return (await getEmployee(ctx.store.db, tenantId, id))!;
}

/**
 * Adds a person by hand inside the caller's transaction (with its audit entry): a work e-mail is
 * required and must be free. Answers the new employee's id.
 */
export async function insertEmployee(trx: Transaction<Database>, tenantId: string, input: { fields: FieldValues; role: Role; status: PersonStatus; customConfig: Record<string, unknown> }, actorId: string | null): Promise<string> {
  const { fields } = input;
  if (!fields.email) throw new ApiError(400, 'invalid_request', 'fields.email: a work email is required to add an employee', { field: 'fields.email' });
  checkEmail(fields.email);
  await assertEmailFree(trx, tenantId, fields.email);
  const id = newId();
  const now = nowIso();
  await trx
    .insertInto('employees')
    .values({
      id,
      tenant_id: tenantId,
      status: input.status,
      role: input.role,
      email_norm: normalizeEmail(fields.email) ?? null,
      employee_number: normalizeEmployeeNumber(fields.employeeNumber) ?? null,
      search_text: searchText(fields),
      fields: JSON.stringify(fields),
      provenance: encodeProvenance({}),
      custom_config: JSON.stringify(input.customConfig),
      created_at: now,
      updated_at: now,
    })
    .execute();
  await audit(trx, tenantId, 'employee.created', id, null, { fields, role: input.role, status: input.status }, { type: 'admin', id: actorId });
  return id;
}

/** A sorted page's cursor: the sort, its direction, the last row's sort value (null when too long to carry) and id. */
type SortCursor = [EmployeeSort, 'asc' | 'desc', string | null, string];

/** Sort values longer than this are not carried in the cursor; the next page reads the row's current value instead. */
const CURSOR_VALUE_MAX = 300;

function decodeSortCursor(cursor: string | undefined, by: EmployeeSort, order: 'asc' | 'desc'): SortCursor | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = decodeCursor(cursor, 1000);
  let parsed: unknown;
  try {
    parsed = text === null ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  const ok =
    Array.isArray(parsed) && parsed.length === 4 && (EMPLOYEE_SORTS as readonly unknown[]).includes(parsed[0]) && (parsed[1] === 'asc' || parsed[1] === 'desc') && (parsed[2] === null || typeof parsed[2] === 'string') && typeof parsed[3] === 'string' && parsed[3].length <= 100;
  if (!ok) throw badCursor();
  const c = parsed as SortCursor;
  if (c[0] !== by || c[1] !== order) throw new ApiError(400, 'invalid_request', 'query.cursor: this cursor belongs to another sort order; start again from the first page (no cursor)', { field: 'query.cursor' });
  return c;
}

/**
 * GET /employees: one page in the asked order, keyset-paged on (sort value, id) so a cursor stays
 * exact however many people share a department or a status, and the total the filters match.
 * Without `sort`, id order with the id as the cursor (as before).
 */
export async function listEmployeePage(db: Kysely<Database>, tenantId: string, query: z.infer<typeof EmployeeListQuery>, totals?: RevisionMemo<number>): Promise<{ rows: Employee[]; total: number; nextCursor: string | null }> {
  const { q, email, status, integrationId, groupId, department, role, sort, order, limit, cursor } = query;
  const filters = {
    ...(q ? { q } : {}),
    ...(email !== undefined ? { email: normalizeEmail(email) ?? '' } : {}),
    ...(status ? { status } : {}),
    ...(integrationId ? { integrationId } : {}),
    ...(groupId ? { groupId } : {}),
    ...(department ? { department } : {}),
    ...(role ? { role } : {}),
  };
  let after: string | EmployeeKeyset | undefined;
  if (!sort) after = cursorKey(cursor);
  else {
    const c = decodeSortCursor(cursor, sort, order);
    if (c) after = { value: c[2] ?? (await sortValueOf(db, tenantId, sort, c[3])), id: c[3] };
  }
  const rows = await listEmployees(db, tenantId, { ...filters, limit: limit + 1, ...(sort ? { sort: { by: sort, desc: order === 'desc' } } : {}), ...(after !== undefined ? { after } : {}) });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  let nextCursor: string | null = null;
  if (rows.length > limit && last) {
    const value = last.sort_key ?? '';
    nextCursor = sort ? encodeCursor(JSON.stringify([sort, order, value.length <= CURSOR_VALUE_MAX ? value : null, last.id] satisfies SortCursor)) : encodeCursor(last.id);
  }
  // The total is the same for every page of a filter: counted once while nothing is written.
  const total = totals ? await totals.get(tenantId, JSON.stringify(filters), () => countEmployees(db, tenantId, filters)) : await countEmployees(db, tenantId, filters);
  return { rows: page.map(toEmployee), total, nextCursor };
}
