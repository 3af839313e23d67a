import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Transaction } from 'kysely';
import { pgArray } from './pg-arrays.ts';
import { PREPARED } from './pg-prepared.ts';
import type { Store } from './db.ts';
import type { Database, NewCorrelationCaseRow, NewEmployeeLinkRow, NewEmployeeRow, NewRunChangeRow } from './schema.ts';
import { upsertCorrelationCases } from './correlation-cases.ts';
import { employeeWriteColumns, type EmployeeWrite } from './employees.ts';
import { markApplied } from './run-changes.ts';

/**
 * The sync's bulk writes, always inside a transaction the caller opened (the run's fenced write).
 * On SQLite they run as cached prepared statements on the raw handle, synchronously inside that
 * Kysely transaction (which holds the single connection, so nothing else interleaves). On
 * PostgreSQL each table's batch is one `INSERT … SELECT … FROM unnest(…)` / `UPDATE … FROM
 * unnest(…)` statement of up to 1,000 rows, a column an array parameter sent in binary (see
 * pg-arrays.ts), each statement prepared once per connection: the server neither re-plans the
 * statement nor parses the rows out of text (json_to_recordset spent ~17 µs a row parsing, more
 * than the row's insert). Same rows either way.
 */
export interface ApplyBatch {
  readonly tenantId: string;
  readonly runId: string;
  /** The run's apply watermark after this batch, or null: the batch's change rows are recorded applied themselves. */
  readonly toSeq: number | null;
  readonly creates: readonly NewEmployeeRow[];
  readonly links: readonly NewEmployeeLinkRow[];
  /** Each with the person's version the change was planned from (null: write regardless). */
  readonly updates: readonly { readonly write: EmployeeWrite; readonly baseVersion: number | null }[];
  readonly cases: readonly NewCorrelationCaseRow[];
}

const statements = new WeakMap<SQLite.Database, ReturnType<typeof prepare>>();

function prepare(sqlite: SQLite.Database) {
  return {
    change: sqlite.prepare(
      `insert into run_changes (tenant_id, run_id, seq, kind, employee_id, external_id, display_name, before, after, reason, payload, applied, base_version, base_hash)
       values (@tenant_id, @run_id, @seq, @kind, @employee_id, @external_id, @display_name, @before, @after, @reason, @payload, @applied, @base_version, @base_hash)`,
    ),
    employee: sqlite.prepare(
      `insert into employees (id, tenant_id, status, role, email_norm, employee_number, search_text, fields, provenance, custom_config, created_at, updated_at)
       values (@id, @tenant_id, @status, @role, @email_norm, @employee_number, @search_text, @fields, @provenance, @custom_config, @created_at, @updated_at)
       on conflict (id) do nothing`,
    ),
    link: sqlite.prepare(
      `insert into employee_links (tenant_id, integration_id, external_id, employee_id, record_hash, field_values, lifecycle, source_status, status_reason, in_scope, scope_reason, review_on, present, last_run_id, last_seen_at, created_at)
       values (@tenant_id, @integration_id, @external_id, @employee_id, @record_hash, @field_values, @lifecycle, @source_status, @status_reason, @in_scope, @scope_reason, @review_on, @present, @last_run_id, @last_seen_at, @created_at)
       on conflict (integration_id, external_id) do update set employee_id = excluded.employee_id, record_hash = excluded.record_hash,
         field_values = excluded.field_values, lifecycle = excluded.lifecycle, source_status = excluded.source_status, status_reason = excluded.status_reason,
         in_scope = excluded.in_scope, scope_reason = excluded.scope_reason, review_on = excluded.review_on, present = excluded.present,
         last_run_id = excluded.last_run_id, last_seen_at = excluded.last_seen_at`,
    ),
    update: sqlite.prepare(
      `update employees set status = @status, fields = @fields, provenance = @provenance, email_norm = @email_norm, employee_number = @employee_number,
         search_text = @search_text, updated_at = @updated_at, version = version + 1
       where tenant_id = @tenant_id and id = @id and (@base_version is null or version = @base_version)`,
    ),
    applied: sqlite.prepare(`update runs set applied_through = ? where id = ?`),
    correlationCase: sqlite.prepare(
      `insert into correlation_cases (id, tenant_id, integration_id, external_id, display_name, email, reason, candidates, status, resolution, run_id, created_at, resolved_at)
       values (@id, @tenant_id, @integration_id, @external_id, @display_name, @email, @reason, @candidates, @status, @resolution, @run_id, @created_at, @resolved_at)
       on conflict (integration_id, external_id) do update set reason = excluded.reason, candidates = excluded.candidates, display_name = excluded.display_name,
         email = excluded.email, run_id = excluded.run_id where correlation_cases.status = 'open'`,
    ),
  };
}

