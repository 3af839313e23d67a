import type SQLite from 'better-sqlite3';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import type { Store } from './db.ts';

/**
 * The employee search index, filled from a queue off the write path on both stores. Triggers
 * only queue an employee whose search text changed (a plain insert, cheap); this catches the
 * index up in large transactions, off the write that caused it: a trigram index written row by
 * row costs a sync many times its own inserts. Queued people are still found: search checks them
 * by their current text (employees.ts), so the lag changes what a search costs, never its answer.
 * - SQLite (migration 0017): an FTS5 trigram table keyed by the employees' rowid.
 * - PostgreSQL (migration 0027): `employees_search` with pg_trgm's GIN index; the queue is keyed
 *   by a sequence, so a writer committing during a catch-up leaves a row that catch-up never saw.
 */
const CHUNK = 500;
/** PostgreSQL indexes a chunk in one statement: larger, since a round trip is dearer than a call. */
const PG_CHUNK = 5000;

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

/** Whether some employees wait to be indexed. */
export async function searchIndexBehind(store: Store): Promise<boolean> {
  if (store.sqlite) return (stmts(store.sqlite).any.get() as { n: number }).n === 1;
  const { rows } = await sql<{ n: boolean }>`select exists (select 1 from employees_search_pending) as n`.execute(store.db);
  return rows[0]!.n;
}

/**
 * One PostgreSQL chunk: the oldest queued rows are taken off the queue and their people's current
 * text written to the index (removed when the person is gone), in one transaction. One catch-up at
 * a time per schema (an advisory lock; another node skips its turn): two at once could each read a
 * person at a different moment and the older text could be written last. One at a time, a writer
 * that commits after the catch-up's snapshot left a queue row the catch-up did not see, so the
 * person is indexed again next time. Answers how many queue rows it took, or null: another node is at it.
 */
async function catchUpPostgresChunk(store: Store): Promise<number | null> {
  return store.db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(816027, hashtext(current_schema())) as ok`.execute(trx);
    if (!lock[0]!.ok) return null;
    const { rows } = await sql<{ n: string }>`
      with batch as (
        delete from employees_search_pending where seq in (select seq from employees_search_pending order by seq limit ${PG_CHUNK})
        returning employee_id
      ),
      ids as (select distinct employee_id from batch),
      gone as (
        delete from employees_search s using ids where s.employee_id = ids.employee_id and not exists (select 1 from employees e where e.id = ids.employee_id)
      ),
      written as (
        insert into employees_search (employee_id, tenant_id, search_text)
        select e.id, e.tenant_id, e.search_text from employees e join ids on e.id = ids.employee_id
        on conflict (employee_id) do update set tenant_id = excluded.tenant_id, search_text = excluded.search_text
        where employees_search.search_text is distinct from excluded.search_text or employees_search.tenant_id is distinct from excluded.tenant_id
      )
      select count(*) as n from batch`.execute(trx);
    return Number(rows[0]!.n);
  });
}

/**
 * Indexes queued employees, a chunk per transaction, yielding to the event loop between chunks
 * so requests are answered meanwhile; stops when the queue is empty or `budgetMs` is spent.
 * Answers how many it indexed.
 */
export async function catchUpSearchIndex(store: Store, budgetMs = Infinity): Promise<number> {
  const sqlite = store.sqlite;
  const started = performance.now();
  let indexed = 0;
  if (!sqlite) {
    while (performance.now() - started < budgetMs) {
      const n = await catchUpPostgresChunk(store);
      if (n === null) break;
      indexed += n;
      if (n < PG_CHUNK) break;
    }
    return indexed;
  }
  const s = stmts(sqlite);
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
 * Keeps the search index caught up in the background: every `intervalMs`, unless `busy()`
 * (a run executing in this process: it goes first), index what is queued.
 */
export function startSearchIndexer(store: Store, log: Logger, busy: () => boolean, intervalMs = 500): { stop(): Promise<void> } {
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
