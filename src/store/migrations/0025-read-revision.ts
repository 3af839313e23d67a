import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * PostgreSQL: a read revision per tenant that only that tenant's data writes move
 * (Store.readRevision, the API read cache's key). The cluster's snapshot, used before, moved on
 * every commit anywhere, the rate-limit counter each API request commits included, so under load
 * the cache almost never hit.
 *
 * Each transaction that writes a tenant's data leaves one row (tenant, its transaction id) in
 * `read_revision_writes`, inserted by statement-level triggers that read the statement's rows
 * (transition tables) for the tenants they touch. The revision is, in one statement's snapshot,
 * `read_revisions.compacted + count(read_revision_writes)` for the tenant: every commit of a
 * data write adds a row that any later snapshot counts, so the number grows with each, and a
 * rolled-back write leaves none. Rows are folded into `compacted` from time to time by one
 * statement (delete and add their count) whose commit leaves the sum unchanged for every snapshot.
 *
 * Why this design and not another:
 * - Writers never wait on each other for it: each inserts its own row (keyed by its transaction
 *   id, so a transaction adds one however many statements it runs). A counter row bumped by a
 *   trigger would be locked from a sync batch's first statement to its commit, queueing every
 *   other writer of the tenant (an admin's PATCH behind a sync batch) and risking deadlocks.
 * - Statement-level, not row-level: a batch of 1,000 rows costs one trigger call and a distinct
 *   over its rows held in memory, not 1,000 calls.
 * - The rate-limit counters stay shared rows committed per request (exact across nodes): they
 *   are simply not data, like the tables listed in READ_REVISION_EXCLUDED below, which no
 *   cached read reads.
 * A table added later that cached reads read must get the triggers too (noteWritesOn); a test
 * checks that every table with a tenant column has them or is excluded here. api_keys' UPDATE
 * trigger is 0028's since (a key's `last_used_at` alone does not move the revision); the API-key
 * cache relies on every other write of api_keys moving it (a revoke is seen at once on any node).
 *
 * SQLite keeps data_version with the connection's change count (db.ts): nothing here.
 */
export const READ_REVISION_TABLES: Readonly<Record<string, 'tenant_id' | 'id'>> = {
  tenants: 'id',
  api_keys: 'tenant_id',
  integrations: 'tenant_id',
  integration_secrets: 'tenant_id',
  employees: 'tenant_id',
  employee_links: 'tenant_id',
  runs: 'tenant_id',
  run_changes: 'tenant_id',
  sync_cursors: 'tenant_id',
  correlation_cases: 'tenant_id',
  admin_users: 'tenant_id',
  groups: 'tenant_id',
  group_memberships: 'tenant_id',
  group_parents: 'tenant_id',
  field_priorities: 'tenant_id',
};

/**
 * Written on the request path or by background bookkeeping, and read by no cached answer
 * (employee and group lists and details, their totals, the Group Sync preview): their writes
 * leave the revision where it is.
 */
export const READ_REVISION_EXCLUDED: readonly string[] = [
  'rate_limit_counters',
  'sign_in_throttle',
  'admin_familiar_addresses',
  'admin_sessions',
  'oauth_states',
  'oauth_refresh_locks',
  'idempotency_keys',
  'audit_events',
  'webhook_deliveries',
  // What the last group step left in step (0026): the group step's own bookkeeping.
  'group_sync_state',
  // PostgreSQL's search index (0027): caught up in the background, it changes no answer (search
  // checks queued people by their current text), so a catch-up must not empty the read cache.
  'employees_search',
];

export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]!.schema;
  await sql`CREATE TABLE IF NOT EXISTS read_revision_writes (tenant_id text NOT NULL, xact bigint NOT NULL, PRIMARY KEY (tenant_id, xact))`.execute(db);
  await sql`CREATE TABLE IF NOT EXISTS read_revisions (tenant_id text PRIMARY KEY, compacted bigint NOT NULL)`.execute(db);
  // The log is named with its schema: a trigger fires under the writer's search_path, which
  // need not be ours (an operator's psql session).
  const log = `"${schema.replace(/"/g, '""')}".read_revision_writes`;
  for (const column of ['tenant_id', 'id'] as const) {
    await sql`CREATE OR REPLACE FUNCTION ${sql.id(schema, `read_revision_note_${column}`)}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(`
      BEGIN
        INSERT INTO ${log} (tenant_id, xact)
          SELECT DISTINCT ${column}, txid_current() FROM changed_rows
          ON CONFLICT DO NOTHING;
        RETURN NULL;
      END`)}`.execute(db);
  }
  for (const [table, column] of Object.entries(READ_REVISION_TABLES)) await noteWritesOn(db, schema, table, column);
}

/** The three statement-level triggers that note writes of `table` (tenant in `column`). */
export async function noteWritesOn(db: Kysely<any>, schema: string, table: string, column: 'tenant_id' | 'id'): Promise<void> {
  const fn = sql.id(schema, `read_revision_note_${column}`);
  for (const [event, rows] of [['INSERT', 'NEW'], ['UPDATE', 'NEW'], ['DELETE', 'OLD']] as const) {
    const name = sql.id(`${table}_read_revision_${event.toLowerCase()}`);
    await sql`DROP TRIGGER IF EXISTS ${name} ON ${sql.id(table)}`.execute(db);
    await sql`CREATE TRIGGER ${name} AFTER ${sql.raw(event)} ON ${sql.id(table)} REFERENCING ${sql.raw(rows)} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  for (const table of Object.keys(READ_REVISION_TABLES)) {
    for (const event of ['insert', 'update', 'delete']) await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_read_revision_${event}`)} ON ${sql.id(table)}`.execute(db);
  }
  await sql`DROP FUNCTION IF EXISTS read_revision_note_tenant_id()`.execute(db);
  await sql`DROP FUNCTION IF EXISTS read_revision_note_id()`.execute(db);
  await sql`DROP TABLE IF EXISTS read_revision_writes`.execute(db);
  await sql`DROP TABLE IF EXISTS read_revisions`.execute(db);
}