function stmts(sqlite: SQLite.Database) {
  let s = statements.get(sqlite);
  if (!s) statements.set(sqlite, (s = prepare(sqlite)));
  return s;
}

/** Stages a run's changes, inside the caller's (fenced) transaction. */
export async function writeChanges(store: Store, trx: Transaction<Database>, rows: readonly NewRunChangeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const sqlite = store.sqlite;
  if (!sqlite) return pgInsert(trx, 'run_changes', CHANGE_COLUMNS, rows, '');
  const s = stmts(sqlite).change;
  for (const row of rows) s.run({ base_version: null, base_hash: null, ...row });
}

/**
 * Applies one batch of a run's changes and moves its watermark, inside the caller's (fenced)
 * transaction. Answers the people not written because their version moved since planning (an
 * admin's edit, another source's run): the caller resolves them again in the same transaction.
 */
export async function writeApplyBatch(store: Store, trx: Transaction<Database>, batch: ApplyBatch): Promise<string[]> {
  const moved: string[] = [];
  const sqlite = store.sqlite;
  if (sqlite) {
    const s = stmts(sqlite);
    for (const row of batch.creates) s.employee.run(row);
    for (const row of batch.links) s.link.run(row);
    for (const u of batch.updates) if (s.update.run(updateParams(batch.tenantId, u.write, u.baseVersion)).changes === 0) moved.push(u.write.id);
    for (const row of batch.cases) s.correlationCase.run(row);
    if (batch.toSeq !== null) s.applied.run(batch.toSeq, batch.runId);
    return moved;
  }
  await upsertCorrelationCases(trx, batch.cases);
  await pgInsert(trx, 'employees', EMPLOYEE_COLUMNS, batch.creates, 'on conflict (id) do nothing');
  await pgInsert(trx, 'employee_links', LINK_COLUMNS, batch.links, LINK_UPSERT);
  moved.push(...(await pgUpdateEmployees(trx, batch.tenantId, batch.updates)));
  if (batch.toSeq !== null) await markApplied(trx, batch.runId, batch.toSeq);
  return moved;
}

/** Column → PostgreSQL type each bulk statement reads it as (the tables' own types). */
export type Columns<Row> = readonly (readonly [keyof Row & string, 'text' | 'int4'])[];

