import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { readCredentials } from '../../src/store/integrations.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { listChanges } from '../../src/store/run-changes.ts';
import { allGroups, headcounts, type Group } from '../../src/store/groups.ts';
import { listEmployees, toEmployee } from '../../src/store/employees.ts';
import type { Run } from '../../src/store/runs.ts';
import type { BambooEmployee } from '../../src/providers/bamboohr/sandbox/roster.ts';

const MAPPING = [
  { attribute: 'division', type: 'Division' },
  { attribute: 'department', type: 'Department', parent: 'division' },
  { attribute: 'location', type: 'Location' },
];

for (const dialect of DIALECTS) {
  describe(`Group Sync on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    let enableRun: Run;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const synced = () => h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);
    const groups = async () => (await allGroups(h.ctx.store.db, h.tenantId)).filter((g) => g.origin === 'synced');
    const active = async () => (await groups()).filter((g) => !g.archived);
    const employeeIdOf = async (p: BambooEmployee) => {
      const rows = await listEmployees(h.ctx.store.db, h.tenantId, { limit: 10, email: p.workEmail!.toLowerCase() });
      return rows[0]!.id;
    };
    const membersOf = async (groupId: string, origin = 'synced') =>
      (await h.ctx.store.db.selectFrom('group_memberships').select('employee_id').where('group_id', '=', groupId).where('origin', '=', origin).execute()).map((r) => r.employee_id).sort();

    before(async () => {
      h = await openHarness(dialect, { employees: 40, seed: 23 });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('refuses bad mappings with a clear 400, and names a nesting cycle', async () => {
      const cycle = await call('PATCH', `/integrations/${h.integration.id}`, {
        groupSync: { enabled: true, mapping: [{ attribute: 'department', type: 'Department', parent: 'division' }, { attribute: 'division', type: 'Division', parent: 'department' }] },
      });
      assert.equal(cycle.status, 400);
      assert.equal(cycle.body.error.code, 'invalid_request');
      assert.match(cycle.body.error.message, /department → division → department is a cycle/);
      const unknown = await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { enabled: true, mapping: [{ attribute: 'shoeSize', type: 'Shoe' }] } });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /"shoeSize" cannot become groups/);
      const unimported = await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { enabled: true, mapping: [{ attribute: 'custom.team', type: 'Team' }] } });
      assert.equal(unimported.status, 400);
      assert.match(unimported.body.error.message, /"custom.team" is not imported from BambooHR/);
      // Names that reach Object.prototype, and names the integration does not import, are refused at the entry at fault, saying what may be used.
      for (const attribute of ['__proto__', 'constructor', 'prototype', 'custom.__proto__', 'custom.constructor', 'custom.a.prototype']) {
        const res = await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { mapping: [{ attribute: 'department', type: 'Department' }, { attribute, type: 'X' }] } });
        assert.equal(res.status, 400, `${attribute}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.details.field, 'groupSync.mapping.1.attribute', attribute);
        assert.match(res.body.error.message, new RegExp(`^groupSync\\.mapping\\.1\\.attribute: "${attribute.replace(/\./g, '\\.')}" cannot become groups; use one of department, division`), attribute);
      }
      assert.equal(unimported.body.error.details.field, 'groupSync.mapping.0.attribute');
      assert.match(unimported.body.error.message, /use one of the attributes it imports: [^;]*department/);
      const field = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { fieldMapping: { workEmail: 'email', department: 'custom.__proto__' } } });
      assert.equal(field.status, 400, 'a field mapping may not write custom.__proto__ either');
      assert.match(field.body.error.message, /"custom.__proto__" \(mapped from "department"\) is not a ReFresh field/);
      const previewed = await call('POST', `/integrations/${h.integration.id}/group-sync/preview`, { mapping: [{ attribute: 'constructor', type: 'X' }] });
      assert.equal(previewed.status, 400);
      assert.equal(previewed.body.error.details.field, 'mapping.0.attribute');
      const parent = await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { mapping: [{ attribute: 'department', type: 'Department', parent: 'division' }] } });
      assert.equal(parent.status, 400);
      assert.match(parent.body.error.message, /nested under "division", which is not in the mapping/);
      assert.equal(parent.body.error.details.field, 'groupSync.mapping.0.parent');
      assert.deepEqual((await call('GET', `/integrations/${h.integration.id}`)).body.groupSync.mapping, [], 'no refused mapping was saved');
      assert.equal((await groups()).length, 0, 'nothing saved or synced');
    });

    it('enables Group Sync only on a connected integration with User Auto-Sync on', async () => {
      const enable = { groupSync: { enabled: true, mapping: [{ attribute: 'department', type: 'Department' }] } };
      const disconnected = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'bamboohr', name: 'Not yet', settings: { companyDomain: 'acme', baseUrl: h.sandbox.url } });
      const notConnected = await call('PATCH', `/integrations/${disconnected.id}`, enable);
      assert.equal(notConnected.status, 409);
      assert.equal(notConnected.body.error.code, 'not_connected');
      const credentials = (await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id))!;
      const idle = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'bamboohr', name: 'Idle', settings: { companyDomain: 'acme', baseUrl: h.sandbox.url }, credentials });
      const noUserSync = await call('PATCH', `/integrations/${idle.id}`, enable);
      assert.equal(noUserSync.status, 409);
      assert.equal(noUserSync.body.error.code, 'user_sync_disabled');
      assert.match(noUserSync.body.error.message, /turn on User Auto-Sync/);
    });

    it('previews the groups and headcounts a mapping would produce, without saving', async () => {
      const preview = await call('POST', `/integrations/${h.integration.id}/group-sync/preview`, { mapping: MAPPING });
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.equal(preview.body.basedOn.people, synced().length);
      const divisions = new Set(synced().map((p) => p.division).filter(Boolean));
      const roots = preview.body.groups.filter((g: { type: string }) => g.type === 'Division');
      assert.equal(roots.length, divisions.size);
      const total = roots.reduce((n: number, g: { children: unknown[] }) => n + g.children.length, 0);
      assert.equal(total, new Set(synced().map((p) => p.department).filter(Boolean)).size, 'every department nested under a division');
      assert.equal(preview.body.changes.create, preview.body.groups.length + total);
      assert.equal((await groups()).length, 0);
    });

    it('enabling Group Sync runs a sync that creates divisions, departments nested under them and locations with correct headcounts', async () => {
      const before = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).execute();
      const res = await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { enabled: true, mapping: MAPPING } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.groupSync, { enabled: true, mapping: MAPPING });
      const runs = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).orderBy('id', 'desc').execute();
      assert.equal(runs.length, before.length + 1, 'enabling queued a run');
      enableRun = await waitForRun(h.ctx.engine, h.tenantId, runs[0]!.id);
      assert.equal(enableRun.status, 'succeeded', JSON.stringify(enableRun.error));

      const people = synced();
      const all = await active();
      for (const [attribute, type] of [['division', 'Division'], ['department', 'Department'], ['location', 'Location']] as const) {
        const expected = new Set(people.map((p) => p[attribute]).filter((v): v is string => !!v));
        const made = all.filter((g) => g.attribute === attribute);
        assert.deepEqual(made.map((g) => g.name).sort(), [...expected].sort(), attribute);
        assert.ok(made.every((g) => g.type === type && g.sourceKey!.startsWith('id:')), 'keyed by BambooHR list option ids');
      }
      const byId = new Map(all.map((g) => [g.id, g]));
      const counts = await headcounts(h.ctx.store.db, h.tenantId, all.map((g) => g.id));
      // The run stored the headcounts lists read: the same as counting from scratch.
      for (const g of all) assert.equal(g.headcount, counts.get(g.id), `stored headcount of ${g.name}`);
      for (const dept of all.filter((g) => g.attribute === 'department')) {
        const members = people.filter((p) => p.department === dept.name);
        assert.equal(counts.get(dept.id), members.length, `headcount of ${dept.name}`);
        const parent = byId.get(dept.parentId!);
        assert.equal(parent?.attribute, 'division', `${dept.name} nests under a division`);
        const votes = new Map<string, number>();
        for (const p of members) if (p.division) votes.set(p.division, (votes.get(p.division) ?? 0) + 1);
        assert.equal(votes.get(parent!.name), Math.max(...votes.values()), `${dept.name} sits under its majority division`);
      }
      for (const div of all.filter((g) => g.attribute === 'division')) {
        const depts = new Set(all.filter((g) => g.parentId === div.id).map((g) => g.name));
        const expected = people.filter((p) => p.division === div.name || (p.department && depts.has(p.department))).length;
        assert.equal(counts.get(div.id), expected, `headcount of ${div.name} counts its departments' people once`);
      }
      for (const loc of all.filter((g) => g.attribute === 'location')) assert.equal(counts.get(loc.id), people.filter((p) => p.location === loc.name).length);

      // The Employees list filters by group, sub-groups included, the same way headcounts count.
      const division = all.find((g) => g.attribute === 'division' && all.some((d) => d.parentId === g.id))!;
      const listed = await call('GET', `/employees?groupId=${division.id}&status=active&limit=1000`);
      assert.equal(listed.status, 200);
      assert.equal(listed.body.data.length, counts.get(division.id));
      const bySource = await call('GET', `/employees?integrationId=${h.integration.id}&limit=1000`);
      assert.ok(bySource.body.data.length >= people.length);
      assert.ok(bySource.body.data.every((e: { links: { integrationId: string }[] }) => e.links.some((l) => l.integrationId === h.integration.id)));
      const none = await call('GET', '/employees?integrationId=none&limit=1000');
      assert.ok(none.body.data.every((e: { links: unknown[] }) => e.links.length === 0));

      const changes = await listChanges(h.ctx.store.db, h.tenantId, enableRun.id, { limit: 10_000 });
      assert.equal(changes.filter((c) => c.kind === 'group_created').length, all.length);
      assert.equal(changes.filter((c) => c.kind === 'membership_added').length, people.reduce((n, p) => n + [p.division, p.department, p.location].filter(Boolean).length, 0));
      assert.ok(changes.every((c) => c.applied));
      const audit = await h.ctx.store.db.selectFrom('audit_events').select('action').where('action', '=', 'group.created').execute();
      assert.equal(audit.length, all.length);
    });

    it('lists groups flat and as a tree with headcounts, and shows groups on the employee', async () => {
      const flat = await call('GET', '/groups?view=flat&type=Department&limit=1000');
      assert.equal(flat.status, 200);
      assert.ok(flat.body.data.length > 0 && flat.body.data.every((g: { type: string; origin: string }) => g.type === 'Department' && g.origin === 'synced'));
      const tree = await call('GET', '/groups?view=tree');
      const divisions = tree.body.data.filter((g: { type: string }) => g.type === 'Division');
      assert.ok(divisions.some((d: { children: unknown[] }) => d.children.length > 0));
      // A large tree comes in pages: at most `limit` groups in all, whole families, `childCount` for the rest.
      const nodes = (list: { children: unknown[] }[]): number => list.reduce((n, g) => n + 1 + nodes(g.children as { children: unknown[] }[]), 0);
      const small = await call('GET', '/groups?view=tree&limit=3');
      assert.ok(nodes(small.body.data) <= 3, JSON.stringify(small.body.data));
      const parent = divisions.find((d: { childCount: number }) => d.childCount > 0)!;
      const family = await call('GET', `/groups?view=tree&parentId=${parent.id}&limit=1000`);
      assert.equal(family.body.data.length, parent.childCount);
      assert.ok(family.body.data.every((g: { parentId: string }) => g.parentId === parent.id));
      const counted = await headcounts(h.ctx.store.db, h.tenantId, family.body.data.map((g: { id: string }) => g.id));
      assert.ok(family.body.data.every((g: { id: string; headcount: number }) => g.headcount === counted.get(g.id)));
      const paged = await call('GET', '/groups?limit=2');
      assert.equal(paged.body.data.length, 2);
      const next = await call('GET', `/groups?limit=2&cursor=${paged.body.nextCursor}`);
      assert.notEqual(next.body.data[0].id, paged.body.data[0].id);
      const person = synced().find((p) => p.department && p.location)!;
      const employee = await call('GET', `/employees/${await employeeIdOf(person)}`);
      const names = employee.body.groups.map((g: { name: string; origin: string }) => `${g.name}/${g.origin}`).sort();
      assert.deepEqual(names, [person.department, person.division, person.location].filter(Boolean).map((n) => `${n}/synced`).sort());
      const explain = await call('GET', `/employees/${await employeeIdOf(person)}/explain`);
      assert.equal(explain.status, 200);
      const dept = explain.body.groups.find((g: { type: string }) => g.type === 'Department');
      assert.equal(dept.why, `BambooHR gives department = ${person.department} (Group Sync of BambooHR)`);
    });

    it('locks a synced group\'s name, type and parent (409 naming the source), and refuses removing a synced membership', async () => {
      const eng = (await active()).find((g) => g.attribute === 'department')!;
      const rename = await call('PATCH', `/groups/${eng.id}`, { name: 'Whatever' });
      assert.equal(rename.status, 409);
      assert.equal(rename.body.error.code, 'group_locked');
      assert.equal(rename.body.error.message, `${eng.name} is managed by BambooHR; rename it there.`);
      assert.equal((await call('PATCH', `/groups/${eng.id}`, { type: 'Team' })).status, 409);
      assert.equal((await call('PATCH', `/groups/${eng.id}`, { parentId: null })).status, 409);
      const [member] = await membersOf(eng.id);
      const remove = await call('DELETE', `/groups/${eng.id}/members/${member}`);
      assert.equal(remove.status, 409);
      assert.equal(remove.body.error.code, 'membership_synced');
      assert.match(remove.body.error.message, /because BambooHR says so/);
    });

    it('renaming a department in the sandbox renames the same group (same id, memberships kept)', async () => {
      const people = synced();
      const dept = (await active()).filter((g) => g.attribute === 'department').sort((a, b) => a.name.localeCompare(b.name))[0]!;
      const before = await membersOf(dept.id);
      assert.ok(before.length > 0);
      h.sandbox.roster.renameListOption('department', dept.name, `${dept.name} Ω`);
      const run = await h.sync('incremental');
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const after = (await groups()).find((g) => g.id === dept.id)!;
      assert.equal(after.name, `${dept.name} Ω`);
      assert.equal(after.archived, false);
      assert.deepEqual(await membersOf(dept.id), before);
      assert.equal((await groups()).filter((g) => g.attribute === 'department' && g.name.startsWith(dept.name)).length, 1, 'no second group');
      const changes = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 1000, kind: 'group_renamed' });
      assert.deepEqual(changes.map((c) => [c.before, c.after]), [[{ name: dept.name }, { name: `${dept.name} Ω` }]]);
      assert.equal(people.length, synced().length);
    });

    it('a person moved to another department is in the new group and out of the old one; a manual membership survives every run', async () => {
      const depts = (await active()).filter((g) => g.attribute === 'department');
      const from = depts.find((g) => synced().filter((p) => p.department === g.name).length >= 2)!;
      const to = depts.find((g) => g.id !== from.id)!;
      const person = synced().find((p) => p.department === from.name)!;
      const employeeId = await employeeIdOf(person);
      // A membership added by hand to the same group (and to a manual group) is the admin's.
      assert.equal((await call('POST', `/groups/${from.id}/members`, { employeeIds: [employeeId] })).status, 201);
      const manual = await call('POST', '/groups', { name: 'Book Club', type: 'Club' });
      assert.equal(manual.status, 201);
      assert.equal((await call('POST', `/groups/${manual.body.id}/members`, { employeeId })).status, 201);

      h.sandbox.roster.update(person.id, { department: to.name });
      const run = await h.sync('incremental');
      assert.equal(run.status, 'succeeded');
      assert.ok((await membersOf(to.id)).includes(employeeId), 'in the new department');
      assert.ok(!(await membersOf(from.id)).includes(employeeId), 'synced membership of the old one removed');
      assert.ok((await membersOf(from.id, 'manual')).includes(employeeId), 'manual membership kept');
      const changes = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 100 });
      assert.ok(changes.some((c) => c.kind === 'membership_added' && c.employeeId === employeeId && c.displayName === to.name));
      assert.ok(changes.some((c) => c.kind === 'membership_removed' && c.employeeId === employeeId && c.displayName === from.name));

      await h.sync('full');
      assert.ok((await membersOf(from.id, 'manual')).includes(employeeId));
      assert.ok((await membersOf(manual.body.id, 'manual')).includes(employeeId));
      const detail = await call('GET', `/groups/${from.id}`);
      assert.ok(detail.body.members.some((m: { employeeId: string; origin: string }) => m.employeeId === employeeId && m.origin === 'manual'));
      const employee = await call('GET', `/employees/${employeeId}`);
      assert.ok(employee.body.groups.some((g: { id: string; origin: string }) => g.id === from.id && g.origin === 'manual'));
      assert.ok(employee.body.groups.some((g: { id: string; origin: string }) => g.id === to.id && g.origin === 'synced'));
      // The manual membership can be removed by hand.
      const removed = await call('DELETE', `/groups/${from.id}/members`, { employeeIds: [employeeId] });
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.ok(!(await membersOf(from.id, 'manual')).includes(employeeId));
    });

    it('a unit that disappears is archived (memberships removed, group kept) and comes back when it returns', async () => {
      const locs = (await active()).filter((g) => g.attribute === 'location');
      const gone = locs.sort((a, b) => (synced().filter((p) => p.location === a.name).length - synced().filter((p) => p.location === b.name).length))[0]!;
      const target = locs.find((g) => g.id !== gone.id)!;
      const movers = synced().filter((p) => p.location === gone.name);
      for (const p of movers) h.sandbox.roster.update(p.id, { location: target.name });
      const run = await h.sync('incremental');
      assert.equal(run.status, 'succeeded');
      const archived = (await groups()).find((g) => g.id === gone.id)!;
      assert.equal(archived.archived, true);
      assert.ok(archived.archivedAt);
      assert.deepEqual(await membersOf(gone.id), []);
      const changes = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 1000, kind: 'group_archived' });
      assert.equal(changes.length, 1);
      assert.match(changes[0]!.reason!, /nobody in BambooHR holds this unit/);
      const flat = await call('GET', '/groups?view=flat&limit=1000');
      assert.ok(!flat.body.data.some((g: { id: string }) => g.id === gone.id), 'archived groups are hidden by default');
      const withArchived = await call('GET', '/groups?view=flat&limit=1000&includeArchived=true');
      assert.ok(withArchived.body.data.some((g: { id: string; archived: boolean }) => g.id === gone.id && g.archived));

      h.sandbox.roster.update(movers[0]!.id, { location: gone.name });
      const back = await h.sync('incremental');
      const revived = (await groups()).find((g) => g.id === gone.id)!;
      assert.equal(revived.archived, false);
      assert.deepEqual(await membersOf(gone.id), [await employeeIdOf(movers[0]!)]);
      assert.equal((await listChanges(h.ctx.store.db, h.tenantId, back.id, { limit: 10, kind: 'group_revived' })).length, 1);
    });

    it('archives beyond the safeguard hold the run for approval; people are synced, groups wait', async () => {
      await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { safeguard: { maxDeactivations: 0 } } });
      const loc = (await active()).filter((g) => g.attribute === 'location').find((g) => synced().some((p) => p.location === g.name))!;
      const other = (await active()).find((g) => g.attribute === 'location' && g.id !== loc.id)!;
      const members = await membersOf(loc.id);
      const movers = synced().filter((p) => p.location === loc.name);
      for (const p of movers) h.sandbox.roster.update(p.id, { location: other.name });
      const run = await h.sync('incremental');
      assert.equal(run.status, 'blocked');
      assert.equal(run.error!.code, 'safeguard_blocked');
      assert.match(run.error!.message, /would archive 1 of \d+ synced groups .*more than the safeguard allows.*approve the run/);
      assert.equal((await groups()).find((g) => g.id === loc.id)!.archived, false);
      assert.deepEqual(await membersOf(loc.id), members, 'members of a held group are kept');
      const moved = toEmployee((await h.ctx.store.db.selectFrom('employees').selectAll().where('id', '=', await employeeIdOf(movers[0]!)).executeTakeFirstOrThrow()));
      assert.equal(moved.fields.location, other.name, 'the people part of the run was applied');
      const skipped = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 10, kind: 'skipped' });
      assert.equal(skipped.length, 1);

      const { approveRun } = await import('../../src/app/runs-service.ts');
      await approveRun(h.ctx, h.tenantId, run.id);
      const approved = await waitForRun(h.ctx.engine, h.tenantId, run.id);
      assert.equal(approved.status, 'succeeded');
      assert.equal((await groups()).find((g) => g.id === loc.id)!.archived, true, 'archived once approved');
      assert.equal((await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 10, kind: 'group_archived' })).length, 1);
      await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { safeguard: { maxDeactivations: null } } });
    });

    /** Moves everyone out of a location group the source still lists, so the next run wants to archive it (held by a zero cap). */
    const holdArchiveOf = async () => {
      await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { safeguard: { maxDeactivations: 0 } } });
      const locations = (await active()).filter((g) => g.attribute === 'location' && synced().some((p) => p.location === g.name));
      const [loc, other, third] = locations;
      assert.ok(loc && other && third, 'three locations with people');
      for (const p of synced().filter((x) => x.location === loc.name)) h.sandbox.roster.update(p.id, { location: other.name });
      const run = await h.sync('incremental');
      assert.equal(run.status, 'blocked', JSON.stringify(run.error));
      assert.equal(run.phase, 'groups');
      return { run, loc, other, third };
    };
    const locationOption = (name: string) => h.sandbox.roster.lists().find((l) => l.alias === 'location')!.options.find((o) => o.name === name)!;

    it('approving a run held on group archives after the Group Sync settings changed answers 409 plan_stale and archives nothing', async () => {
      const { run, loc } = await holdArchiveOf();
      const mapping = (await call('GET', `/integrations/${h.integration.id}`)).body.groupSync.mapping;
      const renamed = mapping.map((m: { attribute: string; type: string }) => (m.attribute === 'location' ? { ...m, type: 'Office' } : m));
      assert.equal((await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { mapping: renamed } })).status, 200);
      const res = await call('POST', `/runs/${run.id}/approve`);
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'plan_stale');
      assert.match(res.body.error.message, /Group Sync settings or field mapping changed.*None of the group archives it held was applied/);
      const after = (await call('GET', `/runs/${run.id}`)).body;
      assert.equal(after.status, 'rejected');
      assert.equal(after.error.code, 'plan_stale');
      assert.equal((await groups()).find((g) => g.id === loc.id)!.archived, false, 'nothing archived');
      // Putting the mapping back starts a fresh run: it plans again, holds the same archive, and its approval applies it.
      assert.equal((await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { mapping } })).status, 200);
      const latest = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.notEqual(latest.id, run.id);
      const fresh = await waitForRun(h.ctx.engine, h.tenantId, latest.id);
      assert.equal(fresh.status, 'blocked');
      assert.equal((await call('POST', `/runs/${fresh.id}/approve`)).status, 202);
      assert.equal((await waitForRun(h.ctx.engine, h.tenantId, fresh.id)).status, 'succeeded');
      assert.equal((await groups()).find((g) => g.id === loc.id)!.archived, true);
    });

    it('an approval archives only the groups it was shown: one the source archived meanwhile is held again, not archived unseen', async () => {
      const { run, loc, third } = await holdArchiveOf();
      // While the run waits, the source archives another location its people still hold.
      locationOption(third.name).archived = true;
      try {
        assert.equal((await call('POST', `/runs/${run.id}/approve`)).status, 202);
        const again = await waitForRun(h.ctx.engine, h.tenantId, run.id);
        assert.equal(again.status, 'blocked', 'held again on the archive nobody approved');
        assert.match(again.error!.message, new RegExp(`would archive 1 of \\d+ synced groups \\(${third.name}\\)`));
        assert.equal((await groups()).find((g) => g.id === loc.id)!.archived, true, 'the approved archive was applied');
        assert.equal((await groups()).find((g) => g.id === third.id)!.archived, false, 'the one nobody saw was not');
        assert.ok((await membersOf(third.id)).length > 0, 'and keeps its members');
        assert.equal((await call('POST', `/runs/${run.id}/approve`)).status, 202);
        assert.equal((await waitForRun(h.ctx.engine, h.tenantId, run.id)).status, 'succeeded');
        assert.equal((await groups()).find((g) => g.id === third.id)!.archived, true, 'archived once approved in turn');
      } finally {
        locationOption(third.name).archived = false;
        await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { safeguard: { maxDeactivations: null } } });
      }
      await h.sync('incremental');
      assert.equal((await groups()).find((g) => g.id === third.id)!.archived, false, 'revived when the source lists it again');
    });

    it('manual groups: create, nest, rename; cycles refused; headcount counts sub-groups\' people once', async () => {
      const people = (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 3, status: 'active' })).map(toEmployee);
      const top = (await call('POST', '/groups', { name: 'All Hands', type: 'Community' })).body as Group;
      const child = await call('POST', '/groups', { name: 'Guild', type: 'Guild', parentId: top.id });
      assert.equal(child.status, 201);
      assert.equal(child.body.parentId, top.id);
      await call('POST', `/groups/${top.id}/members`, { employeeIds: [people[0]!.id] });
      await call('POST', `/groups/${child.body.id}/members`, { employeeIds: [people[0]!.id, people[1]!.id] });
      const detail = await call('GET', `/groups/${top.id}`);
      assert.equal(detail.body.headcount, 2);
      assert.equal(detail.body.children[0].headcount, 2);
      const cycle = await call('PATCH', `/groups/${top.id}`, { parentId: child.body.id });
      assert.equal(cycle.status, 400);
      assert.match(cycle.body.error.message, /Guild is inside All Hands/);
      const renamed = await call('PATCH', `/groups/${child.body.id}`, { name: 'Rust Guild' });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'Rust Guild');
      const search = await call('GET', '/groups?view=tree&q=rust');
      assert.equal(search.body.data.length, 1);
      assert.equal(search.body.data[0].name, 'All Hands');
      assert.equal(search.body.data[0].children[0].name, 'Rust Guild');
      assert.equal((await call('GET', '/groups/nope')).status, 404);
    });
  });
}
