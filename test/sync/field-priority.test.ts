/**
 * Field-level priority end to end, on each dialect: `GET|PUT /field-priorities` over HTTP, with
 * BambooHR (rank 1) and HiBob (rank 2) sharing a person. An override re-resolves at once without
 * a provider request; values, provenance, locks (`field_locked` names the owner), the diagnostics
 * and later runs all follow it; clearing it gives the field back to the ranks; bad bodies are 400s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';
import { startHibobSandbox, type HibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { explainPerson } from '../../src/app/explain.ts';
import type { Integration } from '../../src/store/integrations.ts';

for (const dialect of DIALECTS) {
  describe(`field-level priority on ${dialect}`, () => {
    let h: Harness;
    let hibob: HibobSandbox;
    let source: Integration;
    let app: FastifyInstance;
    let call: ApiCall;
    let personId: string;
    let shared: { workEmail: string; jobTitle: string };
    const person = async () => (await call('GET', `/employees/${personId}`)).body;

    before(async () => {
      h = await openHarness(dialect, { employees: 20, seed: 23 });
      const p = h.sandbox.roster.list().find((x) => x.status === 'Active' && x.workEmail && x.jobTitle)!;
      shared = { workEmail: p.workEmail!, jobTitle: p.jobTitle! };
      hibob = await startHibobSandbox({
        port: 0,
        credentials: [{ serviceUserId: 'svc', token: 'tok' }],
        people: [{ email: p.workEmail!, firstName: p.firstName, surname: p.lastName, title: 'Title from HiBob', startDate: '2020-01-06', status: 'Active', lifecycleStatus: 'employed' }],
      });
      source = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'hibob', name: 'HiBob', settings: { baseUrl: hibob.url }, credentials: { serviceUserId: 'svc', token: 'tok' } });
      await patchIntegrationFromRequest(h.ctx, h.tenantId, source.id, { userSync: { enabled: true } });
      const first = (await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', source.id).executeTakeFirstOrThrow()).id;
      assert.equal((await waitForRun(h.ctx.engine, h.tenantId, first)).status, 'succeeded');
      const served = await serveApi(h);
      app = served.app;
      call = apiCaller(served);
      const found = await call('GET', `/employees?email=${encodeURIComponent(p.workEmail!)}`);
      assert.equal(found.body.data.length, 1, 'one employee for the person both sources hold');
      personId = found.body.data[0].id;
    });
    after(async () => {
      await app.close();
      await hibob.close();
      await h.close();
    });

    it('without an override, ranks decide: the job title is BambooHR\'s and locked by it', async () => {
      const e = await person();
      assert.equal(e.fields.jobTitle.value, shared.jobTitle);
      assert.equal(e.fields.jobTitle.source.integrationId, h.integration.id);
      assert.equal(e.fields.jobTitle.lockedBy, 'BambooHR');
      const view = (await call('GET', '/field-priorities')).body;
      assert.deepEqual(view.overrides, []);
      assert.deepEqual(view.ranks.map((r: { integrationId: string; priority: number }) => [r.integrationId, r.priority]), [[h.integration.id, 1], [source.id, 2]]);
    });

    it('"jobTitle: HiBob first" re-resolves at once without asking either provider, and value, source, lock and diagnostics follow', async () => {
      h.sandbox.faults.clearRequests();
      hibob.faults.clearRequests();
      const put = await call('PUT', '/field-priorities', { overrides: [{ field: 'jobTitle', order: [source.id] }] });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.ok(put.body.resolved >= 1);
      assert.deepEqual(put.body.overrides, [{ field: 'jobTitle', order: [{ integrationId: source.id, name: 'HiBob', provider: 'hibob' }] }]);
      assert.equal(h.sandbox.faults.requests.length + hibob.faults.requests.length, 0, 'nothing was fetched');

      const e = await person();
      assert.equal(e.fields.jobTitle.value, 'Title from HiBob');
      assert.equal(e.fields.jobTitle.source.integrationId, source.id);
      assert.equal(e.fields.jobTitle.lockedBy, 'HiBob');
      assert.equal(e.fields.email.lockedBy, 'BambooHR', 'other fields keep the ranks');
      const edit = await call('PATCH', `/employees/${personId}`, { fields: { jobTitle: 'Hand-typed' } });
      assert.equal(edit.status, 409);
      assert.deepEqual([edit.body.error.code, edit.body.error.details.integrationId], ['field_locked', source.id]);
      assert.match(edit.body.error.message, /managed by HiBob/);

      const why = await explainPerson(h.ctx, h.tenantId, personId);
      const title = why.fields.find((f) => f.field === 'jobTitle')!;
      assert.equal(title.source, 'HiBob');
      assert.match(title.why, /field priority for jobTitle \(HiBob, then the ranks\)/);
      assert.equal(title.lockedBy, 'HiBob');
      const audit = (await call('GET', '/audit?limit=20')).body.data as { action: string }[];
      assert.ok(audit.some((a) => a.action === 'field_priorities.updated'));
      assert.ok(audit.some((a) => a.action === 'employee.resolved'));
    });

    it('a later run of the higher-ranked source keeps the override', async () => {
      const run = await waitForRun(h.ctx.engine, h.tenantId, (await requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'full' })).id);
      assert.equal(run.status, 'succeeded');
      assert.equal((await person()).fields.jobTitle.value, 'Title from HiBob');
    });

    it('clearing the overrides gives the field back to the ranks', async () => {
      const put = await call('PUT', '/field-priorities', { overrides: [] });
      assert.equal(put.status, 200);
      const e = await person();
      assert.equal(e.fields.jobTitle.value, shared.jobTitle);
      assert.equal(e.fields.jobTitle.lockedBy, 'BambooHR');
    });

    it('refuses bad bodies with 400 naming what to fix, and keeps what was there', async () => {
      await call('PUT', '/field-priorities', { overrides: [{ field: 'phone', order: [source.id] }] });
      const cases: [unknown, RegExp][] = [
        [{ overrides: [{ field: 'shoeSize', order: [source.id] }] }, /overrides\.0\.field: field must be a ReFresh field/],
        [{ overrides: [{ field: 'email', order: ['nope'] }] }, /no integration has the id "nope"/],
        [{ overrides: [{ field: 'email', order: [] }] }, /order names at least one integration/],
        [{ overrides: [{ field: 'email', order: [source.id] }, { field: 'email', order: [h.integration.id] }] }, /"email" has two orders/],
        [{ overrides: [{ field: 'email', order: [source.id, source.id] }] }, /names an integration twice/],
        [{ fields: {} }, /overrides is required/],
      ];
      for (const [body, message] of cases) {
        const r = await call('PUT', '/field-priorities', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.error.code, 'invalid_request');
        assert.match(r.body.error.message, message);
      }
      assert.deepEqual((await call('GET', '/field-priorities')).body.overrides.map((o: { field: string }) => o.field), ['phone'], 'a refused PUT changes nothing');
    });
  });
}
