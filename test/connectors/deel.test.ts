/**
 * Deel: the connector against its sandbox (offset paging by rows received, typed e-mails,
 * hiring statuses and last days, departments with their parent, managers, custom fields), and end
 * to end: contractors in or out by a scope rule, OAuth in the browser (HTTP Basic client
 * authentication) and a headless grant import.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { collect, rejection } from '../helpers/connectors.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { followAuthorize, freePort } from '../helpers/oauth-browser.ts';
import type { ConnectorOptions } from '../../src/connectors/types.ts';
import { applyMapping } from '../../src/core/mapping.ts';
import { createDeelConnector } from '../../src/providers/deel/connector/connector.ts';
import { deel as DEEL } from '../../src/providers/deel/descriptor.ts';
import { SANDBOX_TOKEN, startDeelSandbox, type DeelSandbox } from '../../src/providers/deel/sandbox/server.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('Deel connector', () => {
  let sb: DeelSandbox;
  const opts = (extra: Partial<ConnectorOptions> = {}): ConnectorOptions => ({ settings: { baseUrl: sb.url }, credentials: { apiToken: SANDBOX_TOKEN }, http: FAST_HTTP, ...extra });

  before(async () => {
    sb = await startDeelSandbox({ employees: 300, seed: 6 });
  });
  after(async () => {
    await sb.close();
  });

  it('pages by offset, advancing by the rows received when pages are shorter than the limit', async () => {
    sb.faults.set({ shortPages: true });
    sb.faults.clearRequests();
    try {
      const c = await collect((await createDeelConnector(opts()).fetchAll()).pages);
      assert.equal(c.records.length, sb.roster.size);
      assert.equal(new Set(c.records.map((r) => r.externalId)).size, sb.roster.size);
      const offsets = sb.faults.requests.filter((r) => r.path === '/rest/v2/people').map((r) => Number(new URLSearchParams(r.query).get('offset')));
      assert.deepEqual(offsets.slice(0, 3), [0, 70, 140], 'the next offset is the last plus the 70 rows received, not plus the limit of 100');
      assert.equal(new URLSearchParams(sb.faults.requests.find((r) => r.path === '/rest/v2/people')!.query).get('limit'), '100');
    } finally {
      sb.faults.clear();
    }
  });

  it('only the work e-mail is read as the work e-mail; personal data is never in the default mapping', async () => {
    const none = sb.roster.add({ first_name: 'Nina', last_name: 'Private', workEmail: null, personalEmail: 'nina@gmail.example' });
    try {
      const c = await collect((await createDeelConnector(opts()).fetchAll()).pages);
      const nina = c.records.find((r) => r.externalId === none.id)!;
      assert.equal(nina.attributes['workEmail'], undefined, 'the primary address is personal here: not a work e-mail');
      assert.equal(nina.attributes['personalEmail'], 'nina@gmail.example');
      assert.equal(applyMapping(nina, DEEL.defaultMapping).email, undefined);
      for (const [key] of Object.entries(DEEL.defaultMapping)) assert.notEqual(DEEL.fields.find((f) => f.key === key)?.personal, true);
      const someone = sb.roster.list().find((p) => p.workEmail && p.personalEmail)!;
      assert.equal(c.records.find((r) => r.externalId === someone.id)!.attributes['workEmail'], someone.workEmail);
    } finally {
      sb.roster.remove(none.id);
    }
  });

  it('hiring status and last day; the department with its parent; the direct manager; custom fields when mapped', async () => {
    const leaving = sb.roster.add({ first_name: 'Lea', last_name: 'Leaving', workEmail: 'lea@acme.example', start_date: day(-200), termination_last_day: day(12) });
    const left = sb.roster.add({ first_name: 'Leo', last_name: 'Left', workEmail: 'leo@acme.example', start_date: day(-200), termination_last_day: day(-2) });
    const coming = sb.roster.add({ first_name: 'Noa', last_name: 'Coming', workEmail: 'noa@acme.example', start_date: day(15) });
    try {
      const c = await collect((await createDeelConnector(opts({ fields: ['customField.Cost code'] })).fetchAll()).pages);
      const by = (id: string) => c.records.find((r) => r.externalId === id)!;
      assert.deepEqual([by(leaving.id).lifecycle.active, by(leaving.id).attributes['hiringStatus'], by(leaving.id).lifecycle.terminationDate], [true, 'offboarding', day(12)]);
      assert.deepEqual([by(left.id).lifecycle.active, by(left.id).attributes['hiringStatus']], [false, 'inactive']);
      assert.deepEqual([by(coming.id).lifecycle.active, by(coming.id).attributes['hiringStatus']], [false, 'onboarding']);
      const nested = c.records.find((r) => r.attributes['parentDepartment'] && r.attributes['managerId'])!;
      assert.ok(nested, 'someone has a department with a parent, and a manager');
      assert.equal(applyMapping(nested, DEEL.defaultMapping).division, nested.attributes['parentDepartment']);
      assert.ok(c.records.some((r) => r.externalId === nested.attributes['managerId']));
      assert.ok(c.records.some((r) => /^CC-/.test(r.attributes['customField.Cost code'] ?? '')), 'custom fields read when mapped');
      const plain = await collect((await createDeelConnector(opts()).fetchAll()).pages);
      assert.ok(plain.records.every((r) => r.attributes['customField.Cost code'] === undefined), 'and not otherwise (no per-person calls)');
      const fields = await createDeelConnector(opts()).fetchFields!();
      assert.ok(fields.some((f) => f.key === 'customField.Cost code'));
    } finally {
      for (const p of [leaving, left, coming]) sb.roster.remove(p.id);
    }
  });

  it('a 403 names the missing scope in Deel\'s own words', async () => {
    sb.faults.set({ forbidden: true });
    try {
      const err = await rejection(createDeelConnector(opts()).checkConnection());
      assert.equal(err.code, 'missing_permission');
      assert.equal(err.providerMessage, 'Missing scope: people:read');
    } finally {
      sb.faults.clear();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`Deel end to end on ${dialect}`, () => {
    let sb: DeelSandbox;
    let ctx: AppContext;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const tenantId = DEFAULT_TENANT_ID;
    const client = { clientId: 'deel-app', clientSecret: 'deel-app-secret-0123456789', redirectUris: [] as string[] };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const emailsOf = async (integrationId: string) => {
      const rows = await ctx.store.db.selectFrom('employee_links as l').innerJoin('employees as e', 'e.id', 'l.employee_id').select(['e.fields']).where('l.integration_id', '=', integrationId).execute();
      return rows.map((r) => (JSON.parse(r.fields) as Record<string, string>)['email']);
    };

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      client.redirectUris.push(`${base}/api/v1/oauth/callback/deel`);
      sb = await startDeelSandbox({ employees: 40, seed: 12, oauthClients: [client] });
      ctx = await createContext({ ...testConfig(), port, publicUrl: base, oauthClients: { deel: client } }, createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
      ctx.worker.start();
      key = generateApiKey();
      await registerApiKey(ctx.store.db, tenantId, key, 'test');
      app = await buildServer(ctx);
      await app.listen({ port, host: '127.0.0.1' });
    });
    after(async () => {
      await app.close();
      await ctx.close();
      await sb.close();
    });

    it('contractors are in or out by a scope rule', async () => {
      const contractors = sb.roster.list().filter((p) => p.hiring_type === 'contractor' && p.workEmail && p.hiring_status !== 'inactive');
      assert.ok(contractors.length > 0, 'the sandbox has contractors');
      const created = await call('POST', '/integrations', { provider: 'deel', settings: { baseUrl: sb.url }, credentials: { apiToken: SANDBOX_TOKEN } });
      assert.equal(created.body.connection.status, 'connected', JSON.stringify(created.body));
      const id = created.body.id as string;
      const scope = { groups: [{ name: 'Employees only', conditions: [{ field: 'employmentType', operator: 'notIn', values: ['contractor'] }] }] };
      assert.equal((await call('PATCH', `/integrations/${id}`, { userSync: { enabled: true, scope } })).status, 200);
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).executeTakeFirstOrThrow();
      assert.equal((await waitForRun(ctx.engine, tenantId, first.id)).status, 'succeeded');
      const without = await emailsOf(id);
      assert.ok(contractors.every((c) => !without.includes(c.workEmail!)), 'no contractor synced');
      assert.equal((await call('PATCH', `/integrations/${id}`, { userSync: { scope: { groups: [] } } })).status, 200);
      const run = await waitForRun(ctx.engine, tenantId, (await call('POST', `/integrations/${id}/sync`, { mode: 'full' })).body.runId);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const withThem = await emailsOf(id);
      assert.ok(contractors.every((c) => withThem.includes(c.workEmail!)), 'contractors synced once the rule is gone');
      await call('DELETE', `/integrations/${id}`);
    });

    it('connects by OAuth in the browser (Basic client authentication) and by importing a grant', async () => {
      const created = await call('POST', '/integrations', { provider: 'deel', name: 'Deel (OAuth)', settings: { baseUrl: sb.url, authBaseUrl: sb.url } });
      const id = created.body.id as string;
      const started = await call('POST', `/integrations/${id}/connect`, {});
      assert.equal(new URL(started.body.authorizeUrl).pathname, '/oauth2/authorize');
      const { callbackUrl } = await followAuthorize(started.body.authorizeUrl, `${base}/api/v1/oauth/callback/deel`);
      const done = await fetch(callbackUrl!, { headers: { accept: 'application/json' } });
      assert.equal(done.status, 200, await done.clone().text());
      const tokenCalls = sb.faults.requests.length; // the token endpoint is outside the API log; the sync below is inside it
      await call('PATCH', `/integrations/${id}`, { userSync: { enabled: true } });
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).executeTakeFirstOrThrow();
      const run = await waitForRun(ctx.engine, tenantId, first.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.ok(sb.faults.requests.length > tokenCalls);
      assert.equal(run.counts.fetched, sb.roster.size, 'the whole roster was read with the OAuth access token');
      // Everyone working (not inactive) with a work e-mail is an employee linked to this integration.
      const working = sb.roster.list().filter((p) => p.workEmail && p.hiring_status !== 'inactive').map((p) => p.workEmail!.toLowerCase());
      const synced = new Set((await emailsOf(id)).map((e) => e?.toLowerCase()));
      assert.ok(working.length > 0);
      assert.deepEqual(working.filter((e) => !synced.has(e)), [], 'every working person synced');

      // A grant made elsewhere, imported headlessly: redeemed at once, then a sync with its tokens.
      const { refreshToken } = sb.oauth.issueGrant('deel-app');
      const refreshes = sb.oauth.stats.refreshes;
      const imported = await call('POST', '/integrations', { provider: 'deel', name: 'Deel (imported)', settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials: { clientId: 'deel-app', clientSecret: client.clientSecret, refreshToken } });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.equal(imported.body.connection.status, 'connected');
      assert.equal(sb.oauth.stats.refreshes, refreshes + 1, 'the imported refresh token was redeemed once');
      const importedId = imported.body.id as string;
      await call('PATCH', `/integrations/${importedId}`, { userSync: { enabled: true } });
      const importedFirst = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', importedId).executeTakeFirstOrThrow();
      const importedRun = await waitForRun(ctx.engine, tenantId, importedFirst.id);
      assert.equal(importedRun.status, 'succeeded', JSON.stringify(importedRun.error));
      assert.equal(importedRun.counts.fetched, sb.roster.size);
      const viaImport = new Set((await emailsOf(importedId)).map((e) => e?.toLowerCase()));
      assert.deepEqual(working.filter((e) => !viaImport.has(e)), [], 'the imported grant syncs the same people, linked to the same employees');
      assert.equal(sb.oauth.stats.reuses, 0);
      assert.ok((sb.oauth.summary()['grants'] as { revoked: boolean }[]).every((g) => !g.revoked), 'no grant was revoked');
    });
  });
}
