import type { Kysely } from 'kysely';

// Several sources: ambiguous matches are held as correlation cases until an admin decides.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('correlation_cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('email', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('candidates', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('resolution', 'text')
    .addColumn('run_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await db.schema.createIndex('correlation_cases_open').on('correlation_cases').columns(['tenant_id', 'status', 'id']).execute();
  await db.schema.createIndex('correlation_cases_source').on('correlation_cases').columns(['integration_id', 'external_id']).unique().execute();
  await db.schema.createIndex('audit_employee').on('audit_events').columns(['tenant_id', 'entity_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_employee').ifExists().execute();
  await db.schema.dropTable('correlation_cases').ifExists().execute();
}
