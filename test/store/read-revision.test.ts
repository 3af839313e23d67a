/**
 * Store.readRevision: the token the API's read cache keys on (src/api/read-cache.ts). It must
 * move after any write a read could see — another connection's commit (a worker process) or this
 * connection's own — and stay while nothing is written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, openSharedStores } from '../helpers/dialects.ts';
import { ensureTenant } from '../../src/store/tenants.ts';

for (const dialect of DIALECTS) {
  describe(`read revision on ${dialect}`, () => {
    it('stays while nothing is written and moves after a write by this store or by another connection', async () => {
      const { a, b, close } = await openSharedStores(dialect);
      try {
        // On PostgreSQL the revision is the cluster's snapshot: any other schema's commit (other
        // tests, other tenants) moves it too, so only SQLite can show it staying put.
        const stays = dialect === 'sqlite';
        const first = await a.readRevision();
        await a.db.selectFrom('tenants').selectAll().execute();
        if (stays) assert.equal(await a.readRevision(), first, 'a read changes nothing');

        // Another process's commit (the worker's connection).
        await ensureTenant(b.db, 'from-b', 'Written by b');
        const afterOther = await a.readRevision();
        assert.notEqual(afterOther, first, "another connection's commit moves the revision");
        if (stays) assert.equal(await a.readRevision(), afterOther, 'and it stays there');

        // This store's own write.
        await ensureTenant(a.db, 'from-a', 'Written by a');
        const afterOwn = await a.readRevision();
        assert.notEqual(afterOwn, afterOther, "this store's own write moves the revision");

        // A write inside a transaction that commits.
        await a.db.transaction().execute(async (trx) => {
          await trx.updateTable('tenants').set({ name: 'Renamed' }).where('id', '=', 'from-a').execute();
        });
        const afterTransaction = await a.readRevision();
        assert.notEqual(afterTransaction, afterOwn, 'a committed transaction moves the revision');

        // An update by the other connection that a read of this one would see.
        await b.db.updateTable('tenants').set({ name: 'Renamed by b' }).where('id', '=', 'from-a').execute();
        assert.notEqual(await a.readRevision(), afterTransaction, "another connection's update moves the revision");
        const seen = await a.db.selectFrom('tenants').select('name').where('id', '=', 'from-a').executeTakeFirstOrThrow();
        assert.equal(seen.name, 'Renamed by b');
      } finally {
        await close();
      }
    });
  });
}
