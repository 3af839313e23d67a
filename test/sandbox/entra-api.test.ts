/**
 * The Entra ID sandbox over real HTTP: the client-credentials token endpoint (AADSTS errors),
 * Graph `/users` ($select, $top, @odata.nextLink, $expand=manager), `/users/delta` (rounds,
 * deltaLink, only selected properties tracked, @removed, manager@delta, $deltaToken=latest, 410
 * syncStateNotFound after a reset or seven days), groups with direct and transitive members
 * (nested, dynamic, service principals), application permissions (Authorization_RequestDenied),
 * throttling with Retry-After and the control surface.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import { generateCompany, todayUtc } from '../../src/providers/bamboohr/sandbox/generator.ts';

type Json = Record<string, any>;
const SELECT = 'id,userPrincipalName,mail,givenName,surname,displayName,jobTitle,department,accountEnabled,employeeId,employeeLeaveDateTime,userType,proxyAddresses';

async function token(sb: EntraSandbox, over: Record<string, string> = {}, tenant = sb.tenantId): Promise<{ status: number; json: Json }> {
  const form = { grant_type: 'client_credentials', client_id: sb.app.clientId, client_secret: sb.app.clientSecret, scope: 'https://graph.microsoft.com/.default', ...over };
  const res = await fetch(`${sb.url}/${tenant}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, json: (await res.json()) as Json };
}

async function bearer(sb: EntraSandbox): Promise<string> {
  const t = await token(sb);
  assert.equal(t.status, 200, JSON.stringify(t.json));
  return t.json['access_token'] as string;
}

async function graph(url: string, accessToken: string): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
}

/** Follows nextLinks to the end; returns the items and the deltaLink when there is one. */
async function follow(first: string, accessToken: string): Promise<{ items: Json[]; deltaLink: string | undefined; pages: number }> {
  const items: Json[] = [];
  let link: string | undefined = first;
  for (let pages = 1; pages < 500; pages++) {
    const r = await graph(link, accessToken);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    items.push(...(r.json['value'] as Json[]));
    link = r.json['@odata.nextLink'] as string | undefined;
    if (!link) return { items, deltaLink: r.json['@odata.deltaLink'] as string | undefined, pages };
  }
  throw new Error('paging never ended');
}

