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
import { refreshStaleStatistics } from '../store/planner-statistics.ts';


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
 * A preview over a large roster is CPU work (on SQLite the reads are too: the driver is
 * synchronous). It reads a page of people at a time (fewer on SQLite), judges each page as it comes (holding only the
 * tallies and samples, never the roster), and gives the event loop a turn after every page and
 * whenever judging has held it for SLICE_MS, so `/health` and other requests never wait behind a
 * preview (issue 10; `npm run bench` times /health while a preview of the whole roster runs).
 */
const CHUNK = { sqlite: 250, postgres: 1000 } as const; // SQLite reads block the loop; PostgreSQL's do not
const SLICE_MS = 5;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Gives the event loop a turn once the work since the last turn has taken `sliceMs`. */
function timeSlicer(sliceMs: number): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}

interface Candidate {
  readonly record: SourceRecord;
  readonly values: FieldValues;
  readonly linked: boolean;
  readonly activeEmployee: boolean;
}

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

  let total = 0;
  let inScope = 0;
  let wouldDeactivate = 0;
  let wouldAdd = 0;
  const byRule: Record<string, number> = {};
  const sampleIn: PreviewPerson[] = [];
  const sampleOut: PreviewPerson[] = [];
  const slice = timeSlicer(SLICE_MS);
  const judge = async (p: Candidate): Promise<void> => {
    if (total % 32 === 0) await slice();
    total += 1;
    const verdict = evaluateScope(scope, p.values, p.record);
    const active = decideStatus(p.record.lifecycle, today).status === 'active';
    const person = (): PreviewPerson => ({
      externalId: p.record.externalId,
      name: displayName(p.values),
      email: p.values.email ?? null,
      department: p.values.department ?? null,
      location: p.values.location ?? null,
      reason: verdict.reason,
      linked: p.linked,
    });
    if (verdict.inScope) {
      inScope += 1;
      byRule[verdict.reason] = (byRule[verdict.reason] ?? 0) + 1;
      if (active && !p.linked && p.values.email) wouldAdd += 1;
      if (sampleIn.length < SAMPLE) sampleIn.push(person());
    } else {
      if (action === 'deactivate' && p.linked && (p.activeEmployee || needsLive) && active) wouldDeactivate += 1;
      if (sampleOut.length < SAMPLE) sampleOut.push(person());
    }
  };

  /** This integration's stored people (those the source still has, or all), a page at a time in the primary key's order, a turn of the event loop between pages. */
  async function* storedPages(presentOnly: boolean) {
    const chunk = CHUNK[ctx.store.dialect];
    for (let after: string | undefined; ; ) {
      let q = ctx.store.db
        .selectFrom('employee_links')
        .leftJoin('employees', 'employees.id', 'employee_links.employee_id')
        .select(['employee_links.external_id', 'employee_links.employee_id', 'employee_links.field_values', 'employee_links.lifecycle', 'employees.status'])
        .where('employee_links.tenant_id', '=', tenantId)
        .where('employee_links.integration_id', '=', id);
      if (presentOnly) q = q.where('employee_links.present', '=', 1);
      if (after !== undefined) q = q.where('employee_links.external_id', '>', after);
      const rows = await q.orderBy('employee_links.external_id').limit(chunk).execute();
      yield rows;
      if (rows.length < chunk) return;
      after = rows[rows.length - 1]!.external_id;
      await nextTurn();
    }
  }

  if (needsLive) {
    if (integration.connection.status !== 'connected') throw new ApiError(409, 'not_connected', `This scope tests ${integration.name}'s own fields (source.*), which needs a connected integration to preview.`);
    const linked = new Set<string>();
    for await (const rows of storedPages(false)) for (const r of rows) if (r.employee_id !== null) linked.add(r.external_id);
    const connector = await connectorFor(ctx.engine, integration);
    for await (const page of (await connector.fetchAll()).pages) {
      for (const record of page.records) await judge({ record, values: applyMapping(record, integration.userSync.fieldMapping), linked: linked.has(record.externalId), activeEmployee: false });
    }
  } else {
    // Pages of a roster PostgreSQL believes empty (loaded since last analyzed) are planned as a sort of everything after the key.
    await refreshStaleStatistics(ctx.store, ['employees', 'employee_links']);
    for await (const rows of storedPages(true)) {
      for (const r of rows) {
        await judge({ record: { externalId: r.external_id, attributes: {}, lifecycle: parseJson<Lifecycle>(r.lifecycle, { active: false }) }, values: parseJson<FieldValues>(r.field_values, {}), linked: r.employee_id !== null, activeEmployee: r.status === 'active' });
      }
    }
  }

  return {
    basis: needsLive ? 'live from the provider' : 'last fetched data',
    total,
    inScope,
    outOfScope: total - inScope,
    wouldDeactivate,
    wouldAdd,
    byRule,
    sampleIn,
    sampleOut,
  };
}
