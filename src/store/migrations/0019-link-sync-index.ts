import { sql, type Kysely } from 'kysely';

/**
 * Every run reads its source's links twice before it can plan: the safeguard's count of active
 * linked people, and (a full run) the index of every link's record hash to skip unchanged people.
 * Both filtered rows of employee_links, whose rows carry each person's values (about half a
 * kilobyte), so at 100,000 people they read the whole table: about half a second for the count
 * alone, paid by every incremental run too. This index holds exactly the columns those reads use,
 * so they read it alone.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS employee_links_sync ON employee_links (integration_id, tenant_id, present, source_status, employee_id, external_id, record_hash)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS employee_links_sync`.execute(db);
}
