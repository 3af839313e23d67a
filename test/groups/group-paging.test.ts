import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { allGroups } from '../../src/store/groups.ts';

const MAPPING = [
  { attribute: 'division', type: 'Division' },
  { attribute: 'department', type: 'Department', parent: 'division' },
  { attribute: 'location', type: 'Location' },
];

interface Node {
  id: string | null;
  name: string;
  parentId: string | null;
  childCount: number;
  children: Node[];
}

const nodes = (list: readonly Node[]): Node[] => list.flatMap((n) => [n, ...nodes(n.children)]);

/**
 * Group Sync at scale, in behaviour: the group list and tree come in pages that, walked to the end,
 * hold every group exactly once; the preview's tree holds at most its limit (whole families, each
 * node saying how many sub-groups it has) while its totals count every group; and a preview asked
 * again after the data changed answers from the new data.
 */
for (const dialect of DIALECTS) {
  describe(`Group Sync paging on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const active = async () => (await allGroups(h.ctx.store.db, h.tenantId)).filter((g) => !g.archived);

    before(async () => {
      h = await openHarness(dialect, { employees: 80, seed: 31 });
      ({ app, base, key } = await serveApi(h));
      const res = await call('PATCH', `/integrations/${h.integration.id}`, { groupSync: { enabled: true, mapping: MAPPING } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const run = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.equal((await waitForRun(h.ctx.engine, h.tenantId, run.id)).status, 'succeeded');
      // A manual group nested under a synced one, so pages mix both origins.
      const division = (await active()).find((g) => g.attribute === 'division')!;
      assert.equal((await call('POST', '/groups', { name: 'Book Club', type: 'Club', parentId: division.id })).status, 201);
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('the flat list, walked page by page, holds every group exactly once', async () => {
      const all = await active();
      assert.ok(all.length > 10, `enough groups to page: ${all.length}`);
      const seen: string[] = [];
      let pages = 0;
      for (let cursor: string | null = null; pages === 0 || cursor; pages += 1) {
        const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await call('GET', `/groups?view=flat&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(res.status, 200);
        assert.ok(res.body.data.length <= 4, 'a page holds at most its limit');
        seen.push(...res.body.data.map((g) => g.id));
        cursor = res.body.nextCursor;
        assert.ok(pages < 1000, 'the walk ends');
      }
      assert.equal(new Set(seen).size, seen.length, 'no group twice');
      assert.deepEqual([...seen].sort(), all.map((g) => g.id).sort(), 'every group');
    });

    it('the tree, walked by its top-level pages and each family not shown (parentId), holds every group exactly once', async () => {
      const all = await active();
      const seen: string[] = [];
      let requests = 0;
      /** Every page of one level (top level, or a group's sub-groups), each page at most `limit` nodes in all. */
      const walk = async (parentId: string | null): Promise<void> => {
        for (let cursor: string | null = null, first = true; first || cursor; first = false) {
          requests += 1;
          assert.ok(requests < 2000, 'the walk ends');
          const res: { status: number; body: { data: Node[]; nextCursor: string | null } } = await call('GET', `/groups?view=tree&limit=5${parentId ? `&parentId=${parentId}` : ''}${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(res.status, 200);
          const shown = nodes(res.body.data);
          assert.ok(shown.length <= 5, `a tree page holds at most its limit in all: ${shown.length}`);
          for (const n of shown) {
            seen.push(n.id!);
            // A family comes whole or not at all; one not shown is asked for by its parent's id.
            assert.ok(n.children.length === 0 || n.children.length === n.childCount, `${n.name}: whole family or none`);
            if (n.childCount > 0 && n.children.length === 0) await walk(n.id);
          }
          cursor = res.body.nextCursor;
        }
      };
      await walk(null);
      assert.equal(new Set(seen).size, seen.length, 'no group twice');
      assert.deepEqual([...seen].sort(), all.map((g) => g.id).sort(), 'every group');
    });

    it('the preview shows at most its limit (whole families), counts every group, and follows the data', async () => {
      const synced = (await active()).filter((g) => g.origin === 'synced');
      for (const limit of [1, 3, 7]) {
        const res = await call('POST', `/integrations/${h.integration.id}/group-sync/preview`, { limit });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const shown: Node[] = nodes(res.body.groups);
        assert.ok(shown.length <= Math.max(limit, res.body.groups.length), `limit ${limit}: ${shown.length} shown`);
        assert.ok(shown.every((n) => n.children.length === 0 || n.children.length === n.childCount), 'whole families');
        assert.equal(res.body.groupsTotal, synced.length, 'every group counted, shown or not');
        assert.deepEqual(res.body.changes, { create: 0, rename: 0, move: 0, archive: 0, revive: 0, membershipsAdded: 0, membershipsRemoved: 0, archived: [] }, 'nothing to change after the sync');
      }
      // Asked at once, the same preview answers the same.
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => call('POST', `/integrations/${h.integration.id}/group-sync/preview`, { limit: 3 })));
      assert.deepEqual(b!.body, a!.body);
      assert.deepEqual(c!.body, a!.body);

      // A person moves to a department nobody held: the next preview (the data moved) plans it.
      const people = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);
      const person = people.find((p) => p.department && people.filter((q) => q.department === p.department).length >= 2)!;
      h.sandbox.roster.update(person.id, { department: 'Paging Skunkworks' });
      assert.equal((await h.sync('incremental')).status, 'succeeded');
      const after = await call('POST', `/integrations/${h.integration.id}/group-sync/preview`, { limit: 3 });
      assert.equal(after.status, 200);
      assert.equal(after.body.groupsTotal, synced.length + 1, 'the run made the group; the preview counts it');
      assert.equal(after.body.changes.create, 0);
      const withTemplate = await call('POST', `/integrations/${h.integration.id}/group-sync/preview`, { limit: 3, mapping: [{ attribute: 'department', type: 'Team', nameTemplate: '{value} team' }] });
      assert.equal(withTemplate.status, 200);
      assert.ok(withTemplate.body.changes.archive > 0, 'another mapping is another preview, not the kept one: divisions and locations would be archived');
      assert.ok(withTemplate.body.changes.archived.length <= 3, 'the archived groups listed are at most the limit');
    });
  });
}
