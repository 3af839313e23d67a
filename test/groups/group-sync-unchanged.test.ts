import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { listChanges } from '../../src/store/run-changes.ts';
import { allGroups } from '../../src/store/groups.ts';
import { listEmployees } from '../../src/store/employees.ts';
import { LeaseLostError } from '../../src/store/run-lease.ts';
import type { CrashPoint } from '../../src/sync/engine.ts';
import type { Run } from '../../src/store/runs.ts';
import type { BambooEmployee } from '../../src/providers/bamboohr/sandbox/roster.ts';

const MAPPING = [
  { attribute: 'division', type: 'Division' },
  { attribute: 'department', type: 'Department', parent: 'division' },
  { attribute: 'location', type: 'Location' },
];

/**
 * A run whose people changed nobody's groups does not plan the groups again (the group step
 * compares a digest of what it last left in step); these tests check that every kind of change
 * still flows through, and that a group step that did not commit leaves nothing that would skip.
 */
for (const dialect of DIALECTS) {
  describe(`Group Sync skips planning when nothing changed, on ${dialect}`, () => {
    let h: Harness;
    const synced = () => h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);
    const groups = async () => (await allGroups(h.ctx.store.db, h.tenantId)).filter((g) => g.origin === 'synced');
    const employeeIdOf = async (p: BambooEmployee) => (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 10, email: p.workEmail!.toLowerCase() }))[0]!.id;
    const membersOf = async (groupId: string) =>
      (await h.ctx.store.db.selectFrom('group_memberships').select('employee_id').where('group_id', '=', groupId).where('origin', '=', 'synced').execute()).map((r) => r.employee_id).sort();
    /** What the run's group step logged: 'links' or 'people' when it found nothing changed, 'planned' when it planned. */
    const groupStepOf = (run: Run) => {
      const lines = h.logs.filter((l) => l.includes(run.id)).map((l) => JSON.parse(l) as { msg: string; unchanged?: string });
      const unchanged = lines.find((l) => l.msg.startsWith('groups unchanged'));
      if (unchanged) return unchanged.unchanged;
      return lines.some((l) => l.msg === 'groups synced') ? 'planned' : 'none';
    };
    const groupChanges = async (run: Run) => (await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 10_000 })).filter((c) => c.kind.startsWith('group_') || c.kind.startsWith('membership_'));
    /** Moves someone to another department in the source: the two groups and who moved. */
    const moveSomeone = async () => {
      const depts = (await groups()).filter((g) => g.attribute === 'department' && !g.archived);
      const from = depts.find((g) => synced().filter((p) => p.department === g.name).length >= 2)!;
      const to = depts.find((g) => g.id !== from.id)!;
      const person = synced().find((p) => p.department === from.name)!;
      h.sandbox.roster.update(person.id, { department: to.name });
      return { from, to, employeeId: await employeeIdOf(person) };
    };
    const latestRun = async () => {
      const row = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
      return waitForRun(h.ctx.engine, h.tenantId, row.id);
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 40, seed: 31 });
      await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { groupSync: { enabled: true, mapping: MAPPING } });
      const first = await latestRun();
      assert.equal(first.status, 'succeeded', JSON.stringify(first.error));
      assert.equal(groupStepOf(first), 'planned');
      assert.ok((await groups()).length > 0);
    });
    after(async () => {
      await h.close();
    });

    it('a no-change re-sync plans no groups and writes no group change; so does one that changes only ungrouped fields', async () => {
      const before = await groups();
      const again = await h.sync('full');
      assert.equal(again.status, 'succeeded');
      assert.equal(groupStepOf(again), 'links');
      assert.deepEqual(await groupChanges(again), []);
      assert.deepEqual(await groups(), before);

      const person = synced()[0]!;
      h.sandbox.roster.update(person.id, { jobTitle: `${person.jobTitle ?? 'Staff'} II` });
      const titled = await h.sync('incremental');
      assert.equal(titled.counts.updated, 1);
      assert.equal(groupStepOf(titled), 'people', 'a link moved, nobody changed groups');
      assert.deepEqual(await groupChanges(titled), []);
      // That run remembered the links as they are now: the next one checks them alone.
      assert.equal(groupStepOf(await h.sync('full')), 'links');
    });

    it('a person moved to another department still moves group', async () => {
      const { from, to, employeeId } = await moveSomeone();
      const run = await h.sync('incremental');
      assert.equal(run.status, 'succeeded');
      assert.equal(groupStepOf(run), 'planned');
      assert.ok((await membersOf(to.id)).includes(employeeId));
      assert.ok(!(await membersOf(from.id)).includes(employeeId));
      assert.equal(groupStepOf(await h.sync('full')), 'links');
    });

    it('a terminated person leaves their synced groups', async () => {
      const person = synced().find((p) => p.location)!;
      const employeeId = await employeeIdOf(person);
      const location = (await groups()).find((g) => g.attribute === 'location' && g.name === person.location)!;
      assert.ok((await membersOf(location.id)).includes(employeeId));
      h.sandbox.roster.terminate(person.id, '2020-01-01');
      const run = await h.sync('incremental');
      assert.equal(run.status, 'succeeded');
      assert.equal(groupStepOf(run), 'planned');
      assert.ok(!(await membersOf(location.id)).includes(employeeId));
    });

    it('a unit archived in the source (nobody\'s record changed) is archived', async () => {
      const location = (await groups()).find((g) => g.attribute === 'location' && !g.archived)!;
      const option = h.sandbox.roster.lists().find((l) => l.alias === 'location')!.options.find((o) => o.name === location.name)!;
      (option as { archived: boolean }).archived = true;
      try {
        const run = await h.sync('full');
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        assert.equal(groupStepOf(run), 'planned');
        assert.equal((await groups()).find((g) => g.id === location.id)!.archived, true);
        assert.deepEqual(await membersOf(location.id), []);
      } finally {
        (option as { archived: boolean }).archived = false;
      }
      const back = await h.sync('full');
      assert.equal(groupStepOf(back), 'planned');
      assert.equal((await groups()).find((g) => g.id === location.id)!.archived, false);
    });

    it('a changed mapping renames the groups on the next run though no person changed', async () => {
      const mapping = MAPPING.map((m) => (m.attribute === 'location' ? { ...m, nameTemplate: '{value} office' } : m));
      const last = await latestRun();
      await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { groupSync: { mapping } });
      // Changing the mapping may queue a run of its own; the first run after it plans.
      const next = await latestRun();
      const run = next.id !== last.id ? next : await h.sync('full');
      assert.equal(run.status, 'succeeded');
      assert.equal(groupStepOf(run), 'planned');
      const locations = (await groups()).filter((g) => g.attribute === 'location' && !g.archived);
      assert.ok(locations.length > 0 && locations.every((g) => g.name.endsWith(' office')));
      assert.equal(groupStepOf(await h.sync('full')), 'links');
    });

    it('a group step that crashed before it committed leaves nothing that would skip: the run taken over applies the move', async () => {
      const { from, to, employeeId } = await moveSomeone();
      const engine = h.ctx.engine as { crashAt?: (point: CrashPoint, runId: string) => void };
      let crashed: string | null = null;
      engine.crashAt = (point, runId) => {
        if (point !== 'groups' || crashed) return;
        crashed = runId;
        throw new LeaseLostError(runId, 'crashed worker (groups)', 0);
      };
      try {
        const { requestSync } = await import('../../src/app/integrations-service.ts');
        const requested = await requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'incremental' });
        while (crashed === null) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(!(await membersOf(to.id)).includes(employeeId), 'the crashed group step wrote nothing');
        // The person's own change was applied before the group step; a worker takes the run over.
        await h.ctx.store.db.updateTable('runs').set({ lease_until: '2000-01-01T00:00:00.000Z' }).where('id', '=', requested.id).execute();
        h.ctx.worker.wake();
        const run = await waitForRun(h.ctx.engine, h.tenantId, requested.id);
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      } finally {
        delete engine.crashAt;
      }
      assert.ok((await membersOf(to.id)).includes(employeeId), 'in the new department');
      assert.ok(!(await membersOf(from.id)).includes(employeeId), 'out of the old one');
      assert.equal(groupStepOf(await h.sync('full')), 'links');
    });
  });
}
