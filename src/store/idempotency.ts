import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { nowIso } from './ids.ts';

/**
 * Idempotency keys (migration 0009): a create sent again with the same `Idempotency-Key` answers
 * what the first one made. The key is claimed in the transaction that creates the resource, so of
 * two requests racing with one key exactly one creates; a create that fails claims nothing, and
 * the same key may be used again.
 */
export interface IdempotentRequest {
  /** What the key is for, e.g. 'integration.create'. */
  readonly scope: string;
  readonly key: string;
  /** A hash of the request: the same key with another request is refused. */
  readonly requestHash: string;
}

/** Another request claimed the key first (thrown inside the creating transaction, which rolls back). */
export class IdempotencyKeyTaken extends Error {
  override name = 'IdempotencyKeyTaken';
}

export async function findIdempotentResource(db: Kysely<Database>, tenantId: string, request: IdempotentRequest): Promise<{ resourceId: string; requestHash: string } | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['resource_id', 'request_hash'])
    .where('tenant_id', '=', tenantId)
    .where('scope', '=', request.scope)
    .where('key', '=', request.key)
    .executeTakeFirst();
  return row ? { resourceId: row.resource_id, requestHash: row.request_hash } : undefined;
}

/** Records the key for `resourceId` in the creating transaction, or throws IdempotencyKeyTaken. */
export async function claimIdempotencyKey(trx: Transaction<Database>, tenantId: string, request: IdempotentRequest, resourceId: string): Promise<void> {
  const result = await trx
    .insertInto('idempotency_keys')
    .values({ tenant_id: tenantId, scope: request.scope, key: request.key, request_hash: request.requestHash, resource_id: resourceId, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['tenant_id', 'scope', 'key']).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) throw new IdempotencyKeyTaken(request.key);
}
