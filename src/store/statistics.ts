import { sql } from 'kysely';
import type { Store } from './db.ts';

/** The tables a sync writes many rows of, whose statistics the queries after it plan from. */
export const PEOPLE_TABLES = ['employees', 'employee_links'] as const;

/**
 * PostgreSQL plans every query from table statistics that only ANALYZE gathers: autovacuum runs it
 * in its own time (a minute or more after the writes; never, when it is off). A table filled by a
 * first sync is planned meanwhile as if nearly empty, and a keyset page over 100,000 links (the
 * scope preview's, the group step's) became a sort of every row after the key, page after page:
 * 20 s instead of 1. So after a run's writes this analyzes, at once, the given tables whose rows
 * changed by more than a fifth since they were last analyzed (as autovacuum would, sooner): a
 * first sync always, a small incremental never. Answers the tables analyzed. SQLite plans without
 * statistics; nothing to do there.
 */
export async function refreshStatistics(store: Store, tables: readonly string[] = PEOPLE_TABLES): Promise<string[]> {
  if (store.dialect !== 'postgres') return [];
  const { rows } = await sql<{ name: string }>`select s.relname as name from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and s.relname = any(${[...tables]}::text[])
      and s.n_mod_since_analyze > 1000 + 0.2 * greatest(c.reltuples, 0)`.execute(store.db);
  for (const { name } of rows) await sql`analyze ${sql.table(name)}`.execute(store.db);
  return rows.map((r) => r.name);
}
