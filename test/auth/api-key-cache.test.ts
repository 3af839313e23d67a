/**
 * The API-key cache (src/auth/api-key-cache.ts): a key found in the database is believed for a
 * short while, so requests with it cost no query; a revoke is seen at once on the node that
 * revoked it and at once by every other process: on SQLite through data_version, on PostgreSQL
 * through the tenant's read revision, read for each request (shared by concurrent ones) after it
 * arrived. Unknown keys are never remembered.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { DIALECTS, openSharedStores, PG_URL } from '../helpers/dialects.ts';
import { testConfig } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { API_KEY_CACHE_TTL_MS, ApiKeyCache, type ApiKeyIdentity } from '../../src/auth/api-key-cache.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createLogger } from '../../src/logger.ts';
import { DEFAULT_TENANT_ID, generateApiKey, hashApiKey, registerApiKey } from '../../src/store/tenants.ts';

describe('the API-key cache itself', () => {
  const me: ApiKeyIdentity = { tenantId: 't', keyId: 'k1' };

  it('asks the database once per key within the TTL, and again after it', async () => {
    let now = 1_000;
    let loads = 0;
    const cache = new ApiKeyCache({ ttlMs: 10_000, now: () => now });
    const load = async () => ((loads += 1), me);
    assert.deepEqual(await cache.authenticate('rfk_a', load), me);
    now += 9_999;
    assert.deepEqual(await cache.authenticate('rfk_a', load), me);
    assert.equal(loads, 1);
    now += 1;
    assert.deepEqual(await cache.authenticate('rfk_a', load), me);
    assert.equal(loads, 2, 'verified again once the TTL is over');
  });

  it('remembers nothing with a TTL of 0', async () => {
    let loads = 0;
    const cache = new ApiKeyCache({ ttlMs: 0 });
    for (let n = 0; n < 3; n += 1) assert.deepEqual(await cache.authenticate('rfk_a', async () => ((loads += 1), me)), me);
    assert.equal(loads, 3);
    assert.equal(cache.size, 0);
  });

  it('never remembers an unknown key: a key known a moment later is let in at once', async () => {
    let known = false;
    let loads = 0;
    const cache = new ApiKeyCache();
    const load = async () => ((loads += 1), known ? me : undefined);
    assert.equal(await cache.authenticate('rfk_new', load), undefined);
    assert.equal(await cache.authenticate('rfk_new', load), undefined);
    assert.equal(loads, 2);
    known = true;
    assert.deepEqual(await cache.authenticate('rfk_new', load), me);
    assert.equal(cache.size, 1);
  });

  it('verifies again after another process commits (the foreign-commit token moves)', async () => {
    let version = 1;
    let loads = 0;
    const cache = new ApiKeyCache({ foreignCommits: () => version });
    const load = async () => ((loads += 1), me);
    await cache.authenticate('rfk_a', load);
    await cache.authenticate('rfk_a', load);
    assert.equal(loads, 1);
    version = 2;
    await cache.authenticate('rfk_a', load);
    assert.equal(loads, 2);
  });

  it('keeps nothing from a look-up that read the key before a revoke and ended after it', async () => {
    const cache = new ApiKeyCache();
    let release!: () => void;
    const slow = () => new Promise<ApiKeyIdentity>((resolve) => (release = () => resolve(me)));
    const pending = cache.authenticate('rfk_a', slow);
    cache.forgetAll();
    release();
    assert.deepEqual(await pending, me, 'the request that was already in flight');
    let loads = 0;
    assert.equal(await cache.authenticate('rfk_a', async () => ((loads += 1), undefined)), undefined, 'the next one asks the database, which no longer knows it');
    assert.equal(loads, 1);
  });

  it("with a revision: believes a key only while a revision read for the request is the one it was found at", async () => {
    let revision = 'r1';
    let reads = 0;
    let loads = 0;
    const cache = new ApiKeyCache({ revision: async () => ((reads += 1), revision) });
    const load = async () => ((loads += 1), { ...me, revision });
    assert.deepEqual(await cache.authenticate('rfk_a', load), { ...me, revision: 'r1' });
    assert.equal(reads, 0, 'a key loaded carries the revision of its own snapshot');
    assert.deepEqual(await cache.authenticate('rfk_a', load), { ...me, revision: 'r1' }, 'a hit answers the revision it read');
    assert.equal(reads, 1, 'a hit reads the revision (shared by concurrent requests, in db.ts)');
    assert.equal(loads, 1);
    revision = 'r2';
    assert.deepEqual(await cache.authenticate('rfk_a', load), { ...me, revision: 'r2' });
    assert.equal(loads, 2, 'the revision moved (any write of the tenant): loaded again');
    // Revoked: the delete moves the revision.
    revision = 'r3';
    assert.equal(await cache.authenticate('rfk_a', async () => ((loads += 1), undefined)), undefined, 'a revoked key is refused at once');
    assert.equal(await cache.authenticate('rfk_a', async () => ((loads += 1), undefined)), undefined, 'and never believed again');
    assert.equal(loads, 4);
    assert.equal(cache.size, 0);
  });

  it('with a revision: keeps no key loaded without one, and nothing from a look-up overtaken by a revoke', async () => {
    let loads = 0;
    const cache = new ApiKeyCache({ revision: async () => 'r1' });
    await cache.authenticate('rfk_a', async () => ((loads += 1), me));
    await cache.authenticate('rfk_a', async () => ((loads += 1), me));
    assert.equal(loads, 2, 'no revision from the load: nothing to check it against later');
    assert.equal(cache.size, 0);
    let release!: () => void;
    const pending = cache.authenticate('rfk_b', () => new Promise((resolve) => (release = () => resolve({ ...me, revision: 'r1' }))));
    cache.forgetAll();
    release();
    await pending;
    assert.equal(cache.size, 0);
  });

  it('holds at most its bound of keys, the oldest verified going first', async () => {
    const cache = new ApiKeyCache({ maxEntries: 2 });
    let loads = 0;
    const load = async (key: string) => ((loads += 1), { tenantId: 't', keyId: key });
    for (const key of ['rfk_a', 'rfk_b', 'rfk_c']) await cache.authenticate(key, load);
    assert.equal(cache.size, 2);
    await cache.authenticate('rfk_c', load);
    assert.equal(loads, 3, 'the newest is still remembered');
    await cache.authenticate('rfk_a', load);
    assert.equal(loads, 4, 'the oldest was evicted');
  });
});

for (const dialect of DIALECTS) {
  describe(`a revoked API key on two nodes of one ${dialect} database`, () => {
    let shared: Awaited<ReturnType<typeof openSharedStores>>;
    let ctxA: AppContext;
    let ctxB: AppContext;
    let nodeA: FastifyInstance;
    let nodeB: FastifyInstance;
    let now = Date.parse('2027-03-01T09:00:00Z');
    const clock = () => new Date(now);

    before(async () => {
      shared = await openSharedStores(dialect);
      ctxA = await createContext(testConfig(), createLogger('silent'), { store: shared.a, worker: { schedule: false } });
      ctxB = await createContext(testConfig(), createLogger('silent'), { store: shared.b, worker: { schedule: false } });
      nodeA = await buildServer(ctxA, { rateLimitStore: 'memory', clock });
      nodeB = await buildServer(ctxB, { rateLimitStore: 'memory', clock });
    });
    after(async () => {
      await nodeA.close();
      await nodeB.close();
      await ctxA.worker.stop();
      await ctxB.worker.stop();
      await shared.close();
    });

    /** Deletes the key on a connection of neither node (`refresh keys revoke` in another process). */
    const revokeElsewhere = async (key: string) => {
      if (dialect === 'sqlite') {
        const cli = new SQLite(shared.a.sqlite!.name);
        try {
          cli.prepare('delete from api_keys where key_hash = ?').run(hashApiKey(key));
        } finally {
          cli.close();
        }
      } else {
        const cli = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${(await sql<{ s: string }>`select current_schema() as s`.execute(shared.a.db)).rows[0]!.s}` });
        await cli.connect();
        try {
          await cli.query('delete from api_keys where key_hash = $1', [hashApiKey(key)]);
        } finally {
          await cli.end();
        }
      }
    };
    const get = async (node: FastifyInstance, key: string) => (await node.inject({ method: 'GET', url: '/api/v1/integrations', headers: { authorization: `Bearer ${key}` } })).statusCode;

    it('is refused at once by the node that revoked it and by the other', async () => {
      const admin = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, admin, 'admin');
      const created = await nodeA.inject({ method: 'POST', url: '/api/v1/api-keys', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'script' } });
      assert.equal(created.statusCode, 201);
      const { id, key } = created.json() as { id: string; key: string };
      // Both nodes have verified (and remembered) the new key.
      for (let n = 0; n < 3; n += 1) {
        assert.equal(await get(nodeA, key), 200);
        assert.equal(await get(nodeB, key), 200);
      }
      const revoked = await nodeB.inject({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: { authorization: `Bearer ${admin}` } });
      assert.equal(revoked.statusCode, 204);
      assert.equal(await get(nodeB, key), 401, 'the node that revoked it refuses it at once');
      assert.equal(await get(nodeA, key), 401, "and the other node at once (SQLite: the other connection's commit moves data_version; PostgreSQL: nothing remembered)");
      now += API_KEY_CACHE_TTL_MS;
      assert.equal(await get(nodeA, admin), 200, 'the other keys still work');
    });

    it('is refused at once by both nodes when revoked outside them (`refresh keys revoke`: neither forgets it itself)', async () => {
      const key = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, 'cli');
      for (let n = 0; n < 3; n += 1) {
        assert.equal(await get(nodeA, key), 200);
        assert.equal(await get(nodeB, key), 200);
      }
      // A cached page read with it too: authentication comes before the read cache.
      const page = async (node: FastifyInstance) => (await node.inject({ method: 'GET', url: '/api/v1/employees?limit=5', headers: { authorization: `Bearer ${key}` } })).statusCode;
      assert.equal(await page(nodeA), 200);
      assert.equal(await page(nodeA), 200);
      // Another process's connection (the CLI), committed before the next requests are made.
      await revokeElsewhere(key);
      assert.equal(await get(nodeA, key), 401);
      assert.equal(await get(nodeB, key), 401);
      assert.equal(await page(nodeA), 401);
    });

    it('is refused by every request made after the revoke commits, however many run at once', async () => {
      const key = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, 'busy');
      const burst = (node: FastifyInstance, n: number) => Promise.all(Array.from({ length: n }, () => get(node, key)));
      assert.deepEqual(new Set(await burst(nodeA, 20)), new Set([200]));
      // Requests on their way while the revoke commits may go either way; every one made after it is refused.
      let stop = false;
      const during = (async () => {
        const seen: number[] = [];
        while (!stop) seen.push(...(await burst(nodeA, 10)));
        return seen;
      })();
      await new Promise((r) => setTimeout(r, 20));
      await revokeElsewhere(key);
      const after = await Promise.all([burst(nodeA, 25), burst(nodeB, 25)]);
      stop = true;
      for (const status of (await during).filter((s) => s !== 200)) assert.equal(status, 401);
      assert.deepEqual(new Set(after.flat()), new Set([401]));
    });
  });
}
