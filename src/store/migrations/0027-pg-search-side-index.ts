import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * PostgreSQL's employee search index leaves the write path, as SQLite's did in 0017: 0016's GIN
 * trigram index on `employees.search_text` was maintained inside every write of an employee, and
 * at 100,000 people it was about two thirds of a first sync's employee inserts (14.6 s of
 * 100,000 inserts with it, 5.1 s without, on this machine) and most of the gap to SQLite.
 *
 * - `employees_search` (employee id, tenant, search text) holds the GIN index instead; it is
 *   filled from `employees_search_pending` by src/store/search-index.ts (the API node's
 *   background catch-up, as on SQLite), in large statements off the write that caused it.
 * - Statement-level triggers on employees queue the ids whose search text was written (an
 *   insert, an update that changed it, a delete), in the writer's own transaction: one trigger
 *   call per statement over its rows, not one per row. The queue is keyed by a sequence, not by
 *   the employee: a writer that commits while a catch-up runs adds a row that catch-up cannot
 *   have seen, so a change is never lost between reading the queue and reading the employee.
 * - Search reads the index's matches and the queued people, each checked against the current
 *   text (src/store/employees.ts), so answers are the same before and after a catch-up; only
 *   their cost depends on the lag.
 *
 * The index is built in bulk here (faster than row by row) from the current rows, inside the
 * migration's transaction, so nothing is queued to start with.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const { rows } = await sql<{ schema: string; trgm: string | null }>`SELECT current_schema() AS schema,
      (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm') AS trgm`.execute(db);
  const { schema, trgm } = rows[0]!;
  await sql`CREATE TABLE IF NOT EXISTS employees_search (employee_id text PRIMARY KEY, tenant_id text NOT NULL, search_text text NOT NULL)`.execute(db);
  await sql`CREATE TABLE IF NOT EXISTS employees_search_pending (seq bigserial PRIMARY KEY, employee_id text NOT NULL)`.execute(db);
  await sql`INSERT INTO employees_search (employee_id, tenant_id, search_text) SELECT id, tenant_id, search_text FROM employees ON CONFLICT (employee_id) DO NOTHING`.execute(db);
  // Without pg_trgm (no privilege) search works unindexed, as 0016 allowed.
  if (trgm) await sql`CREATE INDEX IF NOT EXISTS employees_search_text_trgm ON employees_search USING gin (search_text ${sql.raw(`"${trgm.replace(/"/g, '""')}".gin_trgm_ops`)})`.execute(db);
  await sql`DROP INDEX IF EXISTS employees_search_trgm`.execute(db);
  // Named with its schema: a trigger fires under the writer's search_path, which need not be ours.
  const queue = `"${schema.replace(/"/g, '""')}".employees_search_pending`;
  await sql`CREATE OR REPLACE FUNCTION ${sql.id(schema, 'employees_search_queue')}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(`
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO ${queue} (employee_id) SELECT id FROM new_rows;
      ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO ${queue} (employee_id) SELECT id FROM old_rows;
      ELSE
        INSERT INTO ${queue} (employee_id)
          SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.search_text IS DISTINCT FROM n.search_text;
      END IF;
      RETURN NULL;
    END`)}`.execute(db);
  const fn = sql.id(schema, 'employees_search_queue');
  for (const [event, transition] of [['INSERT', 'NEW TABLE AS new_rows'], ['UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'], ['DELETE', 'OLD TABLE AS old_rows']] as const) {
    const name = sql.id(`employees_search_queue_${event.toLowerCase()}`);
    await sql`DROP TRIGGER IF EXISTS ${name} ON employees`.execute(db);
    await sql`CREATE TRIGGER ${name} AFTER ${sql.raw(event)} ON employees REFERENCING ${sql.raw(transition)} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  for (const event of ['insert', 'update', 'delete']) await sql`DROP TRIGGER IF EXISTS ${sql.id(`employees_search_queue_${event}`)} ON employees`.execute(db);
  await sql`DROP FUNCTION IF EXISTS employees_search_queue()`.execute(db);
  await sql`DROP TABLE IF EXISTS employees_search_pending`.execute(db);
  await sql`DROP TABLE IF EXISTS employees_search`.execute(db);
  const { rows } = await sql<{ trgm: string | null }>`SELECT n.nspname AS trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`.execute(db);
  const trgm = rows[0]?.trgm;
  if (trgm) await sql`CREATE INDEX IF NOT EXISTS employees_search_trgm ON employees USING gin (search_text ${sql.raw(`"${trgm.replace(/"/g, '""')}".gin_trgm_ops`)})`.execute(db);
}
