import type { Kysely } from 'kysely';

/**
 * A group's other parents. Google and Entra let a group be nested in several groups; a ReFresh
 * group keeps one place in the tree (`groups.parent_id`) and every further parent here, so the
 * group is neither copied nor cut from a parent: each parent's headcount counts its people and the
 * console shows it under each (src/core/directory-groups.ts). Rows belong to the sync that made
 * them (`integration_id`) and go when the source no longer nests the group there.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('group_parents')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_parents_pk', ['tenant_id', 'group_id', 'parent_id'])
    .execute();
  await db.schema.createIndex('group_parents_by_parent').ifNotExists().on('group_parents').columns(['tenant_id', 'parent_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('group_parents').ifExists().execute();
}
