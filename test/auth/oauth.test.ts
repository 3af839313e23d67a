/**
 * The OAuth client end to end against a real authorization server: oidc-provider 8 (PKCE S256
 * required, refresh tokens rotated, RFC 9207 `iss` in responses, RFC 7009 revocation), routed at
 * BambooHR's paths so the BambooHR provider metadata (with a `baseUrl` override) is used as is.
 * Its devInteractions login and consent pages are answered as a browser would.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import Provider from 'oidc-provider';
import * as oauth from 'oauth4webapi';
import type { FastifyInstance } from 'fastify';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { installAuditRefusal } from '../helpers/audit-refusal.ts';
import { followAuthorize, freePort, type PageHandler } from '../helpers/oauth-browser.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { BAMBOOHR_SCOPES } from '../../src/providers/bamboohr/descriptor.ts';
import { freshCredentials } from '../../src/auth/oauth/credentials.ts';
import { createLogger } from '../../src/logger.ts';
import { getIntegration, readCredentials } from '../../src/store/integrations.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';

const CLIENT = { clientId: 'refresh-people-sync', clientSecret: `cs_${randomBytes(24).toString('hex')}` };

/** Answers the devInteractions pages: sign in as "admin", then consent. */
const browser: PageHandler = (page) => {
  if (!/\/interaction\//.test(page.url)) return null;
  const form: Record<string, string> = { prompt: 'consent' };
  if (/name="login"/.test(page.html)) return { url: page.url, form: { prompt: 'login', login: 'admin', password: 'any' } };
  if (/consent/i.test(page.html)) return { url: page.url, form };
  return null;
};

for (const dialect of DIALECTS) {
  describe(`OAuth client against oidc-provider on ${dialect}`, () => {
    let asServer: Server;
    let provider: Provider;
    let issuer: string;
    let ctx: AppContext;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    let integrationId: string;
    const tenantId = DEFAULT_TENANT_ID;
    const logs: string[] = [];

    const callback = () => `${base}/api/v1/oauth/callback/bamboohr`;
    const connect = async () => {
      const res = await fetch(`${base}/api/v1/integrations/${integrationId}/connect`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 200);
      return ((await res.json()) as { authorizeUrl: string }).authorizeUrl;
    };
    const callbackJson = async (url: string) => {
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      return { status: res.status, body: (await res.json()) as { connection?: { status: string }; error?: { code: string; message: string } } };
    };

    before(async () => {
      const asPort = await freePort();
      issuer = `http://127.0.0.1:${asPort}`;
      const apiPort = await freePort();
      base = `http://127.0.0.1:${apiPort}`;
      provider = new Provider(issuer, {
        clients: [
          {
            client_id: CLIENT.clientId,
            client_secret: CLIENT.clientSecret,
            redirect_uris: [`${base}/api/v1/oauth/callback/bamboohr`],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        routes: { authorization: '/authorize.php', token: '/token.php', revocation: '/revoke.php' },
        scopes: [...BAMBOOHR_SCOPES],
        features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
        pkce: { required: () => true, methods: ['S256'] },
        issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
        rotateRefreshToken: () => true,
        findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
        cookies: { keys: [randomBytes(16).toString('hex')] },
        ttl: { AccessToken: 3600, AuthorizationCode: 60, RefreshToken: 86_400, Grant: 86_400, Session: 3600, Interaction: 600 },
      });
      const callbackFn = provider.callback();
      // The "BambooHR API" this AS protects: the connection probe posts to a dataset.
      asServer = createServer(async (req, res) => {
        if (req.url?.startsWith('/api/v1/')) {
          const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
          const found = token ? await provider.AccessToken.find(token) : undefined;
          res.writeHead(found ? 200 : 401, { 'content-type': 'application/json' }).end(found ? '{"data": []}' : '{"error": "invalid_token"}');
          return;
        }
        callbackFn(req, res);
      });
      await new Promise<void>((r) => asServer.listen(asPort, '127.0.0.1', r));

      const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
      ctx = await createContext({ ...testConfig(), port: apiPort, publicUrl: base, oauthClients: { bamboohr: CLIENT } }, createLogger('debug', sink), {
        store: await openTestStore(dialect),
        worker: { pollMs: 20, schedule: false },
        httpPolicy: FAST_HTTP,
      });
      key = generateApiKey();
      await registerApiKey(ctx.store.db, tenantId, key, 'test');
      app = await buildServer(ctx);
      await app.listen({ port: apiPort, host: '127.0.0.1' });
      const integration = await createIntegrationFromRequest(ctx, tenantId, { provider: 'bamboohr', name: 'BambooHR', settings: { companyDomain: 'acme', baseUrl: issuer } });
      integrationId = integration.id;
    });
    after(async () => {
      await app.close();
      await ctx.close();
      asServer.closeAllConnections();
      await new Promise((r) => asServer.close(r));
    });

    it('a callback whose audit row the database refuses stores no tokens and leaves the integration as it was (one transaction)', async () => {
      const { refuse, allow } = await installAuditRefusal(ctx.store, dialect);
      await refuse('integration.connected');
      try {
        const { callbackUrl, last } = await followAuthorize(await connect(), callback(), browser);
        assert.ok(callbackUrl, `stopped at ${last.url} (${last.status})`);
        assert.equal((await callbackJson(callbackUrl)).status, 500);
        assert.equal(await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId), null, 'no tokens without their audit row');
        assert.equal((await getIntegration(ctx.store.db, tenantId, integrationId))!.connection.status, 'disconnected');
      } finally {
        await allow('integration.connected');
      }
    });

    it('connects: authorize (login + consent), callback with iss, code exchanged, tokens stored encrypted', async () => {
      const authorizeUrl = await connect();
      const { callbackUrl, last } = await followAuthorize(authorizeUrl, callback(), browser);
      assert.ok(callbackUrl, `stopped at ${last.url} (${last.status})`);
      const params = new URL(callbackUrl).searchParams;
      assert.equal(params.get('iss'), issuer, 'the AS names itself (RFC 9207)');
      const res = await callbackJson(callbackUrl);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.connection?.status, 'connected');
      const creds = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      assert.equal(creds['authType'], 'oauth');
      assert.ok(creds['accessToken'] && creds['refreshToken'] && creds['expiresAt']);
      const row = await ctx.store.db.selectFrom('integrations').select('credentials').where('id', '=', integrationId).executeTakeFirstOrThrow();
      assert.match(row.credentials!, /^v1\./);
      assert.equal(row.credentials!.includes(creds['accessToken']!), false);
      assert.equal(JSON.stringify(await ctx.store.db.selectFrom('oauth_states').selectAll().execute()).includes(params.get('state')!), false, 'state stored only hashed');
    });

    it('refreshes with rotation; the old refresh token is then refused by the AS', async () => {
      const integration = (await getIntegration(ctx.store.db, tenantId, integrationId))!;
      const before = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      const after = await freshCredentials(ctx.engine, integration, { force: true });
      assert.notEqual(after['accessToken'], before['accessToken']);
      assert.notEqual(after['refreshToken'], before['refreshToken']);
      assert.deepEqual(await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId), after);
      assert.ok(await provider.AccessToken.find(after['accessToken']!), 'the AS knows the new token');
      // Not near expiry: no refresh.
      assert.deepEqual(await freshCredentials(ctx.engine, integration), after);
    });

    it('two workers refreshing at once present the refresh token once (oidc-provider revokes the grant on reuse)', async () => {
      let refreshes = 0;
      const count = (c: { oidc: { params?: { grant_type?: unknown } } }) => {
        if (c.oidc.params?.grant_type === 'refresh_token') refreshes++;
      };
      provider.on('grant.success', count);
      try {
        for (let round = 0; round < 3; round++) {
          const before = refreshes;
          const integration = (await getIntegration(ctx.store.db, tenantId, integrationId))!;
          // Both saw the provider refuse the same access token (401) and ask for a new one.
          const rejected = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!['accessToken']!;
          const [a, b] = await Promise.all([
            freshCredentials(ctx.engine, integration, { rejectedAccessToken: rejected, singleFlight: false }),
            freshCredentials(ctx.engine, integration, { rejectedAccessToken: rejected, singleFlight: false }),
          ]);
          assert.equal(refreshes, before + 1, 'one refresh');
          assert.equal(a['refreshToken'], b['refreshToken']);
          assert.ok(await provider.AccessToken.find(a['accessToken']!), 'the grant is alive: its new access token is known');
        }
      } finally {
        provider.off('grant.success', count);
      }
    });

    it('refuses a wrong state and a reused code, with no side effects', async () => {
      const wrong = await callbackJson(`${callback()}?code=x&state=${oauth.generateRandomState()}&iss=${encodeURIComponent(issuer)}`);
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error?.code, 'oauth_state_invalid');

      const { callbackUrl } = await followAuthorize(await connect(), callback(), browser);
      assert.equal((await callbackJson(callbackUrl!)).status, 200);
      const stored = await ctx.store.db.selectFrom('integrations').select('credentials').where('id', '=', integrationId).executeTakeFirstOrThrow();
      const reused = await callbackJson(callbackUrl!);
      assert.equal(reused.status, 400);
      assert.equal(reused.body.error?.code, 'oauth_state_used');
      const after = await ctx.store.db.selectFrom('integrations').select('credentials').where('id', '=', integrationId).executeTakeFirstOrThrow();
      assert.equal(after.credentials, stored.credentials);
      // The AS itself refuses the code a second time too (our state guard answers first).
      const code = new URL(callbackUrl!).searchParams.get('code')!;
      const again = await fetch(`${issuer}/token.php`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback(), client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code_verifier: 'x'.repeat(43) }),
      });
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
    });

    it('a foreign redirect URI is refused by the AS (no redirect)', async () => {
      const url = new URL(await connect());
      url.searchParams.set('redirect_uri', 'https://evil.example/api/v1/oauth/callback/bamboohr');
      const res = await fetch(url, { redirect: 'manual' });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /redirect_uri/);
    });

    it('a missing PKCE verifier is refused', async () => {
      // Authorization requests without a challenge are refused by the AS...
      const url = new URL(await connect());
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      const { callbackUrl } = await followAuthorize(url.toString(), callback(), browser);
      assert.equal(new URL(callbackUrl!).searchParams.get('error'), 'invalid_request');
      // ...and so is a code exchanged without the verifier.
      const ok = await followAuthorize(await connect(), callback(), browser);
      const params = new URL(ok.callbackUrl!).searchParams;
      const as: oauth.AuthorizationServer = { issuer, token_endpoint: `${issuer}/token.php` };
      const client: oauth.Client = { client_id: CLIENT.clientId };
      const validated = oauth.validateAuthResponse(as, client, params, params.get('state')!);
      const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(CLIENT.clientSecret), validated, callback(), oauth.nopkce, { [oauth.allowInsecureRequests]: true });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    });

    it('an iss from another server (mix-up) is refused', async () => {
      const { callbackUrl } = await followAuthorize(await connect(), callback(), browser);
      const forged = new URL(callbackUrl!);
      forged.searchParams.set('iss', 'https://other-as.example');
      const res = await callbackJson(forged.toString());
      assert.equal(res.status, 400);
      assert.equal(res.body.error?.code, 'oauth_mix_up');
    });

    it('a revoked grant turns the connection expired at the next refresh; disconnect revokes', async () => {
      const { callbackUrl } = await followAuthorize(await connect(), callback(), browser);
      assert.equal((await callbackJson(callbackUrl!)).status, 200);
      const creds = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      // Revoke at the AS directly (what "remove the app" in the HRIS does).
      const revoked = await fetch(`${issuer}/revoke.php`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: creds['refreshToken']!, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
      });
      assert.equal(revoked.status, 200);
      const integration = (await getIntegration(ctx.store.db, tenantId, integrationId))!;
      await assert.rejects(freshCredentials(ctx.engine, integration, { force: true }), (e: { code?: string; message: string }) => e.code === 'auth_failed' && /Authorisation expired — reconnect/.test(e.message));
      const expired = (await getIntegration(ctx.store.db, tenantId, integrationId))!;
      assert.equal(expired.connection.status, 'expired');

      const again = await followAuthorize(await connect(), callback(), browser);
      assert.equal((await callbackJson(again.callbackUrl!)).status, 200);
      const live = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      const res = await fetch(`${base}/api/v1/integrations/${integrationId}/disconnect`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { revoked: boolean }).revoked, true);
      assert.equal(await provider.AccessToken.find(live['accessToken']!), undefined, 'the AS forgot the access token');
      assert.equal(logs.join('').includes(live['accessToken']!), false);
    });
  });
}
