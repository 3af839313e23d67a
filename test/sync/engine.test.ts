import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { listChanges } from '../../src/store/run-changes.ts';
import { getCursor } from '../../src/store/cursors.ts';
import { listEmployees, toEmployee, type Employee } from '../../src/store/employees.ts';
import { patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { presentRun } from '../../src/app/presenters.ts';
import { getRunRow, toRun } from '../../src/store/runs.ts';
import { waitForRun } from '../../src/jobs/worker.ts';

async function employees(h: Harness): Promise<Employee[]> {
  return (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 10_000 })).map(toEmployee);
}

async function byEmail(h: Harness, email: string): Promise<Employee | undefined> {
  return (await employees(h)).find((e) => e.fields.email === email.toLowerCase());
}

/** A snapshot of everything sync writes, to compare states. */
async function snapshot(h: Harness): Promise<string> {
  const rows = await h.ctx.store.db.selectFrom('employees').select(['id', 'status', 'fields']).orderBy('id').execute();
  const links = await h.ctx.store.db.selectFrom('employee_links').select(['external_id', 'employee_id', 'record_hash', 'present', 'source_status']).orderBy('external_id').execute();
  return JSON.stringify({ rows, links });
}

/**
 * Employee ids differ between two stores (they are made as people are created), so people are
 * compared by content, with each manager named by email.
 */
function comparable(state: string): string[] {
  const { rows } = JSON.parse(state) as { rows: { id: string; status: string; fields: string }[] };
  const emailOf = new Map(rows.map((r) => [r.id, (JSON.parse(r.fields) as { email?: string }).email]));
  return rows
    .map((r) => {
      const fields = JSON.parse(r.fields) as Record<string, string>;
      if (fields.managerId) fields.managerId = emailOf.get(fields.managerId) ?? 'dangling';
      return JSON.stringify([r.status, fields]);
    })
    .sort();
}

function activeSandboxPeople(h: Harness) {
  return h.sandbox.roster.list().filter((e) => e.status === 'Active' && e.workEmail);
}

