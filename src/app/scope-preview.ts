import type { FieldValues } from '../core/fields.ts';
import { decideStatus, todayIn } from '../core/lifecycle.ts';
import { evaluateScope, type Scope } from '../core/scope.ts';
import type { Lifecycle, SourceRecord } from '../core/source-record.ts';
import { ScopePreviewBody } from '../api/contract/integrations.ts';
import { applyMapping } from '../core/mapping.ts';
import { parseJson } from '../store/ids.ts';
import { getTenant } from '../store/tenants.ts';
import type { AppContext } from './context.ts';
import { ApiError, validateBody } from './errors.ts';
import { requireIntegration } from './integrations-service.ts';
import { requireKnownSourceFields, scopeSourceFields } from './source-fields.ts';
import { connectorFor } from '../sync/connector.ts';
import { displayName } from '../sync/planner.ts';


interface PreviewPerson {
  readonly externalId: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly department: string | null;
  readonly location: string | null;
  readonly reason: string;
  readonly linked: boolean;
}

export interface ScopePreview {
  readonly basis: 'last fetched data' | 'live from the provider';
  readonly total: number;
  readonly inScope: number;
  readonly outOfScope: number;
  /** Synced, active people this scope would deactivate (with outOfScopeAction deactivate). */
  readonly wouldDeactivate: number;
  /** Active people in the source not synced today whom this scope would bring in. */
  readonly wouldAdd: number;
  readonly byRule: Record<string, number>;
  readonly sampleIn: PreviewPerson[];
  readonly sampleOut: PreviewPerson[];
}

const SAMPLE = 50;

/**
 * People read and judged per turn of the event loop. A preview over a large roster is CPU work
 * (on SQLite the reads are too: the driver is synchronous); between chunks the loop serves
 * sockets, so `/health` and other requests never wait behind a whole preview (issue 10).
 */
const CHUNK = 1000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Who is in and who is out under a scope, before saving it. Conditions on ReFresh fields are
 * answered from the last fetched data (each person's stored source values); a scope that tests
 * raw provider attributes (`source.*`) is answered live from the provider, which has them.
 */
export async function previewScope(ctx: AppContext, tenantId: string, id: string, body: unknown): Promise<ScopePreview> {
  const input = validateBody(ScopePreviewBody, body);
  const scope: Scope = input.scope;
  const action = input.outOfScopeAction ?? 'deactivate';
  const integration = await requireIntegration(ctx, tenantId, id);
  await requireKnownSourceFields(ctx, integration, integration.settings, scopeSourceFields(scope, 'scope'));
  const tenant = (await getTenant(ctx.store.db, tenantId))!;
  const today = todayIn(tenant.time_zone);
  const needsLive = scope.groups.some((g) => g.conditions.some((c) => c.field.startsWith('source.')));

  const people: { record: SourceRecord; values: FieldValues; linked: boolean; activeEmployee: boolean }[] = [];
  if (needsLive) {
    if (integration.connection.status !== 'connected') throw new ApiError(409, 'not_connected', `This scope tests ${integration.name}'s own fields (source.*), which needs a connected integration to preview.`);
    const linked = new Map((await ctx.store.db.selectFrom('employee_links').select(['external_id', 'employee_id']).where('tenant_id', '=', tenantId).where('integration_id', '=', id).execute()).map((l) => [l.external_id, l.employee_id]));
    const connector = await connectorFor(ctx.engine, integration);
    for await (const page of (await connector.fetchAll()).pages) {
      for (const record of page.records) {
        people.push({ record, values: applyMapping(record, integration.userSync.fieldMapping), linked: !!linked.get(record.externalId), activeEmployee: false });
      }
    }
  } else {
    // Page by page (the primary key's order), letting other requests in between pages.
    for (let after: string | undefined; ; ) {
      let q = ctx.store.db
        .selectFrom('employee_links')
        .leftJoin('employees', 'employees.id', 'employee_links.employee_id')
        .select(['employee_links.external_id', 'employee_links.employee_id', 'employee_links.field_values', 'employee_links.lifecycle', 'employees.status'])
        .where('employee_links.tenant_id', '=', tenantId)
        .where('employee_links.integration_id', '=', id)
        .where('employee_links.present', '=', 1);
      if (after !== undefined) q = q.where('employee_links.external_id', '>', after);
      const rows = await q.orderBy('employee_links.external_id').limit(CHUNK).execute();
      for (const r of rows) {
        const values = parseJson<FieldValues>(r.field_values, {});
        people.push({ record: { externalId: r.external_id, attributes: {}, lifecycle: parseJson<Lifecycle>(r.lifecycle, { active: false }) }, values, linked: r.employee_id !== null, activeEmployee: r.status === 'active' });
      }
      if (rows.length < CHUNK) break;
      after = rows[rows.length - 1]!.external_id;
      await nextTurn();
    }
  }

  let inScope = 0;
  let wouldDeactivate = 0;
  let wouldAdd = 0;
  const byRule: Record<string, number> = {};
  const sampleIn: PreviewPerson[] = [];
  const sampleOut: PreviewPerson[] = [];
  for (const [index, p] of people.entries()) {
    if (index > 0 && index % CHUNK === 0) await nextTurn();
    const verdict = evaluateScope(scope, p.values, p.record);
    const active = decideStatus(p.record.lifecycle, today).status === 'active';
    const person: PreviewPerson = {
      externalId: p.record.externalId,
      name: displayName(p.values),
      email: p.values.email ?? null,
      department: p.values.department ?? null,
      location: p.values.location ?? null,
      reason: verdict.reason,
      linked: p.linked,
    };
    if (verdict.inScope) {
      inScope += 1;
      byRule[verdict.reason] = (byRule[verdict.reason] ?? 0) + 1;
      if (active && !p.linked && p.values.email) wouldAdd += 1;
      if (sampleIn.length < SAMPLE) sampleIn.push(person);
    } else {
      if (action === 'deactivate' && p.linked && (p.activeEmployee || needsLive) && active) wouldDeactivate += 1;
      if (sampleOut.length < SAMPLE) sampleOut.push(person);
    }
  }
  return {
    basis: needsLive ? 'live from the provider' : 'last fetched data',
    total: people.length,
    inScope,
    outOfScope: people.length - inScope,
    wouldDeactivate,
    wouldAdd,
    byRule,
    sampleIn,
    sampleOut,
  };
}
