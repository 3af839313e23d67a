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
import { ensureTenant, generateApiKey, hashApiKey, recordApiKeyUse, registerApiKey } from '../../src/store/tenants.ts';
import { sharedReads } from '../../src/store/db.ts';
import { countRequest } from '../../src/store/rate-limits.ts';
import { READ_REVISION_EXCLUDED, READ_REVISION_TABLES } from '../../src/store/migrations/0025-read-revision.ts';

const T = 'rev-co';

describe('shared revision reads (sharedReads)', () => {
  /** A query whose answers the test releases one by one, in the order they were sent. */
  function controlled() {
    const sent: { key: string; answer(value: string): void; fail(error: Error): void }[] = [];
    const query = (key: string) => new Promise<string>((resolve, reject) => sent.push({ key, answer: resolve, fail: reject }));
    return { sent, read: sharedReads(query) };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('answers a caller only with a query sent after it asked, shared by the callers waiting for it', async () => {
    const { sent, read } = controlled();
    const first = read('t');
    assert.equal(sent.length, 1, 'the first caller sends at once');
    // Asked while that query is on its way (its snapshot may predate what these callers have seen).
    let secondAnswer: string | undefined;
    const second = read('t').then((v) => (secondAnswer = v));
    const third = read('t');
    assert.equal(sent.length, 1, 'nothing more on its way at once');
    sent[0]!.answer('r1');
    assert.equal(await first, 'r1');
    await tick();
    assert.equal(secondAnswer, undefined, 'the answer of a query sent before it asked is not the second caller\'s');
    assert.equal(sent.length, 2, 'the next query is sent as soon as the first answers');
    // Asked after the second query was sent: waits for a third.
    const fourth = read('t');
    sent[1]!.answer('r2');
    assert.equal(await second, 'r2');
    assert.equal(await third, 'r2', 'the callers that waited together share one query');
    await tick();
    assert.equal(sent.length, 3);
    sent[2]!.answer('r3');
    assert.equal(await fourth, 'r3');
    await tick();
    assert.equal(sent.length, 3, 'nobody waiting: nothing more is sent');
    // Idle again: the next caller sends at once.
    const fifth = read('t');
    assert.equal(sent.length, 4);
    sent[3]!.answer('r4');
    assert.equal(await fifth, 'r4');
  });

  it('keeps keys apart, and fails only the callers of a failed query', async () => {
    const { sent, read } = controlled();
    const a = read('a');
    const b = read('b');
    assert.deepEqual(sent.map((q) => q.key), ['a', 'b'], "another key's query is sent at once");
    const aLater = read('a');
    sent[0]!.fail(new Error('connection lost'));
    await assert.rejects(a, /connection lost/);
    await tick();
    assert.equal(sent[2]!.key, 'a', 'the waiting caller gets a query of its own');
    sent[2]!.answer('a2');
    assert.equal(await aLater, 'a2');
    sent[1]!.answer('b1');
    assert.equal(await b, 'b1');
  });
});

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

      it("moves with every write of the tenant's API keys but a use (last_used_at), and finds a key with its revision in one snapshot", async () => {
        const { a, b, close } = await openSharedStores(dialect);
        try {
          await ensureTenant(a.db, T, 'Revision Co');
          const key = generateApiKey();
          const before = await a.readRevision(T);
          await registerApiKey(b.db, T, key, 'script');
          const created = await a.readRevision(T);
          assert.notEqual(created, before, 'a new key moves it');
          const found = await a.apiKeyWithRevision!(hashApiKey(key));
          assert.equal(found?.tenantId, T);
          assert.equal(found?.revision, created, "the key's row with the revision of the same snapshot");
          assert.equal(found?.lastUsedAt, null);
          await recordApiKeyUse(b.db, found!.keyId, null, new Date());
          assert.equal(await a.readRevision(T), created, 'a use alone does not move it');
          assert.ok((await a.apiKeyWithRevision!(hashApiKey(key)))?.lastUsedAt, 'the use is recorded');
          await b.db.updateTable('api_keys').set({ name: 'renamed' }).where('id', '=', found!.keyId).execute();
          const renamed = await a.readRevision(T);
          assert.notEqual(renamed, created, 'any other change of a key moves it');
          await b.db.updateTable('api_keys').set({ name: 'again', last_used_at: new Date().toISOString() }).where('id', '=', found!.keyId).execute();
          assert.notEqual(await a.readRevision(T), renamed, 'a change with a use moves it too');
          const revoking = await a.readRevision(T);
          await b.db.deleteFrom('api_keys').where('id', '=', found!.keyId).execute();
          assert.notEqual(await a.readRevision(T), revoking, 'a revoke moves it');
          assert.equal(await a.apiKeyWithRevision!(hashApiKey(key)), undefined, 'a revoked key is not found');
        } finally {
          await close();
        }
      });

      it('shares reads between concurrent callers, and each sees what was committed before it asked', async () => {
        const { a, b, close } = await openSharedStores(dialect);
        try {
          await ensureTenant(a.db, T, 'Revision Co');
          // Readers back to back, so that a read is on its way whenever the other connection commits
          // (whether its snapshot predates the commit is up to timing: sharedReads' own test above is the exact one).
          let stop = false;
          const readers = Array.from({ length: 5 }, async () => {
            while (!stop) await a.readRevision(T);
          });
          try {
            for (let round = 0; round < 30; round += 1) {
              await b.db.updateTable('tenants').set({ name: `r${round}` }).where('id', '=', T).execute();
              const after = await Promise.all(Array.from({ length: 5 }, () => a.readRevision(T)));
              const expected = Number(await b.readRevision(T));
              for (const r of after) assert.equal(Number(r), expected, `round ${round}: the commit made before the read is counted`);
            }
          } finally {
            stop = true;
            await Promise.all(readers);
          }
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
