import { userInfo } from 'node:os';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { newId, nowIso } from './ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface AuditActor {
  readonly type: string;
  readonly id: string | null;
}

export const ADMIN: AuditActor = { type: 'admin', id: null };

/** Someone at the `refresh` CLI on a server: named by their operating-system account. */
export function operatorActor(): AuditActor {
  let name: string | null = null;
  try {
    name = userInfo().username;
  } catch {
    name = null; // no passwd entry (some containers): the action is still recorded
  }
  return { type: 'operator', id: name };
}

/**
 * Records one admin or system event. Pass the transaction of the change it describes, so the
 * event and the change commit (or roll back) together.
 */
export async function audit(db: Db, tenantId: string, action: string, entityId: string | null, before: unknown, after: unknown, actor: AuditActor = ADMIN): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId(),
      tenant_id: tenantId,
      at: nowIso(),
      actor_type: actor.type,
      actor_id: actor.id,
      action,
      entity_type: action.split('.')[0]!,
      entity_id: entityId,
      before: before === null ? null : JSON.stringify(before),
      after: after === null ? null : JSON.stringify(after),
    })
    .execute();
}
