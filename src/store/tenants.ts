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

export async function tenantForApiKey(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('api_keys').select('tenant_id').where('key_hash', '=', hashApiKey(key)).executeTakeFirst();
  return row?.tenant_id;
}
