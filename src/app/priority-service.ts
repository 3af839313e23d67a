import type { FieldName } from '../core/fields.ts';
import type { FieldPriorities } from '../core/resolve.ts';
import { getFieldPriorities, replaceFieldPriorities } from '../store/field-priorities.ts';
import { nowIso } from '../store/ids.ts';
import { listIntegrations, type Integration } from '../store/integrations.ts';
import { ApiError, validateBody } from './errors.ts';
import { FieldPrioritiesBody } from '../api/contract/field-priorities.ts';
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
  const unchanged = order.every((i, n) => i.id === before[n]!.id);
  await db.transaction().execute(async (trx) => {
    for (const [n, i] of order.entries()) {
      if (i.priority !== n + 1) await trx.updateTable('integrations').set({ priority: n + 1, updated_at: nowIso() }).where('tenant_id', '=', tenantId).where('id', '=', i.id).execute();
    }
    if (!unchanged) await audit(trx, tenantId, 'integration.priority', integrationId, { order: before.map((i) => i.id) }, { order: order.map((i) => i.id) });
  });
  if (unchanged) return { changed: 0 };
  return reresolveShared(ctx, tenantId, `priority of ${moving.name} set to ${target}`);
}

/** Re-resolves people linked to two or more sources from their stored per-source values. */
export async function reresolveShared(ctx: AppContext, tenantId: string, why: string): Promise<{ changed: number }> {
  const ids = await sharedEmployees(ctx.store.db, tenantId);
  return { changed: await reresolveEmployees(ctx.store.db, tenantId, ids, why) };
}

export interface SourceRef {
  readonly integrationId: string;
  readonly name: string;
  readonly provider: string;
}

export interface FieldPrioritiesView {
  /** Per field, the sources that decide it first, in order; the others follow by rank. */
  readonly overrides: { field: string; order: SourceRef[] }[];
  /** The integrations' ranks: the order for every field without an override. */
  readonly ranks: (SourceRef & { priority: number })[];
}

const ref = (i: Integration): SourceRef => ({ integrationId: i.id, name: i.name, provider: i.provider });

function present(overrides: FieldPriorities, integrations: readonly Integration[]): FieldPrioritiesView {
  const byId = new Map(integrations.map((i) => [i.id, i]));
  return {
    overrides: Object.entries(overrides)
      .map(([field, order]) => ({ field, order: (order ?? []).flatMap((id) => (byId.has(id) ? [ref(byId.get(id)!)] : [])) }))
      .filter((o) => o.order.length > 0),
    ranks: [...integrations].sort((a, b) => a.priority - b.priority).map((i) => ({ ...ref(i), priority: i.priority })),
  };
}

export async function fieldPrioritiesOf(ctx: AppContext, tenantId: string): Promise<FieldPrioritiesView> {
  return present(await getFieldPriorities(ctx.store.db, tenantId), await listIntegrations(ctx.store.db, tenantId));
}

/**
 * Replaces the per-field source orders, then re-resolves every person several sources share from
 * their stored per-source values (nothing is fetched again): values, provenance and locks follow.
 */
export async function putFieldPriorities(ctx: AppContext, tenantId: string, body: unknown): Promise<FieldPrioritiesView & { resolved: number }> {
  const input = validateBody(FieldPrioritiesBody, body);
  const integrations = await listIntegrations(ctx.store.db, tenantId);
  const known = new Set(integrations.map((i) => i.id));
  const next: Partial<Record<FieldName, readonly string[]>> = {};
  for (const [n, o] of input.overrides.entries()) {
    const at = `overrides[${n}]`;
    if (next[o.field as FieldName]) throw new ApiError(400, 'invalid_request', `${at}.field: "${o.field}" has two orders; give each field one`, { field: `${at}.field` });
    const unknown = o.order.find((id) => !known.has(id));
    if (unknown) throw new ApiError(400, 'invalid_request', `${at}.order: no integration has the id "${unknown}"; use the ids from GET /integrations`, { field: `${at}.order`, integrationId: unknown });
    if (new Set(o.order).size !== o.order.length) throw new ApiError(400, 'invalid_request', `${at}.order names an integration twice; name each once`, { field: `${at}.order` });
    next[o.field as FieldName] = o.order;
  }
  const { db } = ctx.store;
  const before = await getFieldPriorities(db, tenantId);
  await db.transaction().execute(async (trx) => {
    await replaceFieldPriorities(trx, tenantId, next);
    await audit(trx, tenantId, 'field_priorities.updated', null, before, next);
  });
  const names = new Map(integrations.map((i) => [i.id, i.name]));
  const described = Object.entries(next).map(([f, order]) => `${f}: ${(order ?? []).map((id) => names.get(id)).join(' > ')}`);
  const { changed } = await reresolveShared(ctx, tenantId, `field priorities set (${described.join('; ') || 'none: ranks decide every field'})`);
  return { ...present(next, integrations), resolved: changed };
}
