import type { Kysely, Transaction } from 'kysely';
import type { Database, RunRow } from './schema.ts';
import { newId, nowIso, parseJson } from './ids.ts';
import { ACTIVE_STATUSES, canTransition, emptyCounts, type RunCounts, type RunPhase, type RunStatus } from '../core/run-states.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface RunError {
  readonly code: string;
  readonly message: string;
}

export interface RunProgress {
  readonly phase: RunPhase;
  readonly fetched: number;
  readonly total: number | null;
  readonly applied: number;
  readonly toApply: number;
  readonly message: string | null;
  /** Set while the run waits to retry a provider call; the next progress write clears it. */
  readonly retry?: RunRetry | null;
}

/** Why and until when a run waits before retrying a provider call (e.g. after a 429). */
export interface RunRetry {
  readonly reason: 'rate_limited' | 'provider_unavailable' | 'network';
  readonly status: number | null;
  readonly attempt: number;
  readonly until: string;
}

/** The safeguard's verdict on a run's plan: whether it held the run (or, for a dry run, would have), and why. */
export interface SafeguardOutcome {
  readonly wouldHold: boolean;
  readonly reason: string;
}

export interface Run {
  readonly id: string;
  readonly tenantId: string;
  readonly integrationId: string;
  readonly trigger: string;
  readonly mode: 'full' | 'incremental';
  readonly dryRun: boolean;
  readonly status: RunStatus;
  readonly phase: RunPhase;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly createdAt: string;
  /**
   * What the run did: people fetched, in scope, unchanged, skipped and failed as it saw them, and
   * created, updated, deactivated and reactivated as far as it applied them (a failed run counts
   * only what it applied). A dry run applies nothing: its counts are what it would have done.
   */
  readonly counts: RunCounts;
  /** What the plan staged, or null before planning ended. */
  readonly planned: RunCounts | null;
  readonly safeguard: SafeguardOutcome | null;
  readonly error: RunError | null;
  readonly progress: RunProgress;
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    integrationId: row.integration_id,
    trigger: row.trigger,
    mode: row.mode as Run['mode'],
    dryRun: row.dry_run === 1,
    status: row.status as RunStatus,
    phase: row.phase as RunPhase,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    counts: { ...emptyCounts(), ...parseJson<Partial<RunCounts>>(row.counts, {}) },
    planned: row.planned ? { ...emptyCounts(), ...parseJson<Partial<RunCounts>>(row.planned, {}) } : null,
    safeguard: parseJson<SafeguardOutcome | null>(row.safeguard, null),
    error: parseJson<RunError | null>(row.error, null),
    progress: parseJson<RunProgress>(row.progress, { phase: row.phase as RunPhase, fetched: 0, total: null, applied: 0, toApply: 0, message: null }),
  };
}

export class RunConflictError extends Error {
  constructor(readonly runId: string, readonly reason: 'active' | 'blocked' = 'active') {
    super(reason === 'blocked' ? 'a run of this integration is blocked by the safeguard and waits for approval' : 'a sync of this integration is already queued or running');
    this.name = 'RunConflictError';
  }
}

export class RunTransitionError extends Error {
  constructor(readonly from: RunStatus, readonly to: RunStatus) {
    super(`a ${from} run cannot become ${to}`);
    this.name = 'RunTransitionError';
  }
}

