import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { referencesCheck } from './reference-checks.ts';

/**
 * Group Sync's first sync writes a membership per person and mapped attribute (284,000 at
 * 100,000 people in 5,000 groups); what each row costs the database is most of the step's time.
 *
 * 1. `group_memberships_integration` (integration_id, origin) goes, on both stores. Every query
 *    that filters memberships by integration also filters by tenant (rule 4), and the index by
 *    (tenant_id, employee_id) finds the tenant's rows: hasSyncedMemberships stops at the first
 *    row (the group step asks it only when the integration has synced groups), syncedMembershipsOf
 *    (previews) and an integration's removal read the integration's memberships, which in a
 *    tenant are most of its memberships anyway. Nothing reads the index alone, yet every
 *    membership written paid an entry in it whose key was the same for all of them (~8 % of a
 *    PostgreSQL insert, measured on 56,760 rows: 900 → 830 ms of server CPU).
 *
 * 2. PostgreSQL: the references of a membership to its group and its person are checked once a
 *    statement, not once a row. A declared foreign key runs a trigger per row inserted, each a
 *    query of its own (look the key up, lock the row FOR KEY SHARE): two per membership, ~45 % of
 *    the server's time for a bulk insert (56,760 rows: 900 → 490 ms of server CPU). The triggers
 *    below keep what the constraints guaranteed, in one query per statement and table:
 *    - a membership inserted or updated names an existing group and employee, each locked
 *      FOR KEY SHARE as the constraint's check locks it (so a concurrent delete of one waits for
 *      this transaction, then sees its memberships and fails; a delete that committed first
 *      leaves a row that is not locked, counted as missing);
 *    - a group or employee still referenced by a membership can be neither deleted nor given
 *      another id (NO ACTION, checked at the end of the statement as the constraint was).
 *    Violations raise `foreign_key_violation` (23503) under the constraints' old names.
 *    SQLite keeps its declared foreign keys: there a check is an in-process index look-up.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS group_memberships_integration`.execute(db);
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]!.schema;
  // Tables named with their schema: a trigger runs under the writer's search_path (as 0025's).
  const q = (table: string) => `"${schema.replace(/"/g, '""')}".${table}`;
  await sql`ALTER TABLE group_memberships DROP CONSTRAINT IF EXISTS group_memberships_group_id_fkey`.execute(db);
  await sql`ALTER TABLE group_memberships DROP CONSTRAINT IF EXISTS group_memberships_employee_id_fkey`.execute(db);

  // Child side: every group and employee the statement's rows name exists, locked as a foreign key locks it.
  await sql`CREATE OR REPLACE FUNCTION ${sql.id(schema, 'group_memberships_check_refs')}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(
    referencesCheck(schema, 'group_memberships', [
      { column: 'employee_id', parent: 'employees' },
      { column: 'group_id', parent: 'groups' },
    ]),
  )}`.execute(db);
  for (const event of ['INSERT', 'UPDATE'] as const) {
    const name = sql.id(`group_memberships_refs_${event.toLowerCase()}`);
    await sql`DROP TRIGGER IF EXISTS ${name} ON group_memberships`.execute(db);
    await sql`CREATE TRIGGER ${name} AFTER ${sql.raw(event)} ON group_memberships REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id(schema, 'group_memberships_check_refs')}()`.execute(db);
  }

  // Parent side: a group or employee that memberships still name is neither deleted nor re-keyed.
  for (const [table, column, match] of [
    ['groups', 'group_id', 'm.group_id = o.id'],
    ['employees', 'employee_id', 'm.tenant_id = o.tenant_id AND m.employee_id = o.id'],
  ] as const) {
    const constraint = `group_memberships_${column}_fkey`;
    const violation = `RAISE EXCEPTION 'update or delete on table "${table}" violates foreign key constraint "${constraint}" on table "group_memberships"'
          USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (id)=(%s) is still referenced from table "group_memberships".', referenced);`;
    await sql`CREATE OR REPLACE FUNCTION ${sql.id(schema, `${table}_memberships_deleted`)}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(`
      DECLARE referenced text;
      BEGIN
        SELECT o.id INTO referenced FROM old_rows o WHERE EXISTS (SELECT 1 FROM ${q('group_memberships')} m WHERE ${match}) LIMIT 1;
        IF referenced IS NOT NULL THEN
          ${violation}
        END IF;
        RETURN NULL;
      END`)}`.execute(db);
    await sql`CREATE OR REPLACE FUNCTION ${sql.id(schema, `${table}_memberships_rekeyed`)}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(`
      DECLARE referenced text;
      BEGIN
        SELECT o.id INTO referenced FROM (SELECT OLD.id AS id, OLD.tenant_id AS tenant_id) AS o WHERE EXISTS (SELECT 1 FROM ${q('group_memberships')} m WHERE ${match});
        IF referenced IS NOT NULL THEN
          ${violation}
        END IF;
        RETURN NULL;
      END`)}`.execute(db);
    const deleted = sql.id(`${table}_memberships_deleted`);
    const rekeyed = sql.id(`${table}_memberships_rekeyed`);
    await sql`DROP TRIGGER IF EXISTS ${deleted} ON ${sql.id(table)}`.execute(db);
    await sql`CREATE TRIGGER ${deleted} AFTER DELETE ON ${sql.id(table)} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${sql.id(schema, `${table}_memberships_deleted`)}()`.execute(db);
    // A column list keeps it off every other update (the sync's writes of people never set id).
    await sql`DROP TRIGGER IF EXISTS ${rekeyed} ON ${sql.id(table)}`.execute(db);
    await sql`CREATE TRIGGER ${rekeyed} AFTER UPDATE OF id ON ${sql.id(table)} FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ${sql.id(schema, `${table}_memberships_rekeyed`)}()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    for (const event of ['insert', 'update']) await sql`DROP TRIGGER IF EXISTS ${sql.id(`group_memberships_refs_${event}`)} ON group_memberships`.execute(db);
    for (const table of ['groups', 'employees']) {
      await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_memberships_deleted`)} ON ${sql.id(table)}`.execute(db);
      await sql`DROP TRIGGER IF EXISTS ${sql.id(`${table}_memberships_rekeyed`)} ON ${sql.id(table)}`.execute(db);
      await sql`DROP FUNCTION IF EXISTS ${sql.id(`${table}_memberships_deleted`)}()`.execute(db);
      await sql`DROP FUNCTION IF EXISTS ${sql.id(`${table}_memberships_rekeyed`)}()`.execute(db);
    }
    await sql`DROP FUNCTION IF EXISTS group_memberships_check_refs()`.execute(db);
    await sql`ALTER TABLE group_memberships ADD CONSTRAINT group_memberships_group_id_fkey FOREIGN KEY (group_id) REFERENCES groups (id)`.execute(db);
    await sql`ALTER TABLE group_memberships ADD CONSTRAINT group_memberships_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES employees (id)`.execute(db);
  }
  await sql`CREATE INDEX IF NOT EXISTS group_memberships_integration ON group_memberships (integration_id, origin)`.execute(db);
}
