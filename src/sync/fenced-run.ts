import type { Transaction } from 'kysely';
import type { Store } from '../store/db.ts';
import { fenceLease, LeaseLostError, type RunLease } from '../store/run-lease.ts';
import type { Database } from '../store/schema.ts';

/** How a run's step writes: every write in one transaction, fenced by the run's lease. */
export interface RunWriter {
  write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
}

/**
 * A claimed run's only way to write. Each `write` is one transaction that first proves the worker
 * still holds the lease (worker id and lease number, see fenceLease); a worker that lost it gets
 * LeaseLostError before anything is written, and the transaction rolls back.
 */
export class FencedRun implements RunWriter {
  constructor(
    private readonly store: Store,
    readonly lease: RunLease,
    private readonly now: () => Date,
    /** Aborted by the worker's heartbeat when it finds the lease lost. */
    private readonly signal?: AbortSignal,
  ) {}

  get runId(): string {
    return this.lease.runId;
  }

  /** The write before this one, settled however it ended. */
  #last: Promise<unknown> = Promise.resolve();

  /**
   * One write at a time, in the order asked (a retry's note beside a page's write): several of
   * them read the run's row and write it back (progress, its retry). The fence's lock no longer
   * queues them (FOR KEY SHARE, see fenceLease), so they queue here, before their transaction.
   * A lost lease rejects the promise (async), never throws at the call: callers that only attach
   * a catch (the retry note) rely on it.
   */
  async write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    this.check();
    const written = this.#last.then(() => {
      this.check();
      return this.store.db.transaction().execute(async (trx) => {
        await fenceLease(trx, this.store.dialect, this.lease, this.now());
        return fn(trx);
      });
    });
    this.#last = written.catch(() => undefined);
    return written;
  }

  /** Between long steps (a provider page): stop early once the heartbeat saw the lease lost. */
  check(): void {
    if (this.signal?.aborted) throw new LeaseLostError(this.lease.runId, this.lease.workerId, this.lease.lease);
  }
}

/** Writes outside any run (an admin's re-resolution, a test re-applying a finished run). */
export function unfenced(store: Store): RunWriter {
  return { write: (fn) => store.db.transaction().execute(fn) };
}
