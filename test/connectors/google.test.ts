/**
 * The Google Workspace connector beyond the conformance kit (which runs it with a service account),
 * against the Directory API sandbox: OAuth 2.0 with an imported refresh token through the engine;
 * the user fields (employee number from externalIds, manager from relations, org unit path,
 * suspended and archived inactive); deleted users as explicit deletes in an incremental run; and
 * permission failures that say exactly what to grant.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { startGoogleSandbox, type GoogleSandbox } from '../../src/providers/google/sandbox/server.ts';
import { createGoogleConnector } from '../../src/providers/google/connector/connector.ts';
import { collect, rejection } from '../helpers/connectors.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';

const tenantId = DEFAULT_TENANT_ID;
const serviceAccount = (sb: GoogleSandbox) => ({ clientEmail: sb.serviceAccount.clientEmail, privateKey: sb.serviceAccount.privateKey, subject: sb.adminEmail });
const connector = (sb: GoogleSandbox, credentials: Record<string, string> = serviceAccount(sb)) => createGoogleConnector({ settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials, http: FAST_HTTP });

describe('Google Workspace users', () => {
  let sb: GoogleSandbox;
  before(async () => {
    sb = await startGoogleSandbox({ employees: 60, seed: 8, maxUsersPage: 9 });
  });
  after(async () => {
    await sb.close();
  });

  it('reads every user with employee number, manager (by id), org unit; suspended and archived are inactive', async () => {
    const [a, b] = sb.directory.allUsers().filter((u) => u.deletionTime === null && !u.isAdmin && !u.suspended && !u.archived);
    sb.directory.updateUser(a!.id, { suspended: true });
    sb.directory.updateUser(b!.id, { archived: true });
    const c = await collect((await connector(sb).fetchAll()).pages);
    const live = sb.directory.allUsers().filter((u) => u.deletionTime === null);
    assert.equal(c.records.length, live.length);
    const byId = new Map(c.records.map((r) => [r.externalId, r]));
    const withManager = live.find((u) => u.managerEmail && sb.directory.liveUser(u.managerEmail))!;
    assert.equal(byId.get(withManager.id)!.attributes['manager'], sb.directory.liveUser(withManager.managerEmail!)!.id);
    const numbered = live.find((u) => u.employeeNumber)!;
    assert.equal(byId.get(numbered.id)!.attributes['employeeId'], numbered.employeeNumber);
    assert.equal(byId.get(numbered.id)!.attributes['orgUnitPath'], numbered.orgUnitPath);
    for (const u of live) assert.equal(byId.get(u.id)!.lifecycle.active, !u.suspended && !u.archived, u.primaryEmail);
    assert.equal(byId.get(a!.id)!.lifecycle.active, false);
    assert.equal(byId.get(b!.id)!.lifecycle.active, false);
  });

  it('an incremental fetch reports deleted users (showDeleted) as explicit deletes', async () => {
    const someone = sb.directory.allUsers().find((u) => u.deletionTime === null && !u.isAdmin && u.employeeNumber)!;
    sb.directory.deleteUser(someone.id);
    const changes = await connector(sb).fetchChanges(new Date().toISOString());
    const got = await collect(changes.pages);
    assert.ok(changes.deletedIds.includes(someone.id));
    assert.ok(!got.records.some((r) => r.externalId === someone.id));
  });

  it('delegation not granted: names the console page and the scopes to grant', async () => {
    sb.oauth.delegation.set(sb.serviceAccount.clientId, new Set(['https://www.googleapis.com/auth/admin.directory.user.readonly']));
    try {
      const err = await rejection(connector(sb).checkConnection());
      assert.equal(err.code, 'missing_permission');
      assert.match(err.message, /Domain-wide delegation/);
      assert.match(err.message, /admin\.directory\.group\.readonly/);
      assert.doesNotMatch(err.message, /reconnect/i);
    } finally {
      sb.oauth.delegation.set(sb.serviceAccount.clientId, new Set(['user.readonly', 'group.readonly', 'group.member.readonly', 'orgunit.readonly'].map((s) => `https://www.googleapis.com/auth/admin.directory.${s}`)));
    }
  });

  it('acting as someone who is not an admin: says to make them an admin', async () => {
    const plain = sb.directory.allUsers().find((u) => u.deletionTime === null && !u.isAdmin && !u.suspended)!;
    const err = await rejection(connector(sb, { ...serviceAccount(sb), subject: plain.primaryEmail }).checkConnection());
    assert.equal(err.code, 'missing_permission');
    assert.match(err.message, /super admin/);
    assert.ok(!err.message.includes(sb.serviceAccount.privateKey.slice(40, 80)));
  });

  it('an unknown admin to act as is a settings problem naming the field', async () => {
    const err = await rejection(connector(sb, { ...serviceAccount(sb), subject: 'nobody@acme.example' }).checkConnection());
    assert.equal(err.code, 'bad_request');
    assert.match(err.message, /Admin to act as/);
  });
});

for (const dialect of DIALECTS) {
  describe(`Google Workspace with OAuth 2.0 (an imported refresh token) through the engine on ${dialect}`, () => {
    let sb: GoogleSandbox;
    let ctx: AppContext;
    let integrationId: string;
    before(async () => {
      sb = await startGoogleSandbox({ employees: 25, seed: 4, maxUsersPage: 6 });
      ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
      ctx.worker.start();
    });
    after(async () => {
      await ctx.close();
      await sb.close();
    });

    it('connects with the grant, syncs everyone, and deactivates a deleted user in an incremental run', async () => {
      const created = await createIntegrationFromRequest(ctx, tenantId, {
        provider: 'google',
        settings: { baseUrl: sb.url, authBaseUrl: sb.url },
        credentials: { clientId: sb.oauthClient.clientId, clientSecret: sb.oauthClient.clientSecret, refreshToken: sb.refreshToken },
      });
      assert.equal(created.connection.status, 'connected', created.connection.detail ?? '');
      integrationId = created.id;
      assert.ok(sb.oauth.stats.refresh >= 1, 'the refresh token was redeemed');
      await patchIntegrationFromRequest(ctx, tenantId, created.id, { userSync: { enabled: true } });
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', created.id).executeTakeFirstOrThrow();
      const full = await waitForRun(ctx.engine, tenantId, first.id);
      assert.equal(full.status, 'succeeded', JSON.stringify(full.error));
      const live = sb.directory.allUsers().filter((u) => u.deletionTime === null);
      assert.equal(full.counts.fetched, live.length);

      const gone = live.find((u) => !u.isAdmin && !u.suspended && !u.archived && u.employeeNumber)!;
      sb.directory.deleteUser(gone.id);
      const inc = await waitForRun(ctx.engine, tenantId, (await requestSync(ctx, tenantId, created.id, { mode: 'incremental' })).id);
      assert.equal(inc.status, 'succeeded', JSON.stringify(inc.error));
      assert.equal(inc.mode, 'incremental');
      assert.equal(inc.counts.deactivated, 1);
      const row = await ctx.store.db.selectFrom('employees').select('status').where('tenant_id', '=', tenantId).where('email_norm', '=', gone.primaryEmail).executeTakeFirstOrThrow();
      assert.equal(row.status, 'inactive');
    });

    it('syncs its groups with the same grant: every Google group, nested as in the source, with members', async () => {
      await patchIntegrationFromRequest(ctx, tenantId, integrationId, { groupSync: { enabled: true, directoryGroups: 'all' } });
      const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).where('status', 'in', ['queued', 'running']).executeTakeFirstOrThrow();
      const r = await waitForRun(ctx.engine, tenantId, queued.id);
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      const groups = await ctx.store.db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).where('type', '=', 'Google group').execute();
      assert.equal(groups.length, sb.directory.allGroups().length);
      const byKey = new Map(groups.map((g) => [g.source_key, g]));
      const parent = sb.directory.allGroups().find((g) => g.members.some((m) => m.type === 'GROUP') && g.members.every((m) => m.type !== 'USER'))!;
      for (const m of parent.members) assert.equal(byKey.get(m.id)!.parent_id, byKey.get(parent.id)!.id, 'nested as in the source');
      const dept = sb.directory.allGroups().find((g) => g.members.some((m) => m.type === 'USER' && !sb.directory.allUsers().find((u) => u.id === m.id)?.suspended))!;
      const members = await ctx.store.db.selectFrom('group_memberships').select('employee_id').where('group_id', '=', byKey.get(dept.id)!.id).execute();
      assert.ok(members.length > 0, 'people are in their groups');
      assert.equal(sb.oauth.stats.jwt, 0, 'read with the OAuth grant: no service-account token was asked for');
      assert.ok(sb.faults.requests.some((e) => e.path.endsWith('/admin/directory/v1/groups')), 'groups.list was called');
    });
  });
}
