import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { executeRun, type EngineDeps } from '../sync/engine.ts';
import { enqueueRun, getRun, RunConflictError, type Run } from '../store/runs.ts';
import { claimRun, expireLease, renewLease, runningHolders, type RunLease } from '../store/run-lease.ts';
import { dueIntegrations, updateIntegration } from '../store/integrations.ts';
import { nowIso } from '../store/ids.ts';
import { FINISHED_STATUSES } from '../core/run-states.ts';
import { boundHeapGrowth } from './heap-growth.ts';

export interface WorkerOptions {
  readonly pollMs?: number;
  /**
   * How long a claim holds a run without renewal. The heartbeat renews it every third of this, so
   * a run whose worker died is taken over at most this long (plus a poll) after its last beat.
   */
  readonly leaseMs?: number;
  readonly concurrency?: number;
  /** Also enqueue scheduled runs (one scheduler per deployment is enough; duplicates are harmless). */
  readonly schedule?: boolean;
  /**
   * Take over at once the runs of dead processes on this machine (embedded mode: every process
   * of a data directory runs on the same machine, so a dead pid is a crashed predecessor).
   */
  readonly reclaimLocalDead?: boolean;
  /** The clock leases are measured with (tests move it instead of waiting). */
  readonly clock?: () => Date;
}

/** Production: a 30 s lease renewed every 10 s; a dead worker's run is taken over within ~31 s. */
export const DEFAULT_LEASE_MS = 30_000;

/** This process, told apart from an earlier one that had the same pid (a container restarted as pid 1). */
const PROCESS_INSTANCE = randomBytes(4).toString('hex');

/** A worker id says where it runs: `host/pid/process instance/worker`. */
export function newWorkerId(): string {
  return `${hostname()}/${process.pid}/${PROCESS_INSTANCE}/${randomBytes(3).toString('hex')}`;
}

/** Whether the process behind a worker id on this machine is certainly gone. */
export function isDeadLocalWorker(workerId: string, self: string): boolean {
  const [host, pidText, instance] = workerId.split('/');
  const [selfHost, selfPid, selfInstance] = self.split('/');
  // A worker of this very process is alive (its runs are in flight here).
  if (host !== selfHost || !pidText || !instance) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (String(pid) === selfPid) return instance !== selfInstance;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes queued runs from the runs table (the queue itself: one source of truth, one active run
 * per integration by unique index) and executes them. Embedded mode runs one in-process;
 * production runs several `refresh worker` processes against PostgreSQL. A claim is a lease,
 * renewed by a heartbeat; a worker that finds its lease lost aborts the run's work, and every
 * write of the run is fenced by the lease anyway (src/sync/fenced-run.ts).
 */
export class RunWorker {
  readonly id = newWorkerId();
  readonly #deps: EngineDeps;
  readonly #log: Logger;
  readonly #opts: Required<Omit<WorkerOptions, 'clock'>>;
  readonly #clock: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  #stopped = true;
  #ticking: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(deps: EngineDeps, opts: WorkerOptions = {}) {
    this.#deps = deps;
    this.#log = deps.logger.child({ worker: this.id });
    this.#clock = opts.clock ?? (() => new Date());
    this.#opts = {
      pollMs: opts.pollMs ?? 1000,
      leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
      concurrency: opts.concurrency ?? 2,
      schedule: opts.schedule ?? true,
      reclaimLocalDead: opts.reclaimLocalDead ?? deps.store.dialect === 'sqlite',
    };
  }

  /** Whether a run is executing in this process. */
  get busy(): boolean {
    return this.#running > 0;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    // A process that runs syncs keeps its heap near what it holds (see heap-growth.ts).
    boundHeapGrowth();
    this.#timer = setInterval(() => this.wake(), this.#opts.pollMs);
    this.#timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Looks for work now (called after a run is queued, so "Sync now" starts at once). */
  wake(): void {
    if (this.#stopped || this.#ticking) return;
    this.#ticking = this.#tick().finally(() => (this.#ticking = undefined));
  }

  #now(): Date {
    return this.#clock();
  }

  async #tick(): Promise<void> {
    try {
      if (this.#opts.schedule) await this.#enqueueDue();
      if (this.#opts.reclaimLocalDead) await this.#reclaimLocalDead();
      while (!this.#stopped && this.#running < this.#opts.concurrency) {
        const claimed = await claimRun(this.#deps.store.db, this.#deps.store.dialect, this.id, this.#now(), this.#opts.leaseMs);
        if (!claimed) break;
        this.#execute(claimed.row, claimed.lease);
      }
    } catch (error) {
      this.#log.error({ err: error }, 'worker tick failed');
    }
  }

  #execute(row: Parameters<typeof executeRun>[1], lease: RunLease): void {
    this.#running += 1;
    const log = this.#log.child({ runId: row.id, integrationId: row.integration_id });
    if (lease.lease > 1) {
      this.#deps.metrics?.leaseTakeover();
      log.warn({ lease: lease.lease, phase: row.phase }, 'took over a run whose previous worker stopped');
    }
    const lost = new AbortController();
    const heartbeat = setInterval(() => {
      renewLease(this.#deps.store.db, lease, this.#now())
        .then((held) => {
          if (!held && !lost.signal.aborted) lost.abort();
        })
        .catch((error: unknown) => log.warn({ err: error }, 'heartbeat failed'));
    }, Math.max(250, Math.floor(this.#opts.leaseMs / 3)));
    const job = executeRun(this.#deps, row, lease, { signal: lost.signal, clock: this.#clock })
      .catch((error: unknown) => log.error({ err: error }, 'run crashed'))
      .finally(() => {
        clearInterval(heartbeat);
        this.#running -= 1;
        this.#inFlight.delete(job);
        this.wake();
      });
    this.#inFlight.add(job);
  }

  /** Ends the leases of runs whose process on this machine has died, so they resume now. */
  async #reclaimLocalDead(): Promise<void> {
    for (const holder of await runningHolders(this.#deps.store.db)) {
      if (!isDeadLocalWorker(holder.workerId, this.id)) continue;
      if (await expireLease(this.#deps.store.db, holder)) this.#log.warn({ runId: holder.runId, integrationId: holder.integrationId, previous: holder.workerId }, 'its process died: resuming the run now');
    }
  }

  async #enqueueDue(): Promise<void> {
    const { db } = this.#deps.store;
    for (const due of await dueIntegrations(db, nowIso())) {
      try {
        await enqueueRun(db, { tenantId: due.tenantId, integrationId: due.id, trigger: 'schedule', mode: 'incremental', dryRun: false });
      } catch (error) {
        if (!(error instanceof RunConflictError)) throw error;
      }
      // The finished run schedules the next one; until then nothing more is due.
      await updateIntegration(db, this.#deps.vault, due.tenantId, due.id, { nextRunAt: null });
    }
  }
}

/** Waits until a run leaves queued/running (or is blocked), polling the database. */
export async function waitForRun(deps: Pick<EngineDeps, 'store'>, tenantId: string, runId: string, timeoutMs = 120_000, onPoll?: (run: Run) => void): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(deps.store.db, tenantId, runId);
    if (!run) throw new Error(`run ${runId} not found`);
    onPoll?.(run);
    if (FINISHED_STATUSES.includes(run.status) || run.status === 'blocked') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within ${timeoutMs} ms (status ${run.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
