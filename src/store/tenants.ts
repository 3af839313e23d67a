import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Tenant } from './schema.ts';
import { newId, nowIso } from './ids.ts';

export const DEFAULT_TENANT_ID = 'default';

export async function ensureTenant(db: Kysely<Database>, id = DEFAULT_TENANT_ID, name = 'Default organization', timeZone = 'UTC'): Promise<Tenant> {
  const existing = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  if (existing) return existing;
  const row = { id, name, time_zone: timeZone, created_at: nowIso() };
  await db.insertInto('tenants').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
  return (await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}

export async function getTenant(db: Kysely<Database>, id: string): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return `rfk_${randomBytes(24).toString('base64url')}`;
}

/** Stores only the key's hash; returns nothing secret. Idempotent for the same key. */
export async function registerApiKey(db: Kysely<Database>, tenantId: string, key: string, name: string): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({ id: newId(), tenant_id: tenantId, name, key_hash: hashApiKey(key), prefix: key.slice(0, 8), created_at: nowIso(), last_used_at: null })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .execute();
}

export async function countApiKeys(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** What an admin sees of a key: never the key nor its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  /** The key's first characters, to recognise it (`rfk_AbCd`). */
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** A new key for a tenant: the key is returned once, only its hash is stored. */
export async function createApiKey(db: Kysely<Database>, tenantId: string, name: string): Promise<{ key: string; info: ApiKeyInfo }> {
  const key = generateApiKey();
  const row = { id: newId(), tenant_id: tenantId, name, key_hash: hashApiKey(key), prefix: key.slice(0, 8), created_at: nowIso(), last_used_at: null };
  await db.insertInto('api_keys').values(row).execute();
  return { key, info: { id: row.id, name, prefix: row.prefix, createdAt: row.created_at, lastUsedAt: null } };
}

export async function listApiKeys(db: Kysely<Database>, tenantId: string): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').select(['id', 'name', 'prefix', 'created_at', 'last_used_at']).where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

/** Revokes (deletes) a key of this tenant; the key stops working at once. Undefined when unknown. */
export async function revokeApiKey(db: Kysely<Database>, tenantId: string, id: string): Promise<ApiKeyInfo | undefined> {
  const found = (await listApiKeys(db, tenantId)).find((k) => k.id === id);
  if (!found) return undefined;
  await db.deleteFrom('api_keys').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  return found;
}

/** `last_used_at` is written at most this often per key: one write per request would be a hot row. */
export const LAST_USED_RESOLUTION_MS = 5 * 60_000;

/** The key's tenant and id, recording when it was last used (at most every few minutes). */
export async function authenticateApiKey(db: Kysely<Database>, key: string, now: Date = new Date()): Promise<{ tenantId: string; keyId: string } | undefined> {
  const row = await db.selectFrom('api_keys').select(['id', 'tenant_id', 'last_used_at']).where('key_hash', '=', hashApiKey(key)).executeTakeFirst();
  if (!row) return undefined;
  await recordApiKeyUse(db, row.id, row.last_used_at, now);
  return { tenantId: row.tenant_id, keyId: row.id };
}

/** Writes the key's `last_used_at` when the one read (`lastUsedAt`) is older than LAST_USED_RESOLUTION_MS. */
export async function recordApiKeyUse(db: Kysely<Database>, keyId: string, lastUsedAt: string | null, now: Date): Promise<void> {
  if (lastUsedAt && Date.parse(lastUsedAt) > now.getTime() - LAST_USED_RESOLUTION_MS) return;
  await db.updateTable('api_keys').set({ last_used_at: now.toISOString() }).where('id', '=', keyId).execute();
}

export async function tenantForApiKey(db: Kysely<Database>, key: string): Promise<string | undefined> {
  return (await authenticateApiKey(db, key))?.tenantId;
}
