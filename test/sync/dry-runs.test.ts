/** Dry runs (issue 9 §1): never held, never approvable, never applied, never in the way. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { syncedState } from '../helpers/state.ts';
import { patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { approveRun, rejectRun } from '../../src/app/runs-service.ts';
import { ApiError } from '../../src/app/errors.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { getCursor } from '../../src/store/cursors.ts';
import { getIntegration, readCredentials } from '../../src/store/integrations.ts';
import { enqueueRun, getRun, transitionRun } from '../../src/store/runs.ts';
import { listChanges } from '../../src/store/run-changes.ts';
import { finishHeldDryRuns } from '../../src/store/migrations/0009-versions-and-idempotency.ts';

/** Everything a dry run must leave alone. */
async function untouched(h: Harness) {
  const db = h.ctx.store.db;
  return JSON.stringify({
    state: await syncedState(db),
    cursor: await getCursor(db, h.tenantId, h.integration.id),
    integration: await db.selectFrom('integrations').select(['next_run_at', 'connection_status', 'connection_detail', 'credentials']).where('id', '=', h.integration.id).executeTakeFirst(),
    audit: (await db.selectFrom('audit_events').select('id').execute()).length,
    cases: await db.selectFrom('correlation_cases').selectAll().execute(),
  });
}

function narrowToOneDepartment(h: Harness) {
  const sizes = new Map<string, number>();
  for (const p of h.sandbox.roster.list()) if (p.status === 'Active' && p.department) sizes.set(p.department, (sizes.get(p.department) ?? 0) + 1);
  const smallest = [...sizes.entries()].sort((a, b) => a[1] - b[1])[0]![0];
  return patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, {
    userSync: { scope: { groups: [{ name: 'Only one department', conditions: [{ field: 'department', operator: 'in', values: [smallest] }] }] } },
  });
}

const isApiError = (status: number, code: string) => (e: unknown) => e instanceof ApiError && e.status === status && e.code === code;

for (const dialect of DIALECTS) {
  describe(`dry runs on ${dialect}`, () => {
    it('a dry run that would be held reports so, cannot be approved or rejected, changes nobody and blocks nothing', async () => {
      const h = await openHarness(dialect, { employees: 40, seed: 17 });
      try {
        await narrowToOneDepartment(h);
        const before = await untouched(h);
        const dry = await h.sync('full', true);
        assert.equal(dry.status, 'succeeded');
        assert.equal(dry.dryRun, true);
        assert.equal(dry.safeguard?.wouldHold, true);
        assert.match(dry.safeguard!.reason, /would deactivate \d+ people, more than \d+/);
        assert.doesNotMatch(dry.safeguard!.reason, /approve/, 'a dry run cannot be approved, so its verdict does not say to');
        assert.ok(dry.counts.deactivated > 4, `the counts it would have had: ${JSON.stringify(dry.counts)}`);
        assert.deepEqual(dry.planned, dry.counts);
        assert.equal(dry.error, null);
        const staged = await listChanges(h.ctx.store.db, h.tenantId, dry.id, { limit: 1000, kind: 'deactivated' });
        assert.equal(staged.length, dry.counts.deactivated);
        assert.ok(staged.every((c) => !c.applied));
        assert.equal(await untouched(h), before, 'a dry run writes nothing but its own record');

        await assert.rejects(approveRun(h.ctx, h.tenantId, dry.id), isApiError(409, 'dry_run'));
        await assert.rejects(rejectRun(h.ctx, h.tenantId, dry.id), isApiError(409, 'dry_run'));
        assert.equal((await getRun(h.ctx.store.db, h.tenantId, dry.id))!.status, 'succeeded');
        assert.equal(await untouched(h), before);

        // The real run is held by the safeguard, as the dry run said it would be.
        const real = await h.sync('full');
        assert.equal(real.status, 'blocked');
        assert.equal(real.safeguard?.wouldHold, true);
        assert.equal(real.planned?.deactivated, dry.counts.deactivated);
        assert.equal(real.counts.deactivated, 0, 'a held run has applied nothing');
      } finally {
        await h.close();
      }
    });

    it('a dry run and a sync never wait for each other: each has its own slot', async () => {
      const h = await openHarness(dialect, { employees: 20, seed: 19 });
      try {
        await h.ctx.worker.stop();
        const dry = await requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'full', dryRun: true });
        const real = await requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'full' }); // "Sync now" during a dry run
        await assert.rejects(requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'incremental', dryRun: true }), (e: unknown) => isApiError(409, 'run_in_progress')(e) && (e as ApiError).details.runId === dry.id);
        await assert.rejects(requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'incremental' }), (e: unknown) => isApiError(409, 'run_in_progress')(e) && (e as ApiError).details.runId === real.id);
        h.ctx.worker.start();
        assert.equal((await waitForRun(h.ctx.engine, h.tenantId, dry.id)).status, 'succeeded');
        assert.equal((await waitForRun(h.ctx.engine, h.tenantId, real.id)).status, 'succeeded');

        // A held sync does not stop a dry run from looking ahead either.
        await narrowToOneDepartment(h);
        const held = await h.sync('full');
        assert.equal(held.status, 'blocked');
        const look = await h.sync('full', true);
        assert.equal(look.status, 'succeeded');
        assert.equal(look.safeguard?.wouldHold, true);
        await assert.rejects(requestSync(h.ctx, h.tenantId, h.integration.id, {}), isApiError(409, 'run_blocked'));
      } finally {
        await h.close();
      }
    });

    it('a dry run that fails touches neither the connection nor the schedule', async () => {
      const h = await openHarness(dialect, { employees: 12, seed: 4 });
      try {
        const creds = await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id);
        h.sandbox.faults.set({ revokeKey: creds!.apiKey! });
        const before = await untouched(h);
        const dry = await h.sync('full', true);
        assert.equal(dry.status, 'failed');
        assert.equal(dry.error?.code, 'auth_failed');
        assert.equal(await untouched(h), before);
        assert.equal((await getIntegration(h.ctx.store.db, h.tenantId, h.integration.id))!.connection.status, 'connected');
      } finally {
        await h.close();
      }
    });

    it('a dry run an older version held is finished on upgrade, so it blocks nothing', async () => {
      const h = await openHarness(dialect, { employees: 12, seed: 6 });
      try {
        await h.ctx.worker.stop();
        const legacy = await enqueueRun(h.ctx.store.db, { tenantId: h.tenantId, integrationId: h.integration.id, trigger: 'cli', mode: 'full', dryRun: true });
        await transitionRun(h.ctx.store.db, legacy.id, 'queued', 'running');
        await transitionRun(h.ctx.store.db, legacy.id, 'running', 'blocked', { error: { code: 'safeguard_blocked', message: 'This run would deactivate 30 people, more than 2.' } });
        await finishHeldDryRuns(h.ctx.store.db);
        const fixed = (await getRun(h.ctx.store.db, h.tenantId, legacy.id))!;
        assert.equal(fixed.status, 'succeeded');
        assert.deepEqual(fixed.safeguard, { wouldHold: true, reason: 'This run would deactivate 30 people, more than 2.' });
        assert.equal(fixed.error, null);
      } finally {
        await h.close();
      }
    });
  });
}
