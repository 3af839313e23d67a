/**
 * HiBob sandbox fault knobs over real HTTP: 429 with and without Retry-After, outages, malformed
 * bodies, slow responses, revoked service users, set in-process and over `/_sandbox/faults`, and
 * the request log.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startHibobSandbox, type HibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';

const basic = (id: string, token: string): string => `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`;
const AUTH = { authorization: basic('svc-a', 'token-a') };

describe('HiBob sandbox faults', () => {
  let sb: HibobSandbox;
  before(async () => {
    sb = await startHibobSandbox({
      employees: 20,
      credentials: [
        { serviceUserId: 'svc-a', token: 'token-a' },
        { serviceUserId: 'svc-b', token: 'token-b' },
      ],
    });
  });
  after(async () => {
    await sb.close();
  });
  afterEach(() => {
    sb.faults.clear();
    sb.faults.clearRequests();
  });

  const lists = async (headers: Record<string, string> = AUTH): Promise<Response> => {
    const res = await fetch(`${sb.url}/v1/company/named-lists/site`, { headers });
    await res.arrayBuffer();
    return res;
  };

  it('rateLimit: 429 with Retry-After when set, without it otherwise, then passes', async () => {
    sb.faults.set({ rateLimit: { count: 1, retryAfter: 2 } });
    const first = await lists();
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '2');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '0');
    sb.faults.set({ rateLimit: { count: 1 } });
    const second = await lists();
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), null);
    assert.ok(second.headers.get('x-ratelimit-reset'));
    assert.equal((await lists()).status, 200);
  });

  it('outage: the given 5xx for N requests', async () => {
    sb.faults.set({ outage: { count: 2, status: 502 } });
    assert.equal((await lists()).status, 502);
    assert.equal((await lists()).status, 502);
    assert.equal((await lists()).status, 200);
  });

  it('malformed: 200 with a truncated JSON body', async () => {
    sb.faults.set({ malformed: { count: 1 } });
    const res = await fetch(`${sb.url}/v1/people/search`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    await assert.rejects(res.json());
  });

  it('revokeKey: that service user gets 401, others still work; cleared over HTTP', async () => {
    const r = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ revokeKey: 'svc-a' }) });
    assert.equal(r.status, 200);
    assert.equal((await lists()).status, 401);
    assert.equal((await lists({ authorization: basic('svc-b', 'token-b') })).status, 200);
    assert.equal((await fetch(`${sb.url}/_sandbox/faults`, { method: 'DELETE' })).status, 204);
    assert.equal((await lists()).status, 200);
  });

  it('slowMs delays answers; bad fault specs are 400', async () => {
    sb.faults.set({ slowMs: 150 });
    const t = performance.now();
    await lists();
    assert.ok(performance.now() - t >= 140);
    const bad = await fetch(`${sb.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ earthquake: true }) });
    assert.equal(bad.status, 400);
    assert.throws(() => sb.faults.set({ outage: { count: 1, status: 418 as 503 } }), /outage.status/);
  });

  it('logs requests with search options, never credentials', async () => {
    await fetch(`${sb.url}/v1/people/search`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: ['root.id'], showInactive: true, humanReadable: 'APPEND' }),
    }).then((r) => r.arrayBuffer());
    const log = (await (await fetch(`${sb.url}/_sandbox/requests`)).json()) as { requests: { path: string; status: number; search?: { showInactive: boolean; employees: number } }[] };
    const entry = log.requests.find((e) => e.path === '/v1/people/search');
    assert.equal(entry?.status, 200);
    assert.deepEqual(entry?.search && { showInactive: entry.search.showInactive, employees: entry.search.employees }, { showInactive: true, employees: sb.roster.size });
    assert.doesNotMatch(JSON.stringify(log), /token-a/);
  });
});
