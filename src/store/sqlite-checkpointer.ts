import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/**
 * SQLite in WAL mode copies the log back into the database (a checkpoint, with its fsyncs) in the
 * commit that finds the log past 1,000 pages: a sync's write transaction then paid for copying
 * every page written before it. At 100,000 people, five transactions of 1,000 updates took 0.4–0.6 s
 * that way and 0.17 s without (their commits 0.2–0.4 s against 0.07 s). This thread checkpoints
 * instead, on a connection of its own (PASSIVE: it never waits for or blocks a reader or the
 * writer), a few times a second, so the event loop's connection only appends to the log.
 *
 * A checkpoint changes no data (`data_version` does not move, so the API's read cache is not
 * disturbed). If the thread cannot start or stops, the connection checkpoints by itself again.
 */
const EVERY_MS = 200;

// Plain CommonJS, evaluated as the worker's script: no build step, the same under tsx and compiled.
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: the next tick tries again */ } };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Checkpoints `file`'s log from a worker thread; the connection stops checkpointing in its commits. */
export function startCheckpointer(sqlite: SQLite.Database, file: string): Checkpointer | undefined {
  let worker: Worker;
  try {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    // execArgv: [] — the worker needs no loader hooks (tsx in development) for its plain script.
    worker = new Worker(SCRIPT, { eval: true, workerData: { file, module, everyMs: EVERY_MS }, execArgv: [] });
  } catch {
    return undefined;
  }
  worker.unref();
  let stopping = false;
  const fallBack = () => {
    if (!stopping && sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  };
  worker.once('error', fallBack);
  worker.once('exit', fallBack);
  sqlite.pragma('wal_autocheckpoint = 0');
  return {
    async stop() {
      stopping = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
