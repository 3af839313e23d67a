/**
 * Employment Hero: the connector against its sandbox (paging, statuses, the work e-mail, teams,
 * cost centres, locations, several organisations), and end to end through the API: OAuth in the
 * browser and a headless grant import, rotated refresh tokens with two workers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { collect } from '../helpers/connectors.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { followAuthorize, freePort } from '../helpers/oauth-browser.ts';
import type { ConnectorOptions } from '../../src/connectors/types.ts';
import { createEmploymentHeroConnector } from '../../src/providers/employmenthero/connector/connector.ts';
import { employmenthero as EH } from '../../src/providers/employmenthero/descriptor.ts';
import { SANDBOX_CLIENT, startEmploymentHeroSandbox, type EmploymentHeroSandbox } from '../../src/providers/employmenthero/sandbox/server.ts';
import { applyMapping } from '../../src/core/mapping.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { freshCredentials } from '../../src/auth/oauth/credentials.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { getIntegration, readCredentials } from '../../src/store/integrations.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('Employment Hero connector', () => {
  let sb: EmploymentHeroSandbox;
  let token: string;
  const opts = (settings: Record<string, unknown> = {}): ConnectorOptions => ({ settings: { baseUrl: sb.url, ...settings }, credentials: { accessToken: token }, http: FAST_HTTP });

  before(async () => {
    sb = await startEmploymentHeroSandbox({ employees: 60, seed: 3, pageSizeMax: 7 });
    token = sb.oauth.issueAccessToken(SANDBOX_CLIENT.clientId);
  });
  after(async () => {
    await sb.close();
  });

  it('pages with page_index and item_per_page (≤ 100) to total_pages, in every organisation', async () => {
    sb.faults.clearRequests();
    const c = await collect((await createEmploymentHeroConnector(opts()).fetchAll()).pages);
    const people = new Set(sb.roster.list().map((e) => e.company_email?.toLowerCase() ?? e.id));
    assert.equal(c.records.length, people.size, 'one record per person, whatever the organisations');
    const listing = sb.faults.requests.filter((r) => /\/organisations\/[^/]+\/employees$/.test(r.path));
    const first = new URLSearchParams(listing[0]!.query);
    assert.equal(first.get('item_per_page'), '100');
    const expected = sb.roster.organisations.reduce((n, o) => n + Math.max(1, Math.ceil(sb.roster.list(o.id).length / 7)), 0);
    assert.equal(listing.length, expected, 'every page the server chose (7 a page), in each organisation, and no more');
    assert.deepEqual([...new Set(listing.map((r) => new URLSearchParams(r.query).get('page_index')))].slice(0, 3), ['1', '2', '3']);
  });

  it('the work e-mail is company_email, never the account e-mail', async () => {
    const added = sb.roster.add({ first_name: 'Ava', last_name: 'Nomail', company_email: null });
    sb.roster.update(added.id, {});
    Object.assign(sb.roster.get(added.id)!, { account_email: 'ava.private@gmail.example', personal_email: 'ava.private@gmail.example' });
    try {
      const c = await collect((await createEmploymentHeroConnector(opts()).fetchAll()).pages);
      const ava = c.records.find((r) => r.externalId === added.id)!;
      assert.equal(ava.attributes['workEmail'], undefined);
      assert.equal(applyMapping(ava, EH.defaultMapping).email, undefined, 'no work e-mail: none mapped, no personal one instead');
      const someone = c.records.find((r) => r.attributes['workEmail'] && r.attributes['accountEmail'] && r.attributes['accountEmail'] !== r.attributes['workEmail'])!;
      assert.equal(applyMapping(someone, EH.defaultMapping).email, someone.attributes['workEmail']);
    } finally {
      sb.roster.remove(added.id);
    }
  });

  it('statuses: pending is not active; terminated takes effect on its date; manager, teams, cost centre and location are read', async () => {
    const pending = sb.roster.add({ first_name: 'Pia', last_name: 'Pending', company_email: 'pia@acme.example', start_date: day(10) });
    const leaving = sb.roster.add({ first_name: 'Tom', last_name: 'Later', company_email: 'tom@acme.example', start_date: day(-100), status: 'terminated', termination_date: day(5) });
    const gone = sb.roster.add({ first_name: 'Gil', last_name: 'Gone', company_email: 'gil@acme.example', start_date: day(-100), status: 'active', termination_date: day(-1) });
    try {
      const c = await collect((await createEmploymentHeroConnector(opts()).fetchAll()).pages);
      const by = (id: string) => c.records.find((r) => r.externalId === id)!;
      assert.equal(by(pending.id).lifecycle.active, false);
      assert.equal(by(leaving.id).lifecycle.active, true, 'terminated with a date ahead: still active until then');
      assert.equal(by(leaving.id).lifecycle.terminationDate, day(5));
      assert.equal(by(gone.id).lifecycle.active, false);
      const managed = c.records.find((r) => r.attributes['managerId'] && r.attributes['team'] && r.attributes['costCentre'] && r.attributes['workLocation']);
      assert.ok(managed, 'someone has a manager, a team, a cost centre and a location');
      assert.ok(c.records.some((r) => r.externalId === managed!.attributes['managerId']), 'the manager is one of the people');
    } finally {
      for (const e of [pending, leaving, gone]) sb.roster.remove(e.id);
    }
  });

  it('one person in two organisations is one record: their first organisation\'s id, active when active anywhere', async () => {
    const [org1, org2] = sb.roster.organisations;
    const a = sb.roster.add({ first_name: 'Dual', last_name: 'Person', company_email: 'dual.person@acme.example', organisationId: org1!.id, start_date: day(-300), termination_date: day(-30) });
    const b = sb.roster.add({ first_name: 'Dual', last_name: 'Person', company_email: 'Dual.Person@acme.example', organisationId: org2!.id, start_date: day(-20) });
    try {
      const c = await collect((await createEmploymentHeroConnector(opts()).fetchAll()).pages);
      const dual = c.records.filter((r) => r.attributes['workEmail']?.toLowerCase() === 'dual.person@acme.example');
      assert.equal(dual.length, 1);
      assert.equal(dual[0]!.externalId, a.id, 'the id in the first organisation, so it stays put');
      assert.equal(dual[0]!.lifecycle.active, true, 'left the first, active in the second');
      assert.equal(dual[0]!.attributes['organisations'], 'Acme Pty Ltd; Acme NZ Ltd');
      // Syncing only the second organisation: their id there.
      const only2 = await collect((await createEmploymentHeroConnector(opts({ organisationIds: [org2!.id] })).fetchAll()).pages);
      assert.ok(only2.records.some((r) => r.externalId === b.id));
      assert.ok(only2.records.every((r) => r.attributes['organisation'] === 'Acme NZ Ltd'));
    } finally {
      sb.roster.remove(a.id);
      sb.roster.remove(b.id);
    }
  });

  it('teams are org units keyed by their ids; a renamed team keeps its key', async () => {
    const connector = createEmploymentHeroConnector(opts());
    const units = await connector.fetchOrgUnits!();
    assert.ok(units.length > 0 && units.every((u) => u.attribute === 'team'));
    const team = units[0]!;
    sb.roster.renameTeam(team.key, 'Renamed Team');
    const again = await connector.fetchOrgUnits!();
    assert.equal(again.find((u) => u.key === team.key)?.name, 'Renamed Team');
  });
});

for (const dialect of DIALECTS) {
  describe(`Employment Hero end to end on ${dialect}`, () => {
    let sb: EmploymentHeroSandbox;
    let ctx: AppContext;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const tenantId = DEFAULT_TENANT_ID;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const people = async () => (await ctx.store.db.selectFrom('employees').select(['id', 'status', 'fields']).where('tenant_id', '=', tenantId).execute()).map((e) => ({ ...e, fields: JSON.parse(e.fields) as Record<string, string> }));

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const client = { clientId: 'eh-app', clientSecret: 'eh-app-secret-0123456789', redirectUris: [`${base}/api/v1/oauth/callback/employmenthero`] };
      sb = await startEmploymentHeroSandbox({ employees: 40, seed: 8, oauthClients: [client] });
      ctx = await createContext({ ...testConfig(), port, publicUrl: base, oauthClients: { employmenthero: client } }, createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
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

    it('connects by OAuth in the browser and syncs: one employee per person across organisations, work e-mails only', async () => {
      const created = await call('POST', '/integrations', { provider: 'employmenthero', settings: { baseUrl: sb.url, authBaseUrl: sb.url } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      const started = await call('POST', `/integrations/${id}/connect`, {});
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const authorize = new URL(started.body.authorizeUrl);
      assert.equal(authorize.origin + authorize.pathname, `${sb.url}/oauth2/authorize`);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      const { callbackUrl } = await followAuthorize(started.body.authorizeUrl, `${base}/api/v1/oauth/callback/employmenthero`);
      assert.ok(callbackUrl);
      const done = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
      assert.equal(done.status, 200, await done.clone().text());
      assert.equal(((await done.json()) as { connection: { status: string } }).connection.status, 'connected');

      await call('PATCH', `/integrations/${id}`, { userSync: { enabled: true } });
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).executeTakeFirstOrThrow();
      const run = await waitForRun(ctx.engine, tenantId, first.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const everyone = await people();
      const emails = everyone.map((e) => e.fields['email']).filter(Boolean);
      assert.equal(new Set(emails).size, emails.length, 'one employee per work e-mail');
      const inBoth = sb.roster.list().filter((e, _i, all) => all.some((o) => o.id !== e.id && o.personKey === e.personKey));
      assert.ok(inBoth.length > 0, 'the sandbox has people in both organisations');
      const personal = new Set(sb.roster.list().map((e) => e.personal_email).filter(Boolean));
      assert.ok(emails.every((e) => !personal.has(e!)), 'no personal e-mail became a work e-mail');
      assert.equal(everyone.filter((e) => inBoth.some((b) => b.company_email?.toLowerCase() === e.fields['email'])).length, new Set(inBoth.map((b) => b.personKey)).size);
    });

    it('imports a grant headlessly, and two workers refreshing at once never reuse a rotated token', async () => {
      const { refreshToken } = sb.oauth.issueGrant('eh-app');
      const created = await call('POST', '/integrations', { provider: 'employmenthero', name: 'EH (imported)', settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials: { clientId: 'eh-app', clientSecret: 'eh-app-secret-0123456789', refreshToken } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.connection.status, 'connected');
      const integration = (await getIntegration(ctx.store.db, tenantId, created.body.id))!;
      for (let round = 0; round < 3; round++) {
        const rejected = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integration.id))!['accessToken']!;
        const refreshes = sb.oauth.stats.refreshes;
        const [a, b] = await Promise.all([freshCredentials(ctx.engine, integration, { rejectedAccessToken: rejected, singleFlight: false }), freshCredentials(ctx.engine, integration, { rejectedAccessToken: rejected, singleFlight: false })]);
        assert.equal(a['refreshToken'], b['refreshToken']);
        assert.equal(sb.oauth.stats.refreshes, refreshes + 1);
      }
      assert.equal(sb.oauth.stats.reuses, 0);
      // And it syncs with the imported grant's tokens: everyone read, no grant revoked.
      assert.equal((await call('PATCH', `/integrations/${integration.id}`, { userSync: { enabled: true } })).status, 200);
      const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integration.id).where('dry_run', '=', 0).executeTakeFirstOrThrow();
      const run = await waitForRun(ctx.engine, tenantId, queued.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.counts.fetched, new Set(sb.roster.list().map((e) => e.company_email?.toLowerCase() ?? e.id)).size, 'one record per person, across organisations');
      const linked = await ctx.store.db.selectFrom('employee_links').select('employee_id').where('integration_id', '=', integration.id).execute();
      assert.ok(linked.length > 0, 'people linked to the imported integration');
      assert.ok((sb.oauth.summary()['grants'] as { revoked: boolean }[]).every((g) => !g.revoked), 'no grant was revoked');
    });
  });
}