const CHANGE_COLUMNS: Columns<NewRunChangeRow> = [
  ['tenant_id', 'text'], ['run_id', 'text'], ['seq', 'int4'], ['kind', 'text'], ['employee_id', 'text'], ['external_id', 'text'],
  ['display_name', 'text'], ['before', 'text'], ['after', 'text'], ['reason', 'text'], ['payload', 'text'], ['applied', 'int4'],
  ['base_version', 'int4'], ['base_hash', 'text'],
];
const EMPLOYEE_COLUMNS: Columns<NewEmployeeRow> = [
  ['id', 'text'], ['tenant_id', 'text'], ['status', 'text'], ['role', 'text'], ['email_norm', 'text'], ['employee_number', 'text'], ['search_text', 'text'],
  ['fields', 'text'], ['provenance', 'text'], ['custom_config', 'text'], ['created_at', 'text'], ['updated_at', 'text'],
];
const LINK_COLUMNS: Columns<NewEmployeeLinkRow> = [
  ['tenant_id', 'text'], ['integration_id', 'text'], ['external_id', 'text'], ['employee_id', 'text'], ['record_hash', 'text'], ['field_values', 'text'],
  ['lifecycle', 'text'], ['source_status', 'text'], ['status_reason', 'text'], ['in_scope', 'int4'], ['scope_reason', 'text'], ['review_on', 'text'],
  ['present', 'int4'], ['last_run_id', 'text'], ['last_seen_at', 'text'], ['created_at', 'text'],
];
/** A link seen again takes the run's view of everything but when it was first made. */
const LINK_UPSERT = `on conflict (integration_id, external_id) do update set ${LINK_COLUMNS.map(([c]) => c)
  .filter((c) => !['tenant_id', 'integration_id', 'external_id', 'created_at'].includes(c))
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;

/**
 * Rows per PostgreSQL statement. A table's rows go as one array per column, read back by `unnest`:
 * one statement text whatever the batch's size (prepared once per connection, planned
 * generically), so a page of 1,000 people is one round trip per table, not ten of 128-row VALUES
 * lists. Those round trips, not the server's work, were most of a first sync's database time:
 * between two statements of a page's transaction the connection waits for Node, busy planning the
 * next page (a 100,000-person first sync: 10.3 s of statements, 11.7 s of such waits).
 */
const MAX_ROWS = 1000;

/** `unnest($1::text[], $2::int4[], …) as v(a, b, …)` over `columns`: a statement's rows, a column an array. */
function unnestRows<Row>(columns: Columns<Row>): string {
  return `unnest(${columns.map(([, type], k) => `$${k + 1}::${type}[]`).join(', ')}) as v(${columns.map(([c]) => c).join(', ')})`;
}

/** Each of `columns` over `rows`, as one array parameter (see pgArray). */
function columnArrays<Row>(columns: Columns<Row>, rows: readonly Row[]): Buffer[] {
  return columns.map(([c, type]) => pgArray(rows.map((row) => (row as Record<string, unknown>)[c]), type));
}

async function pgInsert<Row>(trx: Transaction<Database>, table: string, columns: Columns<Row>, rows: readonly Row[], conflict: string): Promise<void> {
  const names = columns.map(([c]) => c).join(', ');
  await pgEachRows(trx, columns, rows, [], (source) => `insert into ${table} (${names}) select ${names} from ${source} ${conflict}`);
}

/**
 * Runs a statement over `rows`, MAX_ROWS at a time, as one prepared statement: `statement` is
 * given the rows as a `FROM` source (see unnestRows) and the placeholder of each of `extra`'s
 * parameters (which follow the columns'), and its text must depend on nothing else. Answers the
 * rows each statement returned.
 */
export async function pgEachRows<Row, Out = unknown>(
  trx: Transaction<Database>,
  columns: Columns<Row>,
  rows: readonly Row[],
  extra: readonly unknown[],
  statement: (source: string, param: (i: number) => string) => string,
): Promise<Out[]> {
  const out: Out[] = [];
  const text = `${PREPARED} ${statement(unnestRows(columns), (i) => `$${columns.length + i + 1}`)}`;
  for (let i = 0; i < rows.length; i += MAX_ROWS) {
    const { rows: returned } = await trx.executeQuery<Out>(CompiledQuery.raw(text, [...columnArrays(columns, rows.slice(i, i + MAX_ROWS)), ...extra]));
    out.push(...returned);
  }
  return out;
}

const UPDATE_COLUMNS = ['id', 'status', 'fields', 'provenance', 'email_norm', 'employee_number', 'search_text', 'updated_at'] as const;

/**
 * Employees' sync-owned columns, many people in one `UPDATE … FROM (VALUES …)`, each only at the
 * version its change was planned from (a null base writes regardless); every write moves the
 * version. Answers the people not written because their version moved.
 */
async function pgUpdateEmployees(trx: Transaction<Database>, tenantId: string, updates: ApplyBatch['updates']): Promise<string[]> {
  const columns: Columns<Record<(typeof UPDATE_COLUMNS)[number] | 'base_version', unknown>> = [...UPDATE_COLUMNS.map((c) => [c, 'text'] as const), ['base_version', 'int4']];
  const set = UPDATE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = v.${c}`).join(', ');
  const rows = updates.map((u) => ({ id: u.write.id, ...employeeWriteColumns(u.write), base_version: u.baseVersion }));
  const written = await pgEachRows<(typeof rows)[number], { id: string }>(trx, columns, rows, [tenantId], (source, param) =>
    `update employees set ${set}, version = employees.version + 1
     from ${source}
     where employees.tenant_id = ${param(0)}::text and employees.id = v.id and (v.base_version is null or employees.version = v.base_version)
     returning employees.id`,
  );
  const done = new Set(written.map((r) => r.id));
  return updates.filter((u) => !done.has(u.write.id)).map((u) => u.write.id);
}

function updateParams(tenantId: string, w: EmployeeWrite, baseVersion: number | null) {
  return { tenant_id: tenantId, id: w.id, base_version: baseVersion, ...employeeWriteColumns(w) };
}
