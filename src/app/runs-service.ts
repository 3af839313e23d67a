import type { AppContext } from './context.ts';
import { ApiError, notFound } from './errors.ts';
import { getRun, getRunRow, transitionRun, type Run } from '../store/runs.ts';
import { audit } from '../store/audit.ts';
import { currentFingerprint, heldArchivesStaleness, planStaleness, type Staleness } from '../sync/plan-basis.ts';
import { getIntegration } from '../store/integrations.ts';

/**
 * Approving moves a blocked run back to the queue at its apply phase, exactly as it was staged:
 * a run held before applying its people is first checked against what moved since it was
 * planned (planStaleness). A stale plan is never applied: the run is set aside (rejected, with
 * error plan_stale, so a fresh sync may start) and the answer is 409 plan_stale offering one.
 * The compare-and-set on status makes a second (or concurrent) approval a no-op that answers 409;
 * the audit entry commits with the transition.
 */
export async function approveRun(ctx: AppContext, tenantId: string, id: string): Promise<Run> {
  const run = await getRun(ctx.store.db, tenantId, id);
  if (!run) throw notFound('run', id);
  refuseDryRun(run, 'approved');
  if (run.status !== 'blocked') throw new ApiError(409, 'run_not_blocked', `Run ${id} is ${run.status}; only a blocked run can be approved.`, { status: run.status });
  // What the held changes were planned from must still hold: the people not applied yet, or (a
  // run held on group archives, its people applied) the archives it holds.
  const checkPlan = run.phase === 'planned';
  const checkArchives = run.phase === 'groups';
  const fingerprint = checkPlan ? await currentFingerprint(ctx.store.db, tenantId, run.integrationId) : null;
  const integration = checkArchives ? await getIntegration(ctx.store.db, tenantId, run.integrationId) : undefined;
  const outcome = await ctx.store.db.transaction().execute(async (trx): Promise<{ moved: boolean; stale?: Staleness }> => {
    const row = await getRunRow(trx, id);
    if ((checkPlan || checkArchives) && row) {
      const stale = checkPlan ? await planStaleness(trx, row, fingerprint) : await heldArchivesStaleness(trx, row, integration);
      if (stale.reasons.length > 0) {
        const moved = await transitionRun(trx, id, 'blocked', 'rejected', { finished: true, error: { code: 'plan_stale', message: staleMessage(stale, checkArchives) } });
        if (moved) await audit(trx, tenantId, 'run.stale', id, { status: 'blocked' }, { status: 'rejected', reasons: stale.reasons });
        return { moved, stale };
      }
    }
    // A run held before applying people resumes at apply; one held on group archives at the group step.
    const moved = await transitionRun(trx, id, 'blocked', 'queued', { phase: run.phase === 'groups' ? 'groups' : 'applying', error: null });
    if (moved) await audit(trx, tenantId, 'run.approved', id, { status: 'blocked' }, { status: 'queued' });
    return { moved };
  });
  if (!outcome.moved) throw new ApiError(409, 'run_not_blocked', `Run ${id} was already approved or rejected.`);
  if (outcome.stale) {
    throw new ApiError(409, 'plan_stale', staleMessage(outcome.stale, checkArchives), { runId: id, integrationId: run.integrationId, reasons: outcome.stale.reasons, employeeIds: outcome.stale.people.map((p) => p.id) });
  }
  ctx.worker.wake();
  return (await getRun(ctx.store.db, tenantId, id))!;
}

function staleMessage(stale: Staleness, heldArchives: boolean): string {
  const named = stale.people.map((p) => p.name ?? p.id);
  const reasons = stale.reasons.join('; ') + (named.length > 0 ? ` (${named.join(', ')}${stale.reasons.some((r) => /^\d+ of its/.test(r)) ? ', …' : ''})` : '');
  const what = heldArchives ? 'None of the group archives it held was applied (its people were synced before)' : 'Nothing was applied';
  return `This run's changes were planned from data that has moved since: ${reasons}. ${what} and the run was set aside. Run a fresh sync to plan again from today's data.`;
}

export async function rejectRun(ctx: AppContext, tenantId: string, id: string): Promise<Run> {
  const run = await getRun(ctx.store.db, tenantId, id);
  if (!run) throw notFound('run', id);
  refuseDryRun(run, 'rejected');
  if (run.status !== 'blocked') throw new ApiError(409, 'run_not_blocked', `Run ${id} is ${run.status}; only a blocked run can be rejected.`, { status: run.status });
  const moved = await ctx.store.db.transaction().execute(async (trx) => {
    const done = await transitionRun(trx, id, 'blocked', 'rejected', { finished: true });
    if (done) await audit(trx, tenantId, 'run.rejected', id, { status: 'blocked' }, { status: 'rejected' });
    return done;
  });
  if (!moved) throw new ApiError(409, 'run_not_blocked', `Run ${id} was already approved or rejected.`);
  return (await getRun(ctx.store.db, tenantId, id))!;
}

/** A dry run shows what a sync would do; it is never held, so there is nothing to approve or reject. */
function refuseDryRun(run: Run, what: 'approved' | 'rejected'): void {
  if (!run.dryRun) return;
  throw new ApiError(409, 'dry_run', `Run ${run.id} is a dry run: it only shows what a sync would do and is never ${what} or applied. Start a sync (without dryRun) to apply these changes.`, { runId: run.id, dryRun: true });
}
