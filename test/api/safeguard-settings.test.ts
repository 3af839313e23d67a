import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';

for (const dialect of DIALECTS) {
  describe(`safeguard threshold per integration on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let call: ApiCall;

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 9 });
      const served = await serveApi(h);
      app = served.app;
      call = apiCaller(served);
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('saves a percentage and a minimum, changing only what is given, and the next run is held by them', async () => {
      const saved = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { safeguard: { maxDeactivationPercent: 12.5, minPopulation: 4 } } });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.deepEqual(saved.body.userSync.safeguard, { maxDeactivationPercent: 12.5, minPopulation: 4, maxDeactivations: null });
      const only = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { safeguard: { minPopulation: 5 } } });
      assert.deepEqual(only.body.userSync.safeguard, { maxDeactivationPercent: 12.5, minPopulation: 5, maxDeactivations: null });
      // Two of twelve leaving is above 12.5 %: the run waits for approval.
      for (const p of h.sandbox.roster.list().filter((x) => x.status === 'Active').slice(0, 2)) h.sandbox.roster.terminate(p.id, '2026-01-01');
      const run = await h.sync('incremental');
      assert.equal(run.status, 'blocked');
    });

    it('refuses a percentage outside 0–100 or a minimum that is not a whole number of people, naming the field', async () => {
      for (const [safeguard, field] of [
        [{ maxDeactivationPercent: 101 }, 'userSync.safeguard.maxDeactivationPercent'],
        [{ maxDeactivationPercent: -1 }, 'userSync.safeguard.maxDeactivationPercent'],
        [{ minPopulation: 2.5 }, 'userSync.safeguard.minPopulation'],
        [{ minPopulation: -3 }, 'userSync.safeguard.minPopulation'],
        [{ maxDeactivationPercent: '20' }, 'userSync.safeguard.maxDeactivationPercent'],
      ] as const) {
        const res = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { safeguard } });
        assert.equal(res.status, 400, JSON.stringify(safeguard));
        assert.equal(res.body.error.details.field, field, JSON.stringify(res.body));
      }
      const unchanged = await call('GET', `/integrations/${h.integration.id}`);
      assert.deepEqual(unchanged.body.userSync.safeguard, { maxDeactivationPercent: 12.5, minPopulation: 5, maxDeactivations: null });
    });
  });
}
