import type SQLite from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Store } from './db.ts';

/**
 * SQLite's employee search index (migration 0017): an FTS5 trigram table keyed by the employees'
 * rowid, filled from a queue. Triggers only queue the rowid of an employee whose search text
 * changed (a plain insert, cheap); this catches the index up in large transactions, off the
 * write that caused it: FTS5 written row by row from a trigger costs a sync many times its own
 * inserts. Queued people are still found: search checks them by their current text.
 * PostgreSQL needs none of this (its GIN index keeps its own pending list).
 */
const CHUNK = 500;

const statements = new WeakMap<SQLite.Database, ReturnType<typeof prepare>>();

function prepare(sqlite: SQLite.Database) {
  return {
    pending: sqlite.prepare(
      `select p.employee_rowid as r, e.search_text as t from employees_search_pending p left join employees e on e.rowid = p.employee_rowid order by p.employee_rowid limit ?`,
    ),
    unindex: sqlite.prepare(`delete from employees_search where rowid = ?`),
    index: sqlite.prepare(`insert into employees_search (rowid, search_text) values (?, ?)`),
    done: sqlite.prepare(`delete from employees_search_pending where employee_rowid = ?`),
    any: sqlite.prepare(`select exists (select 1 from employees_search_pending) as n`),
  };
}

function stmts(sqlite: SQLite.Database) {
  let s = statements.get(sqlite);
  if (!s) statements.set(sqlite, (s = prepare(sqlite)));
  return s;
}

/** Whether some employees wait to be indexed (always false on PostgreSQL). */
export function searchIndexBehind(store: Store): boolean {
  return store.sqlite ? (stmts(store.sqlite).any.get() as { n: number }).n === 1 : false;
}

/**
 * Indexes queued employees, a chunk per transaction, yielding to the event loop between chunks
 * so requests are answered meanwhile; stops when the queue is empty or `budgetMs` is spent.
 * Answers how many it indexed.
 */
export async function catchUpSearchIndex(store: Store, budgetMs = Infinity): Promise<number> {
  const sqlite = store.sqlite;
  if (!sqlite) return 0;
  const s = stmts(sqlite);
  const started = performance.now();
  let indexed = 0;
  while (performance.now() - started < budgetMs) {
    // Inside a Kysely transaction: it holds the single connection, so nothing interleaves.
    const n = await store.db.transaction().execute(async () => {
      const rows = s.pending.all(CHUNK) as { r: number; t: string | null }[];
      for (const { r, t } of rows) {
        s.unindex.run(r);
        if (t !== null) s.index.run(r, t);
        s.done.run(r);
      }
      return rows.length;
    });
    indexed += n;
    if (n < CHUNK) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return indexed;
}

/**
 * Keeps the SQLite search index caught up in the background: every `intervalMs`, unless `busy()`
 * (a run executing in this process: it goes first), index what is queued.
 */
export function startSearchIndexer(store: Store, log: Logger, busy: () => boolean, intervalMs = 500): { stop(): Promise<void> } {
  if (!store.sqlite) return { stop: async () => undefined };
  let working: Promise<unknown> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (working || busy() || stopped) return;
    working = catchUpSearchIndex(store, 250)
      .catch((error: unknown) => log.warn({ err: error }, 'search index catch-up failed; retrying'))
      .finally(() => (working = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await working;
    },
  };
}
