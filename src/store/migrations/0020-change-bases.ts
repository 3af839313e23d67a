import type { Kysely } from 'kysely';

/**
 * What each staged change was planned from (issue 9, "approval applies exactly what was staged"):
 * - `base_version`: the person's `employees.version` when the run planned the change. Apply
 *   writes the person only while the version is still this one (compare-and-set); otherwise it
 *   resolves them again from what is stored now, so an edit made meanwhile is never overwritten.
 * - `base_hash`: a hash of the person's status and fields at planning. Approving a held run
 *   compares it for every person whose version moved: a ReFresh-only edit (role, custom
 *   configuration) leaves the plan valid, an edit of a field or of the status makes it stale.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('run_changes').addColumn('base_version', 'integer').execute();
  await db.schema.alterTable('run_changes').addColumn('base_hash', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('run_changes').dropColumn('base_hash').execute();
  await db.schema.alterTable('run_changes').dropColumn('base_version').execute();
}
