import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { evaluateScope, type Scope } from '../../src/core/scope.ts';
import { applyMapping } from '../../src/core/mapping.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { buildServer } from '../../src/api/server.ts';
import { generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { apiCaller, openHarness, type ApiCall, type Harness } from '../helpers/harness.ts';

describe('scope rules and mappings stored before the checks', () => {
  it('read only own fields: a condition or mapping named like Object.prototype reads nothing and throws nothing', () => {
    const record = { externalId: '1', attributes: { department: 'Sales' }, lifecycle: { active: true } };
    for (const field of ['__proto__', 'constructor', 'source.__proto__', 'source.constructor', 'source.toString']) {
      const scope: Scope = { groups: [{ conditions: [{ field, operator: 'in', values: ['x'] }] }] };
      assert.equal(evaluateScope(scope, { department: 'Sales' }, record).inScope, false, field);
      assert.equal(evaluateScope({ groups: [{ conditions: [{ field, operator: 'empty' }] }] }, {}, record).inScope, true, field);
    }
    assert.deepEqual(applyMapping(record, { constructor: 'email', __proto__x: 'firstName', department: 'department' } as never), { department: 'Sales' });
  });

  it('name a handful of values in a reason, not all ten thousand', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `D${i}`);
    const verdict = evaluateScope({ groups: [{ conditions: [{ field: 'department', operator: 'in', values }] }] }, { department: 'Other' }, { externalId: '1', attributes: {}, lifecycle: { active: true } });
    assert.match(verdict.reason, /department is one of "D0", "D1", "D2", "D3", "D4" and 9,995 more/);
  });
});

