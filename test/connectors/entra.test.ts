/**
 * The Entra ID connector beyond the conformance kit, against the Graph sandbox and through the
 * engine: a delta run after one change reads only that change; a 410 syncStateNotFound makes one
 * full run, then deltas again; deletions in a delta round deactivate; manager changes arrive by
 * `manager@delta`; guests and resource accounts are out of the default scope (and in when the
 * admin's rule says so); a missing Graph permission names the permission to grant.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import { createEntraConnector } from '../../src/providers/entra/connector/connector.ts';
import { rejection } from '../helpers/connectors.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';

const tenantId = DEFAULT_TENANT_ID;

for (const dialect of DIALECTS) {
  describe(`Entra ID through the engine on ${dialect}`, () => {
    let sb: EntraSandbox;
    let ctx: AppContext;
    let integrationId: string;
    const run = async (mode: 'full' | 'incremental') => waitForRun(ctx.engine, tenantId, (await requestSync(ctx, tenantId, integrationId, { mode })).id);
    const employee = async (email: string) => ctx.store.db.selectFrom('employees').selectAll().where('tenant_id', '=', tenantId).where('email_norm', '=', email.toLowerCase()).executeTakeFirst();

    before(async () => {
      sb = await startEntraSandbox({ employees: 40, seed: 21, usersPageSize: 7, deltaPageSize: 7 });
      ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
      ctx.worker.start();
      const created = await createIntegrationFromRequest(ctx, tenantId, { provider: 'entra', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
      assert.equal(created.connection.status, 'connected', created.connection.detail ?? '');
      integrationId = created.id;
      await patchIntegrationFromRequest(ctx, tenantId, integrationId, { userSync: { enabled: true } });
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).executeTakeFirstOrThrow();
      const r = await waitForRun(ctx.engine, tenantId, first.id);
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    });
    after(async () => {
      await ctx.close();
      await sb.close();
    });

    it('the first run reads everyone; guests and resource accounts stay out of the default scope', async () => {
      const users = sb.directory.liveUsers();
      const runs = await ctx.store.db.selectFrom('runs').select(['counts', 'mode']).where('integration_id', '=', integrationId).execute();
      const counts = JSON.parse(String(runs[0]!.counts)) as Record<string, number>;
      assert.equal(counts['fetched'], users.length);
      const guests = users.filter((u) => u.userType === 'Guest');
      const rooms = users.filter((u) => !u.accountEnabled && !u.givenName && !u.employeeId);
      assert.ok(guests.length >= 3 && rooms.length >= 3);
      assert.equal(counts['inScope'], users.length - guests.length - rooms.length);
      for (const g of guests) assert.equal(await employee(g.mail!), undefined, `${g.mail} is not an employee`);
      const person = users.find((u) => u.accountEnabled && u.employeeId && u.mail)!;
      assert.equal((await employee(person.mail!))?.status, 'active');
    });

    it('a delta run after one change reads only that change', async () => {
      const settle = await run('incremental');
      assert.equal(settle.status, 'succeeded');
      const someone = sb.directory.liveUsers().find((u) => u.accountEnabled && u.employeeId && u.mail && u.jobTitle)!;
      sb.directory.updateUser(someone.id, { jobTitle: 'Chief Delta Officer' });
      const before = sb.faults.requests.length;
      const r = await run('incremental');
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      assert.equal(r.mode, 'incremental');
      assert.equal(r.counts.fetched, 1, 'one user read');
      assert.equal(r.counts.updated, 1);
      // The sandbox's request log: the run followed its stored delta link, the round answered the one
      // changed user, and nothing listed the users (the only other Graph read is that user's manager).
      const graph = sb.faults.requests.slice(before).filter((e) => e.path.startsWith('/v1.0/'));
      const delta = graph.filter((e) => /^\/v1\.0\/users\/delta/.test(e.path));
      assert.ok(delta.length >= 1 && delta.every((e) => e.status === 200 && /deltatoken=/i.test(e.query) && !/deltatoken=latest/i.test(e.query)), `the stored delta link was followed: ${JSON.stringify(delta)}`);
      assert.equal(delta.reduce((n, e) => n + (e.items ?? Number.NaN), 0), 1, 'the delta round returned one changed user');
      const others = graph.filter((e) => !delta.includes(e));
      assert.deepEqual(others.map((e) => e.path), others.length === 0 ? [] : [`/v1.0/users/${someone.id}/manager`], `no full listing: ${graph.map((e) => e.path + e.query).join(', ')}`);
      const row = await ctx.store.db.selectFrom('employees').select('fields').where('tenant_id', '=', tenantId).where('email_norm', '=', someone.mail!.toLowerCase()).executeTakeFirstOrThrow();
      assert.match(String(row.fields), /Chief Delta Officer/);
    });

    it('deletions and disabled accounts arrive by delta; manager changes by manager@delta', async () => {
      const people = sb.directory.liveUsers().filter((u) => u.accountEnabled && u.employeeId && u.mail && u.userType === 'Member');
      const [gone, disabled, report, boss] = people as [typeof people[0], typeof people[0], typeof people[0], typeof people[0]];
      sb.directory.deleteUser(gone.id);
      sb.directory.updateUser(disabled.id, { accountEnabled: false });
      sb.directory.updateUser(report.id, { manager: boss.id });
      const r = await run('incremental');
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      assert.equal(r.mode, 'incremental');
      assert.equal(r.counts.fetched, 2, 'the disabled one and the one with a new manager (the deleted one is a delete event)');
      assert.equal(r.counts.deactivated, 2);
      assert.equal((await employee(gone.mail!))?.status, 'inactive');
      assert.equal((await employee(disabled.mail!))?.status, 'inactive');
      const bossRow = (await employee(boss.mail!))!;
      const reportRow = (await employee(report.mail!))!;
      assert.equal(JSON.parse(String(reportRow.fields))['managerId'], bossRow.id);
    });

    it('a 410 syncStateNotFound makes one full run, then deltas again', async () => {
      sb.directory.deltaEpoch += 1;
      const full = await run('incremental');
      assert.equal(full.status, 'succeeded', JSON.stringify(full.error));
      assert.equal(full.mode, 'full', 'read everyone once');
      assert.equal(full.counts.fetched, sb.directory.liveUsers().length);
      assert.equal(full.counts.deactivated, 0);
      const next = await run('incremental');
      assert.equal(next.mode, 'incremental');
      assert.equal(next.counts.fetched, 0);
    });
  });
}

describe('Entra ID permissions', () => {
  let sb: EntraSandbox;
  before(async () => {
    sb = await startEntraSandbox({ employees: 5, seed: 3 });
  });
  after(async () => {
    await sb.close();
  });

  it('Authorization_RequestDenied names the application permission to grant, and is not a reconnect', async () => {
    sb.app.roles = ['User.Read.All', 'GroupMember.Read.All'];
    const connector = createEntraConnector({ settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret }, http: FAST_HTTP });
    const err = await rejection(connector.checkConnection());
    assert.equal(err.code, 'missing_permission');
    assert.match(err.message, /User-LifeCycleInfo\.Read\.All/);
    assert.match(err.message, /admin consent/);
    assert.doesNotMatch(err.message, /reconnect/i);
  });

  it('a wrong tenant is a settings problem, a wrong secret a reconnect; neither leaks the secret', async () => {
    const base = { baseUrl: sb.url, authBaseUrl: sb.url };
    const tenant = await rejection(createEntraConnector({ settings: { ...base, tenantId: 'nobody.example' }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret }, http: FAST_HTTP }).checkConnection());
    assert.equal(tenant.code, 'bad_request');
    assert.match(tenant.message, /Tenant ID/);
    const secret = await rejection(createEntraConnector({ settings: { ...base, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: 'wrong~secret.value' }, http: FAST_HTTP }).checkConnection());
    assert.equal(secret.code, 'auth_failed');
    assert.match(secret.message, /reconnect/i);
    assert.ok(!JSON.stringify(secret.toJSON()).includes('wrong~secret.value'));
  });
});
