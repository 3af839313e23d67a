import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { Vault } from '../../src/auth/vault.ts';
import { ensureTenant } from '../../src/store/tenants.ts';
import { createIntegration } from '../../src/store/integrations.ts';
import { enqueueRun } from '../../src/store/runs.ts';
import { insertEmployees } from '../../src/store/employees.ts';
import { addMemberships, bulkAddMemberships, bulkRemoveMemberships, insertGroups, syncedMembershipsBetween } from '../../src/store/groups.ts';
import { writeChanges } from '../../src/store/bulk.ts';
import { defaultUserSync, DEFAULT_GROUP_SYNC } from '../../src/core/integration-settings.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';

const vault = new Vault([randomBytes(32)]);
const NOW = '2026-12-03T00:00:00.000Z';
const FK = /foreign key/i;

/**
 * What the foreign keys of memberships and run changes guarantee, on both stores: on PostgreSQL
 * they are checked once a statement by triggers (migration 0031; 0029 for a change's run), on SQLite by declared
 * foreign keys; either way a row naming a missing group, person or run is refused, and a group,
 * person or run still named cannot be deleted.
 */
for (const dialect of DIALECTS) {
  describe(`membership and run change references on ${dialect}`, () => {
    it('refuse rows naming a missing group, person or run, and deletes of what rows still name; bulk writes of thousands go through', async () => {
      const store = await openTestStore(dialect);
      try {
        await ensureTenant(store.db, 'acme', 'acme');
        const integration = await createIntegration(store.db, vault, {
          tenantId: 'acme', provider: 'bamboohr', name: 'BambooHR', settings: { companyDomain: 'acme' }, credentials: { apiKey: 'k' },
          connection: { status: 'connected', detail: null }, userSync: defaultUserSync(DESCRIPTORS.bamboohr.defaultMapping), groupSync: DEFAULT_GROUP_SYNC,
        });
        const run = await enqueueRun(store.db, { tenantId: 'acme', integrationId: integration.id, trigger: 'manual', mode: 'full', dryRun: false });
        const people = Array.from({ length: 3000 }, (_, n) => `p${String(n).padStart(5, '0')}`);
        await insertEmployees(store.db, people.map((id) => ({ id, tenant_id: 'acme', status: 'active', role: 'member', email_norm: null, employee_number: null, search_text: '', fields: '{}', provenance: '{}', custom_config: '{}', created_at: NOW, updated_at: NOW })));
        const groups = ['g1', 'g2', 'g3'];
        await insertGroups(store.db, 'acme', [...groups, 'empty'].map((id) => ({ id, name: id, type: 'Team', parentId: null, origin: 'synced', integrationId: integration.id, attribute: 'department', sourceKey: `name:${id}` })), NOW);

        // 6,000 memberships (more than one bulk statement), one of them twice: written once.
        const rows = people.flatMap((employeeId, n) => [{ groupId: groups[n % 3]!, employeeId }, { groupId: groups[(n + 1) % 3]!, employeeId }]);
        await store.db.transaction().execute((trx) => bulkAddMemberships(store, trx, 'acme', 'synced', integration.id, [...rows, rows[0]!], NOW));
        assert.equal((await syncedMembershipsBetween(store.db, 'acme', integration.id, null, null)).length, 6000);

        // A missing person or group, in a bulk write or a single one: refused, and nothing of the statement stays.
        await assert.rejects(store.db.transaction().execute((trx) => bulkAddMemberships(store, trx, 'acme', 'synced', integration.id, [...rows.slice(0, 40).map((m) => ({ ...m, groupId: 'empty' })), { groupId: 'g1', employeeId: 'nobody' }], NOW)), FK);
        await assert.rejects(addMemberships(store.db, 'acme', [{ groupId: 'no-such-group', employeeId: people[0]!, origin: 'manual', integrationId: null }], NOW), FK);
        await assert.rejects(store.db.updateTable('group_memberships').set({ employee_id: 'nobody' }).where('group_id', '=', 'g1').where('employee_id', '=', people[0]!).execute(), FK);
        assert.equal((await syncedMembershipsBetween(store.db, 'acme', integration.id, null, null)).length, 6000);

        // What memberships name cannot be deleted or re-keyed; what nothing names can.
        await assert.rejects(store.db.deleteFrom('groups').where('id', '=', 'g1').execute(), FK);
        await assert.rejects(store.db.deleteFrom('employees').where('id', '=', people[0]!).execute(), FK);
        await assert.rejects(store.db.updateTable('groups').set({ id: 'g1-renamed' }).where('id', '=', 'g1').execute(), FK);
        await store.db.deleteFrom('groups').where('id', '=', 'empty').execute();
        await store.db.transaction().execute((trx) => bulkRemoveMemberships(store, trx, 'acme', 'synced', rows.filter((m) => m.employeeId === people[2999])));
        await store.db.deleteFrom('employees').where('id', '=', people[2999]!).execute();
        assert.equal((await syncedMembershipsBetween(store.db, 'acme', integration.id, null, null)).length, 5998);

        // Run changes: a missing run is refused; a run with changes cannot be deleted.
        const change = (runId: string, seq: number) => ({ tenant_id: 'acme', run_id: runId, seq, kind: 'membership_added', employee_id: people[0]!, external_id: null, display_name: 'g1', before: null, after: '{}', reason: null, payload: null, applied: 1 });
        await store.db.transaction().execute((trx) => writeChanges(store, trx, [change(run.id, 1), change(run.id, 2)]));
        await assert.rejects(store.db.transaction().execute((trx) => writeChanges(store, trx, [change(run.id, 3), change('no-such-run', 1)])), FK);
        await assert.rejects(store.db.deleteFrom('runs').where('id', '=', run.id).execute(), FK);
        const { n } = await store.db.selectFrom('run_changes').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', run.id).executeTakeFirstOrThrow();
        assert.equal(Number(n), 2);
      } finally {
        await store.close();
      }
    });
  });
}
