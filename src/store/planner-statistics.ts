import { sql } from 'kysely';
import type { Store } from './db.ts';

/**
 * The tables a sync run fills. After a run wrote many of their rows, PostgreSQL's planner still
 * holds the statistics of before (none at all for a tenant's first sync): with autovacuum off or
 * behind (its analyze waits for 10 % of a table to change and its next nap), a read of a page of
 * people with their groups was seen planned as a nested loop over every group, over a minute at
 * 100,000 people instead of milliseconds. ANALYZE samples a bounded number of rows per table
 * (default_statistics_target), so it costs a fraction of a second whatever the roster's size.
 */
const SYNCED_TABLES = ['employees', 'employee_links', 'groups', 'group_memberships', 'group_parents'] as const;

/** Writes after which a run refreshes the statistics (PostgreSQL's own autoanalyze floor is 50 rows plus 10 %). */
export const ANALYZE_AFTER_WRITES = 1000;

/**
 * Refreshes the planner's statistics of the synced tables after a run that wrote `written`
 * people, when that is a tenth or more of the people the planner believes there are (all of them
 * for a first sync, the planner believing none): a 1 % incremental of 100,000 people (1,000) does
 * not pay for five ANALYZEs that would change nothing it plans. Answers whether it analyzed.
 * SQLite needs none: its planner chooses by the indexes our queries name, without sampled statistics.
 */
export async function refreshPlannerStatistics(store: Store, written: number): Promise<boolean> {
  if (store.dialect !== 'postgres') return false;
  const { rows } = await sql<{ n: number }>`select reltuples::float8 as n from pg_class where oid = 'employees'::regclass`.execute(store.db);
  if (written < Number(rows[0]?.n ?? -1) / 10) return false;
  await analyze(store, SYNCED_TABLES);
  return true;
}

/**
 * ANALYZE of each table on a connection of its own, all at once: a table's sample is read by one
 * process, so one statement naming the five took their times added up (employees and links at
 * 100,000 people, 0.8-1.1 s), where side by side they take the longest one's (0.47-0.63 s).
 */
async function analyze(store: Store, tables: readonly string[]): Promise<void> {
  await Promise.all(tables.map((t) => sql`analyze ${sql.table(t)}`.execute(store.db)));
}

/**
 * Analyzes, at once, those of the given tables whose rows changed by more than a fifth since they
 * were last analyzed (as autovacuum would, in its own time): for a read that cannot wait for a run
 * to end, such as the scope preview, whose keyset pages over 100,000 links planned as nearly empty
 * became a bitmap scan and a sort of every row after the key, page after page (20 s instead of 1).
 * Costs one catalogue query when nothing is stale. Answers the tables analyzed.
 */
export async function refreshStaleStatistics(store: Store, tables: readonly (typeof SYNCED_TABLES)[number][]): Promise<string[]> {
  if (store.dialect !== 'postgres') return [];
  const { rows } = await sql<{ name: string }>`select s.relname as name from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and s.relname = any(${[...tables]}::text[])
      and s.n_mod_since_analyze > 1000 + 0.2 * greatest(c.reltuples, 0)`.execute(store.db);
  await analyze(store, rows.map((r) => r.name));
  return rows.map((r) => r.name);
}
