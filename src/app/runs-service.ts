import type { AppContext } from './context.ts';
import { ApiError, notFound } from './errors.ts';
import { getRun, transitionRun, type Run } from '../store/runs.ts';
import { audit } from '../store/audit.ts';

/**
 * Approving moves a blocked run back to the queue at its apply phase. The compare-and-set on
 * status makes a second (or concurrent) approval a no-op that answers 409.
 */
export async function approveRun(ctx: AppContext, tenantId: string, id: string): Promise<Run> {
  const run = await getRun(ctx.store.db, tenantId, id);
  if (!run) throw notFound('run', id);
  refuseDryRun(run, 'approved');
  if (run.status !== 'blocked') throw new ApiError(409, 'run_not_blocked', `Run ${id} is ${run.status}; only a blocked run can be approved.`, { status: run.status });
  // A run held before applying people resumes at apply; one held on group archives at the group step.
  const moved = await transitionRun(ctx.store.db, id, 'blocked', 'queued', { phase: run.phase === 'groups' ? 'groups' : 'applying', error: null });
  if (!moved) throw new ApiError(409, 'run_not_blocked', `Run ${id} was already approved or rejected.`);
  await audit(ctx.store.db, tenantId, 'run.approved', id, { status: 'blocked' }, { status: 'queued' });
  ctx.worker.wake();
  return (await getRun(ctx.store.db, tenantId, id))!;
}

export async function rejectRun(ctx: AppContext, tenantId: string, id: string): Promise<Run> {
  const run = await getRun(ctx.store.db, tenantId, id);
  if (!run) throw notFound('run', id);
  refuseDryRun(run, 'rejected');
  if (run.status !== 'blocked') throw new ApiError(409, 'run_not_blocked', `Run ${id} is ${run.status}; only a blocked run can be rejected.`, { status: run.status });
  const moved = await transitionRun(ctx.store.db, id, 'blocked', 'rejected', { finished: true });
  if (!moved) throw new ApiError(409, 'run_not_blocked', `Run ${id} was already approved or rejected.`);
  await audit(ctx.store.db, tenantId, 'run.rejected', id, { status: 'blocked' }, { status: 'rejected' });
  return (await getRun(ctx.store.db, tenantId, id))!;
}

/** A dry run shows what a sync would do; it is never held, so there is nothing to approve or reject. */
function refuseDryRun(run: Run, what: 'approved' | 'rejected'): void {
  if (!run.dryRun) return;
  throw new ApiError(409, 'dry_run', `Run ${run.id} is a dry run: it only shows what a sync would do and is never ${what} or applied. Start a sync (without dryRun) to apply these changes.`, { runId: run.id, dryRun: true });
}
