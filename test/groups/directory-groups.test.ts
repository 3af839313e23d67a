/**
 * Identity-provider groups in Group Sync, through the engine against the Entra ID and Google
 * Workspace sandboxes: groups of type "Entra group" / "Google group", nested as in the source, with
 * headcounts that include sub-groups; include patterns (names, e-mails, `*`); members who are not
 * ReFresh employees (a service principal, guests) skipped with a reason; renames keep the group;
 * removed groups are archived; manual memberships stay.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { addManualMembers, groupDetail } from '../../src/app/groups-service.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import { startGoogleSandbox, type GoogleSandbox } from '../../src/providers/google/sandbox/server.ts';
import fc from 'fast-check';
import { selectDirectoryGroups, wildcardMatch } from '../../src/core/directory-groups.ts';
import { ApiError } from '../../src/app/errors.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';

const tenantId = DEFAULT_TENANT_ID;

describe('directory group selection', () => {
  const groups = [
    { key: 'd', name: 'Engineering', email: null, userIds: [], groupKeys: ['a', 'b'], others: [] },
    { key: 'a', name: 'Abt. Platform', email: null, userIds: [], groupKeys: [], others: [] },
    { key: 'b', name: 'Abt. Data', email: null, userIds: [], groupKeys: [], others: [] },
    { key: 'l', name: 'Leaders', email: 'leaders@acme.example', userIds: [], groupKeys: [], others: [] },
    { key: 'x', name: 'All Company', email: 'allcompany@acme.example', userIds: [], groupKeys: [], others: [] },
  ];
  it('names or e-mails, * wildcards, case-insensitive; a picked group brings its nested groups', () => {
    assert.deepEqual([...selectDirectoryGroups(groups, { include: ['abt. *', 'LEADERS@acme.example'] })].sort(), ['a', 'b', 'l']);
    assert.deepEqual([...selectDirectoryGroups(groups, { include: ['Engineering'] })].sort(), ['a', 'b', 'd']);
    assert.equal(selectDirectoryGroups(groups, 'all').size, 5);
    assert.equal(selectDirectoryGroups(groups, { include: ['Abt.'] }).size, 0, 'a pattern without * matches whole names only');
    assert.deepEqual([...selectDirectoryGroups(groups, { include: ['*.*'] })].sort(), ['a', 'b', 'l', 'x'], 'a dot is a dot, not any character');
  });

  it('match * as a regular expression would, but without its backtracking on patterns like *a*a*a…b', () => {
    const reference = (pattern: string, text: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's').test(text);
    const chars = fc.string({ unit: fc.constantFrom('a', 'b', '*', '.', '('), maxLength: 8 });
    fc.assert(fc.property(chars, fc.string({ unit: fc.constantFrom('a', 'b', '.', '('), maxLength: 10 }), (pattern, text) => wildcardMatch(pattern, text) === reference(pattern, text)), { numRuns: 2000 });
    // A saved include pattern of this shape held a node for minutes per group name before.
    const hostile = `${'*a'.repeat(150)}*b`;
    const name = 'a'.repeat(300);
    assert.equal(selectDirectoryGroups([{ key: 'h', name, email: null, userIds: [], groupKeys: [], others: [] }], { include: [hostile] }).size, 0);
    assert.equal(wildcardMatch(hostile, `${name}b`), true);
  });
});

async function groupsOf(ctx: AppContext, type: string) {
  return ctx.store.db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('type', '=', type).execute();
}

for (const dialect of DIALECTS) {
  describe(`Entra groups through the engine on ${dialect}`, () => {
    let sb: EntraSandbox;
    let ctx: AppContext;
    let id: string;
    /** The run a settings change queued, else a new one. */
    const run = async () => {
      const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).where('status', 'in', ['queued', 'running']).executeTakeFirst();
      return waitForRun(ctx.engine, tenantId, queued?.id ?? (await requestSync(ctx, tenantId, id, { mode: 'incremental' })).id);
    };

    before(async () => {
      sb = await startEntraSandbox({ employees: 50, seed: 6 });
      ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
      ctx.worker.start();
      const created = await createIntegrationFromRequest(ctx, tenantId, { provider: 'entra', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
      id = created.id;
      await patchIntegrationFromRequest(ctx, tenantId, id, { userSync: { enabled: true } });
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).executeTakeFirstOrThrow();
      assert.equal((await waitForRun(ctx.engine, tenantId, first.id)).status, 'succeeded');
    });
    after(async () => {
      await ctx.close();
      await sb.close();
    });

    it('include patterns pick groups by name or e-mail; the group mapping may stay empty', async () => {
      const updated = await patchIntegrationFromRequest(ctx, tenantId, id, { groupSync: { enabled: true, directoryGroups: { include: ['Abt. *', 'leaders@acme.example'] } } });
      assert.deepEqual(updated.groupSync.directoryGroups, { include: ['Abt. *', 'leaders@acme.example'] });
      const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).where('status', 'in', ['queued', 'running']).executeTakeFirst();
      if (queued) await waitForRun(ctx.engine, tenantId, queued.id);
      const synced = await groupsOf(ctx, 'Entra group');
      const expected = sb.directory.allGroups().filter((g) => g.displayName.startsWith('Abt. ') || g.mail === 'leaders@acme.example');
      assert.deepEqual(synced.map((g) => g.name).sort(), expected.map((g) => g.displayName).sort());
      assert.ok(synced.every((g) => g.origin === 'synced' && g.integration_id === id));
    });

    it('"all": nested as in the source, headcounts include sub-groups, non-employees skipped with a reason', async () => {
      await patchIntegrationFromRequest(ctx, tenantId, id, { groupSync: { directoryGroups: 'all' } });
      const r = await run();
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      const synced = await groupsOf(ctx, 'Entra group');
      assert.equal(synced.filter((g) => !g.archived).length, sb.directory.allGroups().length);
      const byKey = new Map(synced.map((g) => [g.source_key, g]));
      const division = sb.directory.allGroups().find((g) => g.members.some((m) => sb.directory.kindOf(m) === 'group'))!;
      const child = sb.directory.group(division.members.find((m) => sb.directory.kindOf(m) === 'group')!)!;
      assert.equal(byKey.get(child.id)!.parent_id, byKey.get(division.id)!.id, 'the department group sits in its division group');
      const detail = await groupDetail(ctx, tenantId, byKey.get(division.id)!.id);
      const people = new Set(sb.directory.transitiveMembers(division).filter((m) => sb.directory.kindOf(m) === 'user'));
      const employees = await ctx.store.db.selectFrom('employee_links').select(['external_id']).where('integration_id', '=', id).where('employee_id', 'is not', null).where('source_status', '=', 'active').where('in_scope', '=', 1).execute();
      const expected = employees.filter((e) => people.has(e.external_id)).length;
      assert.ok(expected > 0);
      assert.equal(detail.headcount, expected, 'distinct active people in the division and its departments');
      const skips = await ctx.store.db.selectFrom('run_changes').select(['display_name', 'reason']).where('run_id', '=', r.id).where('kind', '=', 'skipped').execute();
      assert.ok(skips.some((s) => /service principal: not a person/.test(s.reason ?? '')), JSON.stringify(skips));
      assert.ok(skips.some((s) => s.display_name === 'All Company' && /out of the sync scope/.test(s.reason ?? '')), 'guests are out of the sync scope');
    });

    it('a rename keeps the group; a removed group is archived; manual memberships stay', async () => {
      const before = await groupsOf(ctx, 'Entra group');
      const leaders = sb.directory.allGroups().find((g) => g.mail === 'leaders@acme.example')!;
      const leadersRow = before.find((g) => g.source_key === leaders.id)!;
      const someone = await ctx.store.db.selectFrom('employees').select('id').where('tenant_id', '=', tenantId).where('status', '=', 'active').executeTakeFirstOrThrow();
      await addManualMembers(ctx, tenantId, leadersRow.id, { employeeId: someone.id });
      sb.directory.updateGroup(leaders.id, { displayName: 'Leadership' });
      const dynamic = sb.directory.allGroups().find((g) => g.groupTypes.includes('DynamicMembership'))!;
      sb.directory.deleteGroup(dynamic.id);
      const r = await run();
      assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
      const after = await groupsOf(ctx, 'Entra group');
      const renamed = after.find((g) => g.source_key === leaders.id)!;
      assert.equal(renamed.id, leadersRow.id);
      assert.equal(renamed.name, 'Leadership');
      assert.equal(after.find((g) => g.source_key === dynamic.id)!.archived, 1);
      const manual = await ctx.store.db.selectFrom('group_memberships').select('origin').where('group_id', '=', leadersRow.id).where('employee_id', '=', someone.id).where('origin', '=', 'manual').executeTakeFirst();
      assert.ok(manual, 'the manual membership stayed');
    });
  });
}

