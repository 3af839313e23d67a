import { isAppliedKind, type RunCounts } from '../core/run-states.ts';
import { prepareWrite, writePrepared, type ApplyBatch, type PreparedWrite } from '../store/bulk.ts';
import type { Store } from '../store/db.ts';
import { employeeWriteColumns } from '../store/employees.ts';
import { otherSourcesLinked } from '../store/links.ts';
import { newId, nowIso } from '../store/ids.ts';
import { unappliedChanges } from '../store/run-changes.ts';
import { getRunRow, saveRunProgress, toRun } from '../store/runs.ts';
import type { Database, NewCorrelationCaseRow, NewEmployeeRow, RunChangeRow } from '../store/schema.ts';
import type { Transaction } from 'kysely';
import { decodePayload, type ChangePayload, type PayloadContext } from './change-payload.ts';
import type { EngineDeps } from './engine.ts';
import type { RunWriter } from './fenced-run.ts';
import { reresolveEmployees, resolveAgain, resolveContext, sharedEmployees, type ResolveContext } from './reresolve.ts';

export const APPLY_BATCH = 1000;

/**
 * Applies a run's staged changes in seq order, a batch per fenced transaction that also moves
 * the run's watermark and counts what the batch applied, so a resumed apply continues where the
 * last committed batch stopped and a run that fails halfway reports what it applied.
 */
export async function applyChanges(deps: EngineDeps, run: RunWriter, runId: string, tenantId: string, counts: RunCounts): Promise<void> {
  const { db } = deps.store;
  const total = await db
    .selectFrom('run_changes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', '=', runId)
    .where('payload', 'is not', null)
    .where('applied', '=', 0)
    .executeTakeFirstOrThrow();
  const row = (await getRunRow(db, runId))!;
  const ctx = { tenantId, integrationId: row.integration_id, runId };
  let resolve: ResolveContext | undefined;
  // The provider's total from the fetch stays on the run while it applies.
  const fetchedOf = toRun(row).progress.total;
  let applied = 0;
  let afterSeq = 0;
  for (;;) {
    const batch = await unappliedChanges(db, runId, afterSeq, APPLY_BATCH);
    if (batch.length === 0) break;
    const payloads = batch.map((c) => decodePayload(c, ctx));
    afterSeq = batch[batch.length - 1]!.seq;
    applied += batch.length;
    const after = { ...counts };
    for (const change of batch) if (isAppliedKind(change.kind)) after[change.kind] += 1;
    const toApply = Number(total.n);
    // People written since the plan (an admin's edit, another source's run) are not overwritten
    // with the staged values: they are resolved again, in the same transaction, from what is stored.
    resolve ??= await resolveContext(db, tenantId, row.integration_id);
    const rc = resolve;
    const write = await prepareWrite(deps.store, [], planApply(ctx, batch, payloads, { watermark: true }));
    await run.write(async (trx) => {
      await writePlanned(trx, ctx.tenantId, deps.store, write, rc);
      await saveRunProgress(trx, runId, 'applying', { fetched: counts.fetched, total: fetchedOf, applied, toApply, message: `applied ${applied} of ${toApply} changes` }, after);
      await deps.crashAt?.('apply', runId);
    });
    Object.assign(counts, after);
    await deps.onApplyBatch?.(runId, afterSeq);
  }
}

/** The parts of a change row applying it needs (a staged row read back, or one just planned). */
type ChangeToApply = Pick<RunChangeRow, 'seq'> & Partial<Pick<RunChangeRow, 'external_id' | 'display_name' | 'base_version'>>;

/**
 * What applying planned changes writes (people, links, correlation cases). `watermark`: the batch
 * is the run's staged changes in order, so it moves the run's apply watermark; otherwise the rows
 * say themselves that they are applied. Null when there is nothing to apply.
 */
export function planApply(ctx: PayloadContext, batch: readonly ChangeToApply[], payloads: readonly ChangePayload[], opts: { watermark: boolean }): ApplyBatch | null {
  if (batch.length === 0) return null;
  return { ...toApplyBatch(ctx, batch, payloads), toSeq: opts.watermark ? batch[batch.length - 1]!.seq : null };
}

/**
 * Writes a prepared write inside the caller's fenced transaction. People written since the plan
 * (an admin's edit, another source's run) are not overwritten with the planned values: they are
 * resolved again, in the same transaction, from what is stored.
 */
export async function writePlanned(trx: Transaction<Database>, tenantId: string, store: Store, write: PreparedWrite, rc: ResolveContext | undefined): Promise<void> {
  const moved = await writePrepared(store, trx, write);
  if (moved.length === 0) return;
  if (!rc) throw new Error('people to resolve again without the context to resolve them: a batch was applied without it');
  await resolveAgain(trx, tenantId, moved, 'changed after the run was planned: resolved again from the stored values', rc);
}

function toApplyBatch(ctx: PayloadContext, batch: readonly ChangeToApply[], payloads: readonly ChangePayload[]): Omit<ApplyBatch, 'toSeq'> {
  const creates = payloads.flatMap((p): NewEmployeeRow[] => {
    const e = p.employee;
    if (!e?.create) return [];
    return [{ id: e.id, tenant_id: ctx.tenantId, role: 'member', custom_config: '{}', created_at: e.updatedAt, ...employeeWriteColumns(e) }];
  });
  const cases = batch.flatMap((change, n): NewCorrelationCaseRow[] => {
    const c = payloads[n]!.correlationCase;
    if (!c) return [];
    return [{
      id: newId(),
      tenant_id: ctx.tenantId,
      integration_id: ctx.integrationId,
      external_id: change.external_id!,
      display_name: change.display_name ?? null,
      email: c.email,
      reason: c.reason,
      candidates: JSON.stringify(c.candidates),
      status: 'open',
      resolution: null,
      run_id: ctx.runId,
      created_at: nowIso(),
      resolved_at: null,
    }];
  });
  return {
    tenantId: ctx.tenantId,
    runId: ctx.runId,
    creates,
    links: payloads.flatMap((p) => (p.link ? [p.link] : [])),
    updates: payloads.flatMap((p, n) => (p.employee && !p.employee.create ? [{ write: p.employee, baseVersion: batch[n]!.base_version ?? null }] : [])),
    cases,
  };
}

/**
 * People this run touched who are shared with other sources are resolved again from the stored
 * links: another source's value may now fill a field this run cleared, and a run approved after
 * being held applies against what the other sources say today.
 */
export async function reresolveShared(deps: EngineDeps, run: RunWriter, runId: string, tenantId: string, integrationId: string): Promise<void> {
  // A tenant with one linked source shares nobody: no need to list the 100,000 people a first sync touched.
  if (!(await otherSourcesLinked(deps.store.db, tenantId, integrationId))) return;
  const touched = await deps.store.db.selectFrom('run_changes').select('employee_id').distinct().where('run_id', '=', runId).where('employee_id', 'is not', null).execute();
  if (touched.length === 0) return;
  const shared = await sharedEmployees(deps.store.db, tenantId, touched.map((t) => t.employee_id!));
  if (shared.length > 0) await reresolveEmployees(deps.store.db, tenantId, shared, 'resolved again after a sync of a shared person', run);
}
