import { sql, type Kysely } from 'kysely';

// One migration set for SQLite and PostgreSQL: only portable types (text, integer, bigint).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();

  await db.schema
    .createTable('integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('credentials', 'text')
    .addColumn('connection_status', 'text', (c) => c.notNull())
    .addColumn('connection_detail', 'text')
    .addColumn('connection_changed_at', 'text', (c) => c.notNull())
    .addColumn('user_sync', 'text', (c) => c.notNull())
    .addColumn('group_sync', 'text', (c) => c.notNull())
    .addColumn('next_run_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('integrations_tenant').on('integrations').columns(['tenant_id', 'priority']).execute();

  await db.schema
    .createTable('employees')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('email_norm', 'text')
    .addColumn('employee_number', 'text')
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('fields', 'text', (c) => c.notNull())
    .addColumn('provenance', 'text', (c) => c.notNull())
    .addColumn('custom_config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('employees_tenant_id').on('employees').columns(['tenant_id', 'id']).execute();
  await db.schema.createIndex('employees_email').on('employees').columns(['tenant_id', 'email_norm']).execute();
  await db.schema.createIndex('employees_number').on('employees').columns(['tenant_id', 'employee_number']).execute();

  await db.schema
    .createTable('employee_links')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('employee_id', 'text', (c) => c.references('employees.id'))
    .addColumn('record_hash', 'text', (c) => c.notNull())
    .addColumn('field_values', 'text', (c) => c.notNull())
    .addColumn('lifecycle', 'text', (c) => c.notNull())
    .addColumn('source_status', 'text')
    .addColumn('status_reason', 'text', (c) => c.notNull())
    .addColumn('in_scope', 'integer', (c) => c.notNull())
    .addColumn('scope_reason', 'text', (c) => c.notNull())
    .addColumn('review_on', 'text')
    .addColumn('present', 'integer', (c) => c.notNull())
    .addColumn('last_run_id', 'text')
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('employee_links_pk', ['integration_id', 'external_id'])
    .execute();
  await db.schema.createIndex('employee_links_employee').on('employee_links').columns(['tenant_id', 'employee_id']).execute();
  await db.schema.createIndex('employee_links_review').on('employee_links').columns(['integration_id', 'review_on']).execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id'))
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('counts', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('cursor_after', 'text')
    .addColumn('worker_id', 'text')
    .addColumn('heartbeat_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('runs_integration').on('runs').columns(['tenant_id', 'integration_id', 'created_at']).execute();
  // Exactly one queued or running run per integration, enforced by the database itself.
  await sql`CREATE UNIQUE INDEX runs_one_active ON runs (integration_id) WHERE status IN ('queued', 'running')`.execute(db);

  await db.schema
    .createTable('run_changes')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('employee_id', 'text')
    .addColumn('external_id', 'text')
    .addColumn('display_name', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('reason', 'text')
    .addColumn('payload', 'text')
    .addColumn('applied', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_changes_pk', ['run_id', 'seq'])
    .execute();
  await db.schema.createIndex('run_changes_employee').on('run_changes').columns(['tenant_id', 'employee_id']).execute();

  await db.schema
    .createTable('sync_cursors')
    .addColumn('integration_id', 'text', (c) => c.primaryKey().references('integrations.id'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('config_hash', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_tenant_at').on('audit_events').columns(['tenant_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_events', 'sync_cursors', 'run_changes', 'runs', 'employee_links', 'employees', 'integrations', 'api_keys', 'tenants']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
