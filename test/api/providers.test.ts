/**
 * The provider descriptors over the API: `GET /providers` is what the console builds its
 * catalogue, connect forms and pickers from, and `POST /integrations` checks settings and
 * credentials against the same descriptors.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { DESCRIPTORS, PROVIDER_IDS, providerName, sourceFieldLabel } from '../../src/providers/descriptors.ts';
import { PROVIDER_MODULES } from '../../src/providers/registry.ts';
import { isFieldName } from '../../src/core/fields.ts';
import { hostMatches, isOfficialEndpoint } from '../../src/providers/settings.ts';
import { oauthProviderConfig } from '../../src/auth/oauth/providers.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('provider descriptors', () => {
  it('every provider has one descriptor and one module, keyed by its own id', () => {
    assert.deepEqual(Object.keys(PROVIDER_MODULES).sort(), [...PROVIDER_IDS].sort());
    for (const id of PROVIDER_IDS) {
      assert.equal(DESCRIPTORS[id].id, id);
      assert.equal(PROVIDER_MODULES[id].descriptor, DESCRIPTORS[id]);
    }
  });

  it('default mappings name only fields the connector yields, target ReFresh fields, and leave personal data out', () => {
    for (const id of PROVIDER_IDS) {
      const d = DESCRIPTORS[id];
      const keys = new Map(d.fields.map((f) => [f.key, f]));
      for (const [source, target] of Object.entries(d.defaultMapping)) {
        assert.ok(keys.has(source), `${id}: ${source} is in the field catalogue`);
        assert.equal(keys.get(source)?.personal, undefined, `${id}: ${source} is not personal data`);
        assert.ok(isFieldName(target), `${id}: ${target} is a ReFresh field`);
      }
      for (const g of d.groupAttributes) assert.ok(Object.values(d.defaultMapping).includes(g.attribute as never), `${id}: group attribute ${g.attribute} is mapped by default`);
      assert.ok(d.auth.length > 0, `${id} has an auth method`);
      assert.ok(d.officialHosts.length > 0);
    }
  });

  it("ReFresh's own OAuth apps come from <ID>_OAUTH_CLIENT_ID/_SECRET for every OAuth provider; half a pair is refused", () => {
    const config = loadConfig({ BAMBOOHR_OAUTH_CLIENT_ID: 'app', BAMBOOHR_OAUTH_CLIENT_SECRET: 'secret' });
    assert.deepEqual(config.oauthClients, { bamboohr: { clientId: 'app', clientSecret: 'secret' } });
    assert.throws(() => loadConfig({ BAMBOOHR_OAUTH_CLIENT_ID: 'app' }), (e: Error) => e instanceof ConfigError && /BAMBOOHR_OAUTH_CLIENT_SECRET/.test(e.message));
    assert.deepEqual(loadConfig({ HIBOB_OAUTH_CLIENT_ID: 'x', HIBOB_OAUTH_CLIENT_SECRET: 'y' }).oauthClients, {}, 'HiBob has no OAuth');
  });

  it('names and "… in <provider>" labels come from the descriptor', () => {
    assert.equal(providerName('hibob'), 'HiBob');
    assert.equal(providerName('nope'), 'nope');
    assert.equal(sourceFieldLabel('hibob', 'site'), 'Site in HiBob');
    assert.equal(sourceFieldLabel('bamboohr', 'location'), 'Location in BambooHR');
  });

  it('official hosts and token endpoints: wildcards match subdomains only; the platform secret goes to the official endpoint', () => {
    assert.equal(hostMatches('acme.bamboohr.com', '*.bamboohr.com'), true);
    assert.equal(hostMatches('bamboohr.com', '*.bamboohr.com'), false);
    assert.equal(hostMatches('acme.bamboohr.com.evil.example', '*.bamboohr.com'), false);
    assert.equal(isOfficialEndpoint('https://acme.bamboohr.com/token.php', 'https://*.bamboohr.com/token.php'), true);
    assert.equal(isOfficialEndpoint('http://acme.bamboohr.com/token.php', 'https://*.bamboohr.com/token.php'), false);
    const official = oauthProviderConfig('bamboohr', { companyDomain: 'acme' });
    assert.equal(official.officialTokenEndpoint, true);
    assert.equal(official.as.token_endpoint, 'https://acme.bamboohr.com/token.php?request=token');
    const sandbox = oauthProviderConfig('bamboohr', { companyDomain: 'acme', baseUrl: 'http://127.0.0.1:9101' });
    assert.equal(sandbox.officialTokenEndpoint, false);
    assert.equal(sandbox.as.token_endpoint, 'http://127.0.0.1:9101/token.php');
    const split = oauthProviderConfig('bamboohr', { companyDomain: 'acme', authBaseUrl: 'http://127.0.0.1:9999/' });
    assert.equal(split.as.authorization_endpoint, 'http://127.0.0.1:9999/authorize.php', 'settings.authBaseUrl points the flow elsewhere');
  });
});

for (const dialect of DIALECTS) {
  describe(`GET /providers on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 5, seed: 3, enable: false });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('lists every provider with its forms as JSON Schema, capabilities, fields and default mapping', async () => {
      const res = await call('GET', '/providers');
      assert.equal(res.status, 200);
      const list = res.body.data as { id: string; name: string; settings: { properties: Record<string, { title?: string; writeOnly?: boolean }> }; auth: { kind: string; credentials: { properties: Record<string, { title?: string; writeOnly?: boolean }>; required?: string[] } }[]; capabilities: Record<string, unknown>; fields: { key: string }[]; defaultMapping: Record<string, string>; statusPageUrl: string }[];
      assert.deepEqual(list.map((p) => p.id), PROVIDER_IDS);
      const bamboo = list.find((p) => p.id === 'bamboohr')!;
      assert.equal(bamboo.name, 'BambooHR');
      assert.equal(bamboo.settings.properties['companyDomain']?.title, 'Company domain');
      const apiKey = bamboo.auth.find((m) => m.kind === 'api_key')!;
      assert.equal(apiKey.credentials.properties['apiKey']?.writeOnly, true, 'secrets are marked write-only for the form');
      assert.deepEqual(apiKey.credentials.required, ['apiKey']);
      assert.ok(bamboo.auth.some((m) => m.kind === 'oauth2_authorization_code'));
      const hibob = list.find((p) => p.id === 'hibob')!;
      assert.deepEqual(hibob.auth.map((m) => m.kind), ['service_user']);
      assert.equal(hibob.defaultMapping['phone'], 'phone');
      assert.equal(hibob.capabilities['incremental'], 'none');
      assert.equal(hibob.statusPageUrl, DESCRIPTORS.hibob.statusPageUrl);
      const one = await call('GET', '/providers/hibob');
      assert.deepEqual(one.body, hibob);
      assert.equal((await call('GET', '/providers/workday')).status, 404);
      const doc = (await call('GET', '/openapi.json')).body;
      assert.ok(doc.paths['/api/v1/providers'], 'documented');
    });

    it("says per OAuth provider whether this server has its own OAuth app (the console then asks for the organization's own)", async () => {
      const apps = async () => Object.fromEntries(((await call('GET', '/providers')).body.data as { id: string; oauth: { appConfigured: boolean } | null }[]).map((p) => [p.id, p.oauth?.appConfigured ?? null]));
      const config = h.ctx.config as { oauthClients?: Record<string, { clientId: string; clientSecret: string }> };
      const saved = config.oauthClients;
      try {
        config.oauthClients = {};
        assert.deepEqual(await apps(), { bamboohr: false, hibob: null, employmenthero: false, deel: false, entra: null, google: false });
        config.oauthClients = { deel: { clientId: 'app', clientSecret: 'secret' } };
        assert.deepEqual(await apps(), { bamboohr: false, hibob: null, employmenthero: false, deel: true, entra: null, google: false });
        assert.equal((await call('GET', '/providers/deel')).body.oauth.appConfigured, true);
      } finally {
        config.oauthClients = saved;
      }
    });

    it('creating an integration checks settings and credentials against the descriptor', async () => {
      const unknown = await call('POST', '/integrations', { provider: 'workday', settings: {} });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error.message, /bamboohr, hibob/);
      const missingToken = await call('POST', '/integrations', { provider: 'hibob', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { serviceUserId: 'svc' } });
      assert.equal(missingToken.status, 400);
      assert.equal(missingToken.body.error.details.field, 'credentials.token', 'the error is about the method the request was trying');
      const emptyKey = await call('POST', '/integrations', { provider: 'bamboohr', settings: { companyDomain: 'acme' }, credentials: { apiKey: '' } });
      assert.equal(emptyKey.status, 400);
      assert.equal(emptyKey.body.error.details.field, 'credentials.apiKey');
      const badUrl = await call('POST', '/integrations', { provider: 'hibob', settings: { baseUrl: 'ftp://x' } });
      assert.equal(badUrl.status, 400);
      assert.equal(badUrl.body.error.details.field, 'settings.baseUrl');
      const created = await call('POST', '/integrations', { provider: 'hibob', settings: {} });
      assert.equal(created.status, 201);
      assert.equal(created.body.name, 'HiBob', 'named after the descriptor');
      assert.deepEqual(created.body.userSync.fieldMapping, DESCRIPTORS.hibob.defaultMapping);
    });
  });
}
