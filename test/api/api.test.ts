import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { readCredentials } from '../../src/store/integrations.ts';

for (const dialect of DIALECTS) {
  describe(`REST API on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: unknown, auth: string | null = key) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 35, seed: 17 });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('answers /health without a key and refuses other routes without a valid one', async () => {
      assert.deepEqual((await call('GET', '/health', undefined, null)).body, { status: 'ok', database: dialect });
      const none = await call('GET', '/employees', undefined, null);
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthenticated');
      assert.equal((await call('GET', '/employees', undefined, 'rfk_wrong')).status, 401);
    });

    it('serves an OpenAPI document listing the public routes', async () => {
      const doc = (await call('GET', '/openapi.json', undefined, null)).body;
      assert.equal(doc.openapi.startsWith('3'), true);
      for (const p of ['/api/v1/integrations', '/api/v1/integrations/{id}/sync', '/api/v1/runs/{id}/changes', '/api/v1/employees', '/api/v1/employees/{id}']) {
        assert.ok(doc.paths[p], `missing ${p}`);
      }
    });

    it('rejects invalid integration bodies with 400 naming the field at fault', async () => {
      const noDomain = await call('POST', '/integrations', { provider: 'bamboohr', settings: {}, credentials: { apiKey: 'x' } });
      assert.equal(noDomain.status, 400);
      assert.equal(noDomain.body.error.code, 'invalid_request');
      assert.match(noDomain.body.error.message, /companyDomain/);
      const badProvider = await call('POST', '/integrations', { provider: 'workday', settings: {} });
      assert.equal(badProvider.status, 400);
      assert.match(badProvider.body.error.message, /provider/);
      const badCadence = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { cadence: '2h' } });
      assert.equal(badCadence.status, 400);
      assert.match(badCadence.body.error.message, /userSync\.cadence/);
      const badMapping = await call('PATCH', `/integrations/${h.integration.id}`, { userSync: { fieldMapping: { workEmail: 'mail' } } });
      assert.equal(badMapping.status, 400);
      assert.match(badMapping.body.error.message, /"mail".*not a ReFresh field/);
    });

    it('tries the credentials before saving: a refused key is a 422 that says why and stores nothing', async () => {
      const integrations = async () => (await call('GET', '/integrations')).body.data.length as number;
      const audits = async () => (await h.ctx.store.db.selectFrom('audit_events').select('id').execute()).length;
      const [before, auditsBefore] = [await integrations(), await audits()];
      const settings = { companyDomain: 'acme', baseUrl: h.sandbox.url };
      const refused = await call('POST', '/integrations', { provider: 'bamboohr', name: 'Wrong key', settings, credentials: { apiKey: 'not-the-key' } });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'credentials_rejected');
      assert.match(refused.body.error.message, /BambooHR refused the API key.*Nothing was saved/);
      assert.equal(refused.body.error.details.field, 'credentials');
      assert.equal(JSON.stringify(refused.body).includes('not-the-key'), false, 'credentials never come back');
      // Nothing answers at the address: the settings are at fault.
      const nowhere = await call('POST', '/integrations', { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: 'http://127.0.0.1:1' }, credentials: { apiKey: 'any-key' } });
      assert.equal(nowhere.status, 422, JSON.stringify(nowhere.body));
      assert.equal(nowhere.body.error.code, 'connection_failed');
      assert.equal(nowhere.body.error.details.field, 'settings.baseUrl');
      // The provider is down: nothing the admin typed is wrong; try again later.
      h.sandbox.faults.set({ outage: { count: 100, status: 503 } });
      const down = await call('POST', '/integrations', { provider: 'bamboohr', settings, credentials: { apiKey: 'any-key' } });
      h.sandbox.faults.clear();
      assert.equal(down.status, 502, JSON.stringify(down.body));
      assert.equal(down.body.error.code, 'provider_unavailable');
      assert.equal(await integrations(), before, 'no integration was stored');
      assert.equal(await audits(), auditsBefore, 'nothing happened, so nothing is audited');
    });

    it('an Idempotency-Key makes a create sent again (even at once) answer the same integration, never a second one', async () => {
      const apiKey = (await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id))!.apiKey!;
      const create = async (idempotencyKey: string, body: Record<string, unknown>) => {
        const res = await fetch(`${base}/api/v1/integrations`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as any };
      };
      const body = { provider: 'bamboohr', name: 'BambooHR (second)', settings: { companyDomain: 'acme', baseUrl: h.sandbox.url }, credentials: { apiKey: 'not-the-key' } };
      const countNamed = async () => (await call('GET', '/integrations')).body.data.filter((i: { name: string }) => i.name === body.name).length as number;
      // A refused attempt claims nothing: the same form, with the key fixed, creates it once.
      assert.equal((await create('form-1', body)).status, 422);
      const fixed = { ...body, credentials: { apiKey } };
      const answers = await Promise.all([create('form-1', fixed), create('form-1', fixed), create('form-1', fixed)]);
      for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.equal(new Set(answers.map((a) => a.body.id)).size, 1, 'one integration for one key, however many sends');
      assert.equal(answers[0]!.body.connection.status, 'connected');
      const later = await create('form-1', fixed);
      assert.equal(later.body.id, answers[0]!.body.id);
      assert.equal(await countNamed(), 1);
      const reused = await create('form-1', { ...fixed, name: 'Another name' });
      assert.equal(reused.status, 422);
      assert.equal(reused.body.error.code, 'idempotency_key_reused');
      // Removed (its history stays): the key no longer brings it back.
      assert.equal((await call('DELETE', `/integrations/${answers[0]!.body.id}`)).status, 204);
      const afterRemoval = await create('form-1', fixed);
      assert.equal(afterRemoval.status, 409);
      assert.equal(afterRemoval.body.error.code, 'integration_removed');
      assert.equal(await countNamed(), 0);
    });

    it('shows the integration with its health, last run and settings', async () => {
      const res = await call('GET', `/integrations/${h.integration.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.connection.status, 'connected');
      assert.equal(res.body.userSync.enabled, true);
      assert.equal(res.body.userSync.cadence, '4h');
      assert.equal(res.body.userSync.lastRun.status, 'succeeded');
      assert.ok(res.body.userSync.nextRunAt);
      assert.equal(res.body.health.state, 'healthy');
      assert.equal(res.body.userSync.fieldMapping.workEmail, 'email');
      const list = await call('GET', '/integrations');
      assert.ok(list.body.data.length >= 1);
    });

    it('starts a run with 202, answers 409 with the running run id, and lists runs and changes', async () => {
      await h.ctx.worker.stop();
      const first = await call('POST', `/integrations/${h.integration.id}/sync`, { mode: 'full' });
      assert.equal(first.status, 202);
      const second = await call('POST', `/integrations/${h.integration.id}/sync`, {});
      assert.equal(second.status, 409);
      assert.equal(second.body.error.details.runId, first.body.runId);
      h.ctx.worker.start();
      const { waitForRun } = await import('../../src/jobs/worker.ts');
      await waitForRun(h.ctx.engine, h.tenantId, first.body.runId);
      const run = await call('GET', `/runs/${first.body.runId}`);
      assert.equal(run.body.status, 'succeeded');
      assert.equal(run.body.mode, 'full');
      assert.equal(typeof run.body.counts.unchanged, 'number');
      const runs = await call('GET', `/runs?integrationId=${h.integration.id}&limit=1`);
      assert.equal(runs.body.data.length, 1);
      assert.ok(runs.body.nextCursor);
      const older = await call('GET', `/runs?integrationId=${h.integration.id}&limit=1&cursor=${runs.body.nextCursor}`);
      assert.notEqual(older.body.data[0].id, runs.body.data[0].id);
      const changes = await call('GET', `/runs/${h.firstRun!.id}/changes?kind=created&limit=5`);
      assert.equal(changes.body.data.length, 5);
      assert.equal(changes.body.data[0].kind, 'created');
      assert.ok(changes.body.data[0].after.email);
      assert.equal((await call('GET', '/runs/nope')).status, 404);
    });

    it('pages employees with limit and cursor, filters by exact email and status, and searches names', async () => {
      const seen = new Set<string>();
      let cursor: string | null = null;
      do {
        const page: { body: { data: { id: string }[]; nextCursor: string | null } } = await call('GET', `/employees?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        for (const e of page.body.data) {
          assert.equal(seen.has(e.id), false, 'no duplicates across pages');
          seen.add(e.id);
        }
        cursor = page.body.nextCursor;
      } while (cursor);
      const total = await h.ctx.store.db.selectFrom('employees').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(seen.size, Number(total.n));

      const someone = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail)!;
      const byEmail = await call('GET', `/employees?email=${encodeURIComponent(`  ${someone.workEmail!.toUpperCase()} `)}`);
      assert.equal(byEmail.body.data.length, 1);
      assert.equal(byEmail.body.data[0].fields.email.value, someone.workEmail!.toLowerCase());
      const partial = await call('GET', `/employees?email=${encodeURIComponent(someone.workEmail!.slice(0, 5))}`);
      assert.equal(partial.body.data.length, 0, 'email is an exact match');
      const q = await call('GET', `/employees?q=${encodeURIComponent(someone.lastName.toLowerCase())}`);
      assert.ok(q.body.data.some((e: { fields: { email: { value: string } } }) => e.fields.email.value === someone.workEmail!.toLowerCase()));
      const inactive = await call('GET', '/employees?status=inactive');
      assert.ok(inactive.body.data.every((e: { status: string }) => e.status === 'inactive'));
      assert.equal((await call('GET', '/employees?limit=0')).status, 400);
      assert.equal((await call('GET', '/employees?limit=1001')).status, 400);
      assert.equal((await call('GET', '/employees?status=gone')).status, 400);
    });

    it('shows an employee with every field: value, source and lock', async () => {
      const list = await call('GET', '/employees?limit=1&status=active');
      const id = list.body.data[0].id;
      const res = await call('GET', `/employees/${id}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.role, 'member');
      assert.equal(res.body.fields.email.locked, true);
      assert.deepEqual(res.body.fields.email.source, { integrationId: h.integration.id, provider: 'bamboohr' });
      assert.equal(res.body.fields.lastName.lockedBy, 'BambooHR');
      assert.equal(res.body.fields['displayName'].locked, true);
      assert.deepEqual(res.body.groups, []);
      const explain = await call('GET', `/employees/${id}/explain`);
      assert.equal(explain.body.sources[0].inScope, true);
      assert.ok(explain.body.summary.length >= 2);
      assert.equal((await call('GET', '/employees/not-an-id')).status, 404);
    });

    it('previews who is in and out of a scope before saving it, and what it would change', async () => {
      const people = h.sandbox.roster.list();
      const dept = people.find((p) => p.status === 'Active' && p.department)!.department!;
      const res = await call('POST', `/integrations/${h.integration.id}/user-sync/preview`, { scope: { groups: [{ name: 'One team', conditions: [{ field: 'department', operator: 'in', values: [dept] }] }] } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.basis, 'last fetched data');
      assert.equal(res.body.total, people.length);
      assert.equal(res.body.inScope, people.filter((p) => p.department === dept).length);
      assert.equal(res.body.byRule['matches rule "One team"'], res.body.inScope);
      const activeSynced = (await call('GET', '/employees?status=active&limit=1000')).body.data.length;
      const activeInDept = people.filter((p) => p.department === dept && p.status === 'Active' && p.workEmail && !(p.terminationDate && p.terminationDate <= new Date().toISOString().slice(0, 10))).length;
      assert.equal(res.body.wouldDeactivate, activeSynced - activeInDept);
      assert.ok(res.body.sampleOut.every((x: { reason: string }) => /needs department is one of/.test(x.reason)));
      const live = await call('POST', `/integrations/${h.integration.id}/user-sync/preview`, { scope: { groups: [{ conditions: [{ field: 'source.employmentHistoryStatus', operator: 'in', values: ['contractor'] }] }] } });
      assert.equal(live.body.basis, 'live from the provider');
      assert.equal(live.body.inScope, people.filter((p) => p.employmentHistoryStatus === 'Contractor').length);
      const bad = await call('POST', `/integrations/${h.integration.id}/user-sync/preview`, { scope: { groups: [{ conditions: [] }] } });
      assert.equal(bad.status, 400);
      const unchanged = (await call('GET', `/integrations/${h.integration.id}`)).body.userSync.scope;
      assert.deepEqual(unchanged, { groups: [] }, 'a preview saves nothing');
    });

    it('never stores or logs the API key or provider credentials in plain text', async () => {
      const dump = JSON.stringify(await h.ctx.store.db.selectFrom('api_keys').selectAll().execute()) + JSON.stringify(await h.ctx.store.db.selectFrom('integrations').selectAll().execute());
      assert.equal(dump.includes(key), false);
      const creds = await import('../../src/store/integrations.ts').then((m) => m.readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id));
      assert.equal(dump.includes(creds!.apiKey!), false);
      const logs = h.logs.join('');
      assert.ok(logs.length > 0);
      assert.equal(logs.includes(key), false);
      assert.equal(logs.includes(creds!.apiKey!), false);
    });
  });
}
