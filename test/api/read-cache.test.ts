/**
 * The API's read cache (src/api/read-cache.ts): a page asked for again while nothing was written
 * is served from memory (`x-cache: hit`); after any write — an admin's PATCH, a sync, another
 * process's commit on the same database — the next read is fresh (`x-cache: miss`, the new
 * data); one tenant never gets another's page; the memory bound evicts.
 *
 * On PostgreSQL the read revision counts the tenant's data writes only (migration 0025), so hits
 * are asserted there too, with the rate-limit counters in the database as production keeps them
 * (a write per request that must not empty the cache).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { DIALECTS, openSharedStores } from '../helpers/dialects.ts';
import { openHarness, testConfig, type Harness } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, ReadCache, registerReadCache } from '../../src/api/read-cache.ts';
import { EmployeePage, Employee } from '../../src/api/contract/employees.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createLogger } from '../../src/logger.ts';
import { DEFAULT_TENANT_ID, ensureTenant, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { catchUpSearchIndex } from '../../src/store/search-index.ts';
import type { Store } from '../../src/store/db.ts';

type Json = any;

function caller(app: FastifyInstance, key: string) {
  return async (method: 'GET' | 'PATCH' | 'POST', url: string, body?: unknown) => {
    const res = await app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${key}` }, ...(body !== undefined ? { payload: body as object } : {}) });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : null, cache: res.headers['x-cache'], etag: res.headers.etag, headers: res.headers };
  };
}

/**
 * Indexes what the search queue holds now, so that the background indexer (every 500 ms) has
 * nothing left to write. On SQLite its writes move the read revision like any other commit
 * (data_version and the connection's changes), so a hit asserted while people written a moment
 * before were still queued could meet a revision moved by the catch-up and miss.
 */
async function settled(store: Store): Promise<void> {
  await catchUpSearchIndex(store);
}

