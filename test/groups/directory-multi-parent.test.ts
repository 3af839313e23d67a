/**
 * Directory groups that the source nests in two groups, and Google groups whose member is the whole
 * organisation (type CUSTOMER), through the engine against the Entra ID and Google Workspace
 * sandboxes on SQLite and PostgreSQL (issue 12 §3).
 *
 * - A group in two parents is one ReFresh group (never a copy): it keeps its place in the tree, the
 *   other parent is a further parent (`alsoIn`, group_parents), shown
 *   under it (`alsoHere`) and counted in its headcount, each person once. Taking the second nesting
 *   away in the source removes the link and the people from that headcount.
 * - A CUSTOMER member stands for every user of the domain: the group holds every person the
 *   integration syncs, and nobody is reported skipped for it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { groupDetail, listGroupsFor } from '../../src/app/groups-service.ts';
import { previewDirectoryGroups } from '../../src/app/directory-preview.ts';
import { planDirectoryGroups, type SourceGroup } from '../../src/core/directory-groups.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { headcounts } from '../../src/store/groups.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import { startGoogleSandbox, type GoogleSandbox } from '../../src/providers/google/sandbox/server.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';

const tenantId = DEFAULT_TENANT_ID;

async function openEngine(dialect: (typeof DIALECTS)[number]): Promise<AppContext> {
  const ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
  ctx.worker.start();
  return ctx;
}

/** Runs what a settings change queued, else a new incremental run; it must succeed. */
async function syncNow(ctx: AppContext, id: string) {
  const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).where('status', 'in', ['queued', 'running']).executeTakeFirst();
  const r = await waitForRun(ctx.engine, tenantId, queued?.id ?? (await requestSync(ctx, tenantId, id, { mode: 'incremental' })).id);
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  return r;
}

/** External ids of the people the integration syncs (linked, in scope, active) → employee id. */
async function syncedPeople(ctx: AppContext, id: string): Promise<Map<string, string>> {
  const rows = await ctx.store.db.selectFrom('employee_links').select(['external_id', 'employee_id']).where('integration_id', '=', id).where('employee_id', 'is not', null).where('in_scope', '=', 1).where('source_status', '=', 'active').execute();
  return new Map(rows.map((r) => [r.external_id, r.employee_id!]));
}

const groupRow = (ctx: AppContext, key: string) => ctx.store.db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('source_key', '=', key).execute();

describe('planning a group nested in two (pure)', () => {
  const g = (key: string, name: string, groupKeys: string[] = [], userIds: string[] = [], everyone = false): SourceGroup => ({ key, name, email: null, userIds, groupKeys, others: [], ...(everyone ? { everyone } : {}) });
  const plan = (groups: SourceGroup[], existing: { id: string; key: string; parentId: string | null }[] = [], employees: [string, string][] = []) => {
    let n = 0;
    return planDirectoryGroups({
      groups,
      selection: 'all',
      type: 'Google group',
      employeeOf: new Map(employees),
      whyNot: () => 'not synced',
      existing: existing.map((e) => ({ ...e, attribute: 'directoryGroup', name: groups.find((x) => x.key === e.key)!.name, type: 'Google group', archived: false })),
      memberships: [],
      newId: () => `g${++n}`,
    });
  };
  const idOf = (p: ReturnType<typeof plan>, key: string) => p.groups.find((x) => x.key === key)!.id;

  it('a new group goes under the parent whose name sorts first and is linked to the other', () => {
    const p = plan([g('s', 'Sales', ['x']), g('b', 'Berlin office', ['x']), g('x', 'Abt. Field')]);
    assert.equal(p.groups.find((x) => x.key === 'x')!.parentId, idOf(p, 'b'));
    assert.deepEqual(p.alsoIn, [{ groupId: idOf(p, 'x'), parentId: idOf(p, 's') }]);
    assert.equal(p.groups.length, 3, 'no copy');
  });

  it('a synced group keeps its place when the source adds a parent that sorts first', () => {
    const p = plan([g('s', 'Sales', ['x']), g('b', 'Berlin office', ['x']), g('x', 'Abt. Field')], [
      { id: 'S', key: 's', parentId: null },
      { id: 'B', key: 'b', parentId: null },
      { id: 'X', key: 'x', parentId: 'S' },
    ]);
    assert.equal(p.groups.find((x) => x.key === 'x')!.parentId, 'S');
    assert.deepEqual(p.moved, []);
    assert.deepEqual(p.alsoIn, [{ groupId: 'X', parentId: 'B' }]);
  });

  it('never links a parent that is nested in the group (no loop, even from a source that allows one)', () => {
    const p = plan([g('a', 'A', ['b']), g('b', 'B', ['a'])]);
    const links = p.alsoIn.map((l) => [l.groupId, l.parentId]);
    const parents = p.groups.map((x) => [x.id, x.parentId]);
    assert.ok(parents.filter(([, parent]) => parent !== null).length <= 1, JSON.stringify(parents));
    assert.deepEqual(links, [], 'no link closes the loop');
  });

  it('a group whose member is the whole organisation holds every synced person, each once', () => {
    const p = plan([g('all', 'All staff', [], [], true), g('x', 'Abt. Field', [], ['u1'])], [], [['u1', 'E1'], ['u2', 'E2'], ['u3', 'E2']]);
    assert.deepEqual([...p.groups.find((x) => x.key === 'all')!.members].sort(), ['E1', 'E2']);
    assert.deepEqual(p.skips, [], 'nobody skipped for it');
  });
});

