/**
 * Sign-in throttling and rate limits that hold across API nodes (issue 10 §4): counted in the
 * database, so two nodes on one database allow no more guesses than one; smart lockout keeps the
 * admin's familiar address usable during a flood from elsewhere; behind a trusted proxy each
 * client's own address counts; blocked attempts do not grow storage. Clocks are injected.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { DIALECTS, openSharedStores } from '../helpers/dialects.ts';
import { testConfig } from '../helpers/harness.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { buildServer, type ServerOptions } from '../../src/api/server.ts';
import { BlockCounter } from '../../src/api/rate-limit.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { createLogger } from '../../src/logger.ts';
import type { Config } from '../../src/config.ts';
import { DEFAULT_TENANT_ID, ensureTenant, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { ACCOUNT_POLICY, delayAfter } from '../../src/core/sign-in-policy.ts';

const EMAIL = 'throttle-admin@example.com';
const PASSWORD = 'the real admin password';

describe('sign-in delay policy', () => {
  it('is free for three failures, then doubles from 1 s, and locks for 15 minutes at the tenth', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 9, 10, 11].map((n) => delayAfter(n, ACCOUNT_POLICY)), [0, 0, 0, 1000, 2000, 4000, 32_000, 900_000, 900_000]);
  });
});

describe('rate-limit counts claimed in blocks', () => {
  it('two nodes sharing one count: never more than the limit, a write per block, at most a hundredth per node unused', async () => {
    let shared = 0;
    let writes = 0;
    const claim = async (_key: string, windowMs: number, _now: Date, size: number) => {
      writes += 1;
      await new Promise((r) => setImmediate(r));
      shared += size;
      return { hits: shared, ttlMs: windowMs };
    };
    const clock = () => new Date(0);
    const nodes = [new BlockCounter(claim, clock), new BlockCounter(claim, clock)];
    const limit = 1000;
    const counts: number[] = [];
    // Concurrent requests on both nodes, in waves.
    for (let i = 0; i < 1100; i += 50) counts.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => nodes[(i + j) % 2]!.incr('k', 60_000, limit).then((r) => r.current)))));
    assert.equal(new Set(counts).size, counts.length, 'no count handed out twice');
    const admitted = counts.filter((c) => c <= limit).length;
    assert.ok(admitted <= limit && admitted >= limit - 2 * 10, `${admitted} admitted`);
    assert.ok(writes < 150, `${writes} writes for 1,100 requests`);
    // A small limit is counted one by one: exact across nodes.
    shared = 0;
    writes = 0;
    const small = [new BlockCounter(claim, clock), new BlockCounter(claim, clock)];
    const few: number[] = [];
    for (let i = 0; i < 12; i += 1) few.push((await small[i % 2]!.incr('s', 60_000, 10)).current);
    assert.deepEqual(few, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(writes, 12);
  });
});

for (const dialect of DIALECTS) {
  describe(`sign-in throttling and rate limits across nodes on ${dialect}`, () => {
    let shared: Awaited<ReturnType<typeof openSharedStores>>;
    const contexts: AppContext[] = [];
    const servers: FastifyInstance[] = [];
    let now = Date.parse('2026-12-02T10:00:00.000Z');
    const clock = () => new Date(now);
    const config = testConfig();

    /** A node: its own context over one of the two stores, served with the shared test clock. */
    async function node(which: 'a' | 'b', extra: Partial<Config> = {}, options: ServerOptions = {}): Promise<string> {
      const ctx = await createContext({ ...config, ...extra }, createLogger('silent'), { store: shared[which], worker: { schedule: false } });
      contexts.push(ctx);
      const app = await buildServer(ctx, { clock, ...options });
      servers.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    }

    const login = (base: string, password: string, from?: string, email = EMAIL) =>
      fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
        body: JSON.stringify({ email, password }),
      });

    before(async () => {
      shared = await openSharedStores(dialect);
      await ensureTenant(shared.a.db);
      await createAdminUser(shared.a.db, { tenantId: DEFAULT_TENANT_ID, email: EMAIL, password: PASSWORD });
    });
    after(async () => {
      for (const app of servers) await app.close();
      // The contexts share the stores: close their workers and indexers, then the stores once.
      for (const ctx of contexts) await ctx.worker.stop();
      await shared.close();
    });

    it('two nodes on one database allow the same guesses as one: a growing delay, then a lockout after ten', async () => {
      const nodes = [await node('a'), await node('b')];
      await shared.a.db.deleteFrom('sign_in_throttle').execute();
      let failures = 0;
      const waits: number[] = [];
      for (let i = 0; i < 40; i += 1) {
        const res = await login(nodes[i % 2]!, `guess ${i}`);
        if (res.status === 401) {
          failures += 1;
          continue;
        }
        assert.equal(res.status, 429);
        const retryAfter = Number(res.headers.get('retry-after'));
        const body = (await res.json()) as { error: { code: string; details: { retryAfterSeconds: number } } };
        assert.equal(body.error.code, 'too_many_attempts');
        assert.equal(body.error.details.retryAfterSeconds, retryAfter);
        waits.push(retryAfter);
        if (retryAfter >= 600) break;
        now += retryAfter * 1000;
      }
      assert.equal(failures, ACCOUNT_POLICY.lockAt, 'exactly ten guesses in all, whichever node answered');
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 900], 'each wait doubles, then the lockout');
      // Locked: even the right password from that (unfamiliar) address waits, on either node.
      for (const base of nodes) assert.equal((await login(base, PASSWORD)).status, 429);
      now += 15 * 60_000;
      assert.equal((await login(nodes[1]!, PASSWORD)).status, 200, 'the lockout ends');
    });

    it('concurrent guesses on both nodes each take their own slot: no burst past the free ones', async () => {
      const nodes = [await node('a'), await node('b')];
      await shared.a.db.deleteFrom('sign_in_throttle').execute();
      now += 60 * 60_000;
      const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => login(nodes[i % 2]!, `burst ${i}`).then((r) => r.status)));
      const guessed = answers.filter((s) => s === 401).length;
      assert.ok(guessed <= ACCOUNT_POLICY.free + 1, `${guessed} guesses went through at once`);
      assert.equal(answers.filter((s) => s === 429).length, 24 - guessed);
    });

    it('behind a trusted proxy: a flood from other addresses does not lock the admin out of their familiar address', async () => {
      const base = await node('a', { trustProxy: 1 });
      const other = await node('b', { trustProxy: 1 });
      await shared.a.db.deleteFrom('sign_in_throttle').execute();
      now += 60 * 60_000;
      const home = '198.51.100.7';
      assert.equal((await login(base, PASSWORD, home)).status, 200, 'the admin signs in from their usual address');
      // Attackers from many addresses, through both nodes, until the account is locked for them.
      let locked = false;
      for (let i = 0; i < 60 && !locked; i += 1) {
        const res = await login(i % 2 ? other : base, `flood ${i}`, `203.0.113.${(i % 50) + 1}`);
        if (res.status === 429) {
          const wait = Number(res.headers.get('retry-after'));
          if (wait >= 600) locked = true;
          else now += wait * 1000;
        } else assert.equal(res.status, 401);
      }
      assert.ok(locked, 'the flood locked the account for unfamiliar addresses');
      assert.equal((await login(base, PASSWORD, '192.0.2.99')).status, 429, 'a new address waits out the lockout');
      assert.equal((await login(other, PASSWORD, home)).status, 200, 'the familiar address signs in at once, on either node');
      const rows = await shared.a.db.selectFrom('admin_familiar_addresses').selectAll().execute();
      assert.ok(rows.length >= 1);
      assert.equal(JSON.stringify(rows).includes(home), false, 'addresses are stored hashed');
    });

    it("counts each client's own address behind the proxy: one spraying address is stopped, its neighbours are not", async () => {
      const base = await node('a', { trustProxy: 1 });
      await shared.a.db.deleteFrom('sign_in_throttle').execute();
      now += 60 * 60_000;
      const sprayer = '203.0.113.200';
      let stopped = false;
      for (let i = 0; i < 80 && !stopped; i += 1) {
        const res = await login(base, 'password1', sprayer, `user${i}@example.com`);
        if (res.status === 429) {
          const wait = Number(res.headers.get('retry-after'));
          if (wait >= 600) stopped = true;
          else now += wait * 1000;
        }
      }
      assert.ok(stopped, 'the spraying address is locked out');
      assert.equal((await login(base, 'password1', sprayer, 'another@example.com')).status, 429);
      assert.equal((await login(base, 'password1', '203.0.113.201', 'another@example.com')).status, 401, 'a neighbour is only told the password is wrong');
      assert.equal((await login(base, PASSWORD, '203.0.113.202')).status, 200);
      assert.equal((await login(base, 'wrong', '203.0.113.202')).status, 401, 'a sign-in gives its address its slot back');
    });

    it('blocked attempts write nothing, and idle counters are deleted', async () => {
      const base = await node('a');
      await shared.a.db.deleteFrom('sign_in_throttle').execute();
      now += 60 * 60_000;
      for (let i = 0; i < 3; i += 1) assert.equal((await login(base, 'wrong', undefined, `victim${i}@example.com`)).status, 401);
      // Lock the admin's account for this address.
      for (let i = 0; i < 40; i += 1) {
        const res = await login(base, `y${i}`);
        if (res.status !== 429) continue;
        const wait = Number(res.headers.get('retry-after'));
        if (wait >= 600) break;
        now += wait * 1000;
      }
      const rows = () => shared.a.db.selectFrom('sign_in_throttle').selectAll().orderBy('key').execute();
      const locked = JSON.stringify(await rows());
      for (let i = 0; i < 200; i += 1) assert.equal((await login(base, `z${i}`)).status, 429);
      assert.equal(JSON.stringify(await rows()), locked, '200 blocked attempts changed nothing in the database');
      assert.equal(JSON.parse(locked).length, 5, 'three victims, the admin, and the address: one row each');
      now += 60 * 60_000;
      assert.equal((await login(base, 'after the window')).status, 401);
      assert.equal((await rows()).length, 2, 'idle counters deleted; the admin’s and the address’s remain');
    });

    it('rate-limits per API key across nodes with a shared store: 429 with Retry-After, other keys unaffected', async () => {
      const nodes = [await node('a', { rateLimitPerMinute: 10 }, { rateLimitStore: 'database' }), await node('b', { rateLimitPerMinute: 10 }, { rateLimitStore: 'database' })];
      const keys = [generateApiKey(), generateApiKey()];
      for (const key of keys) await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, `limit ${randomBytes(2).toString('hex')}`);
      now += 60 * 60_000;
      const get = (i: number, key: string) => fetch(`${nodes[i % 2]}/api/v1/integrations`, { headers: { authorization: `Bearer ${key}` } });
      for (let i = 0; i < 10; i += 1) {
        const res = await get(i, keys[0]!);
        assert.equal(res.status, 200, `request ${i + 1}`);
        assert.equal(res.headers.get('x-ratelimit-limit'), '10');
      }
      const over = await get(10, keys[0]!);
      assert.equal(over.status, 429, 'the eleventh request, on either node, is over the limit');
      assert.equal(over.headers.get('retry-after'), '60');
      assert.equal(((await over.json()) as { error: { code: string } }).error.code, 'rate_limited');
      assert.equal((await get(11, keys[0]!)).status, 429);
      assert.equal((await get(0, keys[1]!)).status, 200, 'another key has its own budget');
      now += 30_000;
      assert.equal((await get(1, keys[0]!)).headers.get('retry-after'), '30');
      now += 30_000;
      assert.equal((await get(0, keys[0]!)).status, 200, 'a new window');
      // Floods of bad keys from one address are limited too (four times the per-client limit).
      const statuses: number[] = [];
      for (let i = 0; i < 45; i += 1) statuses.push((await fetch(`${nodes[i % 2]}/api/v1/integrations`, { headers: { authorization: 'Bearer not-a-key' } })).status);
      assert.ok(statuses.includes(429), 'bad keys from one address end in 429');
      assert.equal((await fetch(`${nodes[0]}/api/v1/health`)).status, 200, 'the health probe is never limited');
      // Ended windows are purged.
      now += 5 * 60_000;
      assert.equal((await get(0, keys[1]!)).status, 200);
      await new Promise((r) => setTimeout(r, 100));
      const left = await shared.a.db.selectFrom('rate_limit_counters').select('window_ends_at').execute();
      assert.ok(left.every((r) => Date.parse(r.window_ends_at) > now), 'only live windows remain');
    });

    it('a busy key on two nodes is counted in blocks: never more than its limit, at most a hundredth per node left unused', async () => {
      const limit = 1000;
      const nodes = [await node('a', { rateLimitPerMinute: limit }, { rateLimitStore: 'database' }), await node('b', { rateLimitPerMinute: limit }, { rateLimitStore: 'database' })];
      const key = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, `blocks ${randomBytes(2).toString('hex')}`);
      now += 60 * 60_000;
      const statuses: number[] = [];
      const sent = limit + 100;
      for (let i = 0; i < sent; i += 20) {
        const batch = Array.from({ length: 20 }, (_, j) => fetch(`${nodes[(i + j) % 2]}/api/v1/field-priorities`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status));
        statuses.push(...(await Promise.all(batch)));
      }
      const admitted = statuses.filter((s) => s === 200).length;
      assert.deepEqual([...new Set(statuses)].sort(), [200, 429]);
      assert.ok(admitted <= limit, `${admitted} admitted, limit ${limit}`);
      assert.ok(admitted >= limit - 2 * (limit / 100), `${admitted} admitted: at most a hundredth of the limit per node unused`);
      const rows = await shared.a.db.selectFrom('rate_limit_counters').select(['key', 'hits']).where('key', 'like', 'client:key:%').execute();
      const counted = Math.max(...rows.map((r) => Number(r.hits)));
      assert.ok(counted >= sent && counted <= sent + 2 * (limit / 100), `every request counted once, blocks claimed ahead at most a hundredth per node (${counted} for ${sent})`);
      now += 60 * 60_000; // the address's window too: the next test starts afresh
    });

    it('rate-limits on the default store of this dialect too', async () => {
      const base = await node('a', { rateLimitPerMinute: 10 });
      const key = generateApiKey();
      await registerApiKey(shared.a.db, DEFAULT_TENANT_ID, key, 'default store');
      const statuses: number[] = [];
      for (let i = 0; i < 11; i += 1) statuses.push((await fetch(`${base}/api/v1/integrations`, { headers: { authorization: `Bearer ${key}` } })).status);
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200));
      assert.equal(statuses[10], 429);
    });
  });
}
