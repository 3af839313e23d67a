import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * Two things that made a 100,000-person tenant slow:
 *
 * - SQLite's search index (0016) was written by triggers row by row: FTS5 fed that way cost a
 *   first sync several times its own inserts. The index becomes contentless (rowid = the
 *   employee's rowid; deletes by rowid) and the triggers only queue the rowid of an employee whose
 *   search text changed; src/store/search-index.ts catches the index up in large transactions,
 *   and search checks queued people by their current text meanwhile. PostgreSQL keeps 0016's GIN.
 * - Group headcounts were counted per request over every membership below each group (seconds
 *   for a page holding divisions). They are kept on the group (src/store/group-headcounts.ts
 *   refreshes them when memberships, statuses or the tree change) and read from there.
 *
 * Every statement may run again (SQLite migrations are not transactional in Kysely).
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const trigger of ['employees_search_insert', 'employees_search_delete', 'employees_search_update']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(trigger)}`.execute(db);
    const contentless = await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'employees_search'`.execute(db);
    if (!/contentless_delete/.test(contentless.rows[0]?.sql ?? '')) await sql`DROP TABLE IF EXISTS employees_search`.execute(db);
    await sql`CREATE VIRTUAL TABLE IF NOT EXISTS employees_search USING fts5(search_text, content='', contentless_delete=1, tokenize='trigram')`.execute(db);
    await sql`CREATE TABLE IF NOT EXISTS employees_search_pending (employee_rowid INTEGER PRIMARY KEY)`.execute(db);
    await sql`INSERT OR IGNORE INTO employees_search_pending (employee_rowid) SELECT rowid FROM employees`.execute(db);
    await sql`CREATE TRIGGER IF NOT EXISTS employees_search_queue_insert AFTER INSERT ON employees BEGIN
      INSERT OR IGNORE INTO employees_search_pending (employee_rowid) VALUES (new.rowid);
    END`.execute(db);
    await sql`CREATE TRIGGER IF NOT EXISTS employees_search_queue_update AFTER UPDATE OF search_text ON employees WHEN old.search_text IS NOT new.search_text BEGIN
      INSERT OR IGNORE INTO employees_search_pending (employee_rowid) VALUES (new.rowid);
    END`.execute(db);
    await sql`CREATE TRIGGER IF NOT EXISTS employees_search_queue_delete AFTER DELETE ON employees BEGIN
      INSERT OR IGNORE INTO employees_search_pending (employee_rowid) VALUES (old.rowid);
    END`.execute(db);
  }
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    const { rows } = await sql<{ name: string }>`SELECT name FROM pragma_table_info('groups')`.execute(db);
    if (!rows.some((c) => c.name === 'headcount')) await sql`ALTER TABLE groups ADD COLUMN headcount INTEGER NOT NULL DEFAULT 0`.execute(db);
  } else {
    await sql`ALTER TABLE groups ADD COLUMN IF NOT EXISTS headcount INTEGER NOT NULL DEFAULT 0`.execute(db);
  }
  // Today's headcounts: distinct active people in each group and its non-archived sub-groups.
  await sql`
    WITH RECURSIVE tree(root_id, group_id) AS (
      SELECT id, id FROM groups
      UNION
      SELECT tree.root_id, g.id FROM tree JOIN groups g ON g.parent_id = tree.group_id WHERE g.archived = 0
    ),
    counted AS (
      SELECT tree.root_id AS id, COUNT(DISTINCT m.employee_id) AS n
      FROM tree
      JOIN group_memberships m ON m.group_id = tree.group_id
      JOIN employees e ON e.id = m.employee_id AND e.status = 'active'
      GROUP BY tree.root_id
    )
    UPDATE groups SET headcount = (SELECT n FROM counted WHERE counted.id = groups.id) WHERE id IN (SELECT id FROM counted)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('groups').dropColumn('headcount').execute();
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const trigger of ['employees_search_queue_insert', 'employees_search_queue_update', 'employees_search_queue_delete']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(trigger)}`.execute(db);
    await sql`DROP TABLE IF EXISTS employees_search_pending`.execute(db);
    await sql`DROP TABLE IF EXISTS employees_search`.execute(db);
  }
}
