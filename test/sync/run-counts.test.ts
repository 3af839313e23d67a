/**
 * A run reports what it applied, not what it planned (issue 9 §7): a run that fails halfway
 * through applying counts only the changes it committed; what it meant to do is in `planned`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness } from '../helpers/harness.ts';
import { presentRun } from '../../src/app/presenters.ts';
import { APPLIED_KINDS } from '../../src/core/run-states.ts';
import { patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { listChanges } from '../../src/store/run-changes.ts';

for (const dialect of DIALECTS) {
  describe(`run counts on ${dialect}`, () => {
    it('a run failing mid-apply reports the changes it applied; the deactivations it never reached are only planned', async () => {
      const h = await openHarness(dialect, { employees: 1300, seed: 33 });
      try {
        const people = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);
        // 1,100 updates fill the first apply batch (1,000); three people gone from BambooHR are
        // planned after every page, so their deactivations come after it.
        for (const p of people.slice(0, 1100)) h.sandbox.roster.update(p.id, { jobTitle: `${p.jobTitle ?? 'Staff'} II` });
        const gone = people.slice(-3);
        for (const p of gone) h.sandbox.roster.remove(p.id);
        const activeBefore = await active(h);

        let batches = 0;
        (h.ctx.engine as { onApplyBatch?: () => void }).onApplyBatch = () => {
          if (batches++ === 0) throw new Error('the database went away after the first batch');
        };
        const run = await h.sync('full');
        (h.ctx.engine as { onApplyBatch?: () => void }).onApplyBatch = undefined;

        assert.equal(run.status, 'failed');
        assert.deepEqual(
          { updated: run.planned?.updated, deactivated: run.planned?.deactivated },
          { updated: 1100, deactivated: 3 },
          'planned: everything the run staged',
        );
        // Applied: at or below the run's apply watermark (what GET /runs/{id}/changes shows as applied).
        const { applied_through } = await h.ctx.store.db.selectFrom('runs').select('applied_through').where('id', '=', run.id).executeTakeFirstOrThrow();
        const applied = await h.ctx.store.db.selectFrom('run_changes').select('kind').where('run_id', '=', run.id).where('seq', '<=', applied_through).execute();
        for (const kind of APPLIED_KINDS) assert.equal(run.counts[kind], applied.filter((c) => c.kind === kind).length, `counts.${kind} is what was applied`);
        assert.equal(run.counts.deactivated, 0, 'nobody was deactivated, so the run says so');
        assert.ok(run.counts.updated > 0 && run.counts.updated < 1100, `part of the updates applied: ${run.counts.updated}`);
        assert.equal(await active(h), activeBefore, 'the people gone from BambooHR are still active');
        // The API shows both, side by side.
        const shown = presentRun(run);
        assert.equal(shown.counts.deactivated, 0);
        assert.equal(shown.planned?.deactivated, 3);
      } finally {
        await h.close();
      }
    });

    it('people skipped in one run are counted skipped again in the next, never unchanged; their reason is listed once', async () => {
      const h = await openHarness(dialect, { employees: 40, seed: 12 });
      try {
        const first = h.firstRun!;
        const terminated = h.sandbox.roster.list().filter((p) => p.status === 'Inactive').length;
        assert.ok(terminated > 0 && first.counts.skipped >= terminated, `terminated people are skipped: ${JSON.stringify(first.counts)}`);
        // Two more ways to be skipped: an active person with no work e-mail (in scope, cannot be
        // created) and one outside the sync scope (never linked).
        await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { scope: { groups: [{ conditions: [{ field: 'department', operator: 'notIn', values: ['Quarantine'] }] }] } } });
        const noEmail = h.sandbox.roster.add({ firstName: 'Nomail', lastName: 'Person', workEmail: null });
        const outside = h.sandbox.roster.add({ firstName: 'Outside', lastName: 'Scope', department: 'Quarantine' });
        const second = await h.sync('full');
        assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
        const listed = await listChanges(h.ctx.store.db, h.tenantId, second.id, { limit: 1000, kind: 'skipped' });
        assert.deepEqual(listed.map((c) => c.externalId).sort(), [noEmail.id, outside.id].sort(), 'the new skips are listed with their reasons');
        assert.equal(second.counts.skipped, first.counts.skipped + 2, 'the earlier skips still count as skipped');

        const third = await h.sync('full');
        assert.equal(third.status, 'succeeded', JSON.stringify(third.error));
        assert.equal(third.counts.skipped, second.counts.skipped, JSON.stringify(third.counts));
        assert.equal(third.counts.unchanged, third.counts.fetched - third.counts.skipped, 'unchanged: only people who are synced');
        assert.equal(third.counts.unchanged, await linked(h), 'as many unchanged as linked people');
        assert.deepEqual(await listChanges(h.ctx.store.db, h.tenantId, third.id, { limit: 10, kind: 'skipped' }), [], 'nothing new to list');
      } finally {
        await h.close();
      }
    });
  });
}

async function linked(h: Awaited<ReturnType<typeof openHarness>>): Promise<number> {
  const rows = await h.ctx.store.db.selectFrom('employee_links').select('external_id').where('integration_id', '=', h.integration.id).where('employee_id', 'is not', null).where('present', '=', 1).execute();
  return rows.length;
}

async function active(h: Awaited<ReturnType<typeof openHarness>>): Promise<number> {
  const rows = await h.ctx.store.db.selectFrom('employees').select('id').where('status', '=', 'active').execute();
  return rows.length;
}
