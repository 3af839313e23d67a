/**
 * Requests' work in short turns of the event loop. A request's handler, once started, runs to its
 * answer without yielding on SQLite (the driver is synchronous), so requests that arrive together
 * would otherwise run back to back while `/health` and every newer request wait behind them all.
 * Each request waits here for its turn; a turn serves waiting requests one after another until
 * `budgetMs` of work is spent (at least one request), then the loop polls sockets before the next
 * turn, so nothing waits behind more than a turn's budget and the request being served
 * (DESIGN.md rule 8). FIFO: none is overtaken. A read-cache hit (read-cache.ts) takes its turn too,
 * before its answer is written.
 *
 * Why a budget, not one request a turn: a turn per request costs a loop iteration per answer,
 * and on PostgreSQL it split the requests that arrive together, which share one revision read
 * (db.ts), into one read each: the group load's CPU per answer doubled (0.06 -> 0.13 ms).
 */
export interface FairTurnsOptions {
  /** Work a turn may do before the loop polls again (ms); 0: one request a turn. */
  readonly budgetMs?: number;
  /** Milliseconds now (tests move it). */
  readonly now?: () => number;
}

/** Polls are at most this far apart under load (a cached page of 100 people is ~0.15 ms of work). */
export const TURN_BUDGET_MS = 1;

export function fairTurns(options: FairTurnsOptions = {}): () => Promise<void> {
  const budgetMs = options.budgetMs ?? TURN_BUDGET_MS;
  const now = options.now ?? (() => performance.now());
  const waiting: (() => void)[] = [];
  let scheduled = false;
  let turnStarted = 0;
  const serveNext = () => {
    waiting.shift()!();
    // The request's work runs as microtasks from here (its awaits resolving in turn). A microtask
    // queued now runs among them, but the tick it queues runs only once they have all run: then
    // the request has gone as far as it can without I/O, and its work is counted.
    queueMicrotask(() => process.nextTick(afterOne));
  };
  const afterOne = () => {
    if (waiting.length === 0) scheduled = false;
    else if (now() - turnStarted < budgetMs) serveNext();
    else setImmediate(startTurn);
  };
  const startTurn = () => {
    turnStarted = now();
    serveNext();
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!scheduled) {
        scheduled = true;
        setImmediate(startTurn);
      }
    });
}