describe('Google groups through the engine', () => {
  let sb: GoogleSandbox;
  let ctx: AppContext;
  before(async () => {
    sb = await startGoogleSandbox({ employees: 40, seed: 9 });
    ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore('sqlite'), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
    ctx.worker.start();
  });
  after(async () => {
    await ctx.close();
    await sb.close();
  });

  it('members of type GROUP nest; type "Google group"; a provider without groups of its own is refused', async () => {
    const created = await createIntegrationFromRequest(ctx, tenantId, { provider: 'google', settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials: { clientEmail: sb.serviceAccount.clientEmail, privateKey: sb.serviceAccount.privateKey, subject: sb.adminEmail } });
    assert.equal(created.connection.status, 'connected', created.connection.detail ?? '');
    await patchIntegrationFromRequest(ctx, tenantId, created.id, { userSync: { enabled: true }, groupSync: { enabled: true, directoryGroups: 'all' } });
    const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', created.id).executeTakeFirstOrThrow();
    const r = await waitForRun(ctx.engine, tenantId, first.id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    const synced = await groupsOf(ctx, 'Google group');
    assert.equal(synced.length, sb.directory.allGroups().length);
    const byKey = new Map(synced.map((g) => [g.source_key, g]));
    const parent = sb.directory.allGroups().find((g) => g.members.some((m) => m.type === 'GROUP'))!;
    const child = parent.members.find((m) => m.type === 'GROUP')!;
    assert.equal(byKey.get(child.id)!.parent_id, byKey.get(parent.id)!.id);
    const detail = await groupDetail(ctx, tenantId, byKey.get(parent.id)!.id);
    assert.ok(detail.headcount > 0, 'the parent counts its sub-groups\' people');

    const bamboo = await createIntegrationFromRequest(ctx, tenantId, { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: 'http://127.0.0.1:9' } });
    await assert.rejects(patchIntegrationFromRequest(ctx, tenantId, bamboo.id, { groupSync: { directoryGroups: 'all' } }), (e: unknown) => e instanceof ApiError && e.status === 400 && /directoryGroups/.test(e.message));
  });
});
