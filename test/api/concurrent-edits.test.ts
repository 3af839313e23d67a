import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { waitForRun } from '../../src/jobs/worker.ts';

/**
 * Issue 9 point 6, no lost updates: employees carry a version (ETag / If-Match), a sync writes
 * only what it owns and only at the version it planned from, audit rows commit with their change,
 * and a correlation case is resolved once however many decide it at the same time.
 */

type Json = any;

for (const dialect of DIALECTS) {
  describe(`concurrent edits on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await apiCaller({ base, key })(method, path, body, headers);
      return { ...res, etag: res.headers.get('etag'), body: res.body as Json };
    };
    const activePeople = () => h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);
    const byEmail = async (email: string) => (await call('GET', `/employees?email=${encodeURIComponent(email)}`)).body.data[0];
    const auditCount = async (action: string, entityId: string) => (await h.ctx.store.db.selectFrom('audit_events').select('id').where('action', '=', action).where('entity_id', '=', entityId).execute()).length;

    before(async () => {
      h = await openHarness(dialect, { employees: 30, seed: 31 });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('GET sends the version as ETag; PATCH with a stale If-Match answers 412 and changes nothing; without the header it applies', async () => {
      const person = await byEmail(activePeople()[0]!.workEmail!);
      const read = await call('GET', `/employees/${person.id}`);
      assert.equal(read.etag, `"${read.body.version}"`);
      const first = await call('PATCH', `/employees/${person.id}`, { customConfig: { desk: '1' } }, { 'if-match': read.etag! });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.ok(first.body.version > read.body.version);
      assert.equal(first.etag, `"${first.body.version}"`);
      const stale = await call('PATCH', `/employees/${person.id}`, { role: 'organization_admin' }, { 'if-match': read.etag! });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.error.code, 'precondition_failed');
      assert.match(stale.body.error.message, /changed since you read it/);
      const unchanged = await call('GET', `/employees/${person.id}`);
      assert.equal(unchanged.body.role, 'member');
      assert.equal(unchanged.etag, first.etag);
      assert.equal(await auditCount('employee.updated', person.id), 1, 'a refused edit leaves no audit row');
      assert.equal((await call('PATCH', `/employees/${person.id}`, { role: 'compliance_manager' })).status, 200);
      assert.equal((await call('PATCH', `/employees/${person.id}`, { customConfig: { desk: '2' } }, { 'if-match': '*' })).status, 200);
      assert.equal((await call('PATCH', `/employees/${person.id}`, { customConfig: { desk: '3' } }, { 'if-match': '"not-a-version"' })).status, 412);
    });

    it('two edits sent with the same If-Match: exactly one applies, the other answers 412', async () => {
      const person = await byEmail(activePeople()[1]!.workEmail!);
      const read = await call('GET', `/employees/${person.id}`);
      const results = await Promise.all(['a', 'b', 'c'].map((desk) => call('PATCH', `/employees/${person.id}`, { customConfig: { desk } }, { 'if-match': read.etag! })));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 412, 412]);
      const winner = results.find((r) => r.status === 200)!.body.customConfig.desk;
      assert.equal((await call('GET', `/employees/${person.id}`)).body.customConfig.desk, winner);
    });

    it('a sync that changes the person moves the ETag, so an edit based on the older read answers 412', async () => {
      const sandboxPerson = activePeople()[2]!;
      const read = await call('GET', `/employees/${(await byEmail(sandboxPerson.workEmail!)).id}`);
      h.sandbox.roster.update(sandboxPerson.id, { jobTitle: 'Chief Tea Officer' });
      await h.sync('incremental');
      const now = await call('GET', `/employees/${read.body.id}`);
      assert.equal(now.body.fields.jobTitle.value, 'Chief Tea Officer');
      assert.notEqual(now.etag, read.etag);
      assert.equal((await call('PATCH', `/employees/${read.body.id}`, { customConfig: { note: 'x' } }, { 'if-match': read.etag! })).status, 412);
    });

    it("an admin's edits made after a run was planned (approved, waiting for a worker) survive its apply; the run still applies its own fields", async () => {
      const people = activePeople();
      const victims = people.slice(3, 3 + Math.ceil(people.length / 2));
      for (const p of victims) h.sandbox.roster.terminate(p.id, '2022-02-02');
      const renamed = victims[0]!;
      h.sandbox.roster.update(renamed.id, { jobTitle: 'Former Lead' });
      const held = await h.sync('incremental');
      assert.equal(held.status, 'blocked', JSON.stringify(held.error));
      const target = await byEmail(renamed.workEmail!);
      // Approved while no worker runs, then edited: the apply meets a person whose version moved.
      await h.ctx.worker.stop();
      assert.equal((await call('POST', `/runs/${held.id}/approve`)).status, 202);
      const edit = await call('PATCH', `/employees/${target.id}`, { role: 'compliance_manager', customConfig: { badge: 'B-9' }, fields: { 'custom.locker': '17' } });
      assert.equal(edit.status, 200, JSON.stringify(edit.body));
      h.ctx.worker.start();
      const done = await waitForRun(h.ctx.engine, h.tenantId, held.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const after = (await call('GET', `/employees/${target.id}`)).body;
      assert.equal(after.status, 'inactive', 'the run applied its status');
      assert.equal(after.fields.jobTitle.value, 'Former Lead', 'and its own fields');
      assert.equal(after.role, 'compliance_manager');
      assert.deepEqual(after.customConfig, { badge: 'B-9' });
      assert.equal(after.fields['custom.locker'].value, '17', 'the admin-owned field edited after planning is kept');
      for (const p of victims) assert.equal((await byEmail(p.workEmail!)).status, 'inactive');
    });

    it('a correlation case decided several times at once is resolved exactly once (the others answer 409), with one audit row', async () => {
      const a = await call('POST', '/employees', { fields: { email: 'mira.kovac@acme.example', employeeNumber: 'M-1' } });
      const b = await call('POST', '/employees', { fields: { email: 'mira.other@acme.example', employeeNumber: 'M-2' } });
      assert.equal(a.status, 201);
      h.sandbox.roster.add({ firstName: 'Mira', lastName: 'Kovač', workEmail: 'mira.kovac@acme.example', employeeNumber: 'M-2', hireDate: '2024-01-01', status: 'Active' });
      await h.sync('incremental');
      const open = (await call('GET', '/correlation-cases?status=open')).body.data;
      assert.equal(open.length, 1);
      const id = open[0].id;
      const decisions = [{ action: 'link', employeeId: a.body.id }, { action: 'link', employeeId: b.body.id }, { action: 'link', employeeId: a.body.id }, { action: 'link', employeeId: b.body.id }];
      const results = await Promise.all(decisions.map((d) => call('POST', `/correlation-cases/${id}/resolve`, d)));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409], JSON.stringify(results.map((r) => r.body)));
      for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.error.code, 'case_resolved');
      const winner = results.find((r) => r.status === 200)!.body;
      const link = await h.ctx.store.db.selectFrom('employee_links').select('employee_id').where('external_id', '=', h.sandbox.roster.list().find((p) => p.workEmail === 'mira.kovac@acme.example')!.id).executeTakeFirstOrThrow();
      assert.equal(link.employee_id, winner.resolution.employeeId);
      assert.equal(await auditCount('correlation.resolved', id), 1);
    });
  });
}