for (const dialect of DIALECTS) {
  describe(`bounded scope rules on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let call: ApiCall;
    const patchScope = (scope: unknown) => call('PATCH', `/integrations/${h.integration.id}`, { userSync: { scope } });
    const expect400 = (res: { status: number; body: any }, field: string, message: RegExp) => {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.details.field, field, JSON.stringify(res.body.error));
      assert.match(res.body.error.message, message);
    };

    /** Resolves when a request reaches its handlers (a hook of the test's own server). */
    let started: (url: string) => Promise<void>;

    before(async () => {
      h = await openHarness(dialect, { employees: 15, seed: 23 });
      const key = generateApiKey();
      await registerApiKey(h.ctx.store.db, h.tenantId, key, 'test');
      app = await buildServer(h.ctx);
      const waiting = new Map<string, () => void>();
      started = (url) => new Promise((resolve) => waiting.set(url, resolve));
      app.addHook('preHandler', async (request) => waiting.get(request.url)?.());
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      call = apiCaller({ base, key });
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('refuses field names outside the catalogue, __proto__ and friends first, and a later run still works', async () => {
      for (const field of ['__proto__', 'constructor', 'prototype']) {
        expect400(await patchScope({ groups: [{ conditions: [{ field, operator: 'in', values: ['x'] }] }] }), 'userSync.scope.groups.0.conditions.0.field', /is not a ReFresh field/);
        expect400(await patchScope({ groups: [{ conditions: [{ field: `source.${field}`, operator: 'notEmpty' }] }] }), 'userSync.scope.groups.0.conditions.0.field', /is not a field name/);
      }
      expect400(await patchScope({ groups: [{ conditions: [{ field: 'source.shoeSize', operator: 'notEmpty' }] }] }), 'userSync.scope.groups.0.conditions.0.field', /"shoeSize" is not a field BambooHR has.*settings\.extraFields/);
      expect400(await patchScope({ groups: [{ conditions: [{ field: 'salary', operator: 'notEmpty' }] }] }), 'userSync.scope.groups.0.conditions.0.field', /"salary" is not a ReFresh field/);
      const constructorMapping = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { fieldMapping: { constructor: 'custom.x', workEmail: 'email' } } });
      assert.equal(constructorMapping.status, 400, JSON.stringify(constructorMapping.body));
      assert.match(constructorMapping.body.error.message, /"constructor" is not a field name/);
      expect400(await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { fieldMapping: { workEmail: 'email', shoeSize: 'custom.shoeSize' } } }), 'userSync.fieldMapping.shoeSize', /"shoeSize" is not a field BambooHR has/);
      expect400(await call('POST', `/integrations/${h.integration.id}/user-sync/preview`, { scope: { groups: [{ conditions: [{ field: 'source.shoeSize', operator: 'notEmpty' }] }] } }), 'scope.groups.0.conditions.0.field', /shoeSize/);

      // Catalogue fields, lifecycle attributes and the custom fields the settings name are fine.
      const ok = await patchScope({ groups: [{ conditions: [{ field: 'source.employmentHistoryStatus', operator: 'notEmpty' }, { field: 'custom.team', operator: 'empty' }] }] });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const extra = await call('PATCH', `/integrations/${h.integration.id}`, { settings: { extraFields: ['shoeSize'] }, userSync: { fieldMapping: { ...ok.body.userSync.fieldMapping, shoeSize: 'custom.shoeSize', $hireDate: 'custom.hired' } } });
      assert.equal(extra.status, 200, JSON.stringify(extra.body));
      assert.equal((await patchScope({ groups: [] })).status, 200);

      const run = await h.sync('full');
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
    });

    it('limits values per condition, values and conditions per scope, with a 400 saying which', async () => {
      const values = (n: number, tag = 'v') => Array.from({ length: n }, (_, i) => `${tag}${i}`);
      expect400(await patchScope({ groups: [{ conditions: [{ field: 'department', operator: 'in', values: values(10_001) }] }] }), 'userSync.scope.groups.0.conditions.0.values', /at most 10,000 values in one condition/);
      const threeBig = { groups: [{ conditions: ['a', 'b', 'c'].map((tag) => ({ field: 'department', operator: 'in', values: values(7_000, tag) })) }] };
      expect400(await patchScope(threeBig), 'userSync.scope.groups', /at most 20,000 values in a scope \(this one has 21,000\)/);
      const wide = { groups: Array.from({ length: 5 }, () => ({ conditions: Array.from({ length: 41 }, () => ({ field: 'department', operator: 'notEmpty' })) })) };
      expect400(await patchScope(wide), 'userSync.scope.groups', /at most 200 conditions in a scope/);
      const atLimit = await patchScope({ groups: [{ conditions: [{ field: 'department', operator: 'notIn', values: values(10_000) }] }] });
      assert.equal(atLimit.status, 200, JSON.stringify(atLimit.body).slice(0, 300));
      assert.equal((await patchScope({ groups: [] })).status, 200);
    });

    it('answers /health while a 20,000-person preview with a 10,000-value condition runs, and the preview is right', async () => {
      const { db } = h.ctx.store;
      const now = new Date().toISOString();
      const rows = Array.from({ length: 20_000 }, (_, i) => ({
        tenant_id: h.tenantId,
        integration_id: h.integration.id,
        external_id: `bulk-${String(i).padStart(5, '0')}`,
        employee_id: null,
        record_hash: 'x',
        field_values: JSON.stringify({ email: `bulk${i}@example.com`, department: `Team ${i % 12_000}` }),
        lifecycle: JSON.stringify({ active: true }),
        source_status: 'active',
        status_reason: '',
        in_scope: 1,
        scope_reason: '',
        review_on: null,
        present: 1,
        last_run_id: null,
        last_seen_at: now,
        created_at: now,
      }));
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('employee_links').values(rows.slice(i, i + 500)).execute();
      const present = await db.selectFrom('employee_links').select((eb) => eb.fn.countAll<number>().as('n')).where('integration_id', '=', h.integration.id).where('present', '=', 1).executeTakeFirstOrThrow();

      // Folded like every scope value: "TEAM 7" matches "Team 7".
      const wanted = Array.from({ length: 10_000 }, (_, i) => `TEAM ${i}`);
      const order: string[] = [];
      const previewUrl = `/api/v1/integrations/${h.integration.id}/user-sync/preview`;
      const previewStarted = started(previewUrl);
      const preview = call('POST', `/integrations/${h.integration.id}/user-sync/preview`, { scope: { groups: [{ name: 'Big', conditions: [{ field: 'department', operator: 'in', values: wanted }] }] } }).then((res) => {
        order.push('preview');
        return res;
      });
      // Asked once the preview has reached its handler: /health must not wait for it to finish.
      const health = (async () => {
        await previewStarted;
        const res = await fetch(`${base}/api/v1/health`);
        order.push('health');
        return res.status;
      })();
      assert.equal(await health, 200);
      const res = await preview;
      assert.deepEqual(order, ['health', 'preview'], '/health answered before the preview finished');
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      assert.equal(res.body.total, Number(present.n));
      // bulk people in teams 0–9,999: i % 12,000 < 10,000.
      const bulkIn = Array.from({ length: 20_000 }, (_, i) => i % 12_000 < 10_000).filter(Boolean).length;
      assert.equal(res.body.inScope, bulkIn, 'only the bulk people match: the sandbox roster has no "Team n"');
      assert.equal(res.body.byRule['matches rule "Big"'], bulkIn);
      assert.match(res.body.sampleOut[0].reason, /and 9,995 more/);
    });
  });
}
