import { diffFields, resolvePerson } from '../core/resolve.ts';
import type { FieldValues } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { mappedFields } from '../core/mapping.ts';
import { employeesByIds, searchText } from '../store/employees.ts';
import { nowIso, parseJson } from '../store/ids.ts';
import { listIntegrations, type Integration } from '../store/integrations.ts';
import { linksForEmployees } from '../store/links.ts';
import { decodeProvenance, encodeProvenance } from '../store/provenance.ts';
import { normalizeEmail, normalizeEmployeeNumber } from '../core/correlate.ts';
import type { AppContext } from './context.ts';
import { audit } from './integrations-service.ts';

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
  await audit(ctx, tenantId, 'integration.priority', integrationId, { order: before.map((i) => i.id) }, { order: order.map((i) => i.id) });
  return reresolveShared(ctx, tenantId, `priority of ${moving.name} set to ${target}`);
}

/** Re-resolves people linked to two or more sources from their stored per-source values. */
export async function reresolveShared(ctx: AppContext, tenantId: string, why: string): Promise<{ changed: number }> {
  const { db } = ctx.store;
  const integrations = new Map((await listIntegrations(db, tenantId)).map((i) => [i.id, i]));
  const shared = await db
    .selectFrom('employee_links')
    .select('employee_id')
    .where('tenant_id', '=', tenantId)
    .where('employee_id', 'is not', null)
    .groupBy('employee_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  const ids = shared.map((r) => r.employee_id!);
  let changed = 0;
  for (let n = 0; n < ids.length; n += 500) {
    const chunk = ids.slice(n, n + 500);
    const employees = await employeesByIds(db, tenantId, chunk);
    const links = await linksForEmployees(db, tenantId, chunk);
    for (const id of chunk) {
      const row = employees.get(id);
      if (!row) continue;
      const current = { status: row.status as PersonStatus, fields: parseJson<FieldValues>(row.fields, {}), provenance: decodeProvenance(row.provenance) };
      const views = links
        .filter((l) => l.employee_id === id)
        .map((l) => {
          const i = integrations.get(l.integration_id) as Integration | undefined;
          return {
            integrationId: l.integration_id,
            priority: i?.priority ?? Number.MAX_SAFE_INTEGER,
            enabled: !!i && i.userSync.enabled && i.connection.status === 'connected',
            mapped: mappedFields(i?.userSync.fieldMapping ?? {}),
            values: parseJson<FieldValues>(l.field_values, {}),
            status: (l.source_status as PersonStatus | null) ?? null,
            runId: l.last_run_id,
            seenAt: l.last_seen_at,
          };
        });
      const next = resolvePerson(current, views);
      const diff = diffFields(current.fields, next.fields);
      if (!diff && next.status === current.status && JSON.stringify(next.provenance) === JSON.stringify(current.provenance)) continue;
      changed += 1;
      await db
        .updateTable('employees')
        .set({
          status: next.status,
          fields: JSON.stringify(next.fields),
          provenance: encodeProvenance(next.provenance),
          email_norm: normalizeEmail(next.fields.email) ?? null,
          employee_number: normalizeEmployeeNumber(next.fields.employeeNumber) ?? null,
          search_text: searchText(next.fields),
          updated_at: nowIso(),
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      if (diff || next.status !== current.status) {
        await audit(ctx, tenantId, 'employee.resolved', id, { ...diff?.before, ...(next.status !== current.status ? { status: current.status } : {}) }, { ...diff?.after, ...(next.status !== current.status ? { status: next.status } : {}), reason: why }, { type: 'system', id: null });
      }
    }
  }
  return { changed };
}
