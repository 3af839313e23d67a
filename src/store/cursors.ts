import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { nowIso } from './ids.ts';

export async function getCursor(db: Kysely<Database>, tenantId: string, integrationId: string): Promise<{ value: string; configHash: string } | undefined> {
  const row = await db.selectFrom('sync_cursors').select(['value', 'config_hash']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirst();
  return row ? { value: row.value, configHash: row.config_hash } : undefined;
}

export async function saveCursor(db: Kysely<Database>, tenantId: string, integrationId: string, value: string, configHash: string): Promise<void> {
  await db
    .insertInto('sync_cursors')
    .values({ integration_id: integrationId, tenant_id: tenantId, value, config_hash: configHash, updated_at: nowIso() })
    .onConflict((oc) => oc.column('integration_id').doUpdateSet({ value, config_hash: configHash, updated_at: nowIso() }))
    .execute();
}
