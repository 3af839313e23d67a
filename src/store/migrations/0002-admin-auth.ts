import type { Kysely } from 'kysely';

/**
 * Console sign-in: admin users (password stored only as a salted scrypt hash) and their sessions
 * (the session id and CSRF token stored only as SHA-256 hashes). Portable types only, as in 0001.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('admin_users_tenant_email', ['tenant_id', 'email'])
    .execute();

  await db.schema
    .createTable('admin_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.id'))
    .addColumn('csrf_token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_sessions_user').on('admin_sessions').columns(['tenant_id', 'user_id']).execute();
  await db.schema.createIndex('admin_sessions_expiry').on('admin_sessions').columns(['expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_sessions').ifExists().execute();
  await db.schema.dropTable('admin_users').ifExists().execute();
}
