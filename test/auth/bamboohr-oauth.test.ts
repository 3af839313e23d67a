import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { followAuthorize, freePort } from '../helpers/oauth-browser.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { completeCallback, startConnect } from '../../src/app/oauth-service.ts';
import { freshCredentials } from '../../src/auth/oauth/credentials.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import { getIntegration, readCredentials } from '../../src/store/integrations.ts';
import { compareAndSetCredentials, readCredentialsCiphertext } from '../../src/store/oauth.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';

const CLIENT = { clientId: 'refresh-people-sync', clientSecret: `cs_${randomBytes(16).toString('hex')}` };

for (const dialect of DIALECTS) {
  describe(`BambooHR OAuth against the sandbox on ${dialect}`, () => {
    let ctx: AppContext;
    let sandbox: BambooSandbox;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    let integrationId: string;
    const logs: string[] = [];
    const tenantId = DEFAULT_TENANT_ID;

    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${key}` }) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        redirect: 'manual',
        headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text && text.startsWith('{') ? JSON.parse(text) : text };
    };
    const connectByBrowser = async () => {
      const started = await call('POST', `/integrations/${integrationId}/connect`, {});
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const { callbackUrl } = await followAuthorize(started.body.authorizeUrl, `${base}/api/v1/oauth/callback/bamboohr`);
      assert.ok(callbackUrl, 'the sandbox sends the browser back to the callback');
      return callbackUrl;
    };
    const counts = async () => {
      const { db } = ctx.store;
      const employees = await db.selectFrom('employees').select(['id', 'status']).where('tenant_id', '=', tenantId).execute();
      const links = await db.selectFrom('employee_links').select('external_id').where('integration_id', '=', integrationId).execute();
      return { employees: employees.length, active: employees.filter((e) => e.status === 'active').length, links: links.length };
    };
    const syncNow = async (mode: 'full' | 'incremental' = 'incremental') => {
      // Every reconnect (callback) starts a verification run: follow it to its end first.
      const active = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
      if (active) await waitForRun(ctx.engine, tenantId, active.id);
      const res = await call('POST', `/integrations/${integrationId}/sync`, { mode });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return waitForRun(ctx.engine, tenantId, res.body.runId);
    };

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      sandbox = await startBambooSandbox({ employees: 30, seed: 11, oauthClients: [{ ...CLIENT, redirectUris: [`${base}/api/v1/oauth/callback/bamboohr`] }] });
      const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
      ctx = await createContext({ ...testConfig(), port, publicUrl: base, oauthClients: { bamboohr: CLIENT } }, createLogger('debug', sink), {
        store: await openTestStore(dialect),
        worker: { pollMs: 20, schedule: false },
        httpPolicy: FAST_HTTP,
      });
      ctx.worker.start();
      key = generateApiKey();
      await registerApiKey(ctx.store.db, tenantId, key, 'test');
      app = await buildServer(ctx);
      await app.listen({ port, host: '127.0.0.1' });
      const created = await call('POST', '/integrations', { provider: 'bamboohr', name: 'BambooHR (OAuth)', settings: { companyDomain: 'acme', baseUrl: sandbox.url } });
      assert.equal(created.status, 201);
      assert.equal(created.body.connection.status, 'disconnected');
      integrationId = created.body.id;
    });
    after(async () => {
      await app.close();
      await ctx.close();
      await sandbox.close();
    });

    it('connects by OAuth (authorize URL followed as a browser would), then syncs', async () => {
      const started = await call('POST', `/integrations/${integrationId}/connect`, {});
      const authorize = new URL(started.body.authorizeUrl);
      assert.equal(authorize.origin + authorize.pathname, `${sandbox.url}/authorize.php`);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authorize.searchParams.get('redirect_uri'), `${base}/api/v1/oauth/callback/bamboohr`);
      assert.match(authorize.searchParams.get('scope') ?? '', /offline_access/);
      const { callbackUrl } = await followAuthorize(started.body.authorizeUrl, `${base}/api/v1/oauth/callback/bamboohr`);
      assert.ok(callbackUrl);
      // A browser (no Accept: JSON) is sent on to the console's integration page; no Bearer needed.
      const res = await fetch(callbackUrl, { redirect: 'manual' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), `/settings/integrations/${integrationId}?connected=1`);
      const integration = (await call('GET', `/integrations/${integrationId}`)).body;
      assert.equal(integration.connection.status, 'connected');
      assert.equal(JSON.stringify(integration).includes('at_'), false, 'no token in the API response');

      const enabled = await call('PATCH', `/integrations/${integrationId}`, { userSync: { enabled: true } });
      assert.equal(enabled.status, 200);
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).executeTakeFirstOrThrow();
      const run = await waitForRun(ctx.engine, tenantId, first.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal((await counts()).links, 30);
      assert.ok(sandbox.faults.requests.some((r) => r.path.startsWith('/api/v1/')), 'the API was called with the Bearer token');
    });

    it('refuses a reused code/state with 400 and changes nothing', async () => {
      const callbackUrl = await connectByBrowser();
      const first = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
      assert.equal(first.status, 200);
      const before = await readCredentialsCiphertext(ctx.store.db, tenantId, integrationId);
      const again = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
      assert.equal(again.status, 400);
      const body = (await again.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'oauth_state_used');
      assert.match(body.error.message, /already used/);
      assert.equal(await readCredentialsCiphertext(ctx.store.db, tenantId, integrationId), before, 'credentials untouched');
    });

    it('refuses a wrong state, a foreign redirect URI, a wrong PKCE verifier and an issuer mix-up', async () => {
      const wrong = await call('GET', `/oauth/callback/bamboohr?code=abc&state=${'x'.repeat(43)}`, undefined, { accept: 'application/json' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.code, 'oauth_state_invalid');
      const missing = await call('GET', '/oauth/callback/bamboohr?code=abc', undefined, { accept: 'application/json' });
      assert.equal(missing.body.error.code, 'oauth_state_missing');

      const started = await call('POST', `/integrations/${integrationId}/connect`, {});
      const foreign = new URL(started.body.authorizeUrl);
      foreign.searchParams.set('redirect_uri', 'https://evil.example/callback');
      const refused = await fetch(foreign, { redirect: 'manual' });
      assert.equal(refused.status, 400, 'the AS does not redirect to an unregistered URI');
      assert.equal(refused.headers.get('location'), null);

      // PKCE: the code is useless without the verifier the connect stored.
      const { callbackUrl } = await followAuthorize(started.body.authorizeUrl, `${base}/api/v1/oauth/callback/bamboohr`);
      const code = new URL(callbackUrl!).searchParams.get('code')!;
      const token = await fetch(`${sandbox.url}/token.php`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${base}/api/v1/oauth/callback/bamboohr`, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, code_verifier: 'w'.repeat(43) }),
      });
      assert.equal(token.status, 400);
      assert.equal(((await token.json()) as { error: string }).error, 'invalid_grant');

      // RFC 9207: an `iss` naming another server is a mix-up; refused, nothing changed.
      const before = await readCredentialsCiphertext(ctx.store.db, tenantId, integrationId);
      const mixUp = new URL(await connectByBrowser());
      mixUp.searchParams.set('iss', 'https://evil.example');
      const res = await fetch(mixUp, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'oauth_mix_up');
      assert.equal(await readCredentialsCiphertext(ctx.store.db, tenantId, integrationId), before);
      // A callback on another provider's path is not this provider's.
      assert.equal((await call('GET', '/oauth/callback/hibob?state=abc&code=x', undefined, { accept: 'application/json' })).status, 404);
    });

    it('binds the state to the console session that started it', async () => {
      const sessionA = randomBytes(32).toString('base64url');
      const started = await startConnect(ctx, tenantId, integrationId, {}, { sessionId: sessionA });
      assert.equal(started.kind, 'oauth');
      const { callbackUrl } = await followAuthorize(started.kind === 'oauth' ? started.authorizeUrl : '', `${base}/api/v1/oauth/callback/bamboohr`);
      const query = Object.fromEntries(new URL(callbackUrl!).searchParams);
      await assert.rejects(completeCallback(ctx, 'bamboohr', query, { sessionId: randomBytes(32).toString('base64url') }), (e: { code?: string }) => e.code === 'oauth_state_mismatch');
      await assert.rejects(completeCallback(ctx, 'bamboohr', query, {}), (e: { code?: string }) => e.code === 'oauth_state_mismatch');
      const ok = await completeCallback(ctx, 'bamboohr', query, { sessionId: sessionA });
      assert.equal(ok.connection.status, 'connected');
    });

    it('refreshes ahead of expiry, rotating the refresh token', async () => {
      sandbox.oauth.accessTokenSeconds = 60; // inside the 5-minute refresh window
      const integration = (await getIntegration(ctx.store.db, tenantId, integrationId))!;
      const forced = await freshCredentials(ctx.engine, integration, { force: true });
      const refreshes = sandbox.oauth.stats.refreshes;
      const run = await syncNow();
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.ok(sandbox.oauth.stats.refreshes > refreshes, 'the engine refreshed before calling the API');
      const now = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      assert.notEqual(now['refreshToken'], forced['refreshToken'], 'rotated');
      sandbox.oauth.accessTokenSeconds = 3600;
    });

    it('two workers refreshing at once: the newer refresh token is never overwritten by an older one', async () => {
      const integration = (await getIntegration(ctx.store.db, tenantId, integrationId))!;
      const [a, b] = await Promise.all([
        freshCredentials(ctx.engine, integration, { force: true, singleFlight: false }),
        freshCredentials(ctx.engine, integration, { force: true, singleFlight: false }),
      ]);
      // Usually the loser adopts the winner's tokens; what must always hold is that the stored
      // refresh token is one the workers ended with and is still live (refreshed again below).
      const stored = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      assert.ok([a['refreshToken'], b['refreshToken']].includes(stored['refreshToken']), 'the stored token is the newest one a worker got');
      assert.equal(sandbox.oauth.stats.reuses, 0, 'one at a time: no rotated refresh token was sent twice');
      assert.equal((await getIntegration(ctx.store.db, tenantId, integrationId))!.connection.status, 'connected');
      // The stored refresh token is the live one.
      const again = await freshCredentials(ctx.engine, integration, { force: true });
      assert.notEqual(again['refreshToken'], stored['refreshToken']);
      // And a stale writer loses the compare-and-set.
      const stale = await readCredentialsCiphertext(ctx.store.db, tenantId, integrationId);
      await freshCredentials(ctx.engine, integration, { force: true });
      assert.equal(await compareAndSetCredentials(ctx.store.db, ctx.vault, tenantId, integrationId, stale!, { authType: 'oauth', accessToken: 'old', refreshToken: 'old' }), false);
    });

    it('a revoked grant: the next run fails, the integration is expired, nobody is deactivated; reconnect restores it and resumes the schedule by itself', async () => {
      const before = await counts();
      assert.equal(before.links, 30);
      sandbox.oauth.revokeGrant();
      const failed = await syncNow();
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.code, 'auth_failed');
      const expired = (await call('GET', `/integrations/${integrationId}`)).body;
      assert.equal(expired.connection.status, 'expired');
      assert.match(expired.connection.detail, /Authorisation expired — reconnect/);
      assert.equal(expired.health.state, 'authorisation_expired');
      assert.deepEqual(await counts(), before, 'nobody deactivated, nothing changed');
      assert.equal((await call('POST', `/integrations/${integrationId}/sync`, {})).status, 409, 'syncs paused');

      const callbackUrl = await connectByBrowser();
      const reconnected = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
      assert.equal(reconnected.status, 200);
      assert.equal(((await reconnected.json()) as { connection: { status: string } }).connection.status, 'connected');
      // No Sync now: the reconnect set the next slot and started a verification run.
      const after = (await call('GET', `/integrations/${integrationId}`)).body;
      assert.ok(after.userSync.nextRunAt, 'the schedule resumed');
      const verification = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).where('trigger', '=', 'reconnect').orderBy('id', 'desc').executeTakeFirstOrThrow();
      const run = await waitForRun(ctx.engine, tenantId, verification.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal((await call('GET', `/integrations/${integrationId}`)).body.health.state, 'healthy');
      assert.deepEqual(await counts(), before, 'same people, no duplicates');
    });

    it('keeps no token in plain text in the database', async () => {
      const creds = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integrationId))!;
      assert.ok(creds['accessToken'] && creds['refreshToken']);
      const dump: string[] = [];
      for (const table of ['integrations', 'integration_secrets', 'oauth_states', 'audit_events', 'runs', 'run_changes'] as const) {
        dump.push(JSON.stringify(await ctx.store.db.selectFrom(table).selectAll().execute()));
      }
      const all = dump.join('\n');
      for (const secret of [creds['accessToken'], creds['refreshToken'], CLIENT.clientSecret]) assert.equal(all.includes(secret!), false);
      assert.equal(/\b(at|rt|code)_[A-Za-z0-9_-]{20,}/.test(all), false, 'no sandbox token of any age');
      assert.equal(logs.join('').includes(creds['accessToken']!), false, 'nor in the logs');
    });

    it('disconnect revokes the grant, deletes the credentials and pauses syncs', async () => {
      const res = await call('POST', `/integrations/${integrationId}/disconnect`);
      assert.equal(res.status, 200);
      assert.equal(res.body.revoked, true);
      assert.equal(res.body.connection.status, 'disconnected');
      assert.equal(res.body.userSync.enabled, false);
      assert.equal(await readCredentialsCiphertext(ctx.store.db, tenantId, integrationId), null);
      assert.ok((sandbox.oauth.summary()['grants'] as { revoked: boolean }[]).every((g) => g.revoked));
      assert.equal((await call('POST', `/integrations/${integrationId}/sync`, {})).status, 409);
    });
  });
}
