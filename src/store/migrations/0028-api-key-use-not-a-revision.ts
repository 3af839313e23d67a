import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { noteWritesOn } from './0025-read-revision.ts';

/**
 * PostgreSQL: recording that an API key was used (`last_used_at`, written at most every few
 * minutes per key, by the request that uses it) no longer moves the tenant's read revision.
 *
 * Every other write of api_keys still does, and now for a reason: the API-key cache keeps a key
 * while the tenant's revision is the one it was found at (src/auth/api-key-cache.ts), so a
 * revoke (a DELETE) or any change of a key (an UPDATE of anything else) must move it. A use
 * changes neither whether the key is valid nor any answer the read cache keeps (no cached read
 * reads api_keys), yet it moved the revision: the first request of each key, and one every five
 * minutes per key after, emptied the tenant's read cache, and the key just verified had to be
 * verified again on its next request.
 *
 * The UPDATE trigger compares each row before and after (the statement's OLD and NEW transition
 * tables, joined by id) as JSON without `last_used_at`, so a column added later counts as a
 * change without touching this trigger; a row whose id or tenant changed notes both tenants.
 * (A trigger with a column list, `UPDATE OF …`, cannot have transition tables.)
 * INSERT and DELETE keep 0025's triggers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]!.schema;
  // Named with its schema, as 0025's: a trigger fires under the writer's search_path.
  const log = `"${schema.replace(/"/g, '""')}".read_revision_writes`;
  await sql`CREATE OR REPLACE FUNCTION ${sql.id(schema, 'read_revision_note_api_keys_update')}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(`
    BEGIN
      INSERT INTO ${log} (tenant_id, xact)
        SELECT DISTINCT changed.tenant_id, txid_current()
        FROM new_rows n FULL JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES (n.tenant_id), (o.tenant_id)) AS changed (tenant_id)
        WHERE changed.tenant_id IS NOT NULL
          AND (n.id IS NULL OR o.id IS NULL OR to_jsonb(n) - 'last_used_at' IS DISTINCT FROM to_jsonb(o) - 'last_used_at')
        ON CONFLICT DO NOTHING;
      RETURN NULL;
    END`)}`.execute(db);
  await sql`DROP TRIGGER IF EXISTS api_keys_read_revision_update ON api_keys`.execute(db);
  await sql`CREATE TRIGGER api_keys_read_revision_update AFTER UPDATE ON api_keys REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id(schema, 'read_revision_note_api_keys_update')}()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  // 0025's three triggers again (its insert and delete triggers are dropped and made as they were).
  await noteWritesOn(db, rows[0]!.schema, 'api_keys', 'tenant_id');
  await sql`DROP FUNCTION IF EXISTS read_revision_note_api_keys_update()`.execute(db);
}
