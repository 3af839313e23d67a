import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';
import { adminTextProblems } from '../helpers/admin-text.ts';

type Json = any;

for (const dialect of DIALECTS) {
  describe(`Match review in bulk (link all suggested, create all as new) on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let call: ApiCall;
    const manual: Record<string, string> = {};
    const caseOf = new Map<string, Json>();

    before(async () => {
      h = await openHarness(dialect, { employees: 8, seed: 17 });
      const served = await serveApi(h);
      app = served.app;
      call = apiCaller(served);
      const add = async (key: string, email: string, employeeNumber: string) => {
        const res = await call('POST', '/employees', { fields: { email, employeeNumber, firstName: key, lastName: 'Manual' } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        manual[key] = res.body.id;
      };
      // A: the e-mail names one employee, the number another (suggested: the e-mail's).
      await add('a1', 'lena@bulk.example', 'A-1');
      await add('a2', 'lena.other@bulk.example', 'B-2');
      h.sandbox.roster.add({ firstName: 'Lena', lastName: 'Schmidt', workEmail: 'lena@bulk.example', employeeNumber: 'B-2', hireDate: '2024-01-01', status: 'Active' });
      // B: two employees share the number (no suggestion).
      await add('b1', 'bo.one@bulk.example', 'N-7');
      await add('b2', 'bo.two@bulk.example', 'N-7');
      h.sandbox.roster.add({ firstName: 'Bo', lastName: 'Newman', workEmail: 'bo.new@bulk.example', employeeNumber: 'N-7', hireDate: '2024-01-01', status: 'Active' });
      // C: the number matches one employee whose e-mail differs (suggested: that one).
      await add('c1', 'cai.old@bulk.example', 'C-3');
      h.sandbox.roster.add({ firstName: 'Cai', lastName: 'Moved', workEmail: 'cai.new@bulk.example', employeeNumber: 'C-3', hireDate: '2024-01-01', status: 'Active' });
      // E: like A, and its e-mail is taken, so creating a new employee for it is refused.
      await add('e1', 'eve@bulk.example', 'E-1');
      await add('e2', 'eve.other@bulk.example', 'E-2');
      h.sandbox.roster.add({ firstName: 'Eve', lastName: 'Twice', workEmail: 'eve@bulk.example', employeeNumber: 'E-2', hireDate: '2024-01-01', status: 'Active' });
      await h.sync('incremental');
      const open = await call('GET', '/correlation-cases?status=open');
      for (const c of open.body.data) caseOf.set(c.email, c);
      assert.deepEqual([...caseOf.keys()].sort(), ['bo.new@bulk.example', 'cai.new@bulk.example', 'eve@bulk.example', 'lena@bulk.example']);
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('says which employee each case suggests', () => {
      assert.equal(caseOf.get('lena@bulk.example').suggestedEmployeeId, manual.a1, 'the e-mail outweighs the number');
      assert.equal(caseOf.get('cai.new@bulk.example').suggestedEmployeeId, manual.c1, 'the only candidate');
      assert.equal(caseOf.get('bo.new@bulk.example').suggestedEmployeeId, null, 'two equally likely people');
    });

    it('links all suggested: each case on its own, the count of successes, and who was left open and why in words', async () => {
      const ids = ['lena@bulk.example', 'bo.new@bulk.example', 'cai.new@bulk.example'].map((e) => caseOf.get(e).id);
      const res = await call('POST', '/correlation-cases/bulk-resolve', { action: 'link-suggested', caseIds: ids });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.succeeded, 2);
      assert.deepEqual(res.body.failed, [{ caseId: caseOf.get('bo.new@bulk.example').id, name: 'Bo Newman', reason: 'could be any of 2 employees; pick one' }]);
      assert.equal(res.body.remaining, 0);
      const lena = (await call('GET', `/correlation-cases/${caseOf.get('lena@bulk.example').id}`)).body;
      assert.deepEqual([lena.status, lena.resolution], ['resolved', { action: 'link', employeeId: manual.a1 }]);
      // The next full sync fills the linked people from the source.
      await h.sync('full');
      const linked = (await call('GET', `/employees/${manual.c1}`)).body;
      assert.equal(linked.fields.email.value, 'cai.new@bulk.example');
      assert.equal(linked.links.length, 1);
      assert.equal((await call('GET', '/correlation-cases?status=open')).body.total, 2, 'Bo and Eve are still open');
    });

    it('creates all as new: a refusal leaves its case open with the reason, the others are created', async () => {
      const before = (await call('GET', '/employees?limit=1')).body.total;
      const res = await call('POST', '/correlation-cases/bulk-resolve', { action: 'create' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.succeeded, 1);
      assert.deepEqual(res.body.failed, [{ caseId: caseOf.get('eve@bulk.example').id, name: 'Eve Twice', reason: 'another employee already has the work email eve@bulk.example; link the case to them instead' }]);
      for (const f of res.body.failed) assert.deepEqual(adminTextProblems(`${f.name} ${f.reason}`), []);
      assert.equal((await call('GET', '/employees?limit=1')).body.total, before + 1);
      assert.equal((await call('GET', '/employees?email=bo.new@bulk.example')).body.data.length, 1);
      const eve = (await call('GET', `/correlation-cases/${caseOf.get('eve@bulk.example').id}`)).body;
      assert.equal(eve.status, 'open', 'a refused decision changes nothing');
    });

    it('decides each case once when two bulk requests race', async () => {
      const eve = caseOf.get('eve@bulk.example').id;
      const [a, b] = await Promise.all([
        call('POST', '/correlation-cases/bulk-resolve', { action: 'link-suggested', caseIds: [eve] }),
        call('POST', '/correlation-cases/bulk-resolve', { action: 'link-suggested', caseIds: [eve] }),
      ]);
      assert.equal(a.body.succeeded + b.body.succeeded, 1);
      const loser = a.body.succeeded === 1 ? b.body : a.body;
      assert.equal(loser.failed.length, 1);
      assert.match(loser.failed[0].reason, /^(someone resolved it meanwhile|is not open \(already resolved, or not in this account\))$/);
      const audit = await h.ctx.store.db.selectFrom('audit_events').select('id').where('action', '=', 'correlation.resolved').where('entity_id', '=', eve).execute();
      assert.equal(audit.length, 1);
    });

    it('refuses an unknown action in words naming the field', async () => {
      const res = await call('POST', '/correlation-cases/bulk-resolve', { action: 'merge-everything' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.details.field, 'action');
    });
  });
}
