import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { ensureTenant } from '../../src/store/tenants.ts';
import { refreshPlannerStatistics, refreshStaleStatistics } from '../../src/store/planner-statistics.ts';

const refreshStatistics = (store: Parameters<typeof refreshStaleStatistics>[0]) => refreshStaleStatistics(store, ['employees', 'employee_links']);

for (const dialect of DIALECTS) {
  describe(`stale planner statistics on ${dialect}`, () => {
    it('are gathered at once for a table whose rows changed by much since last analyzed, and only then', async () => {
      const store = await openTestStore(dialect);
      try {
        await ensureTenant(store.db, 'acme', 'acme');
        assert.deepEqual(await refreshStatistics(store), [], 'nothing written yet');
        await store.db.connection().execute(async (conn) => {
          await sql`insert into employees (id, tenant_id, status, role, search_text, fields, provenance, custom_config, created_at, updated_at)
            with recursive s(n) as (select 1 union all select n + 1 from s where n < 3000)
            select 'e' || n, 'acme', 'active', 'member', 'p' || n, '{}', '{}', '{}', 'now', 'now' from s`.execute(conn);
          // The writer's counts reach the shared statistics when it next goes idle (PostgreSQL batches them otherwise).
          if (dialect === 'postgres') await sql`select pg_stat_force_next_flush()`.execute(conn);
        });
        if (dialect === 'sqlite') {
          assert.deepEqual(await refreshStatistics(store), [], 'SQLite plans without statistics');
          assert.equal(await refreshPlannerStatistics(store, 3000), false);
          return;
        }
        assert.deepEqual(await refreshStatistics(store), ['employees']);
        const { rows } = await sql<{ n: number }>`select reltuples::int as n from pg_class where oid = 'employees'::regclass`.execute(store.db);
        assert.equal(rows[0]!.n, 3000, 'the planner now knows the table holds 3,000 rows');
        assert.deepEqual(await refreshStatistics(store), [], 'analyzed: nothing moved since');
        // After a run: only one that wrote a tenth or more of the people the planner believes there are.
        assert.equal(await refreshPlannerStatistics(store, 250), false, '250 of 3,000');
        assert.equal(await refreshPlannerStatistics(store, 300), true, '300 of 3,000');
      } finally {
        await store.close();
      }
    });
  });
}
