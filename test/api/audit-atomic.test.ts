import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { installAuditRefusal } from '../helpers/audit-refusal.ts';

/**
 * Issue 9 point 6: each audit row commits in the transaction of its change. The database itself
 * refuses the audit row of one action at a time (test/helpers/audit-refusal.ts); the request then fails, and
 * the change it describes must not be there either. Allowed again, the same request succeeds
 * with its row, so each refusal is known to have hit the write under test.
 */

type Json = any;

const SANDBOX_KEY = 'sandbox-audit-atomic-key';

for (const dialect of DIALECTS) {
  describe(`audit rows commit with their change on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await apiCaller({ base, key })(method, path, body, headers);
      return { ...res, cookie: res.headers.get('set-cookie'), body: res.body as Json };
    };
    let refuse: (action: string) => Promise<void>;
    let allow: (action: string) => Promise<void>;
    const audits = async (action: string) => (await h.ctx.store.db.selectFrom('audit_events').select('entity_id').where('action', '=', action).execute()).map((r) => r.entity_id);
    /** The request fails while its audit row is refused, and succeeds (with exactly one new row) once allowed. */
    const refusedThenAllowed = async (action: string, request: () => Promise<{ status: number; body: Json; cookie: string | null }>, unchanged: () => Promise<void>) => {
      const rowsBefore = (await audits(action)).length;
      await refuse(action);
      const failed = await request();
      assert.equal(failed.status, 500, `${action} refused: ${JSON.stringify(failed.body)}`);
      await unchanged();
      assert.equal((await audits(action)).length, rowsBefore);
      await allow(action);
      const done = await request();
      assert.ok(done.status < 300, `${action} allowed: ${done.status} ${JSON.stringify(done.body)}`);
      assert.equal((await audits(action)).length, rowsBefore + 1);
      return { failed, done };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 8, seed: 41, extraApiKeys: [SANDBOX_KEY] });
      ({ app, base, key } = await serveApi(h));
      ({ refuse, allow } = await installAuditRefusal(h.ctx.store, dialect));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('API keys: a created or revoked key whose audit row fails is not created, or still works', async () => {
      const names = async () => (await call('GET', '/api-keys')).body.data.map((k: Json) => k.name);
      const { done } = await refusedThenAllowed('api_key.created', () => call('POST', '/api-keys', { name: 'ci key' }), async () => assert.deepEqual((await names()).filter((n: string) => n === 'ci key'), []));
      const made = done.body;
      await refusedThenAllowed(
        'api_key.revoked',
        () => call('DELETE', `/api-keys/${made.id}`),
        async () => {
          const res = await fetch(`${base}/api/v1/api-keys`, { headers: { authorization: `Bearer ${made.key}` } });
          assert.equal(res.status, 200, 'the key still works');
        },
      );
      assert.equal((await fetch(`${base}/api/v1/api-keys`, { headers: { authorization: `Bearer ${made.key}` } })).status, 401);
    });

    it('sign-in: no session (and no cookie) without its audit row', async () => {
      await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: 'ada@example.com', password: 'a long enough password 1' });
      const login = async () => {
        const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', password: 'a long enough password 1' }) });
        return { status: res.status, cookie: res.headers.get('set-cookie'), body: (await res.json()) as Json };
      };
      const sessions = async () => (await h.ctx.store.db.selectFrom('admin_sessions').select('id_hash').execute()).length;
      const { failed, done } = await refusedThenAllowed('admin.signed_in', login, async () => assert.equal(await sessions(), 0));
      assert.equal(failed.cookie, null, 'no session cookie for a session that does not exist');
      assert.ok(done.cookie);
      assert.equal(await sessions(), 1);
    });

    it('integrations: created, webhook set, disconnected, reconnected and removed each commit with their row or not at all', async () => {
      const integrationIds = async () => (await call('GET', '/integrations')).body.data.map((i: Json) => i.id);
      const before = await integrationIds();
      const create = () =>
        call('POST', '/integrations', { provider: 'bamboohr', name: 'Second BambooHR', settings: { companyDomain: 'acme', baseUrl: h.sandbox.url }, credentials: { apiKey: SANDBOX_KEY } }, { 'idempotency-key': 'audit-atomic-1' });
      const { done } = await refusedThenAllowed('integration.created', create, async () => assert.deepEqual(await integrationIds(), before));
      const id: string = done.body.id;
      const integration = async () => (await call('GET', `/integrations/${id}`)).body;

      const webhookSecrets = async () => (await h.ctx.store.db.selectFrom('integration_secrets').select('kind').where('integration_id', '=', id).where('kind', '=', 'webhook').execute()).length;
      await refusedThenAllowed('integration.webhook_set', () => call('POST', `/integrations/${id}/webhook`, { secret: 'a shared secret of enough length' }), async () => assert.equal(await webhookSecrets(), 0));

      await refusedThenAllowed('integration.disconnected', () => call('POST', `/integrations/${id}/disconnect`), async () => {
        const now = await integration();
        assert.equal(now.connection.status, 'connected');
        assert.equal(now.hasCredentials ?? true, true);
      });
      assert.equal((await integration()).connection.status, 'disconnected');

      await refusedThenAllowed('integration.reconnected', () => call('POST', `/integrations/${id}/connect`, { credentials: { apiKey: SANDBOX_KEY } }), async () => assert.equal((await integration()).connection.status, 'disconnected'));
      assert.equal((await integration()).connection.status, 'connected');

      // Removing disconnects first: refused, the integration stays, still connected.
      const disconnectedRows = (await audits('integration.disconnected')).length;
      await refusedThenAllowed('integration.removed', () => call('DELETE', `/integrations/${id}`), async () => {
        const now = await call('GET', `/integrations/${id}`);
        assert.equal(now.status, 200);
        assert.equal(now.body.connection.status, 'connected', 'the disconnect that precedes the removal rolled back with it');
        assert.equal((await audits('integration.disconnected')).length, disconnectedRows);
      });
      assert.equal((await call('GET', `/integrations/${id}`)).status, 404);
      assert.deepEqual(await integrationIds(), before);
    });

    it('an employee edit whose audit row fails changes nothing (the version stays)', async () => {
      const person = (await call('GET', '/employees?limit=1')).body.data[0];
      const read = await call('GET', `/employees/${person.id}`);
      await refusedThenAllowed('employee.updated', () => call('PATCH', `/employees/${person.id}`, { customConfig: { desk: '7' } }), async () => {
        const now = (await call('GET', `/employees/${person.id}`)).body;
        assert.equal(now.version, read.body.version);
        assert.deepEqual(now.customConfig, read.body.customConfig);
      });
    });
  });
}
