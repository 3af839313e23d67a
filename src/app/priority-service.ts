import { nowIso } from '../store/ids.ts';
import { listIntegrations } from '../store/integrations.ts';
import { reresolveEmployees, sharedEmployees } from '../sync/reresolve.ts';
import type { AppContext } from './context.ts';
import { audit } from '../store/audit.ts';

/**
 * Moves an integration to `rank` (1 highest) and renumbers the others so ranks stay a
 * permutation 1..n, then re-resolves every person several sources share, at once and without
 * refetching: the stored per-source values are enough.
 */
export async function setPriority(ctx: AppContext, tenantId: string, integrationId: string, rank: number): Promise<{ changed: number }> {
  const { db } = ctx.store;
  const before = await listIntegrations(db, tenantId);
  const moving = before.find((i) => i.id === integrationId);
  if (!moving) return { changed: 0 };
  const others = before.filter((i) => i.id !== integrationId);
  const target = Math.min(Math.max(1, rank), before.length);
  const order = [...others.slice(0, target - 1), moving, ...others.slice(target - 1)];
  await db.transaction().execute(async (trx) => {
    for (const [n, i] of order.entries()) {
      if (i.priority !== n + 1) await trx.updateTable('integrations').set({ priority: n + 1, updated_at: nowIso() }).where('tenant_id', '=', tenantId).where('id', '=', i.id).execute();
    }
  });
  if (order.every((i, n) => i.id === before[n]!.id)) return { changed: 0 };
  await audit(ctx.store.db, tenantId, 'integration.priority', integrationId, { order: before.map((i) => i.id) }, { order: order.map((i) => i.id) });
  return reresolveShared(ctx, tenantId, `priority of ${moving.name} set to ${target}`);
}

/** Re-resolves people linked to two or more sources from their stored per-source values. */
export async function reresolveShared(ctx: AppContext, tenantId: string, why: string): Promise<{ changed: number }> {
  const ids = await sharedEmployees(ctx.store.db, tenantId);
  return { changed: await reresolveEmployees(ctx.store.db, tenantId, ids, why) };
}
