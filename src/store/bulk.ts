import type SQLite from 'better-sqlite3';
import { sql, type Transaction } from 'kysely';
import type { Store } from './db.ts';
import type { Database, NewCorrelationCaseRow, NewEmployeeLinkRow, NewEmployeeRow, NewRunChangeRow } from './schema.ts';
import { upsertCorrelationCases } from './correlation-cases.ts';
import { chunks, employeeWriteColumns, type EmployeeWrite } from './employees.ts';
import { markApplied } from './run-changes.ts';

/**
 * The sync's bulk writes, always inside a transaction the caller opened (the run's fenced write).
 * On SQLite they run as cached prepared statements on the raw handle, synchronously inside that
 * Kysely transaction (which holds the single connection, so nothing else interleaves). On
 * PostgreSQL each table's batch is one statement over the rows as one JSON parameter (`INSERT …
 * SELECT FROM json_to_recordset($1::json)`, `UPDATE … FROM json_to_recordset(…)`): one parameter
 * however many rows, instead of a dozen per row (parsed and planned each time) or one round trip
 * per update.
 * Same rows either way.
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
type Columns<Row> = readonly (readonly [keyof Row & string, 'text' | 'int4'])[];

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

/** Rows per PostgreSQL statement: large batches, bounded so one statement's JSON stays a few MB. */
const PG_BATCH = 5000;

/**
 * The rows as one JSON text and the `json_to_recordset(…)` that turns it back into typed rows.
 * One parameter however many rows and columns: JSON.stringify is native, where pg's text-array
 * encoding of a column array (an escape per element, in JavaScript) cost a 20,000-person first
 * sync over a second of CPU, and the server parses JSON as fast as array literals.
 */
function recordset<Row>(columns: Columns<Row>, rows: readonly Row[]) {
  const names = columns.map(([c]) => c);
  let json = JSON.stringify(rows, names);
  // A lone UTF-16 surrogate is written as an escape PostgreSQL refuses; pg (and SQLite) would store U+FFFD.
  if (LONE_SURROGATE.test(json)) json = JSON.stringify(rows.map((r) => Object.fromEntries(names.map((c) => [c, wellFormed((r as Record<string, unknown>)[c])]))));
  return sql`json_to_recordset(${json}::json) as v(${sql.raw(columns.map(([c, type]) => `"${c}" ${type}`).join(', '))})`;
}

const LONE_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i;
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (v: unknown) => (typeof v === 'string' ? v.replace(UNPAIRED, '\uFFFD') : v);

async function pgInsert<Row>(trx: Transaction<Database>, table: string, columns: Columns<Row>, rows: readonly Row[], conflict: string): Promise<void> {
  const names = sql.raw(columns.map(([c]) => c).join(', '));
  for (const chunk of chunks(rows, PG_BATCH)) {
    await sql`insert into ${sql.table(table)} (${names}) select ${names} from ${recordset(columns, chunk)} ${sql.raw(conflict)}`.execute(trx);
  }
}

const UPDATE_COLUMNS = ['id', 'status', 'fields', 'provenance', 'email_norm', 'employee_number', 'search_text', 'updated_at'] as const;

/**
 * Employees' sync-owned columns, many people in one `UPDATE … FROM json_to_recordset(…)`, each only at the
 * version its change was planned from (a null base writes regardless); every write moves the
 * version. Answers the people not written because their version moved.
 */
async function pgUpdateEmployees(trx: Transaction<Database>, tenantId: string, updates: ApplyBatch['updates']): Promise<string[]> {
  const columns: Columns<Record<(typeof UPDATE_COLUMNS)[number] | 'base_version', unknown>> = [...UPDATE_COLUMNS.map((c) => [c, 'text'] as const), ['base_version', 'int4']];
  const set = sql.raw(UPDATE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = v.${c}`).join(', '));
  const moved: string[] = [];
  for (const chunk of chunks(updates, PG_BATCH)) {
    const rows = chunk.map((u) => ({ id: u.write.id, ...employeeWriteColumns(u.write), base_version: u.baseVersion }));
    const { rows: written } = await sql<{ id: string }>`update employees set ${set}, version = employees.version + 1
      from ${recordset(columns, rows)}
      where employees.tenant_id = ${tenantId} and employees.id = v.id and (v.base_version is null or employees.version = v.base_version)
      returning employees.id`.execute(trx);
    const done = new Set(written.map((r) => r.id));
    for (const u of chunk) if (!done.has(u.write.id)) moved.push(u.write.id);
  }
  return moved;
}

function updateParams(tenantId: string, w: EmployeeWrite, baseVersion: number | null) {
  return { tenant_id: tenantId, id: w.id, base_version: baseVersion, ...employeeWriteColumns(w) };
}
