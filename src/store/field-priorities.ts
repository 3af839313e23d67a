import type { Kysely, Transaction } from 'kysely';
import type { FieldName } from '../core/fields.ts';
import type { FieldPriorities } from '../core/resolve.ts';
import type { Database } from './schema.ts';
import { nowIso, parseJson } from './ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The tenant's per-field source orders (fields without an override are absent). */
export async function getFieldPriorities(db: Db, tenantId: string): Promise<FieldPriorities> {
  const rows = await db.selectFrom('field_priorities').select(['field', 'source_order']).where('tenant_id', '=', tenantId).orderBy('field').execute();
  return Object.fromEntries(rows.map((r) => [r.field as FieldName, parseJson<string[]>(r.source_order, [])]));
}

/** Replaces every override of the tenant with `next`. */
export async function replaceFieldPriorities(db: Db, tenantId: string, next: FieldPriorities): Promise<void> {
  await db.deleteFrom('field_priorities').where('tenant_id', '=', tenantId).execute();
  const now = nowIso();
  const rows = Object.entries(next)
    .filter(([, order]) => order && order.length > 0)
    .map(([field, order]) => ({ tenant_id: tenantId, field, source_order: JSON.stringify(order), updated_at: now }));
  if (rows.length > 0) await db.insertInto('field_priorities').values(rows).execute();
}
