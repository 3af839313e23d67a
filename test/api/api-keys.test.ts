/**
 * API keys in the API and the console's terms: listed with when each was last used (never the key),
 * created (shown once), revoked (refused at once); `last_used_at` written, at most every few minutes.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { authenticateApiKey, createApiKey, LAST_USED_RESOLUTION_MS } from '../../src/store/tenants.ts';

for (const dialect of DIALECTS) {
  describe(`API keys on ${dialect}`, () => {
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
      return { status: res.status, body: text ? JSON.parse(text) : null, text };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 3, seed: 1, enable: false });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('creates a key shown once, lists keys with when each was last used and never the key, and revokes one at once', async () => {
      const created = await call('POST', '/api-keys', { name: 'reporting script' });
      assert.equal(created.status, 201);
      assert.match(created.body.key, /^rfk_/);
      assert.equal(created.body.prefix, created.body.key.slice(0, 8));
      const fresh: string = created.body.key;

      const before = await call('GET', '/api-keys');
      const row = before.body.data.find((k: { id: string }) => k.id === created.body.id);
      assert.equal(row.lastUsedAt, null);
      assert.equal(before.text.includes(fresh), false, 'never the key');
      assert.equal(before.text.includes('key_hash') || before.text.includes('keyHash'), false, 'never the hash');

      assert.equal((await call('GET', '/integrations', undefined, fresh)).status, 200);
      const after = await call('GET', '/api-keys');
      assert.ok(after.body.data.find((k: { id: string }) => k.id === created.body.id).lastUsedAt, 'last use recorded');

      assert.equal((await call('DELETE', `/api-keys/${created.body.id}`)).status, 204);
      assert.equal((await call('GET', '/integrations', undefined, fresh)).status, 401);
      assert.equal((await call('DELETE', `/api-keys/${created.body.id}`)).status, 404);
      const audit = await call('GET', '/audit?actor=admin&limit=10');
      const actions = audit.body.data.map((e: { action: string }) => e.action);
      assert.ok(actions.includes('api_key.created') && actions.includes('api_key.revoked'), actions.join(', '));
    });

    it('asks for a name, refuses unknown fields, and lets only an Organization Admin create or revoke', async () => {
      const noName = await call('POST', '/api-keys', { name: ' ' });
      assert.equal(noName.status, 400);
      assert.match(noName.body.error.message, /name/);
      assert.equal((await call('POST', '/api-keys', { name: 'x', scopes: ['all'] })).status, 400);

      await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: 'auditor@example.com', password: 'auditor password', role: 'compliance_manager' });
      const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'auditor@example.com', password: 'auditor password' }) });
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const list = await fetch(`${base}/api/v1/api-keys`, { headers: { cookie } });
      assert.equal(list.status, 200, 'a Compliance Manager may see the keys');
      const create = await fetch(`${base}/api/v1/api-keys`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'mine' }) });
      assert.equal(create.status, 403);
    });

    it('writes last_used_at at most once per resolution window per key', async () => {
      const { key: k, info } = await createApiKey(h.ctx.store.db, h.tenantId, 'clocked');
      const lastUsed = async () => (await h.ctx.store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', info.id).executeTakeFirstOrThrow()).last_used_at;
      const t0 = new Date('2027-01-01T10:00:00.000Z');
      assert.deepEqual(await authenticateApiKey(h.ctx.store.db, k, t0), { tenantId: h.tenantId, keyId: info.id });
      assert.equal(await lastUsed(), t0.toISOString());
      await authenticateApiKey(h.ctx.store.db, k, new Date(t0.getTime() + LAST_USED_RESOLUTION_MS - 1000));
      assert.equal(await lastUsed(), t0.toISOString(), 'not written again inside the window');
      const later = new Date(t0.getTime() + LAST_USED_RESOLUTION_MS + 1000);
      await authenticateApiKey(h.ctx.store.db, k, later);
      assert.equal(await lastUsed(), later.toISOString());
      assert.equal(await authenticateApiKey(h.ctx.store.db, `${k}x`, later), undefined);
    });
  });
}
