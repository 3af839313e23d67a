import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { referencesCheck } from './reference-checks.ts';

/**
 * PostgreSQL: the sync's bulk tables check their single-parent references once per statement,
 * not once per row. A foreign key is a row-level trigger: every row a first sync inserts ran a
 * `SELECT … FOR KEY SHARE` of its parent through SPI, five per person (employees.tenant_id;
 * employee_links.tenant_id, integration_id, employee_id; run_changes.run_id). Four of them always
 * name the same one row (the run's tenant, integration and run), yet at 100,000 people they were
 * about a third of the server's time for those inserts (0.74 s against 1.05 s of backend CPU for
 * 20,000 people's rows, this machine, measured by dropping them).
 *
 * Those four become statement-level triggers over the statement's new rows (transition tables):
 * each distinct parent is locked FOR KEY SHARE (as the foreign key's check does, so it cannot be
 * deleted or re-keyed until the writer commits) and a missing one raises foreign_key_violation
 * (23503), for INSERT and for UPDATE alike. The parent side keeps the foreign key's NO ACTION
 * rule: an AFTER row trigger on DELETE or a change of id refuses while a child row names the
 * old id (an AFTER trigger runs once the row is ours, after any writer holding its KEY SHARE lock
 * committed, and under READ COMMITTED its query sees that writer's rows). Nothing deletes these
 * parents today (integrations are removed by marking them), so that side costs nothing.
 * employee_links.employee_id keeps its foreign key: its parents are as many as the rows.
 * SQLite keeps every foreign key: its checks are index probes inside the same statement.
 */
interface Reference {
  readonly child: string;
  readonly column: string;
  readonly parent: 'tenants' | 'integrations' | 'runs';
}

const REFERENCES: readonly Reference[] = [
  { child: 'employees', column: 'tenant_id', parent: 'tenants' },
  { child: 'employee_links', column: 'tenant_id', parent: 'tenants' },
  { child: 'employee_links', column: 'integration_id', parent: 'integrations' },
  { child: 'run_changes', column: 'run_id', parent: 'runs' },
];

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  // Named with the schema: triggers fire under the writer's search_path, which need not be ours.
  const s = quoted(rows[0]!.schema);
  for (const child of new Set(REFERENCES.map((r) => r.child))) {
    const checks = referencesCheck(rows[0]!.schema, child, REFERENCES.filter((r) => r.child === child));
    await sql`CREATE OR REPLACE FUNCTION ${sql.id(rows[0]!.schema, `${child}_parents_check`)}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(checks)}`.execute(db);
    for (const event of ['INSERT', 'UPDATE'] as const) {
      const name = sql.id(`${child}_parents_${event.toLowerCase()}`);
      await sql`DROP TRIGGER IF EXISTS ${name} ON ${sql.id(child)}`.execute(db);
      await sql`CREATE TRIGGER ${name} AFTER ${sql.raw(event)} ON ${sql.id(child)} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id(rows[0]!.schema, `${child}_parents_check`)}()`.execute(db);
    }
  }
  for (const parent of new Set(REFERENCES.map((r) => r.parent))) {
    const children = REFERENCES.filter((r) => r.parent === parent)
      .map((r) => `EXISTS (SELECT 1 FROM ${s}.${quoted(r.child)} c WHERE c.${quoted(r.column)} = OLD.id)`)
      .join(' OR ');
    await sql`CREATE OR REPLACE FUNCTION ${sql.id(rows[0]!.schema, `${parent}_children_guard`)}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(`
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.id IS NOT DISTINCT FROM OLD.id THEN RETURN NULL; END IF;
        IF ${children} THEN
          RAISE EXCEPTION 'update or delete on table "${parent}" violates foreign key: % is still referenced', OLD.id
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
      END`)}`.execute(db);
    const name = sql.id(`${parent}_children_guard`);
    await sql`DROP TRIGGER IF EXISTS ${name} ON ${sql.id(parent)}`.execute(db);
    await sql`CREATE TRIGGER ${name} AFTER DELETE OR UPDATE OF id ON ${sql.id(parent)} FOR EACH ROW EXECUTE FUNCTION ${sql.id(rows[0]!.schema, `${parent}_children_guard`)}()`.execute(db);
  }
  // The statement checks above are in place before the row-level ones go (one transaction).
  for (const r of REFERENCES) {
    const { rows: constraints } = await sql<{ name: string }>`
      SELECT c.conname AS name FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.contype = 'f' AND c.conrelid = ${`${rows[0]!.schema}.${r.child}`}::regclass::oid AND a.attname = ${r.column}`.execute(db);
    for (const { name } of constraints) await sql`ALTER TABLE ${sql.id(r.child)} DROP CONSTRAINT ${sql.id(name)}`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  for (const r of REFERENCES) {
    await sql`ALTER TABLE ${sql.id(r.child)} ADD FOREIGN KEY (${sql.id(r.column)}) REFERENCES ${sql.id(r.parent)} (id)`.execute(db);
  }
  for (const child of new Set(REFERENCES.map((r) => r.child))) {
    for (const event of ['insert', 'update']) await sql`DROP TRIGGER IF EXISTS ${sql.id(`${child}_parents_${event}`)} ON ${sql.id(child)}`.execute(db);
    await sql`DROP FUNCTION IF EXISTS ${sql.id(`${child}_parents_check`)}()`.execute(db);
  }
  for (const parent of new Set(REFERENCES.map((r) => r.parent))) {
    await sql`DROP TRIGGER IF EXISTS ${sql.id(`${parent}_children_guard`)} ON ${sql.id(parent)}`.execute(db);
    await sql`DROP FUNCTION IF EXISTS ${sql.id(`${parent}_children_guard`)}()`.execute(db);
  }
}
