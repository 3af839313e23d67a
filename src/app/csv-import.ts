import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { normalizeEmail } from '../core/correlate.ts';
import { cleanValue, fieldLabelOf, isFieldName, ROLES, STANDARD_FIELDS, type FieldName, type Role } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { descriptorOf } from '../providers/descriptors.ts';
import { chunks, toEmployee, type Employee } from '../store/employees.ts';
import { listIntegrations, type Integration } from '../store/integrations.ts';
import { linksForEmployees } from '../store/links.ts';
import { getFieldPriorities } from '../store/field-priorities.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';
import { fieldLocks, statusOwner } from './locks.ts';
import { createEmployee, patchEmployee } from './employees-service.ts';

/** One import's size (issue 10: bounded work per request); larger rosters come in several files or from an HRIS. */
export const CSV_LIMITS = { rows: 10_000, columns: 250 } as const;

/** The longest value a field takes (as the API's own edits). */
const MAX_VALUE = 500;

/** A header as compared: case, spaces and punctuation do not matter ("Work Email" = "work_email" = "workEmail"). */
function headerKey(header: string): string {
  return header.normalize('NFKC').toLocaleLowerCase('en').replace(/[^a-z0-9#]/g, '');
}

type Column = FieldName | 'role' | 'status' | 'managerEmail';

/**
 * Header names as HR systems export them (BambooHR, HiBob, Personio, Rippling, Deel reports and
 * spreadsheets kept by hand), beside ReFresh's own field names.
 */
const ALIASES: Record<string, Column> = {
  ...Object.fromEntries(STANDARD_FIELDS.map((f) => [headerKey(f), f])),
  workemail: 'email',
  emailaddress: 'email',
  workemailaddress: 'email',
  businessemail: 'email',
  companyemail: 'email',
  givenname: 'firstName',
  legalfirstname: 'firstName',
  surname: 'lastName',
  familyname: 'lastName',
  legallastname: 'lastName',
  nickname: 'preferredName',
  preferredfirstname: 'preferredName',
  fullname: 'displayName',
  title: 'jobTitle',
  position: 'jobTitle',
  dept: 'department',
  worklocation: 'location',
  office: 'location',
  workphone: 'phone',
  phonenumber: 'phone',
  mobilephone: 'phone',
  employeeno: 'employeeNumber',
  'employee#': 'employeeNumber',
  employeeid: 'employeeNumber',
  staffnumber: 'employeeNumber',
  hiredate: 'startDate',
  originalhiredate: 'startDate',
  terminationdate: 'endDate',
  manageremail: 'managerEmail',
  supervisoremail: 'managerEmail',
  reportstoemail: 'managerEmail',
  linemanageremail: 'managerEmail',
  role: 'role',
  refreshrole: 'role',
  status: 'status',
};

const ROLE_WORDS: Record<string, Role> = Object.fromEntries(ROLES.flatMap((r) => [[headerKey(r), r]])) as Record<string, Role>;
Object.assign(ROLE_WORDS, { admin: 'organization_admin', orgadmin: 'organization_admin' });
const STATUS_WORDS: Record<string, PersonStatus> = { active: 'active', inactive: 'inactive', terminated: 'inactive' };

const EMAIL = z.email();

const ROLE_LABELS: Record<Role, string> = { organization_admin: 'Organization Admin', compliance_manager: 'Compliance Manager', member: 'Member' };
const STATUS_LABELS: Record<PersonStatus, string> = { active: 'Active', inactive: 'Inactive' };

function columnOf(header: string): Column | undefined {
  const trimmed = header.trim();
  if (/^custom\./i.test(trimmed)) {
    const name = `custom.${trimmed.slice(7)}`;
    return isFieldName(name) ? name : undefined;
  }
  return ALIASES[headerKey(trimmed)];
}

function columnLabel(column: Column): string {
  if (column === 'managerEmail') return 'Manager email';
  if (column === 'role') return 'Role';
  if (column === 'status') return 'Status';
  return fieldLabelOf(column);
}

/** A list in words: "a", "a and b", "a, b and c". */
function inWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

/** The provider's name as an admin knows it (BambooHR), else the integration's. */
function ownerName(integration: Integration): string {
  return descriptorOf(integration.provider)?.name ?? integration.name;
}

export interface ImportChange {
  readonly field: string;
  readonly label: string;
  readonly from: string | null;
  readonly to: string | null;
}

export interface ImportRowResult {
  readonly line: number;
  readonly status: 'created' | 'updated' | 'unchanged' | 'failed';
  readonly email?: string;
  readonly employeeId?: string;
  readonly changes?: ImportChange[];
  readonly error?: string;
}

export interface ImportOutcome {
  readonly dryRun: boolean;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly rows: ImportRowResult[];
}

interface PlannedRow {
  readonly line: number;
  /** Normalised (the key); `rawEmail` as written, for a new person's field. */
  readonly email: string;
  readonly rawEmail: string;
  readonly existing?: Employee;
  readonly fields: Partial<Record<FieldName, string>>;
  readonly role?: Role;
  readonly status?: PersonStatus;
  readonly managerEmail?: string;
  readonly changes: ImportChange[];
}

function readCsv(csv: string): { header: string[]; records: { line: number; values: string[] }[] } {
  if (csv.trim() === '') throw new ApiError(400, 'invalid_request', 'The file is empty: it needs a header row (for example Work Email, First Name, Last Name) and one row per person.');
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    // Read one record past the limit, no further: enough to know the file is too long.
    parsed = parseCsv(csv, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true, to: CSV_LIMITS.rows + 2 }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ApiError(400, 'invalid_csv', `The file could not be read as CSV${line ? ` at line ${line}` : ''}: ${String((error as Error).message).replace(/^Invalid [^:]*: /, '')}`);
  }
  if (parsed.length > CSV_LIMITS.rows + 1) throw new ApiError(413, 'too_many_rows', `The file has more than ${CSV_LIMITS.rows.toLocaleString('en')} rows; import at most that many at once (split the file).`, { maxRows: CSV_LIMITS.rows });
  const [first, ...rest] = parsed;
  const header = first?.record ?? [];
  if (header.length > CSV_LIMITS.columns) throw new ApiError(400, 'invalid_csv', `The header has more than ${CSV_LIMITS.columns} columns; import at most that many fields at once.`, { maxColumns: CSV_LIMITS.columns });
  return { header, records: rest.map((r) => ({ line: r.info.lines, values: r.record })) };
}

function readHeader(header: readonly string[]): Column[] {
  const columns = header.map(columnOf);
  const unknown = header.filter((_, i) => columns[i] === undefined).map((h) => `“${h.trim()}”`);
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      'invalid_csv',
      `The header has ${unknown.length === 1 ? 'a column' : 'columns'} ReFresh does not know: ${inWords(unknown)}. Use columns such as Work Email, First Name, Last Name, Job Title, Department, Employee Number, Manager Email, Role and Status, or custom.<key> for a custom field.`,
      { columns: header.filter((_, i) => columns[i] === undefined) },
    );
  }
  const seen = new Map<Column, number>();
  for (const [i, c] of (columns as Column[]).entries()) {
    const before = seen.get(c);
    if (before !== undefined) throw new ApiError(400, 'invalid_csv', `The columns “${header[before]!.trim()}” and “${header[i]!.trim()}” are both the ${columnLabel(c).toLowerCase()}; keep one.`);
    seen.set(c, i);
  }
  if (!seen.has('email')) throw new ApiError(400, 'invalid_csv', 'The header needs a Work Email column: people are matched by their work e-mail (created when new, updated when known).');
  return columns as Column[];
}

