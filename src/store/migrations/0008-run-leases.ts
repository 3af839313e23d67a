import { sql, type Kysely } from 'kysely';

/**
 * Runs you can trust (issue 9):
 * - `lease` is a fencing token: it grows at every claim, and every write a worker makes for a run
 *   checks worker id and lease in the same transaction; `lease_until` is when a silent worker's
 *   run may be taken over.
 * - `safeguard` says whether the safeguard held (or, for a dry run, would have held) the run and
 *   why; `planned` the counts the plan staged, beside `counts` (what was applied); `plan_basis`
 *   what the plan was made from, so an approval can tell a stale plan.
 * - A dry run no longer takes the one active slot of its integration: it has its own.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('lease', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('runs').addColumn('lease_until', 'text').execute();
  await db.schema.alterTable('runs').addColumn('safeguard', 'text').execute();
  await db.schema.alterTable('runs').addColumn('planned', 'text').execute();
  await db.schema.alterTable('runs').addColumn('plan_basis', 'text').execute();
  await sql`DROP INDEX runs_one_active`.execute(db);
  await sql`CREATE UNIQUE INDEX runs_one_active ON runs (integration_id) WHERE status IN ('queued', 'running') AND dry_run = 0`.execute(db);
  await sql`CREATE UNIQUE INDEX runs_one_active_dry ON runs (integration_id) WHERE status IN ('queued', 'running') AND dry_run = 1`.execute(db);
  // Claims look for queued runs and expired leases.
  await db.schema.createIndex('runs_claimable').on('runs').columns(['status', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('runs_claimable').ifExists().execute();
  await sql`DROP INDEX runs_one_active_dry`.execute(db);
  await sql`DROP INDEX runs_one_active`.execute(db);
  await sql`CREATE UNIQUE INDEX runs_one_active ON runs (integration_id) WHERE status IN ('queued', 'running')`.execute(db);
  for (const column of ['plan_basis', 'planned', 'safeguard', 'lease_until', 'lease']) await db.schema.alterTable('runs').dropColumn(column).execute();
}
