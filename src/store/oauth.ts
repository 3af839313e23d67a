/**
 * Storage for OAuth connect and webhooks: authorization states, integration secrets, webhook
 * replay guard, and the compare-and-set write of refreshed credentials.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Vault } from '../auth/vault.ts';
import type { Database } from './schema.ts';
import { nowIso } from './ids.ts';

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export interface NewOAuthState {
  readonly state: string;
  readonly tenantId: string;
  readonly integrationId: string;
  readonly provider: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly binding: { readonly kind: 'tenant' | 'session'; readonly value: string };
  readonly ttlMs: number;
}

export async function saveOAuthState(db: Kysely<Database>, vault: Vault, s: NewOAuthState): Promise<void> {
  const now = Date.now();
  // Housekeeping: states a day past their expiry are of no use, not even to say "already used".
  await db.deleteFrom('oauth_states').where('expires_at', '<', new Date(now - 86_400_000).toISOString()).execute();
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: sha256(s.state),
      tenant_id: s.tenantId,
      integration_id: s.integrationId,
      provider: s.provider,
      code_verifier: vault.encrypt(s.codeVerifier),
      redirect_uri: s.redirectUri,
      binding_kind: s.binding.kind,
      binding_hash: sha256(s.binding.value),
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + s.ttlMs).toISOString(),
      consumed_at: null,
    })
    .execute();
}

export interface ClaimedState {
  readonly tenantId: string;
  readonly integrationId: string;
  readonly provider: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly bindingKind: 'tenant' | 'session';
  readonly bindingHash: string;
}

export type ClaimResult = { ok: true; state: ClaimedState } | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'provider' | 'binding' };

/**
 * Claims a state exactly once: the conditional UPDATE is the lock, so two callbacks with the same
 * state (a reused code) cannot both proceed, on SQLite or PostgreSQL.
 */
export async function claimOAuthState(
  db: Kysely<Database>,
  vault: Vault,
  state: string,
  provider: string,
  bindingOk: (kind: string, hash: string) => boolean,
): Promise<ClaimResult> {
  const hash = sha256(state);
  const row = await db.selectFrom('oauth_states').selectAll().where('state_hash', '=', hash).executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.provider !== provider) return { ok: false, reason: 'provider' };
  if (row.consumed_at) return { ok: false, reason: 'used' };
  const now = nowIso();
  if (row.expires_at <= now) return { ok: false, reason: 'expired' };
  // Checked before consuming: a forged callback from another browser cannot burn the admin's state.
  if (!bindingOk(row.binding_kind, row.binding_hash)) return { ok: false, reason: 'binding' };
  const claimed = await db.updateTable('oauth_states').set({ consumed_at: now }).where('state_hash', '=', hash).where('consumed_at', 'is', null).executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return { ok: false, reason: 'used' };
  return {
    ok: true,
    state: {
      tenantId: row.tenant_id,
      integrationId: row.integration_id,
      provider: row.provider,
      codeVerifier: vault.decrypt(row.code_verifier),
      redirectUri: row.redirect_uri,
      bindingKind: row.binding_kind as 'tenant' | 'session',
      bindingHash: row.binding_hash,
    },
  };
}

export type SecretKind = 'oauth_client' | 'webhook';

export async function putIntegrationSecret(db: Kysely<Database>, vault: Vault, tenantId: string, integrationId: string, kind: SecretKind, value: unknown): Promise<void> {
  const now = nowIso();
  const ciphertext = vault.encryptJson(value);
  await db
    .insertInto('integration_secrets')
    .values({ integration_id: integrationId, kind, tenant_id: tenantId, ciphertext, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['integration_id', 'kind']).doUpdateSet({ ciphertext, updated_at: now }))
    .execute();
}

export async function getIntegrationSecret<T>(db: Kysely<Database>, vault: Vault, tenantId: string, integrationId: string, kind: SecretKind): Promise<T | undefined> {
  const row = await db
    .selectFrom('integration_secrets')
    .select('ciphertext')
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row ? vault.decryptJson<T>(row.ciphertext) : undefined;
}

/** The stored credentials ciphertext: the compare-and-set token for refreshes (random IV: unique per write). */
export async function readCredentialsCiphertext(db: Kysely<Database>, tenantId: string, integrationId: string): Promise<string | null> {
  const row = await db.selectFrom('integrations').select('credentials').where('tenant_id', '=', tenantId).where('id', '=', integrationId).executeTakeFirst();
  return row?.credentials ?? null;
}

/**
 * Writes credentials only if the stored ciphertext is still `expected`; false when someone else
 * (another worker's refresh, a reconnect, a disconnect, a key rotation) wrote in between.
 */
export async function compareAndSetCredentials(db: Kysely<Database>, vault: Vault, tenantId: string, integrationId: string, expected: string, next: Record<string, string>): Promise<boolean> {
  const result = await db
    .updateTable('integrations')
    .set({ credentials: vault.encryptJson(next), updated_at: nowIso() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', integrationId)
    .where('credentials', '=', expected)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records a webhook delivery; false when this signature was already seen (a replay). */
export async function recordWebhookDelivery(db: Kysely<Database>, tenantId: string, integrationId: string, signature: string, timestamp: string): Promise<boolean> {
  const now = Date.now();
  await db.deleteFrom('webhook_deliveries').where('received_at', '<', new Date(now - 3_600_000).toISOString()).execute();
  const result = await db
    .insertInto('webhook_deliveries')
    .values({ integration_id: integrationId, signature_hash: sha256(`${signature}.${timestamp}`), tenant_id: tenantId, received_at: new Date(now).toISOString() })
    .onConflict((oc) => oc.columns(['integration_id', 'signature_hash']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Takes the refresh lease of an integration for `holder` until `ttlMs` from now, when nobody holds
 * it or the holder's lease lapsed. The conditional upsert is atomic on both dialects, so of two
 * workers asking at once exactly one gets it.
 */
export async function acquireRefreshLock(db: Kysely<Database>, tenantId: string, integrationId: string, holder: string, ttlMs: number, now = Date.now()): Promise<boolean> {
  const at = new Date(now).toISOString();
  const result = await db
    .insertInto('oauth_refresh_locks')
    .values({ integration_id: integrationId, tenant_id: tenantId, holder, expires_at: new Date(now + ttlMs).toISOString() })
    .onConflict((oc) => oc.column('integration_id').doUpdateSet((eb) => ({ holder: eb.ref('excluded.holder'), expires_at: eb.ref('excluded.expires_at') })).where('oauth_refresh_locks.expires_at', '<', at))
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function releaseRefreshLock(db: Kysely<Database>, tenantId: string, integrationId: string, holder: string): Promise<void> {
  await db.deleteFrom('oauth_refresh_locks').where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('holder', '=', holder).execute();
}

/** Whether someone holds a live refresh lease on the integration. */
export async function refreshLockHeld(db: Kysely<Database>, tenantId: string, integrationId: string, now = Date.now()): Promise<boolean> {
  const row = await db.selectFrom('oauth_refresh_locks').select('expires_at').where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirst();
  return !!row && row.expires_at >= new Date(now).toISOString();
}
