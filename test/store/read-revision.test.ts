/**
 * Store.readRevision: the token the API's read cache keys on (src/api/read-cache.ts). It must
 * move after any write a read of the tenant could see — another connection's commit (a worker
 * process) or this connection's own — and stay while nothing is written. On PostgreSQL only the
 * tenant's data writes move it (migration 0025): not the rate-limit counters every request
 * commits, not another tenant's writes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { DIALECTS, openSharedStores } from '../helpers/dialects.ts';
import { ensureTenant } from '../../src/store/tenants.ts';
import { countRequest } from '../../src/store/rate-limits.ts';
import { READ_REVISION_EXCLUDED, READ_REVISION_TABLES } from '../../src/store/migrations/0025-read-revision.ts';

const T = 'rev-co';

for (const dialect of DIALECTS) {
  describe(`read revision on ${dialect}`, () => {
    it('stays while nothing is written and moves after a write by this store or by another connection', async () => {
      const { a, b, close } = await openSharedStores(dialect);
      try {
        await ensureTenant(a.db, T, 'Revision Co');
        const first = await a.readRevision(T);
        await a.db.selectFrom('tenants').selectAll().execute();
        assert.equal(await a.readRevision(T), first, 'a read changes nothing');

        // Another process's commit (the worker's connection).
        await b.db.updateTable('tenants').set({ name: 'Written by b' }).where('id', '=', T).execute();
        const afterOther = await a.readRevision(T);
        assert.notEqual(afterOther, first, "another connection's commit moves the revision");
        assert.equal(await a.readRevision(T), afterOther, 'and it stays there');

        // This store's own write.
        await a.db.updateTable('tenants').set({ name: 'Written by a' }).where('id', '=', T).execute();
        const afterOwn = await a.readRevision(T);
        assert.notEqual(afterOwn, afterOther, "this store's own write moves the revision");

        // A write inside a transaction that commits.
        await a.db.transaction().execute(async (trx) => {
          await trx.updateTable('tenants').set({ name: 'Renamed' }).where('id', '=', T).execute();
        });
        const afterTransaction = await a.readRevision(T);
        assert.notEqual(afterTransaction, afterOwn, 'a committed transaction moves the revision');

        // An update by the other connection that a read of this one would see.
        await b.db.updateTable('tenants').set({ name: 'Renamed by b' }).where('id', '=', T).execute();
        assert.notEqual(await a.readRevision(T), afterTransaction, "another connection's update moves the revision");
        const seen = await a.db.selectFrom('tenants').select('name').where('id', '=', T).executeTakeFirstOrThrow();
        assert.equal(seen.name, 'Renamed by b');
      } finally {
        await close();
      }
    });

    it('moves only once a write by another connection commits, never before', async () => {
      const { a, b, close } = await openSharedStores(dialect);
      try {
        await ensureTenant(a.db, T, 'Revision Co');
        const before = await a.readRevision(T);
        let during = '';
        let seenDuring = '';
        await b.db.transaction().execute(async (trx) => {
          await trx.updateTable('tenants').set({ name: 'Uncommitted' }).where('id', '=', T).execute();
          // SQLite: the other connection's write lock makes a reader wait for nothing; it reads the last commit.
          during = await a.readRevision(T);
          seenDuring = (await a.db.selectFrom('tenants').select('name').where('id', '=', T).executeTakeFirstOrThrow()).name;
        });
        assert.equal(seenDuring, 'Revision Co', 'the open write is not seen');
        assert.equal(during, before, 'nor counted');
        const after = await a.readRevision(T);
        assert.notEqual(after, during, 'its commit moves the revision: an answer read before it is never served after it');
      } finally {
        await close();
      }
    });

    if (dialect === 'postgres') {
      it("stays through rate-limit counts, rolled-back writes and another tenant's writes", async () => {
        const { a, b, close } = await openSharedStores(dialect);
        try {
          await ensureTenant(a.db, T, 'Revision Co');
          await ensureTenant(a.db, 'other-co', 'Other Co');
          const first = await a.readRevision(T);
          for (let i = 0; i < 3; i += 1) await countRequest(b.db, 'client:key:k1', 60_000, new Date());
          await b.db.updateTable('tenants').set({ name: 'Other renamed' }).where('id', '=', 'other-co').execute();
          assert.equal(await a.readRevision(T), first);
          assert.notEqual(await a.readRevision('other-co'), first, "the other tenant's revision moved");
          // Rolled back: nothing to see, nothing counted.
          await b.db
            .transaction()
            .execute(async (trx) => {
              await trx.updateTable('tenants').set({ name: 'Never' }).where('id', '=', T).execute();
              throw new Error('roll back');
            })
            .catch(() => undefined);
          assert.equal(await a.readRevision(T), first);
        } finally {
          await close();
        }
      });

      it('keeps growing through folds of its log, however many transactions wrote', async () => {
        const { a, b, close } = await openSharedStores(dialect);
        try {
          await ensureTenant(a.db, T, 'Revision Co');
          let last = Number(await a.readRevision(T));
          for (let i = 0; i < 260; i += 1) {
            await (i % 2 ? a : b).db.updateTable('tenants').set({ name: `n${i}` }).where('id', '=', T).execute();
            if (i % 50 === 49 || i > 200) {
              const now = Number(await a.readRevision(T));
              assert.ok(now > last, `write ${i}: ${now} > ${last}`);
              last = now;
            }
          }
          // Past 200 rows a read folds them (in the background): the revision is the same before and after.
          for (let i = 0; i < 50; i += 1) {
            const { rows } = await sql<{ n: string }>`select count(*) as n from read_revision_writes where tenant_id = ${T}`.execute(a.db);
            if (Number(rows[0]!.n) <= 200) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          const { rows } = await sql<{ n: string }>`select count(*) as n from read_revision_writes where tenant_id = ${T}`.execute(a.db);
          assert.ok(Number(rows[0]!.n) <= 200, 'the log was folded');
          assert.equal(Number(await a.readRevision(T)), last);
          assert.equal(Number(await b.readRevision(T)), last);
          // A statement of many rows, and a transaction of several statements, count once each.
          await b.db.transaction().execute(async (trx) => {
            await trx.updateTable('tenants').set({ name: 'x' }).where('id', '=', T).execute();
            await trx.updateTable('tenants').set({ name: 'y' }).where('id', '=', T).execute();
          });
          assert.equal(Number(await a.readRevision(T)), last + 1);
        } finally {
          await close();
        }
      });

      it('notes writes of every table with a tenant column, except the bookkeeping ones listed', async () => {
        const { a, close } = await openSharedStores(dialect);
        try {
          const { rows: tables } = await sql<{ table: string }>`
            select table_name as table from information_schema.columns
            where table_schema = current_schema() and column_name = 'tenant_id' and table_name not like 'read_revision%'`.execute(a.db);
          for (const { table } of tables) assert.ok(table in READ_REVISION_TABLES || READ_REVISION_EXCLUDED.includes(table), `${table}: noted or excluded`);
          const { rows: triggers } = await sql<{ table: string; n: string }>`
            select event_object_table as table, count(distinct event_manipulation) as n from information_schema.triggers
            where trigger_schema = current_schema() and trigger_name like '%_read_revision_%' group by event_object_table`.execute(a.db);
          const counted = new Map(triggers.map((t) => [t.table, Number(t.n)]));
          for (const table of Object.keys(READ_REVISION_TABLES)) assert.equal(counted.get(table), 3, `${table}: insert, update and delete noted`);
        } finally {
          await close();
        }
      });
    }
  });
}
