import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness } from '../helpers/harness.ts';
import { startHibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { allGroups, headcounts } from '../../src/store/groups.ts';

for (const dialect of DIALECTS) {
  describe(`Group Sync from HiBob named lists on ${dialect}`, () => {
    it('keys departments and sites by their named-list ids, so a rename in HiBob renames the same group', async () => {
      const h = await openHarness(dialect, { employees: 5, seed: 61, enable: false });
      const hibob = await startHibobSandbox({ port: 0, employees: 40, seed: 7, credentials: [{ serviceUserId: 'svc', token: 'tok' }] });
      try {
        const source = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'hibob', settings: { baseUrl: hibob.url }, credentials: { serviceUserId: 'svc', token: 'tok' } });
        await patchIntegrationFromRequest(h.ctx, h.tenantId, source.id, {
          userSync: { enabled: true },
          groupSync: { enabled: true, mapping: [{ attribute: 'department', type: 'Department' }, { attribute: 'location', type: 'Location' }] },
        });
        const runs = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', source.id).orderBy('id', 'desc').execute();
        for (const r of runs) await waitForRun(h.ctx.engine, h.tenantId, r.id);
        const synced = hibob.roster.list().filter((p) => p.status === 'Active' && p.email);
        let groups = (await allGroups(h.ctx.store.db, h.tenantId)).filter((g) => g.integrationId === source.id && !g.archived);
        const departments = groups.filter((g) => g.attribute === 'department');
        assert.ok(departments.length > 1, 'departments became groups');
        assert.ok(groups.every((g) => g.sourceKey!.startsWith('id:')), 'keyed by HiBob named-list ids');
        assert.ok(groups.some((g) => g.attribute === 'location' && g.type === 'Location'));
        const counts = await headcounts(h.ctx.store.db, h.tenantId, departments.map((g) => g.id));
        const total = [...counts.values()].reduce((a, b) => a + b, 0);
        assert.equal(total, synced.filter((p) => p.department).length, 'every synced person with a department is in one department group');

        const target = departments[0]!;
        hibob.roster.renameListItem('department', target.name, `${target.name} — Renamed`);
        const rename = await waitForRun(h.ctx.engine, h.tenantId, (await requestSync(h.ctx, h.tenantId, source.id, {})).id);
        assert.equal(rename.status, 'succeeded', JSON.stringify(rename.error));
        groups = (await allGroups(h.ctx.store.db, h.tenantId)).filter((g) => g.integrationId === source.id);
        const same = groups.find((g) => g.id === target.id)!;
        assert.equal(same.name, `${target.name} — Renamed`);
        assert.equal(same.archived, false);
        assert.equal((await headcounts(h.ctx.store.db, h.tenantId, [same.id])).get(same.id), counts.get(target.id), 'memberships kept');
      } finally {
        await hibob.close();
        await h.close();
      }
    });
  });
}
