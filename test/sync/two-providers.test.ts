import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness } from '../helpers/harness.ts';
import { startHibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { listEmployees, toEmployee } from '../../src/store/employees.ts';
import { linksForEmployees } from '../../src/store/links.ts';

for (const dialect of DIALECTS) {
  describe(`BambooHR and HiBob together on ${dialect}`, () => {
    it('merges a person present in both, takes each field by rank, and flips the source when ranks swap', async () => {
      const h = await openHarness(dialect, { employees: 25, seed: 51 });
      const bamboo = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail && p.jobTitle && p.employeeNumber);
      const [shared, other, personalOnly] = bamboo as [(typeof bamboo)[number], (typeof bamboo)[number], (typeof bamboo)[number]];
      h.sandbox.roster.update(shared.id, { mobilePhone: null });
      h.sandbox.roster.update(personalOnly.id, { mobilePhone: null });
      const hibob = await startHibobSandbox({
        port: 0,
        credentials: [{ serviceUserId: 'svc', token: 'tok' }],
        people: [
          { email: shared.workEmail!.toUpperCase(), firstName: shared.firstName, surname: shared.lastName, title: 'Title from HiBob', workPhone: '+33 1 23 45 67 89', homeMobilePhone: '+33 6 12 34 56 78', employeeIdInCompany: Number(shared.employeeNumber) || 1, startDate: '2020-01-06', status: 'Active', lifecycleStatus: 'employed' },
          { email: personalOnly.workEmail!, firstName: personalOnly.firstName, surname: personalOnly.lastName, workPhone: null, workMobile: null, homeMobilePhone: '+33 6 99 99 99 99', status: 'Active', lifecycleStatus: 'employed' },
          { email: 'only.in.hibob@bob.acme.example', firstName: 'Åsa', surname: 'Ødegård', title: 'Designer', employeeIdInCompany: 990001, startDate: '2021-02-01', status: 'Active', lifecycleStatus: 'employed' },
        ],
      });
      try {
        await h.sync('incremental');
        const source = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'hibob', settings: { baseUrl: hibob.url }, credentials: { serviceUserId: 'svc', token: 'tok' } });
        assert.equal(source.connection.status, 'connected', source.connection.detail ?? '');
        assert.equal(source.priority, 2);
        await patchIntegrationFromRequest(h.ctx, h.tenantId, source.id, { userSync: { enabled: true } });
        const first = (await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', source.id).executeTakeFirstOrThrow()).id;
        const run = await waitForRun(h.ctx.engine, h.tenantId, first);
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        const { listChanges } = await import('../../src/store/run-changes.ts');
        assert.equal(run.counts.created, 1, JSON.stringify([run.counts, await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 10 })]));

        const all = (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 1000 })).map(toEmployee);
        const matches = all.filter((e) => e.fields.email === shared.workEmail!.toLowerCase());
        assert.equal(matches.length, 1, 'one employee, not two');
        const person = matches[0]!;
        const links = await linksForEmployees(h.ctx.store.db, h.tenantId, [person.id]);
        assert.deepEqual(links.map((l) => l.integration_id).sort(), [h.integration.id, source.id].sort());
        assert.equal(person.fields.jobTitle, shared.jobTitle);
        assert.equal(person.provenance.jobTitle?.integrationId, h.integration.id);
        assert.equal(person.fields.phone, '+33 1 23 45 67 89', "HiBob's work phone fills the phone BambooHR lacks");
        assert.equal(person.provenance.phone?.integrationId, source.id);
        assert.ok(all.some((e) => e.fields.firstName === 'Åsa' && e.fields.lastName === 'Ødegård'));
        assert.ok(all.some((e) => e.fields.email === other.workEmail!.toLowerCase()));

        // Swap the ranks and sync: the job title now comes from HiBob.
        await patchIntegrationFromRequest(h.ctx, h.tenantId, source.id, { priority: 1 });
        const swapped = await waitForRun(h.ctx.engine, h.tenantId, (await requestSync(h.ctx, h.tenantId, source.id, {})).id);
        assert.equal(swapped.status, 'succeeded');
        const after = toEmployee((await h.ctx.store.db.selectFrom('employees').selectAll().where('id', '=', person.id).executeTakeFirstOrThrow()));
        assert.equal(after.fields.jobTitle, 'Title from HiBob');
        assert.equal(after.provenance.jobTitle?.integrationId, source.id);
        assert.equal(after.fields.phone, '+33 1 23 45 67 89');
        const personal = all.find((e) => e.fields.email === personalOnly.workEmail!.toLowerCase());
        assert.equal(personal?.fields.phone, undefined, "HiBob's personal mobile is never the directory phone");
      } finally {
        await hibob.close();
        await h.close();
      }
    });
  });
}
