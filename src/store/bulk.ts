import type SQLite from 'better-sqlite3';
import { setImmediate as nextTurn } from 'node:timers/promises';
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
  await writePrepared(store, trx, await prepareWrite(store, rows, null));
}

/**
 * Applies one batch of a run's changes and moves its watermark, inside the caller's (fenced)
 * transaction. Answers the people not written because their version moved since planning (an
 * admin's edit, another source's run): the caller resolves them again in the same transaction.
 */
export async function writeApplyBatch(store: Store, trx: Transaction<Database>, batch: ApplyBatch): Promise<string[]> {
  return writePrepared(store, trx, await prepareWrite(store, [], batch));
}

/** A table's rows as its PostgreSQL statements' parameters: MAX_ROWS rows a statement, a column one array (see pgArray). */
type EncodedRows = readonly (readonly Buffer[])[];

/**
 * A transaction's bulk writes made ready before it opens: change rows to stage, and a batch to
 * apply. On PostgreSQL every column is encoded here, so the transaction (which holds a connection
 * and the run's row) does not wait between its statements while Node builds the next one's
 * parameters: a 100,000-person first sync's write waited so ~3.7 s. A run encodes its next page
 * while the page before commits. SQLite binds the rows in-process, inside the transaction.
 */
export interface PreparedWrite {
  readonly changes: readonly NewRunChangeRow[];
  readonly batch: ApplyBatch | null;
  readonly pg: { readonly changes: EncodedRows; readonly creates: EncodedRows; readonly links: EncodedRows; readonly updates: EncodedRows } | null;
}

export async function prepareWrite(store: Store, changes: readonly NewRunChangeRow[], batch: ApplyBatch | null): Promise<PreparedWrite> {
  if (store.sqlite) return { changes, batch, pg: null };
  const updates = (batch?.updates ?? []).map((u) => ({ id: u.write.id, ...employeeWriteColumns(u.write), base_version: u.baseVersion }));
  return {
    changes,
    batch,
    pg: {
      changes: await encodeRows(CHANGE_COLUMNS, changes),
      creates: await encodeRows(EMPLOYEE_COLUMNS, batch?.creates ?? []),
      links: await encodeRows(LINK_COLUMNS, batch?.links ?? []),
      updates: await encodeRows(UPDATE_ROW_COLUMNS, updates),
    },
  };
}

/**
 * Writes what prepareWrite made ready, inside the caller's (fenced) transaction: the change rows,
 * then the batch (cases, new people, links, updates, the watermark). Answers the people not
 * written because their version moved (see writeApplyBatch).
 */
export async function writePrepared(store: Store, trx: Transaction<Database>, write: PreparedWrite): Promise<string[]> {
  const { batch } = write;
  if (!write.pg) return sqliteWrite(store.sqlite!, write.changes, batch);
  await pgRun(trx, CHANGE_INSERT, write.pg.changes, []);
  if (!batch) return [];
  await upsertCorrelationCases(trx, batch.cases);
  await pgRun(trx, EMPLOYEE_INSERT, write.pg.creates, []);
  await pgRun(trx, LINK_INSERT, write.pg.links, []);
  const written = await pgRun<{ id: string }>(trx, EMPLOYEE_UPDATE, write.pg.updates, [batch.tenantId]);
  if (batch.toSeq !== null) await markApplied(trx, batch.runId, batch.toSeq);
  const done = new Set(written.map((r) => r.id));
  return batch.updates.filter((u) => !done.has(u.write.id)).map((u) => u.write.id);
}

function sqliteWrite(sqlite: SQLite.Database, changes: readonly NewRunChangeRow[], batch: ApplyBatch | null): string[] {
  const s = stmts(sqlite);
  for (const row of changes) s.change.run({ base_version: null, base_hash: null, ...row });
  if (!batch) return [];
  const moved: string[] = [];
  for (const row of batch.creates) s.employee.run(row);
  for (const row of batch.links) s.link.run(row);
  for (const u of batch.updates) if (s.update.run(updateParams(batch.tenantId, u.write, u.baseVersion)).changes === 0) moved.push(u.write.id);
  for (const row of batch.cases) s.correlationCase.run(row);
  if (batch.toSeq !== null) s.applied.run(batch.toSeq, batch.runId);
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

/**
 * A turn of the event loop after each column: encoding a page is milliseconds of work, done while
 * the page before is being written, whose statements' answers would wait for it.
 */
async function encodeRows<Row>(columns: Columns<Row>, rows: readonly Row[]): Promise<EncodedRows> {
  const out: Buffer[][] = [];
  for (let i = 0; i < rows.length; i += MAX_ROWS) {
    const chunk = rows.slice(i, i + MAX_ROWS);
    const arrays: Buffer[] = [];
    for (const [c, type] of columns) {
      arrays.push(pgArray(chunk.map((row) => (row as Record<string, unknown>)[c]), type));
      await nextTurn();
    }
    out.push(arrays);
  }
  return out;
}

/**
 * A prepared statement over a batch's rows: `statement` is given them as a `FROM` source (see
 * unnestRows) and the placeholder of each extra parameter, which follows the columns'.
 */
function overRows<Row>(columns: Columns<Row>, statement: (source: string, param: (i: number) => string) => string): string {
  return `${PREPARED} ${statement(unnestRows(columns), (i) => `$${columns.length + i + 1}`)}`;
}

function insertOf<Row>(table: string, columns: Columns<Row>, conflict: string): string {
  const names = columns.map(([c]) => c).join(', ');
  return overRows(columns, (source) => `insert into ${table} (${names}) select ${names} from ${source} ${conflict}`);
}

const CHANGE_INSERT = insertOf('run_changes', CHANGE_COLUMNS, '');
const EMPLOYEE_INSERT = insertOf('employees', EMPLOYEE_COLUMNS, 'on conflict (id) do nothing');
const LINK_INSERT = insertOf('employee_links', LINK_COLUMNS, LINK_UPSERT);

const UPDATE_COLUMNS = ['id', 'status', 'fields', 'provenance', 'email_norm', 'employee_number', 'search_text', 'updated_at'] as const;
const UPDATE_ROW_COLUMNS: Columns<Record<(typeof UPDATE_COLUMNS)[number] | 'base_version', unknown>> = [...UPDATE_COLUMNS.map((c) => [c, 'text'] as const), ['base_version', 'int4']];

/**
 * Employees' sync-owned columns, many people in one `UPDATE … FROM unnest(…)`, each only at the
 * version its change was planned from (a null base writes regardless); every write moves the
 * version. Answers the ids written.
 */
const EMPLOYEE_UPDATE = overRows(UPDATE_ROW_COLUMNS, (source, param) =>
  `update employees set ${UPDATE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = v.${c}`).join(', ')}, version = employees.version + 1
   from ${source}
   where employees.tenant_id = ${param(0)}::text and employees.id = v.id and (v.base_version is null or employees.version = v.base_version)
   returning employees.id`,
);

/** Runs a statement of overRows once per encoded chunk, `extra` after each chunk's columns. Answers the rows returned. */
async function pgRun<Out = unknown>(trx: Transaction<Database>, text: string, chunks: EncodedRows, extra: readonly unknown[]): Promise<Out[]> {
  const out: Out[] = [];
  for (const columns of chunks) {
    const { rows } = await trx.executeQuery<Out>(CompiledQuery.raw(text, [...columns, ...extra]));
    out.push(...rows);
  }
  return out;
}

function updateParams(tenantId: string, w: EmployeeWrite, baseVersion: number | null) {
  return { tenant_id: tenantId, id: w.id, base_version: baseVersion, ...employeeWriteColumns(w) };
}
