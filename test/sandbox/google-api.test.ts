/**
 * The Google Workspace sandbox over real HTTP: the token endpoint (service-account JWT bearer
 * grant with signature, audience, lifetime, delegation and subject checks; refresh tokens), the
 * Directory API's users, groups, members and org units (paging, projections, deleted users,
 * nesting, Google's error format, admin and scope checks), the fault knobs and the control surface.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signAssertion } from '../../src/providers/google/connector/jwt.ts';
import { GOOGLE_READONLY_SCOPES, startGoogleSandbox, type GoogleSandbox } from '../../src/providers/google/sandbox/index.ts';
import { generateCompany, todayUtc } from '../../src/providers/bamboohr/sandbox/generator.ts';

const USER_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const ORGUNIT_SCOPE = 'https://www.googleapis.com/auth/admin.directory.orgunit.readonly';
type Json = Record<string, any>;

async function tokenRequest(sb: GoogleSandbox, form: Record<string, string>): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${sb.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: res.status, json: (await res.json()) as Json };
}

function assertion(sb: GoogleSandbox, over: Partial<Parameters<typeof signAssertion>[0]> = {}): string {
  return signAssertion({ clientEmail: sb.serviceAccount.clientEmail, privateKey: sb.serviceAccount.privateKey, scopes: [...GOOGLE_READONLY_SCOPES], audience: `${sb.url}/token`, subject: sb.adminEmail, ...over });
}

async function accessToken(sb: GoogleSandbox, over: Partial<Parameters<typeof signAssertion>[0]> = {}): Promise<string> {
  const r = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, over) });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json['access_token'] as string;
}

async function api(sb: GoogleSandbox, token: string, path: string): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${sb.url}/admin/directory/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
}

async function allUsers(sb: GoogleSandbox, token: string, query: string): Promise<Json[]> {
  const out: Json[] = [];
  let pageToken = '';
  for (let i = 0; i < 100; i++) {
    const r = await api(sb, token, `/users?${query}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    out.push(...((r.json['users'] as Json[] | undefined) ?? []));
    if (!r.json['nextPageToken']) return out;
    pageToken = r.json['nextPageToken'] as string;
  }
  throw new Error('paging never ended');
}

describe('Google Workspace sandbox', () => {
  let sb: GoogleSandbox;
  let token: string;
  before(async () => {
    sb = await startGoogleSandbox({ employees: 120, seed: 11 });
    token = await accessToken(sb);
  });
  after(async () => {
    await sb.close();
  });

  describe('token endpoint', () => {
    it('grants a token to a JWT signed with the service account key, acting as the admin', async () => {
      const r = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb) });
      assert.equal(r.status, 200);
      assert.equal(r.json['token_type'], 'Bearer');
      assert.ok(Number(r.json['expires_in']) > 3000);
    });

    it('refuses a JWT signed with another key, for another audience, or living longer than an hour', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const bad = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, { privateKey: other }) });
      assert.deepEqual([bad.status, bad.json['error'], bad.json['error_description']], [400, 'invalid_grant', 'Invalid JWT Signature.']);
      const aud = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, { audience: 'https://example.com/token' }) });
      assert.equal(aud.json['error'], 'invalid_grant');
      const old = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, { now: new Date(Date.now() - 2 * 3600_000) }) });
      assert.match(String(old.json['error_description']), /short-lived token/);
      const stranger = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, { clientEmail: 'nobody@x.iam.gserviceaccount.com' }) });
      assert.equal(stranger.json['error'], 'invalid_grant');
    });

    it('refuses scopes not granted under domain-wide delegation, and a subject outside the domain', async () => {
      const scope = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, { scopes: ['https://www.googleapis.com/auth/admin.directory.user'] }) });
      assert.equal(scope.status, 401);
      assert.equal(scope.json['error'], 'unauthorized_client');
      assert.match(String(scope.json['error_description']), /not authorized for any of the scopes requested/);
      const sub = await tokenRequest(sb, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(sb, { subject: 'ghost@acme.example' }) });
      assert.deepEqual([sub.status, sub.json['error_description']], [400, 'Invalid email or User ID']);
    });

    it('refreshes with an OAuth client and its refresh token; a wrong secret or a revoked token is refused', async () => {
      const ok = await tokenRequest(sb, { grant_type: 'refresh_token', client_id: sb.oauthClient.clientId, client_secret: sb.oauthClient.clientSecret, refresh_token: sb.refreshToken });
      assert.equal(ok.status, 200);
      assert.equal((await api(sb, ok.json['access_token'] as string, '/users?customer=my_customer&maxResults=1')).status, 200);
      const secret = await tokenRequest(sb, { grant_type: 'refresh_token', client_id: sb.oauthClient.clientId, client_secret: 'nope', refresh_token: sb.refreshToken });
      assert.deepEqual([secret.status, secret.json['error']], [401, 'invalid_client']);
      sb.faults.set({ revokeKey: sb.refreshToken });
      try {
        const revoked = await tokenRequest(sb, { grant_type: 'refresh_token', client_id: sb.oauthClient.clientId, client_secret: sb.oauthClient.clientSecret, refresh_token: sb.refreshToken });
        assert.deepEqual([revoked.status, revoked.json['error'], revoked.json['error_description']], [400, 'invalid_grant', 'Token has been expired or revoked.']);
        assert.equal((await api(sb, ok.json['access_token'] as string, '/users?customer=my_customer')).status, 401, 'its access tokens die with it');
      } finally {
        sb.faults.clear();
      }
    });
  });

  describe('users.list', () => {
    it('needs customer or domain, and keeps maxResults within 1–500 — in Google\'s error format', async () => {
      const none = await api(sb, token, '/users');
      assert.equal(none.status, 400);
      assert.deepEqual(Object.keys(none.json['error']).sort(), ['code', 'errors', 'message', 'status']);
      assert.equal(none.json['error']['errors'][0]['domain'], 'global');
      const big = await api(sb, token, '/users?customer=my_customer&maxResults=501');
      assert.equal(big.status, 400);
      assert.match(big.json['error']['message'], /\[1, 500\]/);
      assert.equal((await api(sb, token, '/users?customer=C99other')).status, 403);
    });

    it('pages with pageToken to the end, each live user once, and customer or domain give the same people', async () => {
      const live = sb.directory.allUsers().filter((u) => !u.deletionTime);
      const paged = await allUsers(sb, token, 'customer=my_customer&maxResults=7&projection=full');
      assert.equal(paged.length, live.length);
      assert.equal(new Set(paged.map((u) => u['id'])).size, live.length);
      const byDomain = await allUsers(sb, token, 'domain=acme.example&maxResults=500');
      assert.deepEqual(byDomain.map((u) => u['id']).sort(), paged.map((u) => u['id']).sort());
    });

    it('orders by email ascending and descending', async () => {
      const asc = (await allUsers(sb, token, 'customer=my_customer&orderBy=email&maxResults=13')).map((u) => u['primaryEmail'] as string);
      assert.deepEqual(asc, [...asc].sort());
      const desc = (await allUsers(sb, token, 'customer=my_customer&orderBy=email&sortOrder=DESCENDING&maxResults=500')).map((u) => u['primaryEmail'] as string);
      assert.deepEqual(desc, [...asc].reverse());
    });

    it('draws people from the same company as a BambooHR sandbox with the same seed: same work e-mail, same employee number', async () => {
      const company = generateCompany({ employees: 120, seed: 11, today: todayUtc() });
      const users = await allUsers(sb, token, 'customer=my_customer&projection=full&maxResults=500');
      const byEmail = new Map<string, Json>(users.flatMap((u): [string, Json][] => [[u['primaryEmail'] as string, u], ...((u['aliases'] as string[] | undefined) ?? []).map((a): [string, Json] => [a, u])]));
      const active = company.employees.filter((p) => p.status === 'Active');
      const found = active.filter((p) => byEmail.has(p.workEmail!));
      assert.ok(found.length > active.length * 0.8, `${found.length} of ${active.length} active people have an account`);
      for (const p of found) {
        const ids = byEmail.get(p.workEmail!)!['externalIds'] as { type: string; value: string }[];
        assert.deepEqual(ids, [{ value: p.employeeNumber, type: 'organization' }]);
      }
    });

    it('full projection: name, organizations, relations (manager), org unit path, suspended and archived users', async () => {
      const users = await allUsers(sb, token, 'customer=my_customer&projection=full&maxResults=500');
      const staff = users.find((u) => (u['relations'] as Json[] | undefined)?.some((r) => r['type'] === 'manager'))!;
      assert.ok(staff['name']['givenName'] && staff['name']['familyName']);
      assert.match(staff['orgUnitPath'], /^\/[^/]+\/[^/]+$/);
      assert.ok(users.some((u) => u['primaryEmail'] === staff['relations'][0]['value']), 'the manager is a user');
      assert.equal(staff['organizations'][0]['primary'], true);
      assert.ok(users.some((u) => u['suspended'] === true), 'leavers are suspended');
      assert.ok(users.some((u) => u['archived'] === true), 'some are archived');
      assert.ok(users.some((u) => (u['aliases'] as string[] | undefined)?.length), 'some kept an old address as an alias');
    });

    it('showDeleted=true lists only deleted users, with their deletion time', async () => {
      const victim = sb.directory.addUser({ primaryEmail: 'leaving.soon@acme.example', givenName: 'Leaving', familyName: 'Soon' });
      sb.directory.deleteUser(victim.id);
      const deleted = await allUsers(sb, token, 'customer=my_customer&showDeleted=true');
      assert.ok(deleted.length >= 1);
      assert.ok(deleted.every((u) => typeof u['deletionTime'] === 'string'));
      assert.ok(deleted.some((u) => u['id'] === victim.id));
      const live = await allUsers(sb, token, 'customer=my_customer&maxResults=500');
      assert.ok(!live.some((u) => u['id'] === victim.id));
    });

    it('answers only administrators, with the scopes the method lists', async () => {
      const staff = sb.directory.allUsers().find((u) => !u.isAdmin && !u.suspended && !u.deletionTime && u.employeeNumber)!;
      const notAdmin = await api(sb, await accessToken(sb, { subject: staff.primaryEmail }), '/users?customer=my_customer');
      assert.deepEqual([notAdmin.status, notAdmin.json['error']['message']], [403, 'Not Authorized to access this resource/api']);
      const orgOnly = await api(sb, await accessToken(sb, { scopes: [ORGUNIT_SCOPE] }), '/users?customer=my_customer');
      assert.deepEqual([orgOnly.status, orgOnly.json['error']['errors'][0]['reason']], [403, 'insufficientPermissions']);
      const noToken = await fetch(`${sb.url}/admin/directory/v1/users?customer=my_customer`);
      assert.equal(noToken.status, 401);
      assert.equal(((await noToken.json()) as Json)['error']['status'], 'UNAUTHENTICATED');
      assert.equal((await api(sb, await accessToken(sb, { scopes: [USER_SCOPE] }), '/users?customer=my_customer&maxResults=1')).status, 200);
    });
  });

  describe('groups, members and org units', () => {
    it('division groups hold department groups (members of type GROUP); a department group holds users', async () => {
      const groups = (await api(sb, token, '/groups?customer=my_customer')).json['groups'] as Json[];
      const tech = groups.find((g) => g['name'] === 'Technology')!;
      const members = (await api(sb, token, `/groups/${tech['id']}/members`)).json['members'] as Json[];
      assert.ok(members.length > 0 && members.every((m) => m['type'] === 'GROUP'));
      const dept = members[0]!;
      const people = (await api(sb, token, `/groups/${encodeURIComponent(dept['email'])}/members?maxResults=200`)).json['members'] as Json[];
      assert.ok(people.every((m) => m['type'] === 'USER' && m['kind'] === 'admin#directory#member' && ['ACTIVE', 'SUSPENDED'].includes(m['status'])));
      const derived = (await api(sb, token, `/groups/${tech['id']}/members?includeDerivedMembership=true`)).json['members'] as Json[];
      assert.ok(derived.some((m) => m['type'] === 'USER'), 'derived membership reaches the people of nested groups');
    });

    it('members page with maxResults ≤ 200 and pageToken; other member types are listed as they are', async () => {
      const leaders = sb.directory.group('leaders@acme.example')!;
      const seen: string[] = [];
      let pageToken = '';
      do {
        const r = await api(sb, token, `/groups/${leaders.id}/members?maxResults=3${pageToken ? `&pageToken=${pageToken}` : ''}`);
        seen.push(...((r.json['members'] as Json[] | undefined) ?? []).map((m) => m['id'] as string));
        pageToken = (r.json['nextPageToken'] as string | undefined) ?? '';
      } while (pageToken);
      assert.equal(new Set(seen).size, leaders.members.length);
      assert.equal((await api(sb, token, `/groups/${leaders.id}/members?maxResults=201`)).status, 400);
      const all = (await api(sb, token, '/groups/all-staff@acme.example/members')).json['members'] as Json[];
      assert.deepEqual(all.map((m) => m['type']), ['CUSTOMER']);
      const partners = (await api(sb, token, '/groups/partners@acme.example/members')).json['members'] as Json[];
      assert.ok(partners.some((m) => m['email'] === 'maria.rossi@partner.example'), 'an external member');
    });

    it('org units: children by default, every unit with type=all', async () => {
      const children = (await api(sb, token, '/customer/my_customer/orgunits')).json['organizationUnits'] as Json[];
      assert.ok(children.every((o) => o['parentOrgUnitPath'] === '/'));
      const all = (await api(sb, token, '/customer/my_customer/orgunits?type=all')).json['organizationUnits'] as Json[];
      assert.ok(all.length > children.length);
      assert.ok(all.every((o) => typeof o['orgUnitId'] === 'string' && o['orgUnitPath'].startsWith('/')));
    });
  });

  describe('faults and control', () => {
    it('429 with and without Retry-After, outages, a failing or malformed page, short pages; every request logged', async () => {
      sb.faults.clearRequests();
      sb.faults.set({ rateLimit: { count: 1 } });
      const plain = await api(sb, token, '/users?customer=my_customer');
      assert.deepEqual([plain.status, plain.headers.get('retry-after'), plain.json['error']['status']], [429, null, 'RESOURCE_EXHAUSTED']);
      sb.faults.set({ rateLimit: { count: 1, retryAfter: 2 } });
      assert.equal((await api(sb, token, '/users?customer=my_customer')).headers.get('retry-after'), '2');
      sb.faults.set({ rateLimit: { count: 1, retryAfter: 2, retryAfterDate: true } });
      assert.match((await api(sb, token, '/users?customer=my_customer')).headers.get('retry-after') ?? '', /GMT$/);
      sb.faults.set({ outage: { count: 1, status: 502 } });
      assert.equal((await api(sb, token, '/users?customer=my_customer')).status, 502);
      sb.faults.set({ failPage: { page: 2, status: 503 } });
      const first = await api(sb, token, '/users?customer=my_customer&maxResults=5');
      assert.equal((await api(sb, token, `/users?customer=my_customer&maxResults=5&pageToken=${first.json['nextPageToken']}`)).status, 503);
      sb.faults.set({ shortPages: true });
      const short = await api(sb, token, '/users?customer=my_customer&maxResults=10');
      assert.ok((short.json['users'] as Json[]).length < 10 && short.json['nextPageToken']);
      sb.faults.set({ shortPages: false, malformed: { count: 1 } });
      const broken = await fetch(`${sb.url}/admin/directory/v1/users?customer=my_customer`, { headers: { authorization: `Bearer ${token}` } });
      await assert.rejects(broken.json());
      const paths = sb.faults.requests.map((r) => `${r.status} ${r.path}`);
      assert.ok(paths.includes('429 /admin/directory/v1/users') && paths.includes('503 /admin/directory/v1/users'));
      sb.faults.clear();
    });

    it('the control surface adds, changes, suspends and deletes users and groups, and hands out demo credentials', async () => {
      const post = (path: string, body: unknown, method = 'POST') => fetch(`${sb.url}/_sandbox${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const created = (await (await post('/users', { primaryEmail: 'new.hire@acme.example', givenName: 'New', familyName: 'Hire', employeeNumber: '99001' })).json()) as Json;
      assert.equal((await post(`/users/${created['id']}/suspend`, {})).status, 200);
      assert.equal(sb.directory.user('new.hire@acme.example')?.suspended, true);
      const renamed = (await (await post(`/users/new.hire@acme.example`, { primaryEmail: 'n.hire@acme.example' }, 'PATCH')).json()) as Json;
      assert.deepEqual(renamed['aliases'], ['new.hire@acme.example'], 'the old address stays an alias');
      assert.equal((await post('/groups', { email: 'team-x@acme.example', name: 'Team X' })).status, 201);
      assert.equal((await post('/groups/team-x@acme.example/members', { email: 'n.hire@acme.example' })).status, 201);
      assert.equal((await post('/groups/team-x@acme.example/members', { email: 'technology@acme.example' })).status, 201);
      const cycle = await post('/groups/technology@acme.example/members', { email: 'team-x@acme.example' });
      assert.equal(cycle.status, 400, 'a membership cycle is refused');
      assert.equal((await post('/users/nobody@acme.example', { title: 'x' }, 'PATCH')).status, 404);
      assert.equal((await post(`/users/${created['id']}`, { nope: 1 }, 'PATCH')).status, 400);
      const creds = (await (await fetch(`${sb.url}/_sandbox/credentials`)).json()) as Json;
      assert.match(creds['serviceAccount']['privateKey'], /BEGIN PRIVATE KEY/);
      assert.equal(creds['subject'], sb.adminEmail);
    });
  });
});
