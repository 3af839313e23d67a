import type { Kysely } from 'kysely';

/**
 * What an integration's last group step left in step (src/sync/group-step.ts): a digest of
 * everything its plan is made from (settings, the provider's units, its people's links, its
 * groups and the count of their synced memberships) as they stood once the step's writes
 * committed. A run that finds the same digest plans nothing, since the plan would be empty; any
 * difference (a person's record, the tree, an admin's edit of a synced group) makes it plan.
 * Written in the step's own transaction, so a step that did not commit left none.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('group_sync_state')
    .ifNotExists()
    .addColumn('integration_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('links_digest', 'text')
    .addColumn('people_digest', 'text')
    .addColumn('run_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('group_sync_state').ifExists().execute();
}
