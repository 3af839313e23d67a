import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { adminTextProblems } from '../helpers/admin-text.ts';

type Json = any;

for (const dialect of DIALECTS) {
  describe(`CSV import of real HR exports on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: string | object) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
    };
    const byEmail = async (email: string) => (await call('GET', `/employees?email=${encodeURIComponent(email)}`)).body.data[0];
    const people = async () => (await call('GET', '/employees?limit=1')).body.total as number;
    const rowsByLine = (body: Json) => new Map<number, Json>(body.rows.map((r: Json) => [r.line, r]));

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 5 });
      ({ app, base, key } = await serveApi(h));
      assert.equal((await call('POST', '/employees', { fields: { email: 'kept.same@csv.example', firstName: 'Kept', lastName: 'Same', department: 'Ops' } })).status, 201);
      assert.equal((await call('POST', '/employees', { fields: { email: 'moves.dept@csv.example', firstName: 'Moves', lastName: 'Dept', department: 'Ops' } })).status, 201);
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('reads an HR export (headers in any case and spacing), previews creates, updates and unchanged rows by line, writes nothing, then applies the same', async () => {
      const synced = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail)!;
      const csv = [
        ' Work  Email ,FIRST_NAME,last name,Job Title,Department,Employee Number,Manager Email,custom.team',
        'new.hire@csv.example,New,Hire,Analyst,Finance,E-100,new.boss@csv.example,Blue',
        'KEPT.SAME@csv.example,Kept,Same,,Ops,,,',
        'moves.dept@csv.example,,,,Finance,,kept.same@csv.example,',
        `${synced.workEmail!},,,,,,,Green`,
        'new.boss@csv.example,New,Boss,Director,Finance,E-101,,',
      ].join('\r\n');
      const before = await people();
      const preview = await call('POST', '/employees/import?dryRun=true', csv);
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.deepEqual([preview.body.dryRun, preview.body.created, preview.body.updated, preview.body.unchanged, preview.body.failed], [true, 2, 2, 1, 0]);
      const planned = rowsByLine(preview.body);
      assert.equal(planned.get(2).status, 'created');
      assert.deepEqual(
        planned.get(2).changes.map((c: Json) => [c.label, c.from, c.to]),
        [['First name', null, 'New'], ['Last name', null, 'Hire'], ['Job title', null, 'Analyst'], ['Department', null, 'Finance'], ['Employee number', null, 'E-100'], ['team (custom)', null, 'Blue'], ['Manager', null, 'new.boss@csv.example']],
      );
      assert.equal(planned.get(3).status, 'unchanged', 'the same values, the e-mail in another case');
      assert.equal(planned.get(4).status, 'updated');
      assert.deepEqual(planned.get(4).changes.map((c: Json) => [c.label, c.from, c.to]), [['Department', 'Ops', 'Finance'], ['Manager', null, 'kept.same@csv.example']]);
      assert.equal(planned.get(5).status, 'updated', 'a custom field of a synced person is ReFresh\'s to set');
      assert.equal(planned.get(6).status, 'created');
      assert.equal(await people(), before, 'a dry run writes nothing');
      assert.equal((await byEmail('moves.dept@csv.example')).fields.department.value, 'Ops');

      const applied = await call('POST', '/employees/import', csv);
      assert.equal(applied.status, 200, JSON.stringify(applied.body));
      assert.equal(applied.body.dryRun, false);
      assert.deepEqual(
        applied.body.rows.map((r: Json) => [r.line, r.status, r.changes?.length ?? 0]),
        preview.body.rows.map((r: Json) => [r.line, r.status, r.changes?.length ?? 0]),
        'applying does what the preview said',
      );
      assert.equal(await people(), before + 2);
      const hire = await byEmail('new.hire@csv.example');
      const boss = await byEmail('new.boss@csv.example');
      assert.deepEqual([hire.fields.jobTitle.value, hire.fields.employeeNumber.value, hire.fields['custom.team'].value], ['Analyst', 'E-100', 'Blue']);
      assert.equal(hire.fields.managerId.value, boss.id, 'a manager added further down the file is linked');
      const moved = await byEmail('moves.dept@csv.example');
      assert.equal(moved.fields.department.value, 'Finance');
      assert.equal(moved.fields.firstName.value, 'Moves', 'an empty cell leaves the value as it is');
      assert.equal(moved.fields.managerId.value, (await byEmail('kept.same@csv.example')).id);
      assert.equal((await byEmail(synced.workEmail!)).fields['custom.team'].value, 'Green');
      // Once more: everything is as the file says.
      const again = await call('POST', '/employees/import?dryRun=true', csv);
      assert.deepEqual([again.body.created, again.body.updated, again.body.unchanged, again.body.failed], [0, 0, 5, 0]);
    });

    it('reports each bad row in words with its line number, and keeps the good rows', async () => {
      const synced = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail)[1]!;
      const csv = [
        'Email Address,First Name,Last Name,Job Title,Role,Status,Supervisor Email',
        'fine.row@csv.example,Fine,Row,,Compliance Manager,,',
        'not-an-email,Bad,Row,,,,',
        'fine.row@csv.example,Twice,Listed,,,,',
        `${synced.workEmail!},,,Self-appointed CEO,,,`,
        'odd.role@csv.example,Odd,Role,,Superuser,Retired,',
        'lost.manager@csv.example,Lost,Manager,,,,nobody@csv.example',
        ',No,Email,,,,',
      ].join('\n');
      for (const dryRun of [true, false]) {
        const res = await call('POST', `/employees/import${dryRun ? '?dryRun=true' : ''}`, csv);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual([res.body.created, res.body.failed], [1, 6], `dryRun=${dryRun}`);
        const rows = rowsByLine(res.body);
        assert.equal(rows.get(2).status, 'created');
        assert.deepEqual(rows.get(2).changes.find((c: Json) => c.label === 'Role'), { field: 'role', label: 'Role', from: null, to: 'Compliance Manager' });
        assert.equal(rows.get(3).error, '“not-an-email” is not an e-mail address');
        assert.equal(rows.get(4).error, 'repeats the work e-mail of line 2; list each person once');
        assert.equal(rows.get(5).error, `Job title is managed by BambooHR (it has “${synced.jobTitle}”, the file “Self-appointed CEO”); change it there`);
        assert.equal(rows.get(6).error, 'role “Superuser” is not one of Member, Compliance Manager or Organization Admin and status “Retired” is neither Active nor Inactive');
        assert.equal(rows.get(7).error, 'the manager nobody@csv.example is nobody in ReFresh nor in this file');
        assert.match(rows.get(8).error, /^has no work e-mail/);
        for (const r of res.body.rows) if (r.error) assert.deepEqual(adminTextProblems(r.error), [], `line ${r.line}: ${r.error}`);
      }
      assert.equal((await byEmail('fine.row@csv.example')).role, 'compliance_manager');
      assert.equal((await byEmail(synced.workEmail!)).fields.jobTitle.value, synced.jobTitle, 'the locked value stays');
    });

    it('refuses a header it cannot read, in words', async () => {
      const unknown = await call('POST', '/employees/import?dryRun=true', 'Work Email,Shoe Size,Favourite Colour\na@csv.example,42,red');
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /^The header has columns ReFresh does not know: “Shoe Size” and “Favourite Colour”\. Use columns such as Work Email, First Name/);
      const twice = await call('POST', '/employees/import', 'Work Email,Email,First Name\na@csv.example,a@csv.example,A');
      assert.equal(twice.status, 400);
      assert.equal(twice.body.error.message, 'The columns “Work Email” and “Email” are both the email; keep one.');
      const noEmail = await call('POST', '/employees/import', 'First Name,Last Name\nA,B');
      assert.match(noEmail.body.error.message, /^The header needs a Work Email column/);
      const bad = await call('POST', '/employees/import?dryRun=maybe', 'Work Email\na@csv.example');
      assert.equal(bad.status, 400);
    });
  });
}
