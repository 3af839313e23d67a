import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { executeRun, type EngineDeps } from '../sync/engine.ts';
import { claimRun, enqueueRun, getRun, RunConflictError, type Run } from '../store/runs.ts';
import { dueIntegrations, updateIntegration } from '../store/integrations.ts';
import { nowIso } from '../store/ids.ts';
import { FINISHED_STATUSES } from '../core/run-states.ts';

export interface WorkerOptions {
  readonly pollMs?: number;
  /** A running run whose heartbeat is older than this is taken over (its worker died). */
  readonly staleMs?: number;
  readonly concurrency?: number;
  /** Also enqueue scheduled runs (one scheduler per deployment is enough; duplicates are harmless). */
  readonly schedule?: boolean;
}

/**
 * Takes queued runs from the runs table (the queue itself: one source of truth, one active run
 * per integration by unique index) and executes them. Embedded mode runs one in-process;
 * production runs several `refresh worker` processes against PostgreSQL.
 */
export class RunWorker {
  readonly id = `worker-${randomBytes(4).toString('hex')}`;
  readonly #deps: EngineDeps;
  readonly #log: Logger;
  readonly #opts: Required<WorkerOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running = 0;
  #stopped = true;
  #ticking: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(deps: EngineDeps, opts: WorkerOptions = {}) {
    this.#deps = deps;
    this.#log = deps.logger.child({ worker: this.id });
    this.#opts = { pollMs: opts.pollMs ?? 1000, staleMs: opts.staleMs ?? 5 * 60_000, concurrency: opts.concurrency ?? 2, schedule: opts.schedule ?? true };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
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

  async #tick(): Promise<void> {
    try {
      if (this.#opts.schedule) await this.#enqueueDue();
      while (!this.#stopped && this.#running < this.#opts.concurrency) {
        const staleBefore = new Date(Date.now() - this.#opts.staleMs).toISOString();
        const claimed = await claimRun(this.#deps.store.db, this.#deps.store.dialect, this.id, staleBefore);
        if (!claimed) break;
        this.#running += 1;
        const heartbeat = setInterval(() => {
          this.#deps.store.db.updateTable('runs').set({ heartbeat_at: nowIso() }).where('id', '=', claimed.id).where('status', '=', 'running').execute().catch(() => undefined);
        }, Math.max(1000, Math.floor(this.#opts.staleMs / 4)));
        const job = executeRun(this.#deps, claimed)
          .catch((error) => this.#log.error({ err: error, runId: claimed.id }, 'run crashed'))
          .finally(() => {
            clearInterval(heartbeat);
            this.#running -= 1;
            this.#inFlight.delete(job);
            this.wake();
          });
        this.#inFlight.add(job);
      }
    } catch (error) {
      this.#log.error({ err: error }, 'worker tick failed');
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
