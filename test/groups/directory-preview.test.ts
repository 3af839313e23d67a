/**
 * The directory-groups preview (POST /integrations/{id}/group-sync/directory-preview): which Entra
 * groups a selection picks, before saving, read live from the Entra sandbox, over the HTTP API on
 * SQLite and PostgreSQL. Checked against the sandbox's own directory: the picked groups, how each
 * pattern matched, nesting, people in the source and the headcount ReFresh would show (the
 * integration's employees, sub-groups included), groups left out; nothing is saved; after saving and
 * syncing, the preview names the synced groups and its headcounts are theirs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import type { EntraGroup } from '../../src/providers/entra/sandbox/directory.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { apiCaller, FAST_HTTP, testConfig, type ApiCall } from '../helpers/harness.ts';

const tenantId = DEFAULT_TENANT_ID;

interface Node {
  id: string | null;
  key: string;
  name: string;
  pickedBy: string;
  status: string;
  people: number;
  headcount: number;
  skipped: number;
  childCount: number;
  children: Node[];
}
const flat = (nodes: Node[]): Node[] => nodes.flatMap((n) => [n, ...flat(n.children)]);

for (const dialect of DIALECTS) {
  describe(`directory-groups preview over the API on ${dialect}`, () => {
    let sb: EntraSandbox;
    let ctx: AppContext;
    let app: FastifyInstance;
    let api: ApiCall;
    let id: string;
    /** External ids of the integration's synced people (linked, in scope, active). */
    let employees: Set<string>;
    const preview = (body?: unknown) => api('POST', `/integrations/${id}/group-sync/directory-preview`, body);
    /** People in a sandbox group and its nested groups. */
    const peopleIn = (g: EntraGroup) => sb.directory.transitiveMembers(g).filter((m) => sb.directory.kindOf(m) === 'user');

    before(async () => {
      sb = await startEntraSandbox({ employees: 50, seed: 12 });
      ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
      ctx.worker.start();
      const key = generateApiKey();
      await registerApiKey(ctx.store.db, tenantId, key, 'test');
      app = await buildServer(ctx);
      await app.listen({ port: 0, host: '127.0.0.1' });
      api = apiCaller({ base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, key });
      const created = await api('POST', '/integrations', { provider: 'entra', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      id = created.body.id;
      assert.equal((await api('PATCH', `/integrations/${id}`, { userSync: { enabled: true } })).status, 200);
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).executeTakeFirstOrThrow();
      assert.equal((await waitForRun(ctx.engine, tenantId, first.id)).status, 'succeeded');
      const links = await ctx.store.db.selectFrom('employee_links').select('external_id').where('integration_id', '=', id).where('employee_id', 'is not', null).where('in_scope', '=', 1).where('source_status', '=', 'active').execute();
      employees = new Set(links.map((l) => l.external_id));
    });
    after(async () => {
      await app.close();
      await ctx.close();
      await sb.close();
    });

    it('include patterns: the groups each names, people and headcounts from the source, the rest left out; nothing saved', async () => {
      const res = await preview({ directoryGroups: { include: ['Abt. *', 'LEADERS@acme.example', 'Sales Team*'] } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const p = res.body;
      const all = sb.directory.allGroups();
      const departments = all.filter((g) => g.displayName.startsWith('Abt. '));
      const leaders = all.find((g) => g.mail === 'leaders@acme.example')!;
      assert.equal(p.basis, 'live from the provider');
      assert.equal(p.type, 'Entra group');
      assert.equal(p.total, all.length);
      assert.deepEqual(p.patterns, [
        { pattern: 'Abt. *', matches: departments.length },
        { pattern: 'LEADERS@acme.example', matches: 1 },
        { pattern: 'Sales Team*', matches: 0 },
      ]);
      const nodes = flat(p.groups);
      assert.deepEqual(nodes.map((n) => n.key).sort(), [...departments, leaders].map((g) => g.id).sort());
      assert.equal(p.selected, nodes.length);
      assert.ok(nodes.every((n) => n.id === null && n.status === 'new'), 'nothing synced yet');
      for (const g of [...departments, leaders]) {
        const node = nodes.find((n) => n.key === g.id)!;
        const people = peopleIn(g);
        assert.equal(node.people, people.length, `${g.displayName}: people in the source`);
        assert.equal(node.headcount, people.filter((u) => employees.has(u)).length, `${g.displayName}: ReFresh employees`);
        assert.equal(node.pickedBy, g === leaders ? 'LEADERS@acme.example' : 'Abt. *');
      }
      const it = nodes.find((n) => sb.directory.group(n.key)!.members.some((m) => sb.directory.kindOf(m) === 'servicePrincipal'))!;
      assert.ok(it.skipped >= 1, 'the service principal would be skipped');
      assert.equal(p.leftTotal, all.length - nodes.length);
      assert.ok(p.left.some((g: { name: string }) => g.name === 'All Company'));
      assert.equal(p.changes.create, nodes.length);
      assert.equal(p.changes.membershipsAdded, nodes.reduce((s, n) => s + (sb.directory.group(n.key)!.members.filter((m) => employees.has(m)).length), 0));

      const saved = await api('GET', `/integrations/${id}`);
      assert.equal(saved.body.groupSync.directoryGroups ?? null, null, 'the preview saves nothing');
      assert.equal((await ctx.store.db.selectFrom('groups').select('id').where('tenant_id', '=', tenantId).execute()).length, 0);
    });

    it('a picked division brings its departments nested under it; its headcount counts them, each person once', async () => {
      const division = sb.directory.allGroups().find((g) => g.members.some((m) => sb.directory.kindOf(m) === 'group'))!;
      const res = await preview({ directoryGroups: { include: [division.displayName] } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.groups.length, 1);
      const root: Node = res.body.groups[0];
      assert.equal(root.key, division.id);
      assert.equal(root.pickedBy, division.displayName);
      const children = division.members.filter((m) => sb.directory.kindOf(m) === 'group');
      assert.deepEqual(root.children.map((c) => c.key).sort(), [...children].sort());
      assert.equal(root.childCount, children.length);
      assert.ok(root.children.every((c) => c.pickedBy === `nested in ${division.displayName}`));
      const people = peopleIn(division);
      assert.equal(root.people, people.length);
      assert.equal(root.headcount, people.filter((u) => employees.has(u)).length);
      assert.ok(root.headcount > 0);
    });

    it('after saving "all" and a sync, the preview names the synced groups, and their headcounts are the ones the Groups API shows', async () => {
      const patched = await api('PATCH', `/integrations/${id}`, { groupSync: { enabled: true, directoryGroups: 'all' } });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).where('status', 'in', ['queued', 'running']).executeTakeFirstOrThrow();
      assert.equal((await waitForRun(ctx.engine, tenantId, queued.id)).status, 'succeeded');
      const res = await preview();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.directoryGroups, 'all', 'the saved selection by default');
      const nodes = flat(res.body.groups);
      assert.equal(nodes.length, sb.directory.allGroups().length);
      assert.equal(res.body.leftTotal, 0);
      assert.deepEqual(res.body.changes, { create: 0, rename: 0, move: 0, archive: 0, revive: 0, membershipsAdded: 0, membershipsRemoved: 0 });
      for (const n of nodes) {
        assert.equal(n.status, 'existing');
        const g = await api('GET', `/groups/${n.id}`);
        assert.equal(g.status, 200);
        assert.equal(g.body.source.key, n.key);
        assert.equal(n.headcount, g.body.headcount, `${n.name}: the preview's headcount is the group's`);
      }
      // A narrower selection shows what it would archive.
      const narrow = await preview({ directoryGroups: { include: ['Leaders'] } });
      assert.equal(narrow.body.changes.archive, nodes.length - 1);
    });

    it('refuses what it cannot preview: an HRIS, an empty include list', async () => {
      const bamboo = await api('POST', '/integrations', { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: 'http://127.0.0.1:9' } });
      const none = await api('POST', `/integrations/${bamboo.body.id}/group-sync/directory-preview`, {});
      assert.equal(none.status, 400);
      assert.match(none.body.error.message, /no groups of its own/);
      const empty = await preview({ directoryGroups: { include: [] } });
      assert.equal(empty.status, 400);
      assert.match(empty.body.error.message, /include needs at least one/);
    });
  });
}
