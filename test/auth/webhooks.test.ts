import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { freePort } from '../helpers/oauth-browser.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';

const sign = (secret: string, body: string, ts: string) => createHmac('sha256', secret).update(body + ts).digest('hex');

for (const dialect of DIALECTS) {
  describe(`BambooHR webhooks on ${dialect}`, () => {
    let ctx: AppContext;
    let sandbox: BambooSandbox;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    let integrationId: string;
    let secret: string;
    const tenantId = DEFAULT_TENANT_ID;

    const webhookRuns = async () => (await ctx.store.db.selectFrom('runs').select(['id', 'status']).where('integration_id', '=', integrationId).where('trigger', '=', 'webhook').execute());
    const settle = async () => {
      for (const r of await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).where('status', 'in', ['queued', 'running']).execute()) await waitForRun(ctx.engine, tenantId, r.id);
    };
    const deliver = (body: string, headers: Record<string, string>) =>
      fetch(`${base}/api/v1/webhooks/bamboohr/${integrationId}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const apiKey = `sandbox-${randomBytes(8).toString('hex')}`;
      sandbox = await startBambooSandbox({ employees: 20, seed: 5, apiKeys: [apiKey] });
      ctx = await createContext({ ...testConfig(), port, publicUrl: base }, createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })), {
        store: await openTestStore(dialect),
        worker: { pollMs: 20, schedule: false },
        httpPolicy: FAST_HTTP,
      });
      key = generateApiKey();
      await registerApiKey(ctx.store.db, tenantId, key, 'test');
      app = await buildServer(ctx);
      await app.listen({ port, host: '127.0.0.1' });
      const integration = await createIntegrationFromRequest(ctx, tenantId, { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: sandbox.url }, credentials: { apiKey } });
      integrationId = integration.id;
      await patchIntegrationFromRequest(ctx, tenantId, integrationId, { userSync: { enabled: true } });
      ctx.worker.start();
      await settle();
    });
    after(async () => {
      await app.close();
      await ctx.close();
      await sandbox.close();
    });

    it('registers a webhook with BambooHR and returns the URL and secret once', async () => {
      const res = await fetch(`${base}/api/v1/integrations/${integrationId}/webhook`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 201);
      const body = (await res.json()) as { url: string; secret: string; registered: boolean };
      assert.equal(body.url, `${base}/api/v1/webhooks/bamboohr/${integrationId}`);
      assert.equal(body.registered, true);
      const hook = [...sandbox.webhooks.hooks.values()][0]!;
      assert.equal(hook.url, body.url);
      assert.equal(hook.privateKey, body.secret, 'BambooHR\'s private key is the signing secret');
      secret = body.secret;
      const listed = await fetch(`${base}/api/v1/integrations/${integrationId}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal((await listed.text()).includes(secret), false, 'never shown again');
      const stored = JSON.stringify(await ctx.store.db.selectFrom('integration_secrets').selectAll().execute());
      assert.equal(stored.includes(secret), false, 'encrypted at rest');
    });

    it('a well-signed delivery queues an incremental run (202); a replay is refused', async () => {
      const body = JSON.stringify({ employees: [{ id: '101', action: 'Updated', changedFields: ['jobTitle'], fields: {} }] });
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = sign(secret, body, ts);
      const ok = await deliver(body, { 'X-BambooHR-Signature': sig, 'X-BambooHR-Timestamp': ts });
      assert.equal(ok.status, 202);
      const outcome = (await ok.json()) as { employees: string[]; runId: string };
      assert.deepEqual(outcome.employees, ['101']);
      assert.ok(outcome.runId);
      assert.equal((await webhookRuns()).length, 1);
      await settle();
      const replay = await deliver(body, { 'X-BambooHR-Signature': sig, 'X-BambooHR-Timestamp': ts });
      assert.equal(replay.status, 401);
      assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'webhook_replayed');
      assert.equal((await webhookRuns()).length, 1, 'nothing queued');
    });

    it('bad signatures, stale deliveries and unknown integrations get 401 and queue nothing', async () => {
      const body = JSON.stringify({ employees: [{ id: '102' }] });
      const ts = String(Math.floor(Date.now() / 1000));
      const cases: [Record<string, string>, string][] = [
        [{ 'X-BambooHR-Signature': sign('wrong-secret', body, ts), 'X-BambooHR-Timestamp': ts }, 'webhook_signature_invalid'],
        [{ 'X-BambooHR-Signature': sign(secret, `${body} `, ts), 'X-BambooHR-Timestamp': ts }, 'webhook_signature_invalid'],
        [{ 'X-BambooHR-Signature': 'zz', 'X-BambooHR-Timestamp': ts }, 'webhook_signature_invalid'],
        [{ 'X-BambooHR-Timestamp': ts }, 'webhook_unsigned'],
      ];
      const stale = String(Math.floor(Date.now() / 1000) - 6 * 60);
      cases.push([{ 'X-BambooHR-Signature': sign(secret, body, stale), 'X-BambooHR-Timestamp': stale }, 'webhook_stale']);
      for (const [headers, code] of cases) {
        const res = await deliver(body, headers);
        assert.equal(res.status, 401, code);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
      }
      const unknown = await fetch(`${base}/api/v1/webhooks/bamboohr/nope`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-BambooHR-Signature': sign(secret, body, ts), 'X-BambooHR-Timestamp': ts }, body });
      assert.equal(unknown.status, 401);
      assert.equal((await webhookRuns()).length, 1, 'nothing queued');
    });

    it('the sandbox sends signed webhooks when its people change, and the change is synced', async () => {
      const person = sandbox.roster.list().find((e) => e.status === 'Active')!;
      sandbox.roster.update(person.id, { jobTitle: 'Chief Webhook Officer' });
      await sandbox.webhooks.flush();
      const delivery = sandbox.webhooks.deliveries.at(-1)!;
      assert.equal(delivery.status, 202, delivery.error ?? '');
      assert.equal((await webhookRuns()).length, 2);
      await settle();
      const runs = await webhookRuns();
      assert.ok(runs.every((r) => r.status === 'succeeded'));
      const employees = await ctx.store.db.selectFrom('employees').select('fields').execute();
      assert.ok(employees.some((e) => e.fields.includes('Chief Webhook Officer')));
    });
  });
}