export interface NewRun {
  readonly tenantId: string;
  readonly integrationId: string;
  readonly trigger: 'manual' | 'schedule' | 'webhook' | 'start' | 'cli' | 'config' | 'reconnect';
  readonly mode: 'full' | 'incremental';
  readonly dryRun: boolean;
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

/**
 * Queues a run; the database's unique indexes guarantee one queued or running run per
 * integration, and beside it one dry run (a dry run never blocks a sync, nor a sync a dry run).
 */
export async function enqueueRun(db: Kysely<Database>, input: NewRun): Promise<Run> {
  // A run held by the safeguard must be approved or rejected first: a newer run would make its
  // staged changes stale. A dry run changes nothing, so it may look ahead meanwhile.
  if (!input.dryRun) {
    const blocked = await db
      .selectFrom('runs')
      .select('id')
      .where('tenant_id', '=', input.tenantId)
      .where('integration_id', '=', input.integrationId)
      .where('status', '=', 'blocked')
      .where('dry_run', '=', 0)
      .executeTakeFirst();
    if (blocked) throw new RunConflictError(blocked.id, 'blocked');
  }
  const now = nowIso();
  const id = newId();
  try {
    await db
      .insertInto('runs')
      .values({
        id,
        tenant_id: input.tenantId,
        integration_id: input.integrationId,
        trigger: input.trigger,
        mode: input.mode,
        dry_run: input.dryRun ? 1 : 0,
        status: 'queued',
        phase: 'queued',
        started_at: null,
        finished_at: null,
        counts: JSON.stringify(emptyCounts()),
        error: null,
        progress: JSON.stringify({ phase: 'queued', fetched: 0, total: null, applied: 0, toApply: 0, message: 'waiting for a worker' }),
        cursor_after: null,
        worker_id: null,
        heartbeat_at: null,
        created_at: now,
      })
      .execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const active = await activeRun(db, input.tenantId, input.integrationId, input.dryRun);
    if (active) throw new RunConflictError(active.id);
    throw error;
  }
  return (await getRun(db, input.tenantId, id))!;
}

/** The integration's queued or running sync (or, with `dryRun`, its dry run). */
export async function activeRun(db: Db, tenantId: string, integrationId: string, dryRun = false): Promise<Run | undefined> {
  const row = await db
    .selectFrom('runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('status', 'in', ACTIVE_STATUSES as RunStatus[])
    .where('dry_run', '=', dryRun ? 1 : 0)
    .executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function getRun(db: Kysely<Database>, tenantId: string, id: string): Promise<Run | undefined> {
  const row = await db.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function getRunRow(db: Db, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRuns(db: Kysely<Database>, tenantId: string, opts: { integrationId?: string; limit: number; before?: string }): Promise<Run[]> {
  let q = db.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId);
  if (opts.integrationId) q = q.where('integration_id', '=', opts.integrationId);
  if (opts.before) q = q.where('id', '<', opts.before);
  const rows = await q.orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map(toRun);
}

/** The integration's last sync that is no longer queued or running (dry runs change nothing, so they are not it). */
export async function lastFinishedRun(db: Kysely<Database>, tenantId: string, integrationId: string): Promise<Run | undefined> {
  const row = await db
    .selectFrom('runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('dry_run', '=', 0)
    .where('status', 'not in', ['queued', 'running'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toRun(row) : undefined;
}

/** Moves a run between statuses, refusing transitions the table does not allow (compare-and-set). */
export async function transitionRun(
  db: Db,
  id: string,
  from: RunStatus,
  to: RunStatus,
  set: { phase?: RunPhase; counts?: RunCounts; planned?: RunCounts; safeguard?: SafeguardOutcome; error?: RunError | null; cursorAfter?: string | null; finished?: boolean; workerId?: string | null; planBasis?: unknown } = {},
): Promise<boolean> {
  if (!canTransition(from, to)) throw new RunTransitionError(from, to);
  const now = nowIso();
  const result = await db
    .updateTable('runs')
    .set({
      status: to,
      heartbeat_at: now,
      ...(set.phase !== undefined && { phase: set.phase }),
      ...(set.counts !== undefined && { counts: JSON.stringify(set.counts) }),
      ...(set.planned !== undefined && { planned: JSON.stringify(set.planned) }),
      ...(set.safeguard !== undefined && { safeguard: JSON.stringify(set.safeguard) }),
      ...(set.error !== undefined && { error: set.error ? JSON.stringify(set.error) : null }),
      ...(set.cursorAfter !== undefined && { cursor_after: set.cursorAfter }),
      ...(set.finished && { finished_at: now }),
      ...(set.workerId !== undefined && { worker_id: set.workerId }),
      ...(set.planBasis !== undefined && { plan_basis: JSON.stringify(set.planBasis) }),
    })
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records that a running run waits to retry a provider call, keeping the rest of its progress. */
export async function saveRunRetry(db: Db, id: string, retry: RunRetry): Promise<void> {
  const row = await db.selectFrom('runs').select(['progress', 'status']).where('id', '=', id).executeTakeFirst();
  if (!row || row.status !== 'running') return;
  const progress = parseJson<Record<string, unknown>>(row.progress, {});
  await db.updateTable('runs').set({ progress: JSON.stringify({ ...progress, retry }), heartbeat_at: nowIso() }).where('id', '=', id).execute();
}

/**
 * Records a run's progress; a retry it showed is cleared (the fetch moved on), unless `keepRetry`:
 * a run's first progress is written after its first provider request started, and a retry that
 * request already waits for (a 429 at once) stays shown.
 */
export async function saveRunProgress(db: Db, id: string, phase: RunPhase, progress: Omit<RunProgress, 'phase'>, counts: RunCounts, options: { keepRetry?: boolean } = {}): Promise<void> {
  let retry: RunRetry | null = null;
  if (options.keepRetry) {
    const row = await db.selectFrom('runs').select('progress').where('id', '=', id).executeTakeFirst();
    retry = parseJson<{ retry?: RunRetry | null }>(row?.progress ?? null, {}).retry ?? null;
  }
  await db
    .updateTable('runs')
    .set({ phase, progress: JSON.stringify({ phase, ...progress, ...(retry ? { retry } : {}) }), counts: JSON.stringify(counts), heartbeat_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

/** A run of the same integration created after `run` that applied something (dry runs apply nothing). */
export async function laterAppliedRun(db: Db, run: Pick<RunRow, 'id' | 'tenant_id' | 'integration_id'>): Promise<string | undefined> {
  const row = await db
    .selectFrom('runs')
    .select('id')
    .where('tenant_id', '=', run.tenant_id)
    .where('integration_id', '=', run.integration_id)
    .where('dry_run', '=', 0)
    .where('id', '>', run.id)
    .where((eb) =>
      eb.or([
        eb('applied_through', '>', 0),
        eb('status', 'in', ['succeeded', 'partial']),
        // A run that applies with its pages records its changes applied (Planner.drainApplicable).
        eb.exists(eb.selectFrom('run_changes').select('seq').whereRef('run_changes.run_id', '=', 'runs.id').where('run_changes.applied', '=', 1)),
      ]),
    )
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}
