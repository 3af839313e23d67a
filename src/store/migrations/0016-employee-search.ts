import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * An index for `GET /employees?q=` (prefix and substring of name, email, number, title): the
 * lower-cased `search_text` is cut into trigrams, so `q` of three or more characters is found
 * from the index instead of by reading every employee.
 *
 * - SQLite: an FTS5 table with the trigram tokenizer over `employees.search_text` (external
 *   content keyed by the employees' rowid, so the text is not stored twice), kept in step by
 *   triggers; `MATCH '"q"'` is a substring match. Nothing here runs VACUUM (which could renumber
 *   rowids); should one ever be run, `INSERT INTO employees_search(employees_search) VALUES ('rebuild')`
 *   rebuilds the index.
 * - PostgreSQL: a GIN index with pg_trgm's `gin_trgm_ops`, which serves `search_text LIKE '%q%'`.
 *   pg_trgm is created once per database (in `public` when allowed, so dropping a schema never
 *   drops it under another); without it (no privilege) search still works, unindexed.
 */
// Every statement may run again: SQLite migrations are not transactional in Kysely, so a crash mid-way must not block the next start.
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`CREATE VIRTUAL TABLE IF NOT EXISTS employees_search USING fts5(search_text, content='employees', content_rowid='rowid', tokenize='trigram')`.execute(db);
    await sql`CREATE TRIGGER IF NOT EXISTS employees_search_insert AFTER INSERT ON employees BEGIN
      INSERT INTO employees_search(rowid, search_text) VALUES (new.rowid, new.search_text);
    END`.execute(db);
    await sql`CREATE TRIGGER IF NOT EXISTS employees_search_delete AFTER DELETE ON employees BEGIN
      INSERT INTO employees_search(employees_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    END`.execute(db);
    await sql`CREATE TRIGGER IF NOT EXISTS employees_search_update AFTER UPDATE OF search_text ON employees WHEN old.search_text IS NOT new.search_text BEGIN
      INSERT INTO employees_search(employees_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
      INSERT INTO employees_search(rowid, search_text) VALUES (new.rowid, new.search_text);
    END`.execute(db);
    await sql`INSERT INTO employees_search(employees_search) VALUES ('rebuild')`.execute(db);
    return;
  }
  const schema = await trigramSchema(db);
  if (schema) await sql`CREATE INDEX IF NOT EXISTS employees_search_trgm ON employees USING gin (search_text ${sql.raw(`"${schema}".gin_trgm_ops`)})`.execute(db);
}

/** Where pg_trgm lives, creating it when it is not there yet; null when it cannot be had. */
async function trigramSchema(db: Kysely<any>): Promise<string | null> {
  // Several nodes (or test schemas) migrating at once: one creates the extension, the rest wait.
  await sql`SELECT pg_advisory_xact_lock(816013)`.execute(db);
  await sql`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
          CREATE EXTENSION pg_trgm WITH SCHEMA public;
        EXCEPTION WHEN OTHERS THEN
          BEGIN
            CREATE EXTENSION pg_trgm;
          EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm is not available: employee search runs without its index';
          END;
        END;
      END IF;
    END $$`.execute(db);
  const { rows } = await sql<{ schema: string }>`SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`.execute(db);
  return rows[0]?.schema ?? null;
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const trigger of ['employees_search_insert', 'employees_search_delete', 'employees_search_update']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(trigger)}`.execute(db);
    await sql`DROP TABLE IF EXISTS employees_search`.execute(db);
    return;
  }
  await sql`DROP INDEX IF EXISTS employees_search_trgm`.execute(db);
}