describe('Entra ID sandbox', () => {
  let sb: EntraSandbox;
  let t: string;
  let clock = Date.now();
  before(async () => {
    sb = await startEntraSandbox({ employees: 150, seed: 11, deltaPageSize: 25, now: () => new Date(clock) });
    t = await bearer(sb);
  });
  after(async () => {
    await sb.close();
  });

  it('client credentials: a token for the tenant (by id or domain); AADSTS errors for a wrong secret, tenant, app or scope', async () => {
    assert.equal((await token(sb, {}, 'acme.example')).status, 200);
    const secret = await token(sb, { client_secret: 'wrong' });
    assert.deepEqual([secret.status, secret.json['error'], secret.json['error_codes']], [401, 'invalid_client', [7000215]]);
    assert.match(secret.json['error_description'], /^AADSTS7000215: /);
    const tenant = await token(sb, {}, 'contoso.example');
    assert.deepEqual([tenant.status, tenant.json['error_codes']], [400, [90002]]);
    const app = await token(sb, { client_id: '00000000-0000-4000-8000-000000000000' });
    assert.deepEqual([app.status, app.json['error']], [400, 'unauthorized_client']);
    const scope = await token(sb, { scope: 'User.Read.All' });
    assert.deepEqual([scope.status, scope.json['error']], [400, 'invalid_scope']);
    sb.faults.set({ revokeKey: sb.app.clientSecret });
    try {
      assert.deepEqual((await token(sb)).json['error_codes'], [7000222]);
    } finally {
      sb.faults.clear();
    }
  });

  it('/users: $select and $top pages with @odata.nextLink to the end, each user once; limits and unknown properties are 400', async () => {
    const { items, pages } = await follow(`${sb.url}/v1.0/users?$select=${SELECT}&$top=17`, t);
    assert.equal(items.length, sb.directory.liveUsers().length);
    assert.equal(new Set(items.map((u) => u['id'])).size, items.length);
    assert.ok(pages > 5);
    assert.deepEqual(Object.keys(items[0]!).sort(), SELECT.split(',').sort());
    const big = await graph(`${sb.url}/v1.0/users?$top=1000`, t);
    assert.deepEqual([big.status, big.json['error']['code']], [400, 'Request_BadRequest']);
    const unknown = await graph(`${sb.url}/v1.0/users?$select=id,favouriteColour`, t);
    assert.match(unknown.json['error']['message'], /favouriteColour/);
    const plain = await graph(`${sb.url}/v1.0/users?$top=1`, t);
    assert.ok('userPrincipalName' in plain.json['value'][0] && !('employeeId' in plain.json['value'][0]), 'default properties without $select');
  });

  it('users carry the HR company: work e-mail in mail, the UPN or proxyAddresses; employeeId; leavers disabled with a leave date; guests and resource accounts', async () => {
    const company = generateCompany({ employees: 150, seed: 11, today: todayUtc() });
    const { items } = await follow(`${sb.url}/v1.0/users?$select=${SELECT}&$expand=manager($select=id)&$top=999`, t);
    const keys = (u: Json): string[] => [u['mail'], u['userPrincipalName'], ...(u['proxyAddresses'] as string[]).map((p) => p.slice(5))].filter(Boolean).map((x: string) => x.toLowerCase());
    const index = new Map<string, Json>();
    for (const u of items) for (const k of keys(u)) index.set(k, u);
    const active = company.employees.filter((p) => p.status === 'Active');
    assert.ok(active.filter((p) => index.has(p.workEmail!)).length > active.length * 0.8);
    assert.ok(items.some((u) => u['mail'] && u['mail'] !== u['userPrincipalName']), 'some UPNs differ from mail');
    assert.ok(items.some((u) => u['mail'] && u['mail'] !== u['mail'].toLowerCase()), 'some write mail in another case');
    const leaver = items.find((u) => u['accountEnabled'] === false && u['employeeLeaveDateTime']);
    assert.ok(leaver, 'a disabled leaver with employeeLeaveDateTime');
    assert.ok(items.some((u) => u['userType'] === 'Guest' && u['userPrincipalName'].includes('#EXT#')));
    assert.ok(items.some((u) => u['accountEnabled'] === false && !u['employeeId'] && !u['givenName']), 'disabled resource accounts');
    const withManager = items.find((u) => u['manager']);
    assert.ok(withManager && items.some((u) => u['id'] === withManager['manager']['id']));
    const one = await graph(`${sb.url}/v1.0/users/${withManager['id']}/manager?$select=id,displayName`, t);
    assert.equal(one.json['id'], withManager['manager']['id']);
  });

  it('delta: the first round reads everyone and ends with a deltaLink; the next reads exactly the users whose selected properties changed', async () => {
    const first = await follow(`${sb.url}/v1.0/users/delta?$select=${SELECT},manager`, t);
    assert.equal(first.items.length, sb.directory.liveUsers().length);
    assert.ok(first.deltaLink);
    assert.ok(first.items.some((u) => Array.isArray(u['manager@delta'])));
    const [a, b, c, d] = sb.directory.liveUsers().filter((u) => u.userType === 'Member' && u.accountEnabled);
    sb.directory.updateUser(a!.id, { jobTitle: 'Chief Sandbox Officer' });
    sb.directory.updateUser(b!.id, { city: 'Lyon' }); // not selected: not tracked
    sb.directory.deleteUser(c!.id);
    sb.directory.updateUser(d!.id, { manager: a!.id });
    sb.faults.clearRequests();
    const second = await follow(first.deltaLink!, t);
    assert.equal(sb.faults.requests.length, 1, 'one request for the round');
    const byId = new Map(second.items.map((u) => [u['id'], u]));
    assert.deepEqual([...byId.keys()].sort(), [a!.id, c!.id, d!.id].sort());
    assert.equal(byId.get(a!.id)!['jobTitle'], 'Chief Sandbox Officer');
    assert.equal(byId.get(a!.id)!['mail'], a!.mail, 'every selected property, not only the changed one');
    assert.deepEqual(byId.get(c!.id)!['@removed'], { reason: 'changed' });
    assert.deepEqual(byId.get(d!.id)!['manager@delta'], [{ '@odata.type': '#microsoft.graph.user', id: a!.id }]);
    const third = await follow(second.deltaLink!, t);
    assert.deepEqual(third.items, [], 'nothing changed since');
    sb.directory.purgeUser(c!.id);
    sb.directory.updateUser(d!.id, { manager: null });
    const fourth = await follow(third.deltaLink!, t);
    const removed = new Map(fourth.items.map((u) => [u['id'], u]));
    assert.deepEqual(removed.get(c!.id)!['@removed'], { reason: 'deleted' });
    assert.deepEqual(removed.get(d!.id)!['manager@delta'], [{ '@odata.type': '#microsoft.graph.user', id: a!.id, '@removed': { reason: 'deleted' } }]);
  });

  it('delta: $deltaToken=latest answers no data and a link; a reset or a seven-day-old token answers 410 syncStateNotFound', async () => {
    const latest = await graph(`${sb.url}/v1.0/users/delta?$select=${SELECT}&$deltaToken=latest`, t);
    assert.deepEqual(latest.json['value'], []);
    const link = latest.json['@odata.deltaLink'] as string;
    const someone = sb.directory.liveUsers().find((u) => u.userType === 'Member')!;
    sb.directory.updateUser(someone.id, { department: 'Moved' });
    assert.deepEqual((await follow(link, t)).items.map((u) => u['id']), [someone.id]);
    const rejects = await graph(`${sb.url}/v1.0/users/delta?$top=5`, t);
    assert.equal(rejects.status, 400, '$top is not supported on user delta');
    const before = (await follow(`${sb.url}/v1.0/users/delta?$deltaToken=latest&$select=id,mail`, t)).deltaLink!;
    clock += 8 * 86_400_000;
    t = await bearer(sb);
    const old = await graph(before, t);
    assert.deepEqual([old.status, old.json['error']['code']], [410, 'syncStateNotFound']);
    const fresh = (await follow(`${sb.url}/v1.0/users/delta?$deltaToken=latest&$select=id,mail`, t)).deltaLink!;
    await fetch(`${sb.url}/_sandbox/delta/reset`, { method: 'POST' });
    const reset = await graph(fresh, t);
    assert.equal(reset.status, 410);
    assert.equal(reset.headers.get('location'), `${sb.url}/v1.0/users/delta`);
  });

  it('groups: security groups nest (members of type group), transitiveMembers flattens, dynamic groups follow their rule, service principals are members', async () => {
    const groups = (await follow(`${sb.url}/v1.0/groups?$top=5`, t)).items;
    const tech = groups.find((g) => g['displayName'] === 'Technology')!;
    assert.deepEqual(tech['groupTypes'], []);
    assert.equal(tech['securityEnabled'], true);
    const direct = (await follow(`${sb.url}/v1.0/groups/${tech['id']}/members?$select=id,displayName`, t)).items;
    assert.ok(direct.length > 0 && direct.every((m) => m['@odata.type'] === '#microsoft.graph.group'));
    const flat = (await follow(`${sb.url}/v1.0/groups/${tech['id']}/transitiveMembers?$top=10`, t)).items;
    assert.ok(flat.some((m) => m['@odata.type'] === '#microsoft.graph.user') && flat.some((m) => m['@odata.type'] === '#microsoft.graph.group'));
    const m365 = groups.find((g) => (g['groupTypes'] as string[]).includes('Unified'))!;
    assert.ok(m365['mail']);
    const dynamic = groups.find((g) => (g['groupTypes'] as string[]).includes('DynamicMembership'))!;
    assert.match(dynamic['membershipRule'], /user\.department -eq "Engineering"/);
    const engineers = (await follow(`${sb.url}/v1.0/groups/${dynamic['id']}/members?$select=id,department`, t)).items;
    assert.ok(engineers.length > 0 && engineers.every((u) => u['department'] === 'Engineering'));
    const withSp = [];
    for (const g of groups.filter((x) => String(x['displayName']).startsWith('Abt.'))) {
      const ms = (await follow(`${sb.url}/v1.0/groups/${g['id']}/members`, t)).items;
      if (ms.some((m) => m['@odata.type'] === '#microsoft.graph.servicePrincipal')) withSp.push(g);
    }
    assert.equal(withSp.length, 1);
  });

  it('application permissions: without User.Read.All users are 403; employeeLeaveDateTime needs User-LifeCycleInfo.Read.All; groups need GroupMember.Read.All', async () => {
    const post = (roles: string[]) => fetch(`${sb.url}/_sandbox/apps/${sb.app.clientId}/roles`, { method: 'POST', body: JSON.stringify({ roles }) });
    try {
      await post(['User.Read.All']);
      const limited = await bearer(sb);
      const denied = await graph(`${sb.url}/v1.0/users?$select=id,employeeLeaveDateTime`, limited);
      assert.deepEqual([denied.status, denied.json['error']['code'], denied.json['error']['message']], [403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.']);
      assert.equal((await graph(`${sb.url}/v1.0/users?$select=id,mail`, limited)).status, 200);
      assert.equal((await graph(`${sb.url}/v1.0/groups`, limited)).status, 403);
      await post([]);
      assert.equal((await graph(`${sb.url}/v1.0/users`, await bearer(sb))).status, 403);
    } finally {
      await post(['User.Read.All', 'GroupMember.Read.All', 'User-LifeCycleInfo.Read.All']);
    }
    const none = await fetch(`${sb.url}/v1.0/users`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as Json)['error']['code'], 'InvalidAuthenticationToken');
  });

  it('throttling: 429 TooManyRequests with Retry-After; outages and failing pages; every request logged', async () => {
    sb.faults.clearRequests();
    sb.faults.set({ rateLimit: { count: 1 } });
    const throttled = await graph(`${sb.url}/v1.0/users`, t);
    assert.deepEqual([throttled.status, throttled.json['error']['code'], throttled.headers.get('retry-after')], [429, 'TooManyRequests', '1']);
    sb.faults.set({ failPage: { page: 2, status: 503 } });
    const p1 = await graph(`${sb.url}/v1.0/users?$top=10`, t);
    assert.equal((await graph(p1.json['@odata.nextLink'] as string, t)).status, 503);
    sb.faults.set({ failPage: { page: 2, status: 500 } });
    const d1 = await graph(`${sb.url}/v1.0/users/delta?$select=id`, t);
    assert.equal((await graph(d1.json['@odata.nextLink'] as string, t)).status, 500);
    assert.deepEqual(sb.faults.requests.map((r) => r.status), [429, 200, 503, 200, 500]);
    sb.faults.clear();
  });
});
