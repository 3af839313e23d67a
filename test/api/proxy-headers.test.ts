/**
 * Behind a reverse proxy (TRUST_PROXY) and on its own: which client address and protocol the API
 * believes, the session cookie's Secure flag, and the security and cache headers of every answer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { loadConfig, type Config } from '../../src/config.ts';

const EMAIL = 'proxy-admin@example.com';
const PASSWORD = 'proxy admin password';

async function serve(h: Harness, extra: Partial<Config>): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildServer({ ...h.ctx, config: { ...h.ctx.config, ...extra } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

const login = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });

describe('TRUST_PROXY configuration', () => {
  it('takes a hop count, addresses or true, and refuses anything else in one line', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7' }).trustProxy, ['10.0.0.0/8', '192.168.1.7']);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'the load balancer' }), (e: Error) => /^Invalid configuration: TRUST_PROXY must be true, false, a hop count/.test(e.message));
  });
});

for (const dialect of DIALECTS) {
  describe(`proxies, cookies and headers on ${dialect}`, () => {
    let h: Harness;
    let key: string;
    const servers: FastifyInstance[] = [];

    before(async () => {
      h = await openHarness(dialect, { employees: 5, seed: 2, enable: false });
      await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: EMAIL, password: PASSWORD });
      key = generateApiKey();
      await registerApiKey(h.ctx.store.db, h.tenantId, key, 'test');
    });
    after(async () => {
      for (const app of servers) await app.close();
      await h.close();
    });

    it('without TRUST_PROXY ignores X-Forwarded-Proto: no Secure cookie, no HSTS', async () => {
      const { app, base } = await serve(h, {});
      servers.push(app);
      const res = await login(base, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' });
      assert.equal(res.status, 200);
      const cookie = res.headers.get('set-cookie')!;
      assert.match(cookie, /^refresh_session=/);
      assert.doesNotMatch(cookie, /;\s*Secure/i);
      assert.equal(res.headers.get('strict-transport-security'), null);
    });

    it('behind a trusted proxy marks the cookie Secure when the client used HTTPS, and sends HSTS', async () => {
      const { app, base } = await serve(h, { trustProxy: 1 });
      servers.push(app);
      const https = await login(base, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' });
      assert.equal(https.status, 200);
      assert.match(https.headers.get('set-cookie')!, /;\s*Secure/i);
      assert.match(https.headers.get('set-cookie')!, /;\s*HttpOnly/i);
      assert.match(https.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
      const plain = await login(base, { 'x-forwarded-proto': 'http', 'x-forwarded-for': '203.0.113.9' });
      assert.doesNotMatch(plain.headers.get('set-cookie')!, /;\s*Secure/i);
      // Signing out over HTTPS clears the cookie with the same attributes.
      const { csrfToken } = (await https.json()) as { csrfToken: string };
      const cookie = https.headers.get('set-cookie')!.split(';')[0]!;
      const out = await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'x-forwarded-proto': 'https' } });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie')!, /^refresh_session=;.*Secure/i);
    });

    it('answers every API response with Cache-Control: no-store, errors included', async () => {
      const { app, base } = await serve(h, {});
      servers.push(app);
      const auth = { authorization: `Bearer ${key}` };
      for (const [path, headers, status] of [
        ['/api/v1/employees?limit=1', auth, 200],
        ['/api/v1/integrations', auth, 200],
        ['/api/v1/health', {}, 200],
        ['/api/v1/employees', {}, 401],
        ['/api/v1/employees/nobody', auth, 404],
        ['/api/v1/no-such-route', auth, 404],
      ] as const) {
        const res = await fetch(base + path, { headers });
        assert.equal(res.status, status, path);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      }
    });

    it('serves the console with a CSP that forbids framing and foreign code, nosniff, and revalidation', async () => {
      const { app, base } = await serve(h, {});
      servers.push(app);
      const page = await fetch(`${base}/settings/employees`);
      assert.equal(page.status, 200);
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      const html = await page.text();
      const asset = html.match(/\/assets\/[\w.-]+\.js/)?.[0];
      if (asset) {
        const js = await fetch(base + asset);
        assert.equal(js.status, 200);
        assert.match(js.headers.get('content-type') ?? '', /javascript/);
        assert.match(js.headers.get('cache-control') ?? '', /immutable/);
      }
      assert.equal((await fetch(`${base}/assets/missing-file.js`)).status, 404);
      for (const traversal of ['/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json']) {
        const res = await fetch(base + traversal);
        assert.ok([400, 403, 404].includes(res.status), `${traversal} → ${res.status}`);
        assert.doesNotMatch(await res.text(), /"refresh-people-sync"/);
      }
    });
  });
}
