import type { Kysely } from 'kysely';

/**
 * OAuth connect and webhooks (issue 5). Portable types only, as in 0001.
 *
 * - `oauth_states`: one row per authorization request. The `state` itself is never stored, only
 *   its SHA-256; the PKCE verifier is a vault ciphertext. A state is single-use (`consumed_at`),
 *   expires (`expires_at`) and is bound to whoever started it (`binding_kind` + `binding_hash`).
 * - `integration_secrets`: vault ciphertexts kept with an integration but outside its
 *   credentials (which disconnect deletes): the OAuth client used to connect it, the webhook key.
 * - `webhook_deliveries`: signatures already accepted, so a replayed delivery is refused.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('binding_kind', 'text', (c) => c.notNull())
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .execute();
  await db.schema.createIndex('oauth_states_expiry').on('oauth_states').columns(['expires_at']).execute();

  await db.schema
    .createTable('integration_secrets')
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('integration_secrets_pk', ['integration_id', 'kind'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('signature_hash', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['integration_id', 'signature_hash'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_received').on('webhook_deliveries').columns(['received_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').ifExists().execute();
  await db.schema.dropTable('integration_secrets').ifExists().execute();
  await db.schema.dropTable('oauth_states').ifExists().execute();
}
