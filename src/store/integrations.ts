import type { Kysely } from 'kysely';
import type { Vault } from '../auth/vault.ts';
import { DEFAULT_SAFEGUARD, type GroupSyncSettings, type UserSyncSettings } from '../core/integration-settings.ts';
import type { Database, IntegrationRow } from './schema.ts';
import { newId, nowIso, parseJson } from './ids.ts';
import { claimIdempotencyKey, type IdempotentRequest } from './idempotency.ts';
import { withinTransaction } from './transaction.ts';

export type ConnectionStatus = 'connected' | 'disconnected' | 'expired' | 'revoked' | 'error';

export interface Integration {
  readonly id: string;
  readonly tenantId: string;
  readonly provider: string;
  readonly name: string;
  readonly priority: number;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly hasCredentials: boolean;
  readonly connection: { readonly status: ConnectionStatus; readonly detail: string | null; readonly changedAt: string };
  readonly userSync: UserSyncSettings;
  readonly groupSync: GroupSyncSettings;
  readonly nextRunAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toIntegration(row: IntegrationRow): Integration {
  const userSync = parseJson<UserSyncSettings>(row.user_sync, {} as UserSyncSettings);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    provider: row.provider,
    name: row.name,
    priority: row.priority,
    settings: parseJson(row.settings, {}),
    hasCredentials: row.credentials !== null,
    connection: { status: row.connection_status as ConnectionStatus, detail: row.connection_detail, changedAt: row.connection_changed_at },
    userSync: { ...userSync, safeguard: { ...DEFAULT_SAFEGUARD, ...userSync.safeguard } },
    groupSync: parseJson(row.group_sync, { enabled: false, mapping: [] }),
    nextRunAt: row.next_run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewIntegration {
  readonly tenantId: string;
  readonly provider: string;
  readonly name: string;
  readonly settings: Record<string, unknown>;
  readonly credentials: Record<string, string> | null;
  readonly connection: { status: ConnectionStatus; detail: string | null };
  readonly userSync: UserSyncSettings;
  readonly groupSync: GroupSyncSettings;
}

/**
 * With `idempotency`, the key is claimed in the same transaction (IdempotencyKeyTaken when another
 * request has it). Inside the caller's transaction when `db` is one.
 */
export async function createIntegration(db: Kysely<Database>, vault: Vault, input: NewIntegration, idempotency?: IdempotentRequest): Promise<Integration> {
  const now = nowIso();
  const id = newId();
  // New integrations rank last, so ranks stay a permutation 1..n.
  const row = await withinTransaction(db, async (trx) => {
    const { n } = await trx
      .selectFrom('integrations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', input.tenantId)
      .where('removed_at', 'is', null)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('integrations')
      .values({
        id,
        tenant_id: input.tenantId,
        provider: input.provider,
        name: input.name,
        priority: Number(n) + 1,
        settings: JSON.stringify(input.settings),
        credentials: input.credentials ? vault.encryptJson(input.credentials) : null,
        connection_status: input.connection.status,
        connection_detail: input.connection.detail,
        connection_changed_at: now,
        user_sync: JSON.stringify(input.userSync),
        group_sync: JSON.stringify(input.groupSync),
        next_run_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    if (idempotency) await claimIdempotencyKey(trx, input.tenantId, idempotency, id);
    return trx.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  });
  return toIntegration(row);
}

export async function getIntegration(db: Kysely<Database>, tenantId: string, id: string): Promise<Integration | undefined> {
  const row = await db.selectFrom('integrations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).where('removed_at', 'is', null).executeTakeFirst();
  return row ? toIntegration(row) : undefined;
}

export async function listIntegrations(db: Kysely<Database>, tenantId: string): Promise<Integration[]> {
  const rows = await db.selectFrom('integrations').selectAll().where('tenant_id', '=', tenantId).where('removed_at', 'is', null).orderBy('priority').orderBy('id').execute();
  return rows.map(toIntegration);
}

export interface IntegrationPatch {
  name?: string;
  settings?: Record<string, unknown>;
  userSync?: UserSyncSettings;
  groupSync?: GroupSyncSettings;
  nextRunAt?: string | null;
  connection?: { status: ConnectionStatus; detail: string | null };
  credentials?: Record<string, string> | null;
}

export async function updateIntegration(db: Kysely<Database>, vault: Vault, tenantId: string, id: string, patch: IntegrationPatch): Promise<Integration | undefined> {
  const now = nowIso();
  await db
    .updateTable('integrations')
    .set({
      updated_at: now,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.settings !== undefined && { settings: JSON.stringify(patch.settings) }),
      ...(patch.userSync !== undefined && { user_sync: JSON.stringify(patch.userSync) }),
      ...(patch.groupSync !== undefined && { group_sync: JSON.stringify(patch.groupSync) }),
      ...(patch.nextRunAt !== undefined && { next_run_at: patch.nextRunAt }),
      ...(patch.connection !== undefined && {
        connection_status: patch.connection.status,
        connection_detail: patch.connection.detail,
        connection_changed_at: now,
      }),
      ...(patch.credentials !== undefined && { credentials: patch.credentials ? vault.encryptJson(patch.credentials) : null }),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
  return getIntegration(db, tenantId, id);
}

export async function readCredentials(db: Kysely<Database>, vault: Vault, tenantId: string, id: string): Promise<Record<string, string> | null> {
  const row = await db.selectFrom('integrations').select('credentials').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row?.credentials ? vault.decryptJson<Record<string, string>>(row.credentials) : null;
}

/** Integrations whose scheduled run is due, across tenants (the scheduler's own query). */
export async function dueIntegrations(db: Kysely<Database>, now: string): Promise<{ id: string; tenantId: string }[]> {
  const rows = await db
    .selectFrom('integrations')
    .select(['id', 'tenant_id'])
    .where('next_run_at', 'is not', null)
    .where('next_run_at', '<=', now)
    .where('connection_status', '=', 'connected')
    .where('removed_at', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
}

/**
 * Removes an integration: its links go (people keep their last values, now unlocked), ranks close
 * up to stay a permutation, and the row stays, marked removed, so runs and audit keep their history.
 * Inside the caller's transaction when `db` is one.
 */
export async function removeIntegration(db: Kysely<Database>, tenantId: string, id: string): Promise<void> {
  const now = nowIso();
  await withinTransaction(db, async (trx) => {
    await trx.deleteFrom('employee_links').where('tenant_id', '=', tenantId).where('integration_id', '=', id).execute();
    // Its groups and memberships stay, as the admin's now (like a field's last value).
    await trx
      .deleteFrom('group_memberships')
      .where('tenant_id', '=', tenantId)
      .where('integration_id', '=', id)
      .where('origin', '=', 'synced')
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('group_memberships as m').select('m.group_id').whereRef('m.group_id', '=', 'group_memberships.group_id').whereRef('m.employee_id', '=', 'group_memberships.employee_id').where('m.origin', '=', 'manual')),
      )
      .execute();
    await trx.updateTable('group_memberships').set({ origin: 'manual', integration_id: null }).where('tenant_id', '=', tenantId).where('integration_id', '=', id).execute();
    await trx.updateTable('groups').set({ origin: 'manual', integration_id: null, updated_at: now }).where('tenant_id', '=', tenantId).where('integration_id', '=', id).execute();
    await trx.deleteFrom('sync_cursors').where('tenant_id', '=', tenantId).where('integration_id', '=', id).execute();
    await trx.updateTable('correlation_cases').set({ status: 'resolved', resolution: JSON.stringify({ action: 'removed' }), resolved_at: now }).where('tenant_id', '=', tenantId).where('integration_id', '=', id).where('status', '=', 'open').execute();
    await trx.updateTable('integrations').set({ removed_at: now, credentials: null, next_run_at: null, connection_status: 'disconnected', updated_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    const rest = await trx.selectFrom('integrations').select(['id', 'priority']).where('tenant_id', '=', tenantId).where('removed_at', 'is', null).orderBy('priority').orderBy('id').execute();
    for (const [n, r] of rest.entries()) if (r.priority !== n + 1) await trx.updateTable('integrations').set({ priority: n + 1 }).where('id', '=', r.id).execute();
  });
}
