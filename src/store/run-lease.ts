import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Database, RunRow } from './schema.ts';
import type { DialectName } from './db.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * A worker's hold on one run. `lease` is the fencing token: it grows at every claim, so a worker
 * that was paused past its lease and came back finds a larger number (or another worker id) on
 * the run, and its writes are refused.
 */
export interface RunLease {
  readonly runId: string;
  readonly workerId: string;
  readonly lease: number;
  /** How long a claim or a renewal holds the run. */
  readonly durationMs: number;
}

/** The worker no longer holds the run: another took it over, or its status moved on. */
export class LeaseLostError extends Error {
  readonly code = 'lease_lost';
  constructor(readonly runId: string, readonly workerId: string, readonly lease: number) {
    super(`worker ${workerId} no longer holds run ${runId} (lease ${lease}); it stops without writing`);
    this.name = 'LeaseLostError';
  }
}

const until = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();

function claimable(now: string) {
  return (eb: ExpressionBuilder<Database, 'runs'>) =>
    eb.or([
      eb('status', '=', 'queued'),
      // A running run whose holder stopped renewing (rows from before leases have none).
      eb.and([eb('status', '=', 'running'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)])]),
    ]);
}

/**
 * A tenant's runs that write go one at a time: runs of two sources at once would each correlate
 * their people against the employees the other has not written yet, and both create the same
 * person. A dry run writes no one and goes whenever a worker is free.
 */
function tenantFree(now: string) {
  return (eb: ExpressionBuilder<Database, 'runs'>) =>
    eb.or([
      eb('runs.dry_run', '=', 1),
      eb.not(
        eb.exists(
          eb
            .selectFrom('runs as other')
            .select('other.id')
            .whereRef('other.tenant_id', '=', 'runs.tenant_id')
            .whereRef('other.id', '<>', 'runs.id')
            .where('other.dry_run', '=', 0)
            .where('other.status', '=', 'running')
            .where('other.lease_until', '>=', now),
        ),
      ),
    ]);
}

/**
 * Claims the oldest queued run, or a running run whose lease ran out, raising its lease number:
 * a dry run, or a run of a tenant with no other writing run in progress (see tenantFree). On
 * PostgreSQL the candidate row is locked with FOR UPDATE SKIP LOCKED, so concurrent workers never
 * claim the same run, and a claim passes over a run whose holder has a fenced write in progress
 * (its row locked, see fenceLease) rather than interleaving with it; claims of one tenant's
 * writing runs take turns on an advisory lock, so two workers cannot each start one. SQLite
 * serialises writers anyway.
 */
export async function claimRun(db: Kysely<Database>, dialect: DialectName, workerId: string, now: Date, durationMs: number): Promise<{ row: RunRow; lease: RunLease } | undefined> {
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    // A candidate whose tenant another worker claimed meanwhile is passed over for the next one.
    const passed: string[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let q = trx.selectFrom('runs').select(['id', 'tenant_id', 'dry_run']).where(claimable(at)).where(tenantFree(at)).orderBy('created_at').limit(1);
      if (passed.length > 0) q = q.where('id', 'not in', passed);
      if (dialect === 'postgres') q = q.forUpdate().skipLocked();
      const candidate = await q.executeTakeFirst();
      if (!candidate) return undefined;
      // Held until this claim commits; the update below then sees another worker's claim of the tenant.
      if (dialect === 'postgres' && candidate.dry_run === 0) await sql`select pg_advisory_xact_lock(816029, hashtext(${candidate.tenant_id}))`.execute(trx);
      const updated = await trx
        .updateTable('runs')
        .set({
          status: 'running',
          worker_id: workerId,
          lease: sql<number>`lease + 1`,
          lease_until: until(now, durationMs),
          heartbeat_at: at,
          started_at: sql<string>`coalesce(started_at, ${at})`,
        })
        .where('id', '=', candidate.id)
        .where(claimable(at))
        .where(tenantFree(at))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        passed.push(candidate.id);
        continue;
      }
      const row = await trx.selectFrom('runs').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
      return { row, lease: { runId: row.id, workerId, lease: row.lease, durationMs } };
    }
    return undefined;
  });
}

/**
 * The fence. Inside the transaction of a write made for a run: proves the worker still holds it
 * (same worker id, same lease number, still running) and keeps it so until the transaction ends.
 * On PostgreSQL the run's row is locked FOR KEY SHARE: a takeover (a new lease number) or a
 * change of status updates a key column (0032) and waits for the write to commit, so neither can
 * slip in between this check and the write it guards; the heartbeat, which updates no key
 * column, does not wait (a long write no longer lets the lease run out under a live worker).
 * SQLite writes one transaction at a time: there the fence is holdLease, which also extends the lease.
 */
export async function fenceLease(db: Db, dialect: DialectName, lease: RunLease, now: Date): Promise<void> {
  if (dialect === 'sqlite') return holdLease(db, lease, now);
  const row = await db
    .selectFrom('runs')
    .select('id')
    .where('id', '=', lease.runId)
    .where('worker_id', '=', lease.workerId)
    .where('lease', '=', lease.lease)
    .where('status', '=', 'running')
    .forKeyShare()
    .executeTakeFirst();
  if (!row) throw new LeaseLostError(lease.runId, lease.workerId, lease.lease);
}

/**
 * Proves the worker still holds the run and extends its lease (the heartbeat; SQLite's fence).
 * On PostgreSQL the update locks the run's row until the transaction commits.
 */
export async function holdLease(db: Db, lease: RunLease, now: Date): Promise<void> {
  const result = await db
    .updateTable('runs')
    .set({ heartbeat_at: now.toISOString(), lease_until: until(now, lease.durationMs) })
    .where('id', '=', lease.runId)
    .where('worker_id', '=', lease.workerId)
    .where('lease', '=', lease.lease)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(lease.runId, lease.workerId, lease.lease);
}

/** The heartbeat: renews the lease, or answers false when it is lost. */
export async function renewLease(db: Db, lease: RunLease, now: Date): Promise<boolean> {
  try {
    await holdLease(db, lease, now);
    return true;
  } catch (error) {
    if (error instanceof LeaseLostError) return false;
    throw error;
  }
}

export interface RunningHolder {
  readonly runId: string;
  readonly integrationId: string;
  readonly workerId: string;
  readonly lease: number;
}

/** Runs that are running now, with who holds them. */
export async function runningHolders(db: Db): Promise<RunningHolder[]> {
  const rows = await db.selectFrom('runs').select(['id', 'integration_id', 'worker_id', 'lease']).where('status', '=', 'running').execute();
  return rows.map((r) => ({ runId: r.id, integrationId: r.integration_id, workerId: r.worker_id ?? '', lease: r.lease }));
}

/**
 * Ends a holder's lease at once (its process is known to be dead), so the next claim takes the
 * run over without waiting for the lease to run out. Compare-and-set on the holder: a run that
 * was renewed or taken over meanwhile is left alone.
 */
export async function expireLease(db: Db, holder: RunningHolder): Promise<boolean> {
  const result = await db
    .updateTable('runs')
    .set({ lease_until: new Date(0).toISOString() })
    .where('id', '=', holder.runId)
    .where('worker_id', '=', holder.workerId)
    .where('lease', '=', holder.lease)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
