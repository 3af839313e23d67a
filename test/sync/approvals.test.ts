import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { listEmployees, toEmployee, type Employee } from '../../src/store/employees.ts';
import { newId } from '../../src/store/ids.ts';
import type { Run } from '../../src/store/runs.ts';

/**
 * Issue 9 point 2: approving a held run applies exactly what was staged, or refuses with 409
 * plan_stale (and offers a fresh run) when something it depends on moved since it was planned.
 */

async function employees(h: Harness): Promise<Employee[]> {
  return (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 10_000 })).map(toEmployee);
}

async function peopleState(h: Harness): Promise<string> {
  const rows = await h.ctx.store.db.selectFrom('employees').select(['id', 'status', 'role', 'fields', 'custom_config']).orderBy('id').execute();
  return JSON.stringify(rows);
}

/** A harness whose next incremental run is held: half of the active people were terminated in the HRIS. */
async function heldRun(dialect: (typeof DIALECTS)[number]): Promise<{ h: Harness; api: ApiCall; close(): Promise<void>; run: Run; victims: Employee[] }> {
  const h = await openHarness(dialect, { employees: 30, seed: 5 });
  const served = await serveApi(h);
  const active = h.sandbox.roster.list().filter((e) => e.status === 'Active' && e.workEmail);
  const people = await employees(h);
  const terminated = active.slice(0, Math.ceil(active.length / 2));
  for (const p of terminated) h.sandbox.roster.terminate(p.id, '2022-02-02');
  const run = await h.sync('incremental');
  assert.equal(run.status, 'blocked', JSON.stringify(run.error));
  const victims = terminated.map((p) => people.find((e) => e.fields.email === p.workEmail!.toLowerCase())!);
  return { h, api: apiCaller(served), run, victims, close: async () => { await served.app.close(); await h.close(); } };
}

async function assertStale(api: ApiCall, h: Harness, run: Run, reason: RegExp): Promise<void> {
  const res = await api('POST', `/runs/${run.id}/approve`);
  assert.equal(res.status, 409, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'plan_stale');
  assert.match(res.body.error.message, reason);
  assert.match(res.body.error.message, /fresh sync/);
  assert.equal(res.body.error.details.integrationId, h.integration.id);
  // Set aside, so the fresh run it offers can start; approving it again is refused.
  const after = (await api('GET', `/runs/${run.id}`)).body;
  assert.equal(after.status, 'rejected');
  assert.equal(after.error.code, 'plan_stale');
  assert.equal((await api('POST', `/runs/${run.id}/approve`)).status, 409);
}

for (const dialect of DIALECTS) {
  describe(`approving a held run on ${dialect}`, () => {
    it('refuses with plan_stale when an admin edited a field of one of its people, applies nothing, and a fresh run keeps the edit', async () => {
      const { h, api, run, victims, close } = await heldRun(dialect);
      try {
        const edited = victims[0]!;
        const patched = await api('PATCH', `/employees/${edited.id}`, { fields: { 'custom.badge': 'B-17' } });
        assert.equal(patched.status, 200, JSON.stringify(patched.body));
        const before = await peopleState(h);
        await assertStale(api, h, run, /edited since/);
        assert.equal(await peopleState(h), before, 'nothing applied');
        assert.ok((await employees(h)).filter((e) => victims.some((v) => v.id === e.id)).every((e) => e.status === 'active'));
        // The fresh run it offers plans again, is held again, and its approval applies with the edit kept.
        const fresh = await api('POST', `/integrations/${h.integration.id}/sync`, { mode: 'incremental' });
        assert.equal(fresh.status, 202, JSON.stringify(fresh.body));
        const held = await waitForRun(h.ctx.engine, h.tenantId, fresh.body.runId);
        assert.equal(held.status, 'blocked');
        assert.equal((await api('POST', `/runs/${held.id}/approve`)).status, 202);
        assert.equal((await waitForRun(h.ctx.engine, h.tenantId, held.id)).status, 'succeeded');
        const now = await employees(h);
        for (const v of victims) assert.equal(now.find((e) => e.id === v.id)!.status, 'inactive');
        assert.equal(now.find((e) => e.id === edited.id)!.fields['custom.badge'], 'B-17');
        const audit = await h.ctx.store.db.selectFrom('audit_events').select('action').where('entity_id', '=', run.id).execute();
        assert.deepEqual(audit.map((a) => a.action), ['run.stale']);
      } finally {
        await close();
      }
    });

    it('refuses with plan_stale when the scope changed after staging', async () => {
      const { h, api, run, close } = await heldRun(dialect);
      try {
        const before = await peopleState(h);
        const patched = await api('PATCH', `/integrations/${h.integration.id}`, { userSync: { scope: { groups: [{ name: 'Engineering only', conditions: [{ field: 'department', operator: 'in', values: ['Engineering'] }] }] } } });
        assert.equal(patched.status, 200, JSON.stringify(patched.body));
        await assertStale(api, h, run, /scope, field mapping/);
        assert.equal(await peopleState(h), before);
      } finally {
        await close();
      }
    });

    it('refuses with plan_stale when another run of the integration applied after it was staged', async () => {
      const { h, api, run, close } = await heldRun(dialect);
      try {
        // Nothing queues a run beside a held one, so the later run is written as a racing node would leave it.
        const later = (await h.ctx.store.db.selectFrom('runs').selectAll().where('id', '=', run.id).executeTakeFirstOrThrow());
        await h.ctx.store.db.insertInto('runs').values({ ...later, id: newId(), status: 'succeeded', phase: 'done', applied_through: 3, error: null, plan_basis: null }).execute();
        await assertStale(api, h, run, /applied changes after this one was planned/);
      } finally {
        await close();
      }
    });

    it("applies exactly once when only ReFresh-only things changed (role, custom configuration, a manual membership), keeping them", async () => {
      const { h, api, run, victims, close } = await heldRun(dialect);
      try {
        const person = victims[1]!;
        assert.equal((await api('PATCH', `/employees/${person.id}`, { role: 'compliance_manager', customConfig: { desk: '4.12' } })).status, 200);
        const group = await api('POST', '/groups', { name: 'Fire wardens' });
        assert.equal(group.status, 201, JSON.stringify(group.body));
        assert.equal((await api('POST', `/groups/${group.body.id}/members`, { employeeIds: [person.id] })).status, 201);
        const results = await Promise.all([api('POST', `/runs/${run.id}/approve`), api('POST', `/runs/${run.id}/approve`)]);
        assert.deepEqual(results.map((r) => r.status).sort(), [202, 409], JSON.stringify(results.map((r) => r.body)));
        const done = await waitForRun(h.ctx.engine, h.tenantId, run.id);
        assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
        assert.equal(done.counts.deactivated, victims.length);
        const now = (await api('GET', `/employees/${person.id}`)).body;
        assert.equal(now.status, 'inactive');
        assert.equal(now.role, 'compliance_manager');
        const stored = await h.ctx.store.db.selectFrom('employees').select('custom_config').where('id', '=', person.id).executeTakeFirstOrThrow();
        assert.deepEqual(JSON.parse(stored.custom_config), { desk: '4.12' });
        const members = (await api('GET', `/groups/${group.body.id}/members`)).body.data;
        assert.deepEqual(members.map((m: { employeeId: string; origin: string }) => [m.employeeId, m.origin]), [[person.id, 'manual']]);
        const approvals = await h.ctx.store.db.selectFrom('audit_events').select('action').where('entity_id', '=', run.id).execute();
        assert.deepEqual(approvals.map((a) => a.action), ['run.approved']);
      } finally {
        await close();
      }
    });
  });
}