for (const dialect of DIALECTS) {
  const hits = true;

  describe(`read cache over the API on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let call: ReturnType<typeof caller>;
    let other: ReturnType<typeof caller>;
    let auth: string;

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 23 });
      // Each store's own rate-limit counters: on PostgreSQL a database write per request, which
      // is not data (SQLite counts in memory; its revision moves on any write to the file).
      app = await buildServer(h.ctx);
      const key = generateApiKey();
      await registerApiKey(h.ctx.store.db, h.tenantId, key, 'test');
      call = caller(app, key);
      auth = `Bearer ${key}`;
      await ensureTenant(h.ctx.store.db, 'other-co', 'Other Co');
      const otherKey = generateApiKey();
      await registerApiKey(h.ctx.store.db, 'other-co', otherKey, 'other');
      other = caller(app, otherKey);
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('serves a repeated list read from the cache, in the contract, with the same body', async () => {
      await settled(h.ctx.store);
      const first = await call('GET', '/employees?limit=5');
      assert.equal(first.status, 200);
      assert.equal(first.cache, 'miss');
      assert.equal(first.body.data.length, 5);
      // Sent without the schema's serializer: it must still be exactly the contract's shape.
      assert.deepEqual(EmployeePage.parse(first.body), first.body);
      assert.equal(first.headers['cache-control'], 'no-store');
      const again = await call('GET', '/employees?limit=5');
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, first.body);
      if (hits) assert.equal(again.cache, 'hit');
      assert.equal(again.headers['cache-control'], 'no-store', 'a hit passes through the same security headers');
      assert.match(String(again.headers['content-type']), /application\/json/);
      // Another URL is another entry.
      const more = await call('GET', '/employees?limit=6');
      assert.equal(more.cache, 'miss');
      assert.equal(more.body.data.length, 6);
    });

    it('sends a hit with the same headers as the miss before it (security headers, no-store, rate limits)', async () => {
      await settled(h.ctx.store);
      const miss = await call('GET', '/employees?limit=7');
      const hit = await call('GET', '/employees?limit=7');
      assert.equal(miss.cache, 'miss');
      if (hits) assert.equal(hit.cache, 'hit');
      const varying = new Set(['date', 'x-cache', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
      const fixed = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !varying.has(name)).sort());
      assert.deepEqual(fixed(hit.headers), fixed(miss.headers));
      for (const res of [miss, hit]) {
        assert.equal(res.headers['cache-control'], 'no-store');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
        assert.equal(res.headers['x-frame-options'], 'DENY');
        assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
        assert.ok(res.headers['x-ratelimit-limit']);
      }
      // An answer refused before any route runs carries them too.
      const refused = await app.inject({ method: 'GET', url: '/api/v1/employees?limit=7', headers: { authorization: 'Bearer rfk_not_a_key' } });
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.headers['cache-control'], 'no-store');
      assert.equal(refused.headers['x-frame-options'], 'DENY');
      assert.equal(refused.headers['content-security-policy'], miss.headers['content-security-policy']);
    });

    it('gzips a list for a client that accepts it, hit or miss, and sends it as it is to one that does not', async () => {
      await settled(h.ctx.store);
      const page = (await app.inject({ method: 'GET', url: '/api/v1/employees?limit=8', headers: { authorization: auth } })).json() as Json;
      const plain = await app.inject({ method: 'GET', url: '/api/v1/employees?limit=9', headers: { authorization: auth } });
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'accept-encoding');
      for (const attempt of ['miss', 'hit']) {
        const zipped = await app.inject({ method: 'GET', url: '/api/v1/employees?limit=8', headers: { authorization: auth, 'accept-encoding': 'gzip, deflate, br' } });
        assert.equal(zipped.statusCode, 200, attempt);
        assert.equal(zipped.headers['content-encoding'], 'gzip', attempt);
        assert.equal(zipped.headers.vary, 'accept-encoding');
        assert.equal(zipped.headers['cache-control'], 'no-store');
        assert.equal(Number(zipped.headers['content-length']), zipped.rawPayload.length);
        assert.deepEqual(JSON.parse(gunzipSync(zipped.rawPayload).toString('utf8')), page, `${attempt}: the same answer, compressed`);
      }
      const refused = await app.inject({ method: 'GET', url: '/api/v1/employees?limit=8', headers: { authorization: auth, 'accept-encoding': 'gzip;q=0, identity' } });
      assert.equal(refused.headers['content-encoding'], undefined);
      assert.deepEqual(refused.json(), page);
      // The detail carries an ETag (If-Match compares it): sent as it is, whatever is accepted.
      const id = page.data[0].id as string;
      for (let n = 0; n < 2; n += 1) {
        const detail = await app.inject({ method: 'GET', url: `/api/v1/employees/${id}`, headers: { authorization: auth, 'accept-encoding': 'gzip' } });
        assert.equal(detail.headers['content-encoding'], undefined);
        assert.ok(detail.headers.etag);
        assert.equal(detail.json().id, id);
      }
    });

    it('answers fresh after a PATCH, with the new ETag on the detail', async () => {
      await settled(h.ctx.store);
      const page = await call('GET', '/employees?limit=5');
      const person = page.body.data[0];
      const detail = await call('GET', `/employees/${person.id}`);
      assert.equal(detail.status, 200);
      assert.deepEqual(Employee.parse(detail.body), detail.body);
      const detailAgain = await call('GET', `/employees/${person.id}`);
      if (hits) assert.equal(detailAgain.cache, 'hit');
      assert.equal(detailAgain.etag, detail.etag, 'a hit keeps the ETag');

      const patched = await call('PATCH', `/employees/${person.id}`, { customConfig: { cacheTest: 'after-patch' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const after = await call('GET', '/employees?limit=5');
      assert.equal(after.cache, 'miss');
      assert.equal(after.body.data[0].customConfig.cacheTest, 'after-patch');
      const detailAfter = await call('GET', `/employees/${person.id}`);
      assert.equal(detailAfter.cache, 'miss');
      assert.equal(detailAfter.body.customConfig.cacheTest, 'after-patch');
      assert.notEqual(detailAfter.etag, detail.etag);
      assert.equal(detailAfter.etag, patched.etag);
    });

    it('answers fresh after a sync writes, for lists, searches and groups', async () => {
      const page = await call('GET', '/employees?limit=100');
      const person = page.body.data.find((e: Json) => e.links.length > 0 && e.fields.email.value);
      const sandboxPerson = h.sandbox.roster.list().find((p) => p.workEmail?.toLowerCase() === String(person.fields.email.value).toLowerCase())!;
      const search = await call('GET', '/employees?limit=10&q=cachebuster');
      assert.equal(search.body.total, 0);
      await settled(h.ctx.store);
      const groups = await call('GET', '/groups?limit=100');
      assert.equal(groups.status, 200);
      const groupsAgain = await call('GET', '/groups?limit=100');
      if (hits) assert.equal(groupsAgain.cache, 'hit');

      h.sandbox.roster.update(sandboxPerson.id, { jobTitle: 'Cachebuster Lead' });
      const run = await h.sync('incremental');
      assert.equal(run.status, 'succeeded');
      assert.equal(run.counts.updated, 1);

      const after = await call('GET', '/employees?limit=100');
      assert.equal(after.cache, 'miss');
      assert.equal(after.body.data.find((e: Json) => e.id === person.id).fields.jobTitle.value, 'Cachebuster Lead');
      const found = await call('GET', '/employees?limit=10&q=cachebuster');
      assert.equal(found.cache, 'miss');
      assert.equal(found.body.total, 1);
      assert.deepEqual(found.body.data.map((e: Json) => e.id), [person.id]);
      assert.equal((await call('GET', '/groups?limit=100')).cache, 'miss');
    });

    it("never answers one tenant's request with another tenant's page", async () => {
      await settled(h.ctx.store);
      const mine = await call('GET', '/employees?limit=5');
      assert.equal(mine.body.data.length, 5);
      const mineAgain = await call('GET', '/employees?limit=5');
      if (hits) assert.equal(mineAgain.cache, 'hit');
      const theirs = await other('GET', '/employees?limit=5');
      assert.equal(theirs.status, 200);
      assert.equal(theirs.cache, 'miss');
      assert.deepEqual(theirs.body.data, []);
      assert.equal(theirs.body.total, 0);
      const theirsAgain = await other('GET', '/employees?limit=5');
      assert.deepEqual(theirsAgain.body.data, []);
      assert.equal((await other('GET', `/employees/${mine.body.data[0].id}`)).status, 404, "another tenant's id is not found, cached or not");
      assert.equal((await call('GET', '/employees?limit=5')).body.data.length, 5);
    });

    it('keeps only 200 answers', async () => {
      const missing = await call('GET', '/employees/no-such-person');
      assert.equal(missing.status, 404);
      assert.equal((await call('GET', '/employees/no-such-person')).cache, 'miss');
      const bad = await call('GET', '/employees?limit=0');
      assert.equal(bad.status, 400);
      assert.equal((await call('GET', '/employees?limit=0')).status, 400);
    });
  });

  describe(`read cache with a second process on the same database (${dialect})`, () => {
    let shared: Awaited<ReturnType<typeof openSharedStores>>;
    let ctx: AppContext;
    let app: FastifyInstance;

    before(async () => {
      shared = await openSharedStores(dialect);
      ctx = await createContext(testConfig(), createLogger('silent'), { store: shared.a, worker: { schedule: false } });
      app = await buildServer(ctx, { rateLimitStore: 'memory' });
    });
    after(async () => {
      await app.close();
      await ctx.worker.stop();
      await shared.close();
    });

    it("answers fresh after another connection's commit (the worker process)", async () => {
      const key = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, 'test');
      const call = caller(app, key);
      const created = await call('POST', '/employees', { fields: { email: 'rita.moreno@acme.example', firstName: 'Rita', lastName: 'Moreno' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await settled(ctx.store);
      const first = await call('GET', '/employees?limit=10');
      assert.equal(first.body.total, 1);
      const again = await call('GET', '/employees?limit=10');
      if (hits) assert.equal(again.cache, 'hit');

      // The other store (another process's connection) writes the person and adds one.
      await shared.b.db.updateTable('employees').set({ custom_config: JSON.stringify({ by: 'worker' }), version: 2 }).where('id', '=', created.body.id).execute();
      const after = await call('GET', '/employees?limit=10');
      assert.equal(after.cache, 'miss');
      assert.deepEqual(after.body.data[0].customConfig, { by: 'worker' });
      const detail = await call('GET', `/employees/${created.body.id}`);
      assert.equal(detail.etag, '"2"');
    });

    it('answers every request made after a commit fresh, however many run at once (they share revision reads)', async () => {
      const key = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, 'burst');
      const call = caller(app, key);
      const created = await call('POST', '/employees', { fields: { email: 'burst@acme.example', firstName: 'Burst', lastName: 'Reader' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await settled(ctx.store);
      const url = `/employees/${created.body.id}`;
      for (let round = 1; round <= 5; round += 1) {
        // Requests on their way while the other process commits may answer either version.
        const during = Promise.all(Array.from({ length: 10 }, () => call('GET', url)));
        await shared.b.db.updateTable('employees').set({ custom_config: JSON.stringify({ round }), version: round + 1 }).where('id', '=', created.body.id).execute();
        const after = await Promise.all(Array.from({ length: 20 }, () => call('GET', url)));
        for (const res of after) assert.deepEqual(res.body.customConfig, { round }, `round ${round}: committed before the request was made`);
        for (const res of await during) assert.equal(res.status, 200);
        const again = await call('GET', url);
        if (hits) assert.equal(again.cache, 'hit', 'and from the cache again once nothing more is written');
      }
    });

    if (dialect === 'postgres') {
      it("keeps the tenant's answers when a key is used for the first time (recording the use is no write of data)", async () => {
        const first = generateApiKey();
        await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, first, 'first');
        await settled(ctx.store);
        const miss = await caller(app, first)('GET', '/employees?limit=3');
        assert.equal(miss.status, 200);
        assert.equal((await caller(app, first)('GET', '/employees?limit=3')).cache, 'hit');
        const second = generateApiKey();
        await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, second, 'second');
        // The new key moved the revision (api_keys is noted): one miss, then hits.
        assert.equal((await caller(app, second)('GET', '/employees?limit=3')).cache, 'miss');
        assert.equal((await caller(app, second)('GET', '/employees?limit=3')).cache, 'hit', "the second key's first use (last_used_at) moved nothing");
        assert.equal((await caller(app, first)('GET', '/employees?limit=3')).cache, 'hit');
        const { rows } = await sql<{ n: string }>`select count(*) as n from api_keys where last_used_at is not null and name in ('first', 'second')`.execute(shared.a.db);
        assert.equal(Number(rows[0]!.n), 2, 'both uses recorded');
      });
    }
  });
}

describe('the read cache itself', () => {
  it('reads Accept-Encoding as RFC 9110 does: gzip (or x-gzip, or *) with a q-value above 0', () => {
    for (const yes of ['gzip', 'gzip, deflate, br', 'br;q=1.0, gzip;q=0.8, *;q=0.1', 'x-gzip', '*', 'GZIP', 'identity, *;q=0.5']) assert.equal(acceptsGzip(yes), true, yes);
    for (const no of [undefined, '', 'identity', 'br', 'deflate, br', 'gzip;q=0', 'gzip;q=0.000, br', '*;q=0', 'gzip;q=0, *', 'gzipx']) assert.equal(acceptsGzip(no), false, String(no));
  });

  const body = (n: number) => Buffer.alloc(n, 'x');
  const answer = (n: number) => ({ body: body(n), contentType: 'application/json; charset=utf-8', headers: {} });

  it('evicts the least recently used answers beyond its bound of bytes', () => {
    // (Over the API a page of 100 people is ~350 KB: the default 256 MB holds ~700 pages.)
    // Each entry costs its body, 2 × its key and 200 bytes: about 2,200 here; 5,000 holds two.
    const cache = new ReadCache(5000);
    assert.equal(cache.get('t', '/a', 'r1'), undefined);
    cache.set('t', '/a', 'r1', answer(2000));
    cache.set('t', '/b', 'r1', answer(2000));
    assert.ok(cache.get('t', '/a', 'r1'), '/a kept (and now the most recently used)');
    cache.set('t', '/c', 'r1', answer(2000));
    assert.equal(cache.get('t', '/b', 'r1'), undefined, '/b, the least recently used, was evicted');
    assert.ok(cache.get('t', '/a', 'r1'));
    assert.ok(cache.get('t', '/c', 'r1'));
    assert.ok(cache.stats().bytes <= 5000);
    cache.set('t', '/huge', 'r1', answer(6000));
    assert.equal(cache.get('t', '/huge', 'r1'), undefined, 'an answer larger than the bound is not kept');
    assert.ok(cache.get('t', '/a', 'r1'), 'and evicts nothing');
  });

  it('writes a hit only when its turn comes (fair-turns.ts), as a miss runs its handler only then', async () => {
    const app = Fastify();
    app.decorateRequest('tenantId', '');
    app.addHook('onRequest', async (request) => {
      request.tenantId = 't';
    });
    const held: (() => void)[] = [];
    registerReadCache(app, { readRevision: async () => 'r1' }, 1_000_000, () => new Promise<void>((resolve) => held.push(resolve)));
    app.get('/page', { config: { readCache: true } }, async () => ({ people: Array.from({ length: 100 }, (_, n) => ({ n })) }));
    try {
      const miss = await app.inject('/page');
      assert.equal(miss.headers['x-cache'], 'miss', 'a miss takes its turn before its handler (server.ts), not here');
      let answered = false;
      const hit = app.inject('/page').then((res) => ((answered = true), res));
      for (let n = 0; n < 5; n += 1) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(held.length, 1, 'the hit asked for its turn');
      assert.equal(answered, false, 'and nothing was written before it came');
      held.shift()!();
      const res = await hit;
      assert.equal(res.headers['x-cache'], 'hit');
      assert.deepEqual(res.json(), miss.json());
    } finally {
      await app.close();
    }
  });

  it("drops a tenant's answers when its revision moves, and keeps none read at an older one", () => {
    const cache = new ReadCache(1_000_000);
    cache.get('t', '/a', 'r1');
    cache.set('t', '/a', 'r1', answer(10));
    cache.get('u', '/a', 'r1');
    cache.set('u', '/a', 'r1', answer(10));
    assert.equal(cache.get('t', '/a', 'r2'), undefined, 'a new revision misses');
    assert.equal(cache.stats().entries, 1, "the tenant's older answers are dropped; the other tenant's stay until it reads");
    cache.set('t', '/a', 'r1', answer(10));
    assert.equal(cache.get('t', '/a', 'r2'), undefined, 'an answer read at an older revision is not kept');
    cache.set('t', '/a', 'r2', answer(10));
    assert.ok(cache.get('t', '/a', 'r2'));
    assert.equal(cache.get('u', '/a', 'r2'), undefined, "another tenant's entry is its own");
  });
});
