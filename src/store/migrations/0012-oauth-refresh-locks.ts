import type { Kysely } from 'kysely';

/**
 * One token refresh at a time per integration, across workers (issue 11 §3). Providers that rotate
 * refresh tokens kill the used one and may revoke the whole grant when it is presented again, so
 * two workers must never send the same refresh token: a worker takes this row (a short lease,
 * `expires_at`, so a crashed holder does not block for ever) before calling the token endpoint,
 * stores the new tokens, then lets go.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_refresh_locks')
    .addColumn('integration_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_refresh_locks').ifExists().execute();
}
