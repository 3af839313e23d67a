import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { createAdminUser, ensureFirstAdmin } from '../../src/auth/admin-users.ts';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts';

const EMAIL = 'Admin@Example.com';
const PASSWORD = 'correct horse battery staple';

describe('passwords', () => {
  it('hashes with a fresh salt each time and verifies only the right password', async () => {
    const a = await hashPassword(PASSWORD);
    const b = await hashPassword(PASSWORD);
    assert.notEqual(a, b, 'salted');
    assert.match(a, /^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
    assert.equal(a.includes(PASSWORD), false);
    assert.equal(await verifyPassword(PASSWORD, a), true);
    assert.equal(await verifyPassword(PASSWORD + 'x', a), false);
    assert.equal(await verifyPassword(PASSWORD, 'garbage'), false);
    assert.equal(await verifyPassword(PASSWORD, 'scrypt$16384$8$1$c2FsdA$c2hvcnQ'), false);
  });
});

for (const dialect of DIALECTS) {
  describe(`console sign-in on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let apiKey: string;

    const login = (email: string, password: string) =>
      fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;
    const signIn = async () => {
      const res = await login(EMAIL, PASSWORD);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { csrfToken: string };
      return { cookie: cookieOf(res), csrf: body.csrfToken };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 3 });
      await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: EMAIL, password: PASSWORD });
      ({ app, base, key: apiKey } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('signs in with the right password: user, CSRF token and an HttpOnly SameSite=Lax cookie', async () => {
      const res = await login('  admin@example.COM ', PASSWORD);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { user: { email: string; role: string }; csrfToken: string };
      assert.equal(body.user.email, 'admin@example.com');
      assert.equal(body.user.role, 'organization_admin');
      assert.ok(body.csrfToken.length >= 32);
      assert.equal(JSON.stringify(body).includes('password'), false);
      const cookie = res.headers.get('set-cookie')!;
      assert.match(cookie, /^refresh_session=[\w-]{40,};/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; Path=\//);
      assert.equal(res.headers.get('cache-control'), 'no-store');
    });

    it('refuses a wrong password and an unknown email alike: 401, one message, no cookie', async () => {
      const wrong = await login(EMAIL, 'not the password');
      const unknown = await login('nobody@example.com', PASSWORD);
      for (const res of [wrong, unknown]) {
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('set-cookie'), null);
      }
      const a = (await wrong.json()) as { error: { code: string; message: string } };
      const b = (await unknown.json()) as { error: { code: string; message: string } };
      assert.equal(a.error.code, 'invalid_credentials');
      assert.deepEqual(a, b, 'no hint which of email or password was wrong');
      assert.match(a.error.message, /email or password/i);
    });

    it('explains a missing field with 400', async () => {
      const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL }) });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'invalid_request');
      assert.match(body.error.message, /password/);
    });

    it('authenticates API reads with the cookie; /auth/me returns the user and the same CSRF token', async () => {
      const { cookie, csrf } = await signIn();
      const list = await fetch(`${base}/api/v1/employees?limit=2`, { headers: { cookie } });
      assert.equal(list.status, 200);
      const me = (await (await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } })).json()) as { user: { email: string }; csrfToken: string; via: string };
      assert.equal(me.user.email, 'admin@example.com');
      assert.equal(me.csrfToken, csrf);
      assert.equal(me.via, 'session');
      assert.equal((await fetch(`${base}/api/v1/employees`, { headers: { cookie: 'refresh_session=not-a-real-session-id-at-all-000000' } })).status, 401);
    });

    it('enforces CSRF on writes with the cookie (403 without or with a wrong token), not on Bearer keys', async () => {
      const { cookie, csrf } = await signIn();
      const url = `${base}/api/v1/integrations/${h.integration.id}`;
      const body = JSON.stringify({ userSync: { cadence: '12h' } });
      const noToken = await fetch(url, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json' }, body });
      assert.equal(noToken.status, 403);
      assert.equal(((await noToken.json()) as { error: { code: string } }).error.code, 'csrf_failed');
      const syncNoToken = await fetch(`${url}/sync`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(syncNoToken.status, 403, 'POST with the cookie and no token');
      const badToken = await fetch(url, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf.slice(0, -2) + 'xx' }, body });
      assert.equal(badToken.status, 403);
      const ok = await fetch(url, { method: 'PATCH', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, body });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { userSync: { cadence: string } }).userSync.cadence, '12h');
      const bearer = await fetch(url, { method: 'PATCH', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ userSync: { cadence: '4h' } }) });
      assert.equal(bearer.status, 200, 'API keys need no CSRF token');
    });

    it('signs out: the session is deleted server-side and the cookie cleared', async () => {
      const { cookie, csrf } = await signIn();
      const noToken = await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
      assert.equal(noToken.status, 403, 'logout is a write too');
      const out = await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie')!, /^refresh_session=;.*Max-Age=0/);
      const after = await fetch(`${base}/api/v1/employees`, { headers: { cookie } });
      assert.equal(after.status, 401);
    });

    it('stores only hashes: no password, session id or CSRF token in the database', async () => {
      const { cookie, csrf } = await signIn();
      const sessionId = cookie.split('=')[1]!;
      const users = await h.ctx.store.db.selectFrom('admin_users').selectAll().execute();
      const sessions = await h.ctx.store.db.selectFrom('admin_sessions').selectAll().execute();
      const dump = JSON.stringify({ users, sessions });
      assert.equal(dump.includes(PASSWORD), false);
      assert.equal(dump.includes(sessionId), false);
      assert.equal(dump.includes(csrf), false);
      assert.ok(users.every((u) => u.password_hash.startsWith('scrypt$')));
      assert.equal(h.logs.join('\n').includes(PASSWORD), false, 'never logged');
    });

    it('leaves /health, /openapi.json and /auth/login open, and everything else closed', async () => {
      assert.equal((await fetch(`${base}/api/v1/health`)).status, 200);
      assert.equal((await fetch(`${base}/api/v1/openapi.json`)).status, 200);
      assert.equal((await fetch(`${base}/api/v1/auth/me`)).status, 401);
      assert.equal((await fetch(`${base}/api/v1/integrations`)).status, 401);
    });

    it('serves the console at / with client routes falling back to index.html, and /api 404s as JSON', async () => {
      for (const path of ['/', '/login', '/settings/employees/abc']) {
        const res = await fetch(base + path);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type')!, /text\/html/);
        assert.match(await res.text(), /<html/i);
      }
      const api404 = await fetch(`${base}/api/v1/nope`);
      assert.equal(api404.status, 404);
      assert.match(api404.headers.get('content-type')!, /json/);
      assert.equal((await fetch(`${base}/assets/missing-file.js`)).status, 404);
      assert.equal((await fetch(`${base}/..%2f..%2fpackage.json`)).status, 404);
    });

    it('creates the first admin from configuration, or generates a password only once', async () => {
      const db = h.ctx.store.db;
      const configured = await ensureFirstAdmin(db, h.tenantId, 'ops@example.com', 'a-configured-password');
      assert.equal(configured.generatedPassword, null);
      assert.equal((await login('ops@example.com', 'a-configured-password')).status, 200);
      const again = await ensureFirstAdmin(db, h.tenantId, 'ops@example.com', 'a-rotated-password-1');
      assert.equal(again.created, false);
      assert.equal((await login('ops@example.com', 'a-rotated-password-1')).status, 200, 'the configured password wins');
      const none = await ensureFirstAdmin(db, h.tenantId, 'someone@example.com', undefined);
      assert.equal(none.generatedPassword, null, 'admins exist: nothing generated');
    });
  });
}
