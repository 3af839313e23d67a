import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import { waitForRun } from '../../src/jobs/worker.ts';

type Json = any;

for (const dialect of DIALECTS) {
  describe(`employees admin, locks, audit and several sources on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
    };
    const findByEmail = async (email: string) => (await call('GET', `/employees?email=${encodeURIComponent(email)}`)).body.data[0];
    const activePeople = () => h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail);

    before(async () => {
      h = await openHarness(dialect, { employees: 30, seed: 23 });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('refuses an edit of a locked field with a message naming the source, and keeps the value', async () => {
      const person = activePeople()[0]!;
      const e = await findByEmail(person.workEmail!);
      const res = await call('PATCH', `/employees/${e.id}`, { fields: { jobTitle: 'Self-appointed CEO' } });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'field_locked');
      assert.equal(res.body.error.message, 'jobTitle is managed by BambooHR; change it there.');
      assert.equal(res.body.error.details.integrationId, h.integration.id);
      assert.equal((await call('GET', `/employees/${e.id}`)).body.fields.jobTitle.value, person.jobTitle);
      const status = await call('PATCH', `/employees/${e.id}`, { status: 'inactive' });
      assert.equal(status.status, 409);
      assert.match(status.body.error.message, /status is managed by BambooHR/);
    });

    it('edits role, custom configuration and unmapped fields, and every later sync keeps them', async () => {
      const person = activePeople()[1]!;
      const e = await findByEmail(person.workEmail!);
      const res = await call('PATCH', `/employees/${e.id}`, { role: 'compliance_manager', customConfig: { badge: 'gold' }, fields: { 'custom.deskNumber': 'B-12' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.role, 'compliance_manager');
      assert.equal(res.body.fields['custom.deskNumber'].locked, false);
      h.sandbox.roster.update(person.id, { jobTitle: 'Promoted' });
      await h.sync('incremental');
      await h.sync('full');
      const after = (await call('GET', `/employees/${e.id}`)).body;
      assert.equal(after.role, 'compliance_manager');
      assert.equal(after.fields['custom.deskNumber'].value, 'B-12');
      assert.equal(after.fields.jobTitle.value, 'Promoted');
      const row = await h.ctx.store.db.selectFrom('employees').select('custom_config').where('id', '=', e.id).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(row.custom_config), { badge: 'gold' });
      assert.equal((await call('PATCH', `/employees/${e.id}`, { role: 'owner' })).status, 400);
      assert.equal((await call('PATCH', `/employees/${e.id}`, { fields: { shoeSize: '42' } })).status, 400);
    });

    it('adds people by hand, refuses duplicates and bad emails, and links them when the HRIS brings the same person', async () => {
      const created = await call('POST', '/employees', { fields: { email: 'Ana-Maria.Popescu@Acme.Example', firstName: 'Ana-María', lastName: 'Popescu' }, role: 'organization_admin' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.fields.firstName.locked, false);
      assert.equal((await call('POST', '/employees', { fields: { email: 'ana-maria.popescu@acme.example' } })).status, 409);
      assert.equal((await call('POST', '/employees', { fields: { email: 'not an email' } })).status, 400);
      assert.equal((await call('POST', '/employees', { fields: { firstName: 'No email' } })).status, 400);

      h.sandbox.roster.add({ firstName: 'Ana-María', lastName: 'Popescu', workEmail: 'ana-maria.popescu@acme.example', jobTitle: 'Auditor', hireDate: '2025-03-01', status: 'Active' });
      const run = await h.sync('incremental');
      assert.equal(run.counts.created, 0, 'linked, not duplicated');
      assert.equal(run.counts.updated, 1);
      const linked = (await call('GET', `/employees/${created.body.id}`)).body;
      assert.equal(linked.fields.jobTitle.value, 'Auditor');
      assert.equal(linked.fields.jobTitle.locked, true);
      assert.equal(linked.role, 'organization_admin', 'the role set in ReFresh survives linking');
      assert.equal(linked.links.length, 1);
      assert.equal((await call('GET', '/employees?email=ana-maria.popescu@acme.example')).body.data.length, 1);
    });

    it('merges custom configuration: names given replace theirs, null removes a name', async () => {
      const e = await findByEmail(activePeople()[2]!.workEmail!);
      await call('PATCH', `/employees/${e.id}`, { customConfig: { badge: 'gold', desk: 12, parking: true } });
      const res = await call('PATCH', `/employees/${e.id}`, { customConfig: { desk: 14, parking: null } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.customConfig, { badge: 'gold', desk: 14 });
    });

    it('imports a CSV: good rows kept, bad rows reported with line number and reason', async () => {
      const csv = ['email,firstName,lastName,role,custom.team', 'zoe.muller@acme.example,Zoë,Müller,member,Blue', 'broken-email,Bad,Row,,', 'ana-maria.popescu@acme.example,Dup,Licate,,', '"o.connor@acme.example","Siobhán","O\'Connor",compliance_manager,Green', 'x@acme.example,X,Y,superuser,'].join('\n');
      const res = await call('POST', '/employees/import', csv, 'text/csv');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.created, 2);
      assert.equal(res.body.failed, 3);
      const byLine = new Map(res.body.rows.map((r: Json) => [r.line, r]));
      assert.equal((byLine.get(2) as Json).status, 'created');
      assert.match((byLine.get(3) as Json).error, /is not an e-mail address/);
      // A known work e-mail updates that person: here a synced one, whose names BambooHR manages.
      assert.match((byLine.get(4) as Json).error, /^First name is managed by BambooHR .*; change it there$/);
      assert.equal((byLine.get(5) as Json).status, 'created');
      assert.match((byLine.get(6) as Json).error, /role/);
      const zoe = await findByEmail('zoe.muller@acme.example');
      assert.equal(zoe.fields.firstName.value, 'Zoë');
      assert.equal(zoe.fields['custom.team'].value, 'Blue');
      const badHeader = await call('POST', '/employees/import', 'email,shoeSize\na@b.example,42', 'text/csv');
      assert.equal(badHeader.status, 400);
      assert.match(badHeader.body.error.message, /shoeSize/);
    });

    it('holds an ambiguous match as a correlation case and links it when the admin decides', async () => {
      const a = await call('POST', '/employees', { fields: { email: 'lena.schmidt@acme.example', employeeNumber: 'A-1' } });
      const b = await call('POST', '/employees', { fields: { email: 'lena.other@acme.example', employeeNumber: 'B-2' } });
      h.sandbox.roster.add({ firstName: 'Lena', lastName: 'Schmidt', workEmail: 'lena.schmidt@acme.example', employeeNumber: 'B-2', hireDate: '2024-01-01', status: 'Active' });
      const run = await h.sync('incremental');
      assert.equal(run.counts.created, 0);
      const [skipped] = (await call('GET', `/runs/${run.id}/changes?kind=skipped`)).body.data;
      assert.match(skipped.reason, /correlation case/);
      const cases = (await call('GET', '/correlation-cases?status=open')).body.data;
      assert.equal(cases.length, 1);
      assert.match(cases[0].reason, /email matches one employee and the employee number another/);
      assert.deepEqual([...cases[0].candidates].sort(), [a.body.id, b.body.id].sort());
      const resolved = await call('POST', `/correlation-cases/${cases[0].id}/resolve`, { action: 'link', employeeId: a.body.id });
      assert.equal(resolved.body.status, 'resolved');
      assert.equal((await call('POST', `/correlation-cases/${cases[0].id}/resolve`, { action: 'create' })).status, 409);
      await h.sync('full');
      const lena = (await call('GET', `/employees/${a.body.id}`)).body;
      assert.equal(lena.fields.firstName.value, 'Lena');
      assert.equal(lena.links.length, 1);
    });

    it('keeps an audit log of admin edits and synced changes, filterable and paged', async () => {
      const person = activePeople()[2]!;
      const e = await findByEmail(person.workEmail!);
      await call('PATCH', `/employees/${e.id}`, { role: 'compliance_manager' });
      h.sandbox.roster.update(person.id, { jobTitle: 'Head of Ωmega' });
      const run = await h.sync('incremental');
      const log = (await call('GET', `/audit?employeeId=${e.id}`)).body.data;
      const adminEdit = log.find((x: Json) => x.actor.type === 'admin' && x.action === 'employee.updated');
      assert.deepEqual(adminEdit.before, { role: 'member' });
      assert.deepEqual(adminEdit.after, { role: 'compliance_manager' });
      const synced = log.find((x: Json) => x.actor.type === 'run' && x.actor.id === run.id);
      assert.equal(synced.action, 'employee.updated');
      assert.deepEqual(synced.after, { jobTitle: 'Head of Ωmega' });
      assert.ok(log.findIndex((x: Json) => x === synced) < log.findIndex((x: Json) => x === adminEdit), 'newest first');
      const seen = new Set<string>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Json = (await call('GET', `/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`)).body;
        for (const entry of page.data) {
          assert.equal(seen.has(entry.id), false, `duplicate ${entry.id}`);
          seen.add(entry.id);
        }
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      const everything = (await call('GET', '/audit?limit=1000')).body.data;
      assert.equal(seen.size, everything.length);
      assert.ok((await call('GET', '/audit?actor=admin')).body.data.every((x: Json) => x.actor.type === 'admin'));
    });

    describe('two sources', () => {
      let second: BambooSandbox;
      let secondId: string;
      before(async () => {
        // The same company in a second HRIS: same people (same seed), so every person is linked twice.
        second = await startBambooSandbox({ employees: 30, seed: 23, port: 0, apiKeys: ['second-key'] });
        const created = await call('POST', '/integrations', { provider: 'bamboohr', name: 'Second HRIS', settings: { companyDomain: 'second', baseUrl: second.url }, credentials: { apiKey: 'second-key' } });
        secondId = created.body.id;
        assert.equal(created.body.priority, 2);
        await call('PATCH', `/integrations/${secondId}`, { userSync: { enabled: true, fieldMapping: { workEmail: 'email', firstName: 'firstName', lastName: 'lastName', jobTitle: 'jobTitle', mobilePhone: 'phone', workPhone: 'custom.deskPhone', employeeNumber: 'employeeNumber', status: 'employmentStatus' } } });
        const runs = (await call('GET', `/runs?integrationId=${secondId}`)).body.data;
        await waitForRun(h.ctx.engine, h.tenantId, runs[0].id);
      });
      after(async () => second.close());

      it('links the same person once per source and takes each field from the highest-ranked source with a value', async () => {
        const person = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail && p.mobilePhone)!;
        const twin = second.roster.list().find((p) => p.workEmail === person.workEmail)!;
        second.roster.update(twin.id, { jobTitle: 'Title from the second HRIS' });
        h.sandbox.roster.update(person.id, { mobilePhone: null });
        await h.sync('incremental');
        const secondRun = await waitForRun(h.ctx.engine, h.tenantId, (await call('POST', `/integrations/${secondId}/sync`, {})).body.runId);
        assert.equal(secondRun.status, 'succeeded');
        const e = await findByEmail(person.workEmail!);
        assert.equal(e.links.length, 2);
        assert.equal(e.fields.jobTitle.value, person.jobTitle, 'rank 1 wins');
        assert.equal(e.fields.jobTitle.source.integrationId, h.integration.id);
        assert.equal(e.fields.phone.value, twin.mobilePhone, 'rank 2 fills what rank 1 lacks');
        assert.equal(e.fields.phone.source.integrationId, secondId);
        assert.equal(e.fields['custom.deskPhone'].lockedBy, 'Second HRIS');

        const swapped = await call('PATCH', `/integrations/${secondId}`, { priority: 1 });
        assert.equal(swapped.body.priority, 1);
        assert.equal((await call('GET', `/integrations/${h.integration.id}`)).body.priority, 2, 'ranks stay a permutation');
        const flipped = await findByEmail(person.workEmail!);
        assert.equal(flipped.fields.jobTitle.value, 'Title from the second HRIS', 're-resolved at once, without refetching');
        assert.equal(flipped.fields.jobTitle.source.integrationId, secondId);
        await call('PATCH', `/integrations/${secondId}`, { priority: 2 });
        assert.equal((await findByEmail(person.workEmail!)).fields.jobTitle.value, person.jobTitle);
      });

      it('lets only the highest-ranked source deactivate a person', async () => {
        const person = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail && !p.terminationDate)!;
        const twin = second.roster.list().find((p) => p.workEmail === person.workEmail)!;
        second.roster.terminate(twin.id, '2020-01-01');
        const run = await waitForRun(h.ctx.engine, h.tenantId, (await call('POST', `/integrations/${secondId}/sync`, {})).body.runId);
        assert.equal(run.counts.deactivated, 0, 'rank 2 cannot deactivate');
        assert.equal((await findByEmail(person.workEmail!)).status, 'active');
        h.sandbox.roster.terminate(person.id, '2020-01-01');
        await h.sync('incremental');
        assert.equal((await findByEmail(person.workEmail!)).status, 'inactive');
      });

      it('unlocks the fields of a disabled source and keeps their last values', async () => {
        const person = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail)!;
        const e = await findByEmail(person.workEmail!);
        const deskPhone = e.fields['custom.deskPhone'];
        assert.equal(deskPhone.locked, true);
        await call('PATCH', `/integrations/${secondId}`, { userSync: { enabled: false } });
        const after = await findByEmail(person.workEmail!);
        assert.equal(after.fields['custom.deskPhone'].locked, false);
        assert.equal(after.fields['custom.deskPhone'].value, deskPhone.value);
        const edit = await call('PATCH', `/employees/${e.id}`, { fields: { 'custom.deskPhone': '+1 555 0100' } });
        assert.equal(edit.status, 200);
        assert.equal((await call('PATCH', `/employees/${e.id}`, { fields: { lastName: 'Nope' } })).status, 409, 'the first source still locks its fields');
      });

      it('removes a source: people unlinked and unlocked with their values kept, ranks close up, history stays', async () => {
        await call('PATCH', `/integrations/${secondId}`, { userSync: { enabled: true } });
        const runs = (await call('GET', `/runs?integrationId=${secondId}`)).body.data;
        await waitForRun(h.ctx.engine, h.tenantId, runs[0].id);
        await call('PATCH', `/integrations/${secondId}`, { priority: 1 });
        const person = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail)!;
        const before = await findByEmail(person.workEmail!);
        assert.equal(before.links.length, 2);
        const removed = await call('DELETE', `/integrations/${secondId}`);
        assert.equal(removed.status, 204);
        assert.equal((await call('GET', `/integrations/${secondId}`)).status, 404);
        const list = (await call('GET', '/integrations')).body.data;
        assert.deepEqual(list.map((i: Json) => [i.id, i.priority]), [[h.integration.id, 1]], 'ranks close up');
        const after = await findByEmail(person.workEmail!);
        assert.equal(after.links.length, 1);
        assert.equal(after.fields['custom.deskPhone'].value, before.fields['custom.deskPhone'].value, 'the last value stays');
        assert.equal(after.fields['custom.deskPhone'].locked, false);
        assert.ok((await call('GET', `/runs?integrationId=${secondId}`)).body.data.length > 0, 'its runs stay in the history');
        const log = (await call('GET', '/audit?actor=admin&limit=20')).body.data;
        assert.ok(log.some((x: Json) => x.action === 'integration.removed' && x.entity.id === secondId));
        assert.equal((await call('DELETE', `/integrations/${secondId}`)).status, 404);
      });
    });
  });
}
