/**
 * BambooHR sandbox fault knobs over real HTTP: rate limits (429 and the older 503), outages,
 * failing and malformed dataset pages, slow responses, revoked keys, short pages, and the
 * request log, set in-process and over `/_sandbox/faults`.
 */
import assert from 'node:assert/strict';
import { afterEach, after, before, describe, it } from 'node:test';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';

const basic = (key: string): string => `Basic ${Buffer.from(`${key}:x`).toString('base64')}`;
const AUTH = { authorization: basic('sandbox-key') };

interface DatasetPage {
  data: Record<string, string | null>[];
  pagination: { total_records: number; current_page: number; total_pages: number; next_page: string | null; prev_page: string | null };
}

describe('BambooHR sandbox faults', () => {
  let sb: BambooSandbox;
  before(async () => {
    sb = await startBambooSandbox({ employees: 64, seed: 5, apiKeys: ['sandbox-key', 'other-key'] });
  });
  after(async () => {
    await sb.close();
  });
  afterEach(() => {
    sb.faults.clear();
    sb.faults.clearRequests();
  });

  const get = (path = '/api/v1/meta/fields', headers: Record<string, string> = AUTH): Promise<Response> => fetch(`${sb.url}${path}`, { headers });
  const page = (n: number, size = 10): Promise<Response> =>
    fetch(`${sb.url}/api/v1/datasets/employee?page=${n}&page_size=${size}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: ['employeeId', 'firstName'] }),
    });
  const drain = async (res: Response): Promise<Response> => {
    await res.arrayBuffer();
    return res;
  };

  it('rateLimit: the next N requests get 429 with Retry-After in seconds, then it passes', async () => {
    sb.faults.set({ rateLimit: { count: 2, retryAfter: 3 } });
    for (let i = 0; i < 2; i++) {
      const res = await drain(await get());
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '3');
      assert.ok(res.headers.get('x-bamboohr-error-message'));
    }
    assert.equal((await drain(await get())).status, 200);
    assert.equal(sb.faults.active.rateLimit, null, 'consumed');
  });

  it('rateLimit: 503 (pre-2026-09-16 behaviour) and an HTTP-date Retry-After', async () => {
    sb.faults.set({ rateLimit: { count: 1, retryAfter: 120, status: 503, retryAfterDate: true } });
    const res = await drain(await get());
    assert.equal(res.status, 503);
    const when = Date.parse(res.headers.get('retry-after') ?? '');
    assert.ok(Number.isFinite(when), 'an HTTP-date');
    assert.ok(when > Date.now() + 100_000 && when < Date.now() + 130_000);
    assert.match(res.headers.get('retry-after') ?? '', /GMT$/);
    assert.equal((await drain(await get())).status, 200);
  });

  it('rate limits apply before auth (even an unauthenticated request is throttled)', async () => {
    sb.faults.set({ rateLimit: { count: 1, retryAfter: 1 } });
    assert.equal((await drain(await get('/api/v1/meta/fields', {}))).status, 429);
    assert.equal((await drain(await get('/api/v1/meta/fields', {}))).status, 401);
  });

  it('outage: the next N requests fail with the chosen status', async () => {
    sb.faults.set({ outage: { count: 2, status: 502 } });
    assert.equal((await drain(await get())).status, 502);
    assert.equal((await drain(await page(1))).status, 502);
    assert.equal((await drain(await get())).status, 200);
    sb.faults.set({ outage: { count: 1 } });
    const res = await drain(await get());
    assert.equal(res.status, 503, 'default outage status');
    assert.ok(res.headers.get('x-bamboohr-error-message'));
  });

  it('failPage: one dataset page fails (times), the others and the retry succeed', async () => {
    sb.faults.set({ failPage: { page: 2, status: 500, times: 2 } });
    assert.equal((await drain(await page(1))).status, 200);
    const failed = await drain(await page(2));
    assert.equal(failed.status, 500);
    assert.match(failed.headers.get('x-bamboohr-error-message') ?? '', /page 2/);
    assert.equal((await drain(await page(2))).status, 500, 'second time');
    assert.equal((await drain(await page(2))).status, 200, 'consumed');
    assert.equal((await drain(await page(3))).status, 200);
  });

  it('failPage malformed: 200 with truncated JSON', async () => {
    sb.faults.set({ failPage: { page: 1, malformed: true } });
    const res = await page(1);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.startsWith('{"data":['));
    assert.throws(() => JSON.parse(text), SyntaxError);
    const ok = (await (await page(1)).json()) as DatasetPage;
    assert.equal(ok.data.length, 10);
  });

  it('slowMs delays every API response until cleared', async () => {
    sb.faults.set({ slowMs: 150 });
    const t = performance.now();
    assert.equal((await drain(await get())).status, 200);
    assert.ok(performance.now() - t >= 140, 'delayed');
    // Cleared after a minute-long delay: the next answer comes long before that minute would end
    // (a margin no loaded machine reaches, so the check cannot flake).
    sb.faults.set({ slowMs: 60_000 });
    sb.faults.set({ slowMs: 0 });
    const res = await fetch(`${sb.url}/api/v1/meta/fields`, { headers: AUTH, signal: AbortSignal.timeout(30_000) });
    assert.equal((await drain(res)).status, 200, 'not delayed any more');
  });

  it('revokeKey refuses that key with 401 until cleared; other keys still work', async () => {
    sb.faults.set({ revokeKey: 'sandbox-key' });
    const res = await drain(await get());
    assert.equal(res.status, 401);
    assert.match(res.headers.get('x-bamboohr-error-message') ?? '', /revoked/i);
    assert.equal((await drain(await get('/api/v1/meta/fields', { authorization: basic('other-key') }))).status, 200);
    assert.equal((await drain(await get())).status, 401, 'stays revoked');
    sb.faults.clear();
    assert.equal((await drain(await get())).status, 200);
  });

  it('shortPages: pages hold fewer rows than page_size, pagination still leads to everyone exactly once', async () => {
    sb.faults.set({ shortPages: true });
    const ids: string[] = [];
    const sizes: number[] = [];
    let url: string | null = `${sb.url}/api/v1/datasets/employee?page=1&page_size=7`;
    let totalPages = 0;
    while (url) {
      const res: Response = await fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify({ fields: ['employeeId'] }) });
      assert.equal(res.status, 200);
      const body = (await res.json()) as DatasetPage;
      totalPages = body.pagination.total_pages;
      sizes.push(body.data.length);
      ids.push(...body.data.map((r) => r['employeeId'] as string));
      if (body.pagination.next_page) assert.ok(body.data.length <= 7);
      url = body.pagination.next_page;
    }
    assert.deepEqual(ids, sb.roster.list().map((e) => e.id), 'everyone once, in order');
    assert.ok(sizes.slice(0, -1).some((n) => n < 7), 'some non-final page is short');
    assert.ok(sizes[0] !== undefined && sizes[0] < 7, 'the first page is already short');
    assert.ok(totalPages > Math.ceil(64 / 7), 'more pages than total/page_size');
    assert.equal(totalPages, sizes.length);
  });

  it('records every API request (method, path, query, status)', async () => {
    await drain(await get('/api/v1/meta/lists'));
    await drain(await page(2, 5));
    await drain(await get('/api/v1/employees/1', {}));
    await drain(await fetch(`${sb.url}/_sandbox/state`));
    const log = sb.faults.requests.map(({ method, path, query, status }) => ({ method, path, query, status }));
    assert.deepEqual(log, [
      { method: 'GET', path: '/api/v1/meta/lists', query: '', status: 200 },
      { method: 'POST', path: '/api/v1/datasets/employee', query: '?page=2&page_size=5', status: 200 },
      { method: 'GET', path: '/api/v1/employees/1', query: '', status: 401 },
    ]);
    assert.ok(sb.faults.requests.every((r) => typeof r.ms === 'number' && !Number.isNaN(Date.parse(r.at))));
  });

  it('is controllable over HTTP: POST /_sandbox/faults sets, DELETE clears, bad input is 400', async () => {
    const set = await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outage: { count: 5, status: 504 }, revokeKey: 'other-key' }),
    });
    assert.equal(set.status, 200);
    const state = (await set.json()) as { outage: { count: number; status: number }; revokedKeys: string[] };
    assert.deepEqual(state.outage, { count: 5, status: 504 });
    assert.deepEqual(state.revokedKeys, ['other-key']);
    assert.equal((await drain(await get())).status, 504);
    const cleared = await drain(await fetch(`${sb.url}/_sandbox/faults`, { method: 'DELETE' }));
    assert.equal(cleared.status, 204);
    assert.equal((await drain(await get())).status, 200);
    assert.equal((await drain(await get('/api/v1/meta/fields', { authorization: basic('other-key') }))).status, 200);

    for (const bad of [{ rateLimit: { count: 'many' } }, { rateLimit: { count: 1, status: 418 } }, { failPage: { page: 0 } }, { slowMs: -5 }, { shortPages: 'yes' }]) {
      const res = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.ok(((await res.json()) as { error: { message: string } }).error.message.length > 0);
    }
    assert.throws(() => sb.faults.set({ outage: { count: 1, status: 501 as 500 } }), /outage.status/);
  });
});