for (const dialect of DIALECTS) {
  describe(`sync engine on ${dialect}`, () => {
    describe('a first full sync and the runs after it', () => {
      let h: Harness;
      before(async () => {
        h = await openHarness(dialect, { employees: 60, seed: 11, pageSize: 7 });
      });
      after(async () => h.close());

      it('creates every active person with a work email, with Unicode intact and provenance per field', async () => {
        const run = h.firstRun!;
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        assert.equal(run.mode, 'full');
        const all = await employees(h);
        const expected = activeSandboxPeople(h);
        assert.equal(all.filter((e) => e.status === 'active').length, expected.length);
        assert.equal(run.counts.created, expected.length);
        assert.equal(run.counts.fetched, h.sandbox.roster.size);
        for (const person of expected) {
          const e = all.find((x) => x.fields.email === person.workEmail!.toLowerCase());
          assert.ok(e, `missing ${person.workEmail}`);
          assert.equal(e.fields.firstName, person.firstName.normalize('NFC'));
          assert.equal(e.fields.lastName, person.lastName.normalize('NFC'));
          assert.equal(e.provenance.firstName?.integrationId, h.integration.id);
          assert.equal(e.provenance.firstName?.runId, run.id);
        }
        assert.ok(all.some((e) => /[^\x00-\x7f]/.test(`${e.fields.firstName}${e.fields.lastName}`)), 'expected some non-ASCII names');
      });

      it('resolves managers to ReFresh employee ids, including managers later in the stream', async () => {
        const all = await employees(h);
        const ids = new Set(all.map((e) => e.id));
        const withManager = all.filter((e) => e.fields.managerId);
        assert.ok(withManager.length > 10);
        for (const e of withManager) assert.ok(ids.has(e.fields.managerId!), `dangling manager ${e.fields.managerId}`);
        const person = activeSandboxPeople(h).find((p) => p.supervisorEId && h.sandbox.roster.get(p.supervisorEId)?.status === 'Active')!;
        const manager = h.sandbox.roster.get(person.supervisorEId!)!;
        const e = await byEmail(h, person.workEmail!);
        const m = await byEmail(h, manager.workEmail!);
        assert.equal(e!.fields.managerId, m!.id);
      });

      it('records terminated people as skipped with the reason, never creating them', async () => {
        const changes = await listChanges(h.ctx.store.db, h.tenantId, h.firstRun!.id, { limit: 1000, kind: 'skipped' });
        const terminated = h.sandbox.roster.list().filter((p) => p.status === 'Inactive');
        assert.ok(terminated.length > 0);
        for (const p of terminated) {
          const c = changes.find((x) => x.externalId === p.id);
          assert.ok(c, `no skipped change for ${p.id}`);
          assert.match(c.reason!, /not created/);
        }
      });

      it('skips everyone on a re-sync with nothing changed, and advances the cursor', async () => {
        const before = await snapshot(h);
        const run = await h.sync('full');
        assert.equal(run.status, 'succeeded');
        assert.equal(run.counts.created + run.counts.updated + run.counts.deactivated + run.counts.reactivated, 0);
        assert.equal(run.counts.unchanged, h.sandbox.roster.size - run.counts.skipped);
        assert.equal(await snapshot(h), before);
        assert.ok(await getCursor(h.ctx.store.db, h.tenantId, h.integration.id));
      });

      it('updates a changed job title on an incremental run, with before and after', async () => {
        const person = activeSandboxPeople(h)[3]!;
        h.sandbox.roster.update(person.id, { jobTitle: 'Chief Ωmega Officer' });
        const run = await h.sync('incremental');
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        assert.equal(run.mode, 'incremental');
        assert.equal(run.counts.updated, 1);
        assert.ok(run.counts.fetched < 5, `incremental fetched ${run.counts.fetched}`);
        const e = await byEmail(h, person.workEmail!);
        assert.equal(e!.fields.jobTitle, 'Chief Ωmega Officer');
        const [change] = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 10, kind: 'updated' });
        assert.deepEqual(change!.after, { jobTitle: 'Chief Ωmega Officer' });
        assert.equal(change!.before!.jobTitle, person.jobTitle);
      });

      it('deactivates a person terminated in the HRIS, and reactivates them when rehired', async () => {
        const person = activeSandboxPeople(h)[5]!;
        h.sandbox.roster.terminate(person.id, '2020-01-01');
        const run = await h.sync('incremental');
        assert.equal(run.counts.deactivated, 1);
        assert.equal((await byEmail(h, person.workEmail!))!.status, 'inactive');
        const [change] = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 10, kind: 'deactivated' });
        assert.match(change!.reason!, /terminated on 2020-01-01/);

        h.sandbox.roster.rehire(person.id, new Date().toISOString().slice(0, 10));
        const again = await h.sync('incremental');
        assert.equal(again.counts.reactivated, 1);
        assert.equal((await byEmail(h, person.workEmail!))!.status, 'active');
      });

      it('adds a new hire on an incremental run', async () => {
        const hire = h.sandbox.roster.add({ firstName: 'Siobhán', lastName: 'Ó Briain', workEmail: 'siobhan.obriain@acme.example', hireDate: '2026-01-05', status: 'Active' });
        const run = await h.sync('incremental');
        assert.equal(run.counts.created, 1);
        const e = await byEmail(h, 'siobhan.obriain@acme.example');
        assert.equal(e!.fields.firstName, 'Siobhán');
        assert.equal(e!.status, 'active');
        assert.ok(hire.id);
      });

      it('deactivates a person deleted in the HRIS (explicit delete event) and one missing from a full fetch', async () => {
        const [a, b] = activeSandboxPeople(h).slice(7, 9) as [ReturnType<typeof activeSandboxPeople>[number], ReturnType<typeof activeSandboxPeople>[number]];
        h.sandbox.roster.remove(a.id);
        const inc = await h.sync('incremental');
        assert.equal(inc.counts.deactivated, 1);
        assert.equal((await byEmail(h, a.workEmail!))!.status, 'inactive');
        h.sandbox.roster.remove(b.id);
        const full = await h.sync('full');
        assert.equal(full.counts.deactivated, 1);
        const e = await byEmail(h, b.workEmail!);
        assert.equal(e!.status, 'inactive');
        const [change] = await listChanges(h.ctx.store.db, h.tenantId, full.id, { limit: 10, kind: 'deactivated' });
        assert.match(change!.reason!, /no longer in BambooHR/);
      });

      it('takes a future termination date into effect on that date', async () => {
        const person = activeSandboxPeople(h)[10]!;
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        h.sandbox.roster.update(person.id, { terminationDate: tomorrow });
        await h.sync('incremental');
        assert.equal((await byEmail(h, person.workEmail!))!.status, 'active');
        const link = await h.ctx.store.db.selectFrom('employee_links').select('review_on').where('external_id', '=', person.id).executeTakeFirstOrThrow();
        assert.equal(link.review_on, tomorrow);
        // The day arrives: a run with nothing changed at the provider still deactivates them.
        const realNow = h.ctx.engine.now;
        (h.ctx.engine as { now?: () => Date }).now = () => new Date(Date.now() + 2 * 86_400_000);
        try {
          const run = await h.sync('incremental');
          assert.equal(run.counts.deactivated, 1);
        } finally {
          (h.ctx.engine as { now?: () => Date }).now = realNow;
        }
        assert.equal((await byEmail(h, person.workEmail!))!.status, 'inactive');
      });

      it('refuses a second run while one is queued or running, naming the running run', async () => {
        const { requestSync } = await import('../../src/app/integrations-service.ts');
        await h.ctx.worker.stop();
        const first = await requestSync(h.ctx, h.tenantId, h.integration.id, {});
        await assert.rejects(requestSync(h.ctx, h.tenantId, h.integration.id, {}), (e: { status: number; details: { runId: string } }) => e.status === 409 && e.details.runId === first.id);
        h.ctx.worker.start();
        await h.sync();
      });
    });

    describe('failures change nothing', () => {
      let h: Harness;
      before(async () => {
        h = await openHarness(dialect, { employees: 45, seed: 3, pageSize: 10 });
      });
      after(async () => h.close());

      it('a failing page mid-fetch fails the run with an admin-readable message and leaves everyone as they were', async () => {
        const before = await snapshot(h);
        const cursorBefore = await getCursor(h.ctx.store.db, h.tenantId, h.integration.id);
        for (const p of activeSandboxPeople(h).slice(0, 3)) h.sandbox.roster.remove(p.id);
        h.sandbox.roster.update(activeSandboxPeople(h)[0]!.id, { jobTitle: 'Changed' });
        h.sandbox.faults.set({ failPage: { page: 3, status: 500, times: 100 } });
        const run = await h.sync('full');
        h.sandbox.faults.clear();
        assert.equal(run.status, 'failed');
        assert.equal(run.error!.code, 'provider_unavailable');
        assert.match(run.error!.message, /BambooHR/);
        assert.equal(await snapshot(h), before);
        assert.deepEqual(await getCursor(h.ctx.store.db, h.tenantId, h.integration.id), cursorBefore);
      });

      it('an outage fails the run as provider_unavailable and deactivates nobody', async () => {
        const before = await snapshot(h);
        h.sandbox.faults.set({ outage: { count: 50, status: 503 } });
        const run = await h.sync('full');
        h.sandbox.faults.clear();
        assert.equal(run.status, 'failed');
        assert.equal(run.error!.code, 'provider_unavailable');
        assert.equal(await snapshot(h), before);
      });

      it('a 429 burst with Retry-After delays the run but it succeeds', async () => {
        h.sandbox.faults.set({ rateLimit: { count: 3, retryAfter: 1 } });
        const run = await h.sync('full');
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        assert.equal(run.counts.deactivated, 3, 'the three removed people are deactivated once a fetch completes');
      });

      it('a run waiting on a 429 says so in its progress (status, until when), and reports the total BambooHR gave', async () => {
        h.sandbox.faults.set({ rateLimit: { count: 1, retryAfter: 2 } });
        const queued = await requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'full' });
        let waiting: ReturnType<typeof presentRun>['progress']['retry'] = null;
        const end = Date.now() + 15_000;
        while (!waiting && Date.now() < end) {
          const row = await getRunRow(h.ctx.store.db, queued.id);
          waiting = row ? presentRun(toRun(row)).progress.retry : null;
          if (!waiting) await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(waiting, 'the run shows its wait while it waits');
        assert.equal(waiting.status, 429);
        assert.equal(waiting.reason, 'rate_limited');
        assert.ok(Date.parse(waiting.until) > Date.now() - 2000, 'until is when the next attempt starts');
        const run = await waitForRun(h.ctx.engine, h.tenantId, queued.id);
        assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
        const done = presentRun(run).progress;
        assert.equal(done.retry, null, 'a finished run waits for nothing');
        assert.equal(done.total, h.sandbox.roster.size, "the fetch's total is BambooHR's total_records");
      });

      it('a revoked key fails the run as auth_failed and deactivates nobody', async () => {
        h.sandbox.roster.remove(activeSandboxPeople(h)[0]!.id);
        const before = await snapshot(h);
        const creds = await import('../../src/store/integrations.ts').then((m) => m.readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id));
        h.sandbox.faults.set({ revokeKey: creds!.apiKey! });
        const run = await h.sync('full');
        h.sandbox.faults.clear();
        assert.equal(run.status, 'failed');
        assert.equal(run.error!.code, 'auth_failed');
        assert.equal(await snapshot(h), before);
      });
    });

    describe('scope, dry runs, crash recovery and the safeguard', () => {
      it('people outside the scope are skipped with the rule, and leavers of the scope follow the out-of-scope action', async () => {
        const h = await openHarness(dialect, { employees: 50, seed: 5 });
        try {
          const people = activeSandboxPeople(h);
          const sizes = new Map<string, number>();
          for (const p of people) sizes.set(p.department!, (sizes.get(p.department!) ?? 0) + 1);
          const dept = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
          const inDept = people.filter((p) => p.department === dept);
          await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, {
            // Narrowing the scope deactivates most people: the safeguard would hold it, so lift it here.
            userSync: { safeguard: { maxDeactivationPercent: 100 }, scope: { groups: [{ name: 'Only one department', conditions: [{ field: 'department', operator: 'in', values: [dept.toUpperCase()] }] }] } },
          });
          const run = await h.sync('incremental');
          assert.equal(run.mode, 'full', 'a scope change forces a full run');
          assert.equal(run.counts.inScope, h.sandbox.roster.list().filter((p) => p.department === dept).length);
          assert.equal((await employees(h)).filter((e) => e.status === 'active').length, inDept.length);
          const [change] = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 1, kind: 'deactivated' });
          assert.match(change!.reason!, /out of sync scope: matches no scope rule: rule "Only one department" needs department is one of/);

          await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { scope: { groups: [] }, outOfScopeAction: 'ignore' } });
          const back = await h.sync();
          assert.equal(back.counts.reactivated, people.length - inDept.length);
        } finally {
          await h.close();
        }
      });

      it('a dry run lists the changes and applies none', async () => {
        const h = await openHarness(dialect, { employees: 30, seed: 9 });
        try {
          const before = await snapshot(h);
          const person = activeSandboxPeople(h)[1]!;
          h.sandbox.roster.terminate(person.id, '2021-03-04');
          const run = await h.sync('incremental', true);
          assert.equal(run.status, 'succeeded');
          assert.equal(run.dryRun, true);
          assert.equal(run.counts.deactivated, 1);
          assert.equal(await snapshot(h), before);
          const real = await h.sync('incremental');
          assert.equal(real.counts.deactivated, 1, 'the dry run did not advance the cursor');
        } finally {
          await h.close();
        }
      });

      it('an incremental run applying its changes from memory, stopped after a batch, resumes to the state of an uninterrupted run', async () => {
        // 1,500 changed people: held in memory (the run could be held by the safeguard, so it
        // does not stream), applied after the fetch in two batches, the first committed before the stop.
        const change = (h: Harness) => {
          const people = activeSandboxPeople(h).slice(0, 1500);
          for (const [i, p] of people.entries()) h.sandbox.roster.update(p.id, { jobTitle: `Title ${i} Ünïcode` });
          h.sandbox.roster.update(people[0]!.id, { status: 'Inactive', terminationDate: '2020-01-01' });
        };
        const reference = await openHarness(dialect, { employees: 2500, seed: 22 });
        change(reference);
        const uninterrupted = await reference.sync('incremental');
        assert.equal(uninterrupted.status, 'succeeded', JSON.stringify(uninterrupted.error));
        assert.equal(uninterrupted.counts.updated + uninterrupted.counts.deactivated, 1500);
        const staged = await reference.ctx.store.db.selectFrom('run_changes').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', uninterrupted.id).where('payload', 'is not', null).executeTakeFirstOrThrow();
        assert.equal(Number(staged.n), 0, 'nothing was staged to be read back');
        const referenceState = await snapshot(reference);
        await reference.close();

        const h = await openHarness(dialect, { employees: 2500, seed: 22 });
        try {
          change(h);
          let batches = 0;
          (h.ctx.engine as { onApplyBatch?: (runId: string, seq: number) => void }).onApplyBatch = () => {
            if (batches++ === 0) throw new Error('simulated crash after the first batch');
          };
          const crashed = await h.sync('incremental');
          assert.equal(crashed.status, 'failed');
          assert.equal(crashed.counts.updated + crashed.counts.deactivated, 1000, 'the first batch was applied');
          assert.equal(crashed.planned?.updated, 1499, 'the plan was recorded with the first batch');
          (h.ctx.engine as { onApplyBatch?: unknown }).onApplyBatch = undefined;
          // A worker that died would leave the run running in the phase it was in; another resumes it.
          await h.ctx.store.db.updateTable('runs').set({ status: 'running', lease_until: '2000-01-01T00:00:00.000Z', finished_at: null }).where('id', '=', crashed.id).execute();
          const { RunWorker, waitForRun } = await import('../../src/jobs/worker.ts');
          const rescuer = new RunWorker(h.ctx.engine, { pollMs: 20, schedule: false });
          rescuer.start();
          const resumed = await waitForRun(h.ctx.engine, h.tenantId, crashed.id);
          await rescuer.stop();
          assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
          assert.equal(resumed.counts.updated + resumed.counts.deactivated, 1500, 'every change applied once');
          assert.deepEqual(comparable(await snapshot(h)), comparable(referenceState));
          // The next incremental run finds nothing left to do.
          const next = await h.sync('incremental');
          assert.equal(next.counts.updated + next.counts.deactivated + next.counts.created, 0, JSON.stringify(next.counts));
        } finally {
          await h.close();
        }
      });

      it('a crash mid-apply resumes to exactly the state of an uninterrupted run', async () => {
        const reference = await openHarness(dialect, { employees: 2500, seed: 21 });
        const referenceState = await snapshot(reference);
        const referenceCount = (await employees(reference)).length;
        await reference.close();

        const h = await openHarness(dialect, { employees: 2500, seed: 21, enable: false });
        try {
          let crashes = 0;
          (h.ctx.engine as { onApplyBatch?: (runId: string, seq: number) => void }).onApplyBatch = () => {
            if (crashes++ === 0) throw new Error('simulated crash after the first batch');
          };
          await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { enabled: true } });
          const runRow = await h.ctx.store.db.selectFrom('runs').selectAll().executeTakeFirstOrThrow();
          const { waitForRun } = await import('../../src/jobs/worker.ts');
          const crashed = await waitForRun(h.ctx.engine, h.tenantId, runRow.id);
          assert.equal(crashed.status, 'failed');
          const partial = (await employees(h)).length;
          assert.ok(partial > 0 && partial < referenceCount, `expected a partial apply, got ${partial}`);
          // A worker that died would leave the run running, in the phase it was in (a first sync
          // applies with its pages, so that is mid-fetch); simulate that and let another worker resume it.
          await h.ctx.store.db.updateTable('runs').set({ status: 'running', lease_until: '2000-01-01T00:00:00.000Z', finished_at: null }).where('id', '=', runRow.id).execute();
          const { RunWorker } = await import('../../src/jobs/worker.ts');
          const rescuer = new RunWorker(h.ctx.engine, { pollMs: 20, schedule: false });
          rescuer.start();
          const resumed = await waitForRun(h.ctx.engine, h.tenantId, runRow.id);
          await rescuer.stop();
          assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
          assert.deepEqual(comparable(await snapshot(h)), comparable(referenceState));
        } finally {
          await h.close();
        }
      });

      it('holds a run that would deactivate too many people, applies nothing, and applies exactly once on approval', async () => {
        const h = await openHarness(dialect, { employees: 40, seed: 13 });
        try {
          const active = activeSandboxPeople(h);
          const victims = active.slice(0, Math.ceil(active.length / 2));
          for (const p of victims) h.sandbox.roster.terminate(p.id, '2022-02-02');
          const before = await snapshot(h);
          const run = await h.sync('incremental');
          assert.equal(run.status, 'blocked');
          assert.equal(run.error!.code, 'safeguard_blocked');
          assert.equal(await snapshot(h), before);
          const staged = await listChanges(h.ctx.store.db, h.tenantId, run.id, { limit: 1000, kind: 'deactivated' });
          assert.equal(staged.length, victims.length);
          const { approveRun } = await import('../../src/app/runs-service.ts');
          const results = await Promise.allSettled([approveRun(h.ctx, h.tenantId, run.id), approveRun(h.ctx, h.tenantId, run.id)]);
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one approval wins');
          const { waitForRun } = await import('../../src/jobs/worker.ts');
          const done = await waitForRun(h.ctx.engine, h.tenantId, run.id);
          assert.equal(done.status, 'succeeded');
          const all = await employees(h);
          for (const p of victims) assert.equal(all.find((e) => e.fields.email === p.workEmail!.toLowerCase())!.status, 'inactive');
          assert.equal(all.filter((e) => e.status === 'inactive').length, victims.length);
        } finally {
          await h.close();
        }
      });
    });
  });
}
