import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness } from '../helpers/harness.ts';
import { getIntegration, readCredentials } from '../../src/store/integrations.ts';
import { changedSummary, healthOf, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { RunWorker, waitForRun } from '../../src/jobs/worker.ts';
import { startConnect } from '../../src/app/oauth-service.ts';
import type { ApiError } from '../../src/app/errors.ts';
import { randomBytes } from 'node:crypto';

const MINUTE = 60_000;

describe('the health sentence', () => {
  it('says what the last sync did as an admin would: "the last sync added 283 people"', () => {
    const n = (created: number, updated = 0, deactivated = 0, reactivated = 0) => changedSummary({ created, updated, deactivated, reactivated });
    assert.equal(n(283), 'added 283 people');
    assert.equal(n(1), 'added 1 person');
    assert.equal(n(0, 1), 'updated 1 person');
    assert.equal(n(2, 5), 'added 2 people and updated 5');
    assert.equal(n(1_200, 5, 3), 'added 1,200 people, updated 5 and deactivated 3');
    assert.equal(n(0, 0, 0, 4), 'reactivated 4 people');
    assert.equal(n(0), 'changed nothing');
  });
});

for (const dialect of DIALECTS) {
  describe(`schedule, retries and health on ${dialect}`, () => {
    it('says what to do in every state: disabled, never run, healthy, provider unavailable, failing, blocked', async () => {
      const h = await openHarness(dialect, { employees: 30, seed: 2, enable: false });
      try {
        const state = async () => (await healthOf(h.ctx, (await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!)).health;
        assert.equal((await state()).state, 'disabled');
        assert.match((await state()).message, /enable it/);

        await h.ctx.worker.stop();
        await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { enabled: true, cadence: '1h' } });
        assert.equal((await state()).state, 'running', 'enabling queued the first run');
        h.ctx.worker.start();
        const queued = await h.ctx.store.db.selectFrom('runs').select('id').executeTakeFirstOrThrow();
        await waitForRun(h.ctx.engine, h.tenantId, queued.id);
        const healthy = await state();
        assert.equal(healthy.state, 'healthy');
        const afterSuccess = (await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!;
        const inOneHour = Date.parse(afterSuccess.nextRunAt!) - Date.now();
        assert.ok(inOneHour > 55 * MINUTE && inOneHour <= 60 * MINUTE, `next run in ${inOneHour} ms`);

        // The provider goes down: retries come sooner and back off; health says where to look.
        h.sandbox.faults.set({ outage: { count: 10_000, status: 503 } });
        const first = await h.sync('full');
        assert.equal(first.status, 'failed');
        let s = await state();
        assert.equal(s.state, 'provider_unavailable');
        assert.equal(s.statusPageUrl, 'https://status.bamboohr.com');
        assert.match(s.message, /retries by itself/);
        const retry1 = Date.parse((await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!.nextRunAt!) - Date.now();
        assert.ok(retry1 > 1.5 * MINUTE && retry1 <= 2 * MINUTE, `first retry in ${retry1} ms`);
        await h.sync('full');
        const retry2 = Date.parse((await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!.nextRunAt!) - Date.now();
        assert.ok(retry2 > 3.5 * MINUTE && retry2 <= 4 * MINUTE, `second retry in ${retry2} ms`);
        await h.sync('full');
        s = await state();
        assert.equal(s.state, 'failing');
        assert.match(s.message, /The last 3 syncs of BambooHR failed/);
        h.sandbox.faults.clear();
        await h.sync('full');
        assert.equal((await state()).state, 'healthy');

        // Half the company terminated at once: held by the safeguard, and health says so.
        const active = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);
        for (const p of active.slice(0, Math.ceil(active.length / 2))) h.sandbox.roster.terminate(p.id, '2020-02-02');
        const blocked = await h.sync('incremental');
        assert.equal(blocked.status, 'blocked');
        s = await state();
        assert.equal(s.state, 'blocked_by_safeguard');
        assert.match(s.message, /waits for your approval/);
        assert.equal(blocked.counts.deactivated, 0, 'a held run has applied nothing');
        assert.match(s.message, new RegExp(`would deactivate ${blocked.planned!.deactivated} people`), 'health names what the plan would do');
        assert.ok(blocked.planned!.deactivated > 0);
      } finally {
        await h.close();
      }
    });

    it('says "Authorisation expired — reconnect" when the provider refuses the credentials', async () => {
      const h = await openHarness(dialect, { employees: 12, seed: 4 });
      try {
        const creds = await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id);
        h.sandbox.faults.set({ revokeKey: creds!.apiKey! });
        const run = await h.sync('full');
        assert.equal(run.error!.code, 'auth_failed');
        const { health } = await healthOf(h.ctx, (await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!);
        assert.equal(health.state, 'authorisation_expired');
        assert.match(health.message, /^Authorisation expired: BambooHR no longer accepts/);
      } finally {
        await h.close();
      }
    });

    it('a Reconnect with a new key after a revoked one resumes the schedule and turns healthy with no Sync now', async () => {
      const newKey = `sandbox-${randomBytes(8).toString('hex')}`;
      const h = await openHarness(dialect, { employees: 12, seed: 5, extraApiKeys: [newKey] });
      try {
        const current = async () => (await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!;
        const oldKey = (await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id))!.apiKey!;
        h.sandbox.faults.set({ revokeKey: oldKey });
        const failed = await h.sync('full');
        assert.equal(failed.error!.code, 'auth_failed');
        const revoked = await current();
        assert.equal(revoked.connection.status, 'revoked');
        assert.equal(revoked.nextRunAt, null, 'a revoked source waits for the admin');
        assert.equal((await healthOf(h.ctx, revoked)).health.state, 'authorisation_expired');

        // A key the provider refuses changes nothing: still revoked, the old key kept, no schedule.
        await assert.rejects(startConnect(h.ctx, h.tenantId, h.integration.id, { credentials: { apiKey: 'not-a-key-at-all' } }), (e: ApiError) => e.status === 422 && e.code === 'credentials_rejected' && /BambooHR/.test(e.message));
        assert.equal((await current()).connection.status, 'revoked');
        assert.equal((await current()).nextRunAt, null);
        assert.equal((await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id))!.apiKey, oldKey);

        const result = await startConnect(h.ctx, h.tenantId, h.integration.id, { credentials: { apiKey: newKey } });
        assert.equal(result.kind, 'reconnected');
        const reconnected = await current();
        assert.equal(reconnected.connection.status, 'connected');
        assert.equal(reconnected.connection.detail, null, 'the failure is cleared');
        const nextIn = Date.parse(reconnected.nextRunAt!) - Date.now();
        assert.ok(nextIn > 3.9 * 60 * MINUTE && nextIn <= 4 * 60 * MINUTE, `the schedule resumed: next run in ${nextIn} ms (cadence 4 h)`);
        // Nobody pressed Sync now: the reconnect started one verification run.
        const verifications = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).where('trigger', '=', 'reconnect').execute();
        assert.equal(verifications.length, 1);
        const verified = await waitForRun(h.ctx.engine, h.tenantId, verifications[0]!.id);
        assert.equal(verified.status, 'succeeded', JSON.stringify(verified.error));
        const { health } = await healthOf(h.ctx, await current());
        assert.equal(health.state, 'healthy', health.message);
        assert.ok((await current()).nextRunAt, 'and the next slot is set after it');
      } finally {
        await h.close();
      }
    });

    it('runs an integration when its scheduled time comes', async () => {
      const h = await openHarness(dialect, { employees: 12, seed: 6 });
      try {
        const before = await h.ctx.store.db.selectFrom('runs').select('id').execute();
        await h.ctx.store.db.updateTable('integrations').set({ next_run_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', h.integration.id).execute();
        const scheduler = new RunWorker(h.ctx.engine, { pollMs: 20, schedule: true });
        scheduler.start();
        let scheduled;
        for (let n = 0; n < 200 && !scheduled; n += 1) {
          await new Promise((r) => setTimeout(r, 25));
          scheduled = await h.ctx.store.db.selectFrom('runs').selectAll().where('trigger', '=', 'schedule').executeTakeFirst();
        }
        await scheduler.stop();
        assert.ok(scheduled, 'a scheduled run was queued');
        const done = await waitForRun(h.ctx.engine, h.tenantId, scheduled.id);
        assert.equal(done.status, 'succeeded');
        assert.equal(done.mode, 'incremental');
        assert.equal((await h.ctx.store.db.selectFrom('runs').select('id').execute()).length, before.length + 1, 'exactly one run for one due slot');
      } finally {
        await h.close();
      }
    });
  });
}
