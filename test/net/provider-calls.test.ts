/**
 * The outbound-request policy where it is hooked in: settings refused on create and PATCH (400
 * naming the setting, nothing stored), every provider call of a run (src/connectors/http.ts), and
 * the OAuth token calls (src/auth/oauth/client.ts). Production policy, injected resolver; the only
 * server contacted is the BambooHR sandbox on 127.0.0.1, which the operator lists.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { installOutboundPolicy, OutboundPolicy, type Resolver } from '../../src/net/outbound-policy.ts';
import { generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { updateIntegration } from '../../src/store/integrations.ts';
import { oauthProviderConfig } from '../../src/auth/oauth/providers.ts';
import { OAuthFlowError, refreshTokens } from '../../src/auth/oauth/client.ts';

const PLATFORM = { clientId: 'refresh-platform', clientSecret: 'platform-client-secret-0001' };

const resolver: Resolver & { asked: string[] } = Object.assign(
  async (host: string) => {
    resolver.asked.push(host);
    const table: Record<string, string> = { 'meta.bamboohr.com': '169.254.169.254', 'intranet.bamboohr.com': '10.20.30.40' };
    if (!table[host]) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address: table[host]!, family: 4 }];
  },
  { asked: [] as string[] },
);

for (const dialect of DIALECTS) {
  describe(`provider calls under the production policy on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    let previous: OutboundPolicy;
    let policy: OutboundPolicy;
    let tokenServer: Server;
    let tokenPort: number;
    let tokenRequests = 0;

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json().catch(() => null)) as { error?: { code: string; message: string; details: { field?: string } } } & Record<string, unknown> };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 5 });
      tokenServer = createServer((req, res) => {
        tokenRequests += 1;
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"a","token_type":"bearer","expires_in":3600}');
      });
      await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
      tokenPort = (tokenServer.address() as { port: number }).port;
      // Production: the operator lists the sandbox (and a test token server) on loopback.
      policy = new OutboundPolicy({ mode: 'production', allowedHosts: [`127.0.0.1:${h.sandbox.port}`, `127.0.0.1:${tokenPort}`], platformSecrets: { bamboohr: [PLATFORM.clientSecret] }, resolve: resolver });
      previous = installOutboundPolicy(policy);
      key = generateApiKey();
      await registerApiKey(h.ctx.store.db, h.tenantId, key, 'test');
      app = await buildServer({ ...h.ctx, config: { ...h.ctx.config, mode: 'production', oauthClients: { bamboohr: PLATFORM } } });
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    });
    after(async () => {
      installOutboundPolicy(previous);
      await policy.close();
      await app.close();
      tokenServer.close();
      await h.close();
    });

    it('refuses a baseUrl or authBaseUrl outside the policy on create, with a 400 naming the setting, and stores nothing', async () => {
      const before = (await call('GET', '/integrations')).body.data as unknown[];
      for (const [settings, field, why] of [
        [{ companyDomain: 'acme', baseUrl: 'https://attacker.example' }, 'settings.baseUrl', /may not call attacker\.example.*REFRESH_ALLOWED_PROVIDER_HOSTS/],
        [{ companyDomain: 'acme', baseUrl: 'http://169.254.169.254/latest/meta-data' }, 'settings.baseUrl', /169\.254\.169\.254/],
        [{ companyDomain: 'acme', baseUrl: 'http://127.0.0.1:1' }, 'settings.baseUrl', /may not call 127\.0\.0\.1:1/],
        [{ companyDomain: 'acme', baseUrl: 'http://acme.bamboohr.com' }, 'settings.baseUrl', /must start with https/],
        [{ companyDomain: 'acme', baseUrl: 'javascript:alert(1)' }, 'settings.baseUrl', /./],
        [{ companyDomain: 'acme', baseUrl: 'file:///etc/passwd' }, 'settings.baseUrl', /./],
        [{ companyDomain: 'acme', authBaseUrl: 'https://10.0.0.1' }, 'settings.authBaseUrl', /./],
      ] as const) {
        const res = await call('POST', '/integrations', { provider: 'bamboohr', settings, credentials: { apiKey: 'stolen-on-the-way-0001' } });
        assert.equal(res.status, 400, JSON.stringify(settings));
        assert.equal(res.body.error!.details.field, field);
        assert.match(res.body.error!.message, why);
      }
      assert.equal(((await call('GET', '/integrations')).body.data as unknown[]).length, before.length, 'nothing stored');
    });

    it('refuses such an address on PATCH too, leaving the settings as they were', async () => {
      const res = await call('PATCH', `/integrations/${h.integration.id}`, { settings: { baseUrl: 'https://intranet.bamboohr.com:8443' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error!.details.field, 'settings.baseUrl');
      const now = await call('GET', `/integrations/${h.integration.id}`);
      assert.equal((now.body.settings as { baseUrl: string }).baseUrl, h.sandbox.url);
    });

    it('lets runs reach the listed sandbox, and fails a run whose stored host resolves to a metadata or private address, deactivating nobody', async () => {
      const ok = await h.sync('full');
      assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
      // An address stored before this policy existed: the official pattern matches, the resolved address does not.
      for (const [host, address] of [['meta.bamboohr.com', '169.254.169.254'], ['intranet.bamboohr.com', '10.20.30.40']] as const) {
        await updateIntegration(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id, { settings: { ...h.integration.settings, baseUrl: `https://${host}` } });
        const refused = await h.sync('full');
        assert.equal(refused.status, 'failed');
        assert.equal(refused.error?.code, 'bad_request');
        assert.match(refused.error!.message, new RegExp(`${host.replace(/\./g, '\\.')} resolves to ${address.replace(/\./g, '\\.')}`));
        assert.equal(refused.counts.deactivated, 0);
        assert.ok(resolver.asked.includes(host));
      }
      await updateIntegration(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id, { settings: h.integration.settings });
      const active = await h.ctx.store.db.selectFrom('employees').select('id').where('tenant_id', '=', h.tenantId).where('status', '=', 'active').execute();
      assert.ok(active.length > 0);
    });

    it("sends the platform's OAuth client secret to no token endpoint but the official one, even one the operator listed", async () => {
      const cfg = oauthProviderConfig('bamboohr', { companyDomain: 'acme', authBaseUrl: `http://127.0.0.1:${tokenPort}` });
      await assert.rejects(refreshTokens(cfg, PLATFORM, 'refresh-token'), (e: unknown) => e instanceof OAuthFlowError && e.failure === 'refused' && /ReFresh's own BambooHR OAuth app/.test(e.message));
      assert.equal(tokenRequests, 0, 'the secret never left');
      const own = await refreshTokens(cfg, { clientId: 'tenant-app', clientSecret: 'tenant-own-secret' }, 'refresh-token');
      assert.equal(own.accessToken, 'a');
      assert.equal(tokenRequests, 1, "a tenant's own app may use a listed host");

      // Connect refuses up front rather than after the admin consented.
      await updateIntegration(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id, { settings: { ...h.integration.settings, authBaseUrl: `http://127.0.0.1:${tokenPort}` } });
      const connect = await call('POST', `/integrations/${h.integration.id}/connect`, {});
      assert.equal(connect.status, 400);
      assert.match(connect.body.error!.message, /ReFresh's own BambooHR OAuth app works only with BambooHR's official address/);
      await updateIntegration(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id, { settings: h.integration.settings });
    });
  });
}
