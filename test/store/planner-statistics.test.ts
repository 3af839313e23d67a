/**
 * After a run that wrote many people, PostgreSQL plans the next reads on fresh statistics: with
 * autovacuum off or behind, a page of people with their groups was planned as a nested loop over
 * every group (over a minute at 100,000 people). A run that wrote little leaves them alone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { ANALYZE_AFTER_WRITES } from '../../src/store/planner-statistics.ts';

/** What the planner believes the employees table holds: -1 until the table was analyzed. */
async function plannerRows(h: Harness): Promise<number> {
  const { rows } = await sql<{ n: number }>`select c.reltuples::float8 as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = current_schema() and c.relname = 'employees'`.execute(h.ctx.store.db);
  return Number(rows[0]!.n);
}

for (const dialect of DIALECTS.filter((d) => d === 'postgres')) {
  describe(`planner statistics on ${dialect}`, () => {
    it('a first sync of more than a thousand people refreshes them; a no-change re-sync does not', async () => {
      const h = await openHarness(dialect, { employees: ANALYZE_AFTER_WRITES + 150, seed: 5 });
      try {
        assert.ok(h.firstRun!.counts.created >= ANALYZE_AFTER_WRITES, `the first sync created ${h.firstRun!.counts.created}`);
        const active = await h.ctx.store.db.selectFrom('employees').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(await plannerRows(h), Number(active.n), 'the planner knows how many people the run wrote');

        const before = await plannerRows(h);
        const again = await h.sync('full');
        assert.ok(again.counts.created + again.counts.updated < ANALYZE_AFTER_WRITES);
        assert.equal(await plannerRows(h), before, 'a run that wrote little leaves the statistics as they were');
      } finally {
        await h.close();
      }
    });
  });
}