for (const dialect of DIALECTS) {
  describe(`an Entra group nested in two groups, on ${dialect}`, () => {
    let sb: EntraSandbox;
    let ctx: AppContext;
    let id: string;
    before(async () => {
      sb = await startEntraSandbox({ employees: 50, seed: 8 });
      ctx = await openEngine(dialect);
      const created = await createIntegrationFromRequest(ctx, tenantId, { provider: 'entra', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
      id = created.id;
      await patchIntegrationFromRequest(ctx, tenantId, id, { userSync: { enabled: true } });
      await syncNow(ctx, id);
      await patchIntegrationFromRequest(ctx, tenantId, id, { groupSync: { enabled: true, directoryGroups: 'all' } });
      await syncNow(ctx, id);
    });
    after(async () => {
      await ctx.close();
      await sb.close();
    });

    it('is one group: it stays where it sat, is linked to the new parent, and counts in both headcounts', async () => {
      const divisions = sb.directory.allGroups().filter((g) => g.members.some((m) => sb.directory.kindOf(m) === 'group'));
      const home = divisions[0]!;
      const dept = sb.directory.group(home.members.find((m) => sb.directory.kindOf(m) === 'group')!)!;
      const leaders = sb.directory.allGroups().find((g) => g.mail === 'leaders@acme.example')!;
      sb.directory.addMember(leaders.id, dept.id);
      const r = await syncNow(ctx, id);

      const rows = await groupRow(ctx, dept.id);
      assert.equal(rows.length, 1, 'not copied');
      const [first, second] = [home, leaders];
      const firstRow = (await groupRow(ctx, first.id))[0]!;
      const secondRow = (await groupRow(ctx, second.id))[0]!;
      assert.equal(rows[0]!.parent_id, firstRow.id, 'its place in the tree is where it sat: the second parent moves nothing');
      const links = await ctx.store.db.selectFrom('group_parents').select(['group_id', 'parent_id']).where('tenant_id', '=', tenantId).execute();
      assert.deepEqual(links, [{ group_id: rows[0]!.id, parent_id: secondRow.id }], 'the other parent is kept as a link');

      // Headcounts: distinct employees among each parent's people in the source, nested groups included.
      const people = await syncedPeople(ctx, id);
      const expected = (g: typeof home) => new Set(sb.directory.transitiveMembers(g).flatMap((m) => (people.has(m) ? [people.get(m)!] : []))).size;
      for (const parent of [first, second]) {
        const detail = await groupDetail(ctx, tenantId, (await groupRow(ctx, parent.id))[0]!.id);
        assert.equal(detail.headcount, expected(parent), `${parent.displayName}: its people and the nested group's, each once`);
        assert.equal((await headcounts(ctx.store.db, tenantId, [detail.id])).get(detail.id), detail.headcount, 'the stored figure is the recount');
      }
      const deptDetail = await groupDetail(ctx, tenantId, rows[0]!.id);
      assert.deepEqual(deptDetail.alsoIn, [{ id: secondRow.id, name: second.displayName }]);
      const secondDetail = await groupDetail(ctx, tenantId, secondRow.id);
      assert.deepEqual(secondDetail.alsoHere.map((g) => g.name), [dept.displayName]);
      const tree = await listGroupsFor(ctx, tenantId, { view: 'tree', limit: 1000 });
      const find = (nodes: readonly { id: string; children?: unknown[] }[], wanted: string): { id: string; alsoHere?: { name: string }[]; children?: unknown[] } | undefined => {
        for (const n of nodes) {
          if (n.id === wanted) return n;
          const inner = find((n.children ?? []) as { id: string }[], wanted);
          if (inner) return inner;
        }
        return undefined;
      };
      assert.deepEqual(find(tree.data as { id: string }[], secondRow.id)?.alsoHere?.map((g) => g.name), [dept.displayName], 'the tree names it under its other parent');
      const change = await ctx.store.db.selectFrom('run_changes').select(['display_name', 'reason']).where('run_id', '=', r.id).where('kind', '=', 'group_updated').execute();
      assert.deepEqual(change, [{ display_name: dept.displayName, reason: `in Microsoft Entra ID it is nested in ${second.displayName} as well` }]);

      const preview = await previewDirectoryGroups(ctx, tenantId, id, {});
      const flat = (nodes: typeof preview.groups): typeof preview.groups => nodes.flatMap((n) => [n, ...flat(n.children)]);
      const node = flat(preview.groups).filter((n) => n.key === dept.id);
      assert.equal(node.length, 1, 'the preview shows it once');
      assert.deepEqual(node[0]!.alsoIn, [second.displayName]);
      assert.equal(flat(preview.groups).find((n) => n.key === second.id)!.headcount, expected(second));
    });

    it('taking the second nesting away in the source removes the link and those people from that headcount; the group stays', async () => {
      const leaders = sb.directory.allGroups().find((g) => g.mail === 'leaders@acme.example')!;
      const dept = sb.directory.group(leaders.members.find((m) => sb.directory.kindOf(m) === 'group')!)!;
      const before = (await groupRow(ctx, dept.id))[0]!;
      sb.directory.removeMember(leaders.id, dept.id);
      await syncNow(ctx, id);
      assert.equal((await ctx.store.db.selectFrom('group_parents').select('group_id').where('tenant_id', '=', tenantId).execute()).length, 0);
      const after = (await groupRow(ctx, dept.id))[0]!;
      assert.equal(after.id, before.id);
      assert.equal(after.parent_id, before.parent_id, 'still where it sat');
      const people = await syncedPeople(ctx, id);
      const leadersRow = (await groupRow(ctx, leaders.id))[0]!;
      const direct = new Set(sb.directory.transitiveMembers(leaders).flatMap((m) => (people.has(m) ? [people.get(m)!] : []))).size;
      assert.equal((await groupDetail(ctx, tenantId, leadersRow.id)).headcount, direct);
    });

    it('a second parent that is not picked makes no link', async () => {
      const divisions = sb.directory.allGroups().filter((g) => g.members.some((m) => sb.directory.kindOf(m) === 'group'));
      const home = divisions[0]!;
      const dept = sb.directory.group(home.members.find((m) => sb.directory.kindOf(m) === 'group')!)!;
      const leaders = sb.directory.allGroups().find((g) => g.mail === 'leaders@acme.example')!;
      sb.directory.addMember(leaders.id, dept.id);
      await patchIntegrationFromRequest(ctx, tenantId, id, { groupSync: { directoryGroups: { include: [home.displayName] } } });
      await syncNow(ctx, id);
      assert.equal((await ctx.store.db.selectFrom('group_parents').select('group_id').where('tenant_id', '=', tenantId).execute()).length, 0);
      const row = (await groupRow(ctx, dept.id))[0]!;
      assert.equal(row.parent_id, (await groupRow(ctx, home.id))[0]!.id);
      assert.equal(row.archived, 0);
    });
  });

  describe(`Google groups: a group nested in two, and the whole organisation as a member (CUSTOMER), on ${dialect}`, () => {
    let sb: GoogleSandbox;
    let ctx: AppContext;
    let id: string;
    before(async () => {
      sb = await startGoogleSandbox({ employees: 40, seed: 14 });
      ctx = await openEngine(dialect);
      const created = await createIntegrationFromRequest(ctx, tenantId, { provider: 'google', settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials: { clientEmail: sb.serviceAccount.clientEmail, privateKey: sb.serviceAccount.privateKey, subject: sb.adminEmail } });
      id = created.id;
      await patchIntegrationFromRequest(ctx, tenantId, id, { userSync: { enabled: true }, groupSync: { enabled: true, directoryGroups: 'all' } });
      await syncNow(ctx, id);
    });
    after(async () => {
      await ctx.close();
      await sb.close();
    });

    it('a CUSTOMER member makes the group hold every person the integration syncs, with nobody skipped for it', async () => {
      const allStaff = sb.directory.allGroups().find((g) => g.members.some((m) => m.type === 'CUSTOMER'))!;
      const row = (await groupRow(ctx, allStaff.id))[0]!;
      const members = await ctx.store.db.selectFrom('group_memberships').select('employee_id').where('group_id', '=', row.id).where('origin', '=', 'synced').execute();
      const people = await syncedPeople(ctx, id);
      assert.ok(people.size > 10);
      assert.deepEqual(members.map((m) => m.employee_id).sort(), [...new Set(people.values())].sort());
      assert.equal((await groupDetail(ctx, tenantId, row.id)).headcount, new Set(people.values()).size);
      const skips = await ctx.store.db.selectFrom('run_changes').select(['display_name', 'reason']).where('kind', '=', 'skipped').execute();
      assert.ok(!skips.some((s) => s.display_name === allStaff.name), JSON.stringify(skips.filter((s) => s.display_name === allStaff.name)));
      // The preview counts the whole organisation as the source lists it, and the headcount ReFresh gives it.
      const preview = await previewDirectoryGroups(ctx, tenantId, id, { directoryGroups: { include: [allStaff.email] } });
      assert.equal(preview.groups.length, 1);
      assert.equal(preview.groups[0]!.people, sb.directory.allUsers().filter((u) => u.deletionTime === null).length, 'everyone in the domain');
      assert.equal(preview.groups[0]!.headcount, new Set(people.values()).size);
      assert.equal(preview.groups[0]!.skipped, 0);

      // A person who joins the domain joins the group on the next run.
      const joined = sb.directory.addUser({ primaryEmail: `new.joiner@${sb.directory.domain}`, givenName: 'New', familyName: 'Joiner', employeeNumber: 'E-NEW-1' });
      await syncNow(ctx, id);
      const employee = (await syncedPeople(ctx, id)).get(joined.id);
      assert.ok(employee, 'the joiner is synced');
      assert.ok(await ctx.store.db.selectFrom('group_memberships').select('employee_id').where('group_id', '=', row.id).where('employee_id', '=', employee).executeTakeFirst(), 'and is in the whole-organisation group');
    });

    it('a group nested in two groups is one group with a link to its second parent, counted in both', async () => {
      const divisions = sb.directory.allGroups().filter((g) => g.members.some((m) => m.type === 'GROUP') && g.members.every((m) => m.type !== 'USER'));
      assert.ok(divisions.length >= 2, 'the sandbox has two division groups');
      const [a, b] = divisions as [(typeof divisions)[0], (typeof divisions)[0]];
      const dept = sb.directory.group(a.members.find((m) => m.type === 'GROUP')!.id)!;
      sb.directory.addMember(b.email, { email: dept.email });
      await syncNow(ctx, id);
      const rows = await groupRow(ctx, dept.id);
      assert.equal(rows.length, 1, 'not copied');
      assert.equal(rows[0]!.parent_id, (await groupRow(ctx, a.id))[0]!.id, 'still where it sat');
      // Every other group holding it in the source (b, and any other the seed nests it in) is a link.
      const holders = sb.directory.allGroups().filter((g) => g.id !== a.id && g.members.some((m) => m.id === dept.id));
      assert.ok(holders.some((g) => g.id === b.id));
      const links = await ctx.store.db.selectFrom('group_parents').select(['group_id', 'parent_id']).where('tenant_id', '=', tenantId).execute();
      const holderRows = await Promise.all(holders.map(async (g) => (await groupRow(ctx, g.id))[0]!.id));
      assert.deepEqual(links.map((l) => l.parent_id).sort(), holderRows.sort());
      assert.ok(links.every((l) => l.group_id === rows[0]!.id));
      const [first, second] = [a, b];
      const people = await syncedPeople(ctx, id);
      const usersIn = (g: typeof a): string[] => g.members.flatMap((m) => (m.type === 'USER' ? [m.id] : m.type === 'GROUP' ? usersIn(sb.directory.group(m.id)!) : []));
      for (const parent of [first, second]) {
        const expected = new Set(usersIn(sb.directory.group(parent.id)!).flatMap((u) => (people.has(u) ? [people.get(u)!] : []))).size;
        assert.equal((await groupDetail(ctx, tenantId, (await groupRow(ctx, parent.id))[0]!.id)).headcount, expected, `${parent.name} counts the group nested in it`);
      }
    });
  });
}
