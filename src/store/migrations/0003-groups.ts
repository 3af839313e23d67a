import { sql, type Kysely } from 'kysely';

/**
 * Group Sync: groups (synced from an integration's org structure, or made by hand) and their
 * memberships. A person can be in a group twice, once per origin: a synced membership follows the
 * HRIS, a manual one is the admin's and is never removed by sync. Portable types only, as in 0001.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text')
    .addColumn('attribute', 'text')
    .addColumn('source_key', 'text')
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_tenant').on('groups').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('groups_parent').on('groups').columns(['tenant_id', 'parent_id']).execute();
  // One group per unit of a source; manual groups (integration_id null) are outside the index.
  await sql`CREATE UNIQUE INDEX groups_source_key ON groups (integration_id, attribute, source_key) WHERE integration_id IS NOT NULL`.execute(db);

  await db.schema
    .createTable('group_memberships')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id'))
    .addColumn('employee_id', 'text', (c) => c.notNull().references('employees.id'))
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_memberships_pk', ['group_id', 'employee_id', 'origin'])
    .execute();
  await db.schema.createIndex('group_memberships_employee').on('group_memberships').columns(['tenant_id', 'employee_id']).execute();
  await db.schema.createIndex('group_memberships_integration').on('group_memberships').columns(['integration_id', 'origin']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('group_memberships').ifExists().execute();
  await db.schema.dropTable('groups').ifExists().execute();
}
