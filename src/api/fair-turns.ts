/**
 * One request's work per turn of the event loop. A request's handler, once started, runs to its
 * answer without yielding on SQLite (the driver is synchronous), so requests that arrive together
 * would otherwise run back to back while `/health` and every newer request wait behind them all.
 * Each request waits here for a turn of its own; the loop polls sockets between turns, so nothing
 * waits behind more than the request being served (DESIGN.md rule 8). FIFO: none is overtaken.
 * A read-cache hit (read-cache.ts) takes its turn too, before its answer is written.
 */
export function fairTurns(): () => Promise<void> {
  const waiting: (() => void)[] = [];
  let scheduled = false;
  const serveOne = () => {
    scheduled = false;
    waiting.shift()?.();
    if (waiting.length > 0) schedule();
  };
  const schedule = () => {
    scheduled = true;
    setImmediate(serveOne);
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!scheduled) schedule();
    });
}
