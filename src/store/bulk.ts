import type SQLite from 'better-sqlite3';
import type { Transaction } from 'kysely';
import type { Store } from './db.ts';
import type { Database, NewCorrelationCaseRow, NewEmployeeLinkRow, NewEmployeeRow, NewRunChangeRow } from './schema.ts';
import { upsertCorrelationCases } from './correlation-cases.ts';
import { employeeWriteColumns, insertEmployees, updateEmployee, type EmployeeWrite } from './employees.ts';
import { upsertLinks } from './links.ts';
import { insertChanges, markApplied } from './run-changes.ts';

/**
 * The sync's bulk writes, always inside a transaction the caller opened (the run's fenced write).
 * On SQLite they run as cached prepared statements on the raw handle, synchronously inside that
 * Kysely transaction (which holds the single connection, so nothing else interleaves); on
 * PostgreSQL as multi-row Kysely statements. Same rows either way.
 */
export interface ApplyBatch {
  readonly tenantId: string;
  readonly runId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly creates: readonly NewEmployeeRow[];
  readonly links: readonly NewEmployeeLinkRow[];
  readonly updates: readonly EmployeeWrite[];
  readonly cases: readonly NewCorrelationCaseRow[];
}

const statements = new WeakMap<SQLite.Database, ReturnType<typeof prepare>>();

function prepare(sqlite: SQLite.Database) {
  return {
    change: sqlite.prepare(
      `insert into run_changes (tenant_id, run_id, seq, kind, employee_id, external_id, display_name, before, after, reason, payload, applied)
       values (@tenant_id, @run_id, @seq, @kind, @employee_id, @external_id, @display_name, @before, @after, @reason, @payload, @applied)`,
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
         search_text = @search_text, updated_at = @updated_at where tenant_id = @tenant_id and id = @id`,
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
  if (!sqlite) return insertChanges(trx, rows);
  const s = stmts(sqlite).change;
  for (const row of rows) s.run(row);
}

/** Applies one batch of a run's changes and moves its watermark, inside the caller's (fenced) transaction. */
export async function writeApplyBatch(store: Store, trx: Transaction<Database>, batch: ApplyBatch): Promise<void> {
  const sqlite = store.sqlite;
  if (sqlite) {
    const s = stmts(sqlite);
    for (const row of batch.creates) s.employee.run(row);
    for (const row of batch.links) s.link.run(row);
    for (const w of batch.updates) s.update.run(updateParams(batch.tenantId, w));
    for (const row of batch.cases) s.correlationCase.run(row);
    s.applied.run(batch.toSeq, batch.runId);
    return;
  }
  await upsertCorrelationCases(trx, batch.cases);
  await insertEmployees(trx, batch.creates);
  await upsertLinks(trx, batch.links);
  for (const w of batch.updates) await updateEmployee(trx, batch.tenantId, w);
  await markApplied(trx, batch.runId, batch.toSeq);
}

function updateParams(tenantId: string, w: EmployeeWrite) {
  return { tenant_id: tenantId, id: w.id, ...employeeWriteColumns(w) };
}