/**
 * CSV import that fits real exports: headers as HR systems name them (any case or spacing), people
 * matched by work e-mail (created when new, updated when known; empty cells leave a value as it
 * is), a manager named by e-mail. Each row stands alone and is reported with its line number, in
 * words: what it creates or changes, or why it cannot (a field an HR system manages, a bad e-mail,
 * an e-mail repeated in the file). `dryRun` answers the same report and writes nothing.
 */
export async function importEmployeesCsv(ctx: AppContext, tenantId: string, csv: string, opts: { dryRun?: boolean; actorId?: string | null } = {}): Promise<ImportOutcome> {
  const dryRun = opts.dryRun ?? false;
  const { header, records } = readCsv(csv);
  const columns = readHeader(header);
  const db = ctx.store.db;

  // The people the file names (as themselves or as managers), by normalised e-mail.
  const emails = new Set<string>();
  for (const r of records) {
    columns.forEach((c, i) => {
      const norm = (c === 'email' || c === 'managerEmail') && r.values[i] ? normalizeEmail(r.values[i]) : undefined;
      if (norm) emails.add(norm);
    });
  }
  const known = new Map<string, Employee>();
  for (const chunk of chunks([...emails], 500)) {
    for (const row of await db.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId).where('email_norm', 'in', chunk).execute()) known.set(row.email_norm!, toEmployee(row));
  }
  const byId = new Map([...known.values()].map((e) => [e.id, e]));
  const managerIds = [...known.values()].map((e) => e.fields.managerId).filter((id): id is string => !!id && !byId.has(id));
  for (const chunk of chunks(managerIds, 500)) {
    for (const row of await db.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', chunk).execute()) byId.set(row.id, toEmployee(row));
  }
  const links = await linksForEmployees(db, tenantId, [...known.values()].map((e) => e.id));
  const integrations = new Map((await listIntegrations(db, tenantId)).map((i) => [i.id, i]));
  const overrides = await getFieldPriorities(db, tenantId);

  const results: ImportRowResult[] = [];
  const planned: PlannedRow[] = [];
  const lineOfEmail = new Map<string, number>();
  for (const { line, values } of records) {
    const fail = (error: string, email?: string) => results.push({ line, status: 'failed', ...(email ? { email } : {}), error });
    if (values.length > columns.length) {
      fail(`has ${values.length} values but the header has ${columns.length} columns (a comma inside a value needs quotes)`);
      continue;
    }
    const cell = (c: Column) => {
      const i = columns.indexOf(c);
      return i < 0 ? undefined : cleanValue(values[i] ?? '');
    };
    const rawEmail = cell('email');
    if (!rawEmail) {
      fail('has no work e-mail; every person needs one (it is how the import finds them)');
      continue;
    }
    if (!EMAIL.safeParse(rawEmail).success) {
      fail(`“${rawEmail}” is not an e-mail address`, rawEmail);
      continue;
    }
    const email = normalizeEmail(rawEmail)!;
    const earlier = lineOfEmail.get(email);
    if (earlier !== undefined) {
      fail(`repeats the work e-mail of line ${earlier}; list each person once`, rawEmail);
      continue;
    }
    lineOfEmail.set(email, line);
    const problems: string[] = [];
    const fields: Partial<Record<FieldName, string>> = {};
    let role: Role | undefined;
    let status: PersonStatus | undefined;
    let managerEmail: string | undefined;
    columns.forEach((c, i) => {
      const v = cleanValue(values[i] ?? '');
      if (!v) return;
      if (v.length > MAX_VALUE) problems.push(`${columnLabel(c)} is longer than ${MAX_VALUE} characters`);
      else if (c === 'role') {
        role = ROLE_WORDS[headerKey(v)];
        if (!role) problems.push(`role “${v}” is not one of Member, Compliance Manager or Organization Admin`);
      } else if (c === 'status') {
        status = STATUS_WORDS[headerKey(v)];
        if (!status) problems.push(`status “${v}” is neither Active nor Inactive`);
      } else if (c === 'managerEmail') {
        if (!EMAIL.safeParse(v).success) problems.push(`manager e-mail “${v}” is not an e-mail address`);
        else if (normalizeEmail(v) === email) problems.push('names the person as their own manager');
        else managerEmail = normalizeEmail(v)!;
      } else if (c !== 'email') fields[c] = v;
    });
    if (problems.length > 0) {
      fail(`${inWords(problems)}`, rawEmail);
      continue;
    }
    const existing = known.get(email);
    const changes: ImportChange[] = [];
    const change = (field: string, label: string, from: string | null, to: string | null) => {
      if (from !== to) changes.push({ field, label, from, to });
    };
    for (const [f, v] of Object.entries(fields) as [FieldName, string][]) change(f, fieldLabelOf(f), existing?.fields[f] ?? null, v);
    if (managerEmail) {
      const current = existing?.fields.managerId ? (byId.get(existing.fields.managerId)?.fields.email ?? null) : null;
      change('managerId', 'Manager', current ? normalizeEmail(current)! : null, managerEmail);
    }
    if (role && role !== (existing?.role ?? 'member')) changes.push({ field: 'role', label: 'Role', from: existing ? ROLE_LABELS[existing.role] : null, to: ROLE_LABELS[role] });
    if (status && status !== (existing?.status ?? 'active')) changes.push({ field: 'status', label: 'Status', from: existing ? STATUS_LABELS[existing.status] : null, to: STATUS_LABELS[status] });
    if (existing) {
      const own = links.filter((l) => l.employee_id === existing.id);
      const locks = fieldLocks(own, integrations, overrides);
      const locked = changes.flatMap((c) => {
        const owner = c.field === 'status' ? statusOwner(own, integrations) : locks.get(c.field as FieldName);
        return owner ? [`${c.label} is managed by ${ownerName(owner)} (it has “${c.from ?? 'nothing'}”, the file “${c.to ?? ''}”); change it there`] : [];
      });
      if (locked.length > 0) {
        fail(inWords(locked), rawEmail);
        continue;
      }
    }
    planned.push({ line, email, rawEmail, ...(existing ? { existing } : {}), fields, ...(role ? { role } : {}), ...(status ? { status } : {}), ...(managerEmail ? { managerEmail } : {}), changes });
  }

  // A manager is someone in ReFresh or a person this file adds.
  const addedByFile = new Set(planned.filter((p) => !p.existing).map((p) => p.email));
  const ready: PlannedRow[] = [];
  for (const p of planned) {
    if (p.managerEmail && !known.has(p.managerEmail) && !addedByFile.has(p.managerEmail)) {
      results.push({ line: p.line, status: 'failed', email: p.email, error: `the manager ${p.managerEmail} is nobody in ReFresh nor in this file` });
      addedByFile.delete(p.email);
    } else ready.push(p);
  }

  const idOf = new Map([...known.entries()].map(([email, e]) => [email, e.id]));
  const later: { row: PlannedRow; id: string }[] = [];
  for (const p of ready) {
    const describe = (status: ImportRowResult['status'], employeeId?: string): ImportRowResult => ({
      line: p.line,
      status,
      email: p.email,
      ...(employeeId ? { employeeId } : {}),
      ...(status === 'updated' || status === 'created' ? { changes: p.changes } : {}),
    });
    if (p.existing && p.changes.length === 0) {
      results.push(describe('unchanged', p.existing.id));
      continue;
    }
    if (dryRun) {
      results.push(describe(p.existing ? 'updated' : 'created', p.existing?.id));
      continue;
    }
    const managerId = p.managerEmail ? idOf.get(p.managerEmail) : undefined;
    const fields = { ...p.fields, ...(managerId ? { managerId } : {}) };
    try {
      if (p.existing) {
        await patchEmployee(ctx, tenantId, p.existing.id, { fields, ...(p.role ? { role: p.role } : {}), ...(p.status ? { status: p.status } : {}) }, opts.actorId ?? null);
        results.push(describe('updated', p.existing.id));
        if (p.managerEmail && !managerId) later.push({ row: p, id: p.existing.id });
      } else {
        const created = await createEmployee(ctx, tenantId, { fields: { ...fields, email: p.rawEmail }, ...(p.role ? { role: p.role } : {}), ...(p.status ? { status: p.status } : {}) }, opts.actorId ?? null);
        idOf.set(p.email, created.id);
        results.push(describe('created', created.id));
        if (p.managerEmail && !managerId) later.push({ row: p, id: created.id });
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      results.push({ line: p.line, status: 'failed', email: p.email, error: plainWords(error.message) });
    }
  }
  // Managers this file added after the people who report to them.
  for (const { row, id } of later) {
    const managerId = idOf.get(row.managerEmail!);
    if (!managerId) continue;
    await patchEmployee(ctx, tenantId, id, { fields: { managerId } }, opts.actorId ?? null).catch((error: unknown) => {
      if (!(error instanceof ApiError)) throw error;
    });
  }

  results.sort((a, b) => a.line - b.line);
  const count = (s: ImportRowResult['status']) => results.filter((r) => r.status === s).length;
  return { dryRun, created: count('created'), updated: count('updated'), unchanged: count('unchanged'), failed: count('failed'), rows: results };
}

/** An API message for a row, with field names as labels ("fields.email: …" → "Work email: …"). */
function plainWords(message: string): string {
  return message.replace(/\bfields\.([A-Za-z0-9_.]+)/g, (_, name: string) => fieldLabelOf(name)).replace(/\b(firstName|lastName|preferredName|displayName|jobTitle|managerId|employeeNumber|startDate|endDate|employmentStatus|employmentType|email)\b/g, (name) => fieldLabelOf(name));
}
