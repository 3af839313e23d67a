import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { ensureTenant } from '../../src/store/tenants.ts';
import { insertEmployees } from '../../src/store/employees.ts';
import { addMemberships, allGroups, headcounts, insertGroups, updateGroup } from '../../src/store/groups.ts';
import { refreshHeadcounts } from '../../src/store/group-headcounts.ts';

const NOW = '2026-01-01T00:00:00.000Z';

/** A random org: groups with parents (an occasional loop), some archived; people, some inactive, in several groups by two origins. */
const org = fc.record({
  groups: fc.array(fc.record({ parent: fc.option(fc.nat(), { nil: null }), archived: fc.boolean() }), { minLength: 1, maxLength: 12 }),
  people: fc.array(fc.record({ active: fc.boolean(), in: fc.array(fc.tuple(fc.nat(), fc.constantFrom('synced', 'manual') as fc.Arbitrary<'synced' | 'manual'>), { maxLength: 4 }) }), { maxLength: 15 }),
});

for (const dialect of DIALECTS) {
  describe(`stored group headcounts on ${dialect}`, () => {
    it('equal a recount from scratch: distinct active people in the group and its non-archived sub-groups', async () => {
      await fc.assert(
        fc.asyncProperty(org, async ({ groups, people }) => {
          const store = await openTestStore(dialect);
          try {
            const tenant = 'acme';
            await ensureTenant(store.db, tenant, 'Acme');
            await ensureTenant(store.db, 'other', 'Other');
            // One id holds the separator SQLite's count joins a person's groups with (read again as rows).
            const ids = groups.map((_, n) => (n === 1 ? 'g\u00011' : `g${String(n).padStart(2, '0')}`));
            await insertGroups(store.db, tenant, ids.map((id) => ({ id, name: id, type: 'Team', parentId: null, origin: 'manual', integrationId: null, attribute: null, sourceKey: null })), NOW);
            for (const [n, g] of groups.entries()) {
              const parentId = g.parent === null ? null : ids[g.parent % ids.length]!;
              await updateGroup(store.db, tenant, ids[n]!, { parentId, archived: g.archived }, NOW);
            }
            await insertEmployees(store.db, people.map((p, n) => ({ id: `p${String(n).padStart(3, '0')}`, tenant_id: tenant, status: p.active ? 'active' : 'inactive', role: 'member', email_norm: null, employee_number: null, search_text: '', fields: '{}', provenance: '{}', custom_config: '{}', created_at: NOW, updated_at: NOW })));
            const memberships = people.flatMap((p, n) => p.in.map(([g, origin]) => ({ groupId: ids[g % ids.length]!, employeeId: `p${String(n).padStart(3, '0')}`, origin, integrationId: null })));
            await addMemberships(store.db, tenant, memberships, NOW);
            // Another tenant's group with the same shape must not count here.
            await insertGroups(store.db, 'other', [{ id: 'x0', name: 'x', type: 'Team', parentId: null, origin: 'manual', integrationId: null, attribute: null, sourceKey: null }], NOW);

            // Inside a transaction (as every caller is; PostgreSQL then reads through a cursor), a few people a page.
            await store.db.transaction().execute((trx) => refreshHeadcounts(trx, tenant, 4));
            const recount = await headcounts(store.db, tenant, ids);
            for (const g of await allGroups(store.db, tenant)) assert.equal(g.headcount, recount.get(g.id) ?? 0, `group ${g.id}`);
            // Nothing changed: nothing is written again (read by keyset outside a transaction, the same counts).
            assert.equal(await refreshHeadcounts(store.db, tenant, 3), 0);
            assert.equal(await store.db.transaction().execute((trx) => refreshHeadcounts(trx, tenant)), 0);
          } finally {
            await store.close();
          }
        }),
        { numRuns: dialect === 'sqlite' ? 40 : 8 },
      );
    });
  });
}
