import type { Kysely } from 'kysely';

/**
 * Field-level priority: per field, the order of sources (integration ids, first wins) that
 * overrides the integrations' ranks for that field. One row per overridden field.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('field_priorities')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('field', 'text', (c) => c.notNull())
    /** JSON array of integration ids. */
    .addColumn('source_order', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('field_priorities_pk', ['tenant_id', 'field'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('field_priorities').ifExists().execute();
}
