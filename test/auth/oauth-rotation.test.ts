/**
 * Rotating refresh tokens across workers, against a sandbox authorization server that does what
 * RFC 9700 §4.14.2 describes: each refresh answers a new refresh token, the used one dies, and a
 * used one presented again revokes the whole grant. Two workers are two stores (two connections or
 * pools) over one database. Also the headless import of a grant made elsewhere.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS, openSharedStores } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, requestSync, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { startConnect } from '../../src/app/oauth-service.ts';
import { ApiError } from '../../src/app/errors.ts';
import { freshCredentials, type CredentialDeps } from '../../src/auth/oauth/credentials.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import { getIntegration, listIntegrations, readCredentials, type Integration } from '../../src/store/integrations.ts';
import { acquireRefreshLock, releaseRefreshLock } from '../../src/store/oauth.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import type { Store } from '../../src/store/db.ts';

const CLIENT = { clientId: 'imported-client', clientSecret: `cs_${randomBytes(16).toString('hex')}` };
const tenantId = DEFAULT_TENANT_ID;

for (const dialect of DIALECTS) {
  describe(`rotating refresh tokens with two workers on ${dialect}`, () => {
    let sandbox: BambooSandbox;
    let stores: { a: Store; b: Store; close(): Promise<void> };
    let ctx: AppContext;
    let workerB: CredentialDeps;
    let integration: Integration;

    before(async () => {
      sandbox = await startBambooSandbox({ employees: 12, seed: 4, oauthClients: [{ ...CLIENT, redirectUris: [] }] });
      stores = await openSharedStores(dialect);
      ctx = await createContext(testConfig(), createLogger('silent'), { store: stores.a, worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
      ctx.worker.start();
      workerB = { store: stores.b, vault: ctx.vault };
    });
    after(async () => {
      await ctx.worker.stop();
      await stores.close();
      await sandbox.close();
    });

    it('imports a grant headlessly: the refresh token is redeemed at once, and the integration syncs', async () => {
      const { refreshToken } = sandbox.oauth.issueGrant(CLIENT.clientId, 'offline_access employee');
      integration = await createIntegrationFromRequest(ctx, tenantId, { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: sandbox.url }, credentials: { ...CLIENT, refreshToken } });
      assert.equal(integration.connection.status, 'connected', integration.connection.detail ?? '');
      assert.equal(sandbox.oauth.stats.refreshes, 1, 'redeemed once');
      const stored = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integration.id))!;
      assert.equal(stored['authType'], 'oauth');
      assert.notEqual(stored['refreshToken'], refreshToken, 'the rotated token is kept, not the imported one');
      assert.equal(JSON.stringify(stored).includes(CLIENT.clientSecret), false, 'the client secret is kept apart from the tokens');
      await patchIntegrationFromRequest(ctx, tenantId, integration.id, { userSync: { enabled: true } });
      const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integration.id).executeTakeFirstOrThrow();
      const run = await waitForRun(ctx.engine, tenantId, first.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.counts.fetched, 12);
    });

    it('a refused or malformed import stores nothing and says why', async () => {
      const before = (await listIntegrations(ctx.store.db, tenantId)).length;
      const refused = await createIntegrationFromRequest(ctx, tenantId, { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: sandbox.url }, credentials: { ...CLIENT, refreshToken: 'rt_not-a-real-one' } }).catch((e: unknown) => e);
      assert.ok(refused instanceof ApiError);
      assert.equal(refused.status, 400);
      assert.equal(refused.code, 'oauth_invalid_grant');
      assert.match(refused.message, /nothing was stored/);
      const partial = await createIntegrationFromRequest(ctx, tenantId, { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: sandbox.url }, credentials: { clientId: CLIENT.clientId, refreshToken: 'x' } }).catch((e: unknown) => e);
      assert.ok(partial instanceof ApiError);
      assert.equal(partial.details['field'], 'credentials.clientSecret');
      assert.equal((await listIntegrations(ctx.store.db, tenantId)).length, before);
    });

    it('two workers refreshing at once send the refresh token once; both use the one new token', async () => {
      for (let round = 0; round < 5; round++) {
        const refreshes = sandbox.oauth.stats.refreshes;
        const current = (await getIntegration(ctx.store.db, tenantId, integration.id))!;
        // Both workers saw the provider refuse the same access token (401) and ask for a new one.
        const rejected = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integration.id))!['accessToken']!;
        const [a, b] = await Promise.all([
          freshCredentials(ctx.engine, current, { rejectedAccessToken: rejected, singleFlight: false }),
          freshCredentials(workerB, current, { rejectedAccessToken: rejected, singleFlight: false }),
        ]);
        assert.equal(sandbox.oauth.stats.refreshes, refreshes + 1, `round ${round}: one refresh, not two`);
        assert.equal(sandbox.oauth.stats.reuses, 0, 'no rotated token was ever presented again');
        assert.equal(a['refreshToken'], b['refreshToken']);
        assert.equal(a['accessToken'], b['accessToken']);
        assert.deepEqual(await readCredentials(ctx.store.db, ctx.vault, tenantId, integration.id), a, 'what they use is what is stored');
      }
      assert.ok((sandbox.oauth.summary()['grants'] as { revoked: boolean }[]).some((g) => !g.revoked), 'the grant is alive');
      const run = await waitForRun(ctx.engine, tenantId, (await requestSync(ctx, tenantId, integration.id, { mode: 'full' })).id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    });

    it('a lease left by a crashed worker lapses; a live one makes the other worker wait for its tokens', async () => {
      const current = (await getIntegration(ctx.store.db, tenantId, integration.id))!;
      // A crashed holder whose lease ran out an hour ago does not block.
      assert.equal(await acquireRefreshLock(stores.b.db, tenantId, integration.id, 'crashed', 1, Date.now() - 3_600_000), true);
      const after = await freshCredentials(ctx.engine, current, { force: true, singleFlight: false });
      assert.ok(after['accessToken']);
      // A live holder: worker A waits and takes what the holder stores.
      assert.equal(await acquireRefreshLock(stores.b.db, tenantId, integration.id, 'worker-b', 60_000), true);
      const refreshes = sandbox.oauth.stats.refreshes;
      const rejected = (await readCredentials(ctx.store.db, ctx.vault, tenantId, integration.id))!['accessToken']!;
      const waiting = freshCredentials(ctx.engine, current, { rejectedAccessToken: rejected, singleFlight: false });
      const written = await freshCredentialsAsHolder(workerB, current, 'worker-b', rejected);
      const got = await waiting;
      assert.equal(got['refreshToken'], written['refreshToken'], 'the waiter used the holder\'s tokens');
      assert.equal(sandbox.oauth.stats.refreshes, refreshes + 1);
      assert.equal(sandbox.oauth.stats.reuses, 0);
    });

    it('reusing a rotated refresh token revokes the grant at the server (what the lease prevents)', async () => {
      const { refreshToken } = sandbox.oauth.issueGrant(CLIENT.clientId, 'offline_access');
      const token = async (rt: string) =>
        (await fetch(`${sandbox.url}/token.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret } }) })).json() as Promise<{ refresh_token?: string; error?: string }>;
      const first = await token(refreshToken);
      assert.ok(first.refresh_token);
      assert.equal((await token(refreshToken)).error, 'invalid_grant', 'the used token is dead');
      assert.equal((await token(first.refresh_token!)).error, 'invalid_grant', 'and its reuse revoked the new one too');
    });

    it('reconnecting by importing another grant keeps the integration', async () => {
      const { refreshToken } = sandbox.oauth.issueGrant(CLIENT.clientId, 'offline_access employee');
      const result = await startConnect(ctx, tenantId, integration.id, { credentials: { ...CLIENT, refreshToken } });
      assert.equal(result.kind, 'reconnected');
      assert.equal(result.kind === 'reconnected' ? result.integration.id : '', integration.id);
      assert.equal(result.kind === 'reconnected' ? result.integration.connection.status : '', 'connected');
    });
  });
}

/** Worker B already holds the lease (taken by the test): refresh as that holder, then let go. */
async function freshCredentialsAsHolder(deps: CredentialDeps, integration: Integration, holder: string, rejected: string): Promise<Record<string, string>> {
  await releaseRefreshLock(deps.store.db, integration.tenantId, integration.id, holder);
  return freshCredentials(deps, integration, { rejectedAccessToken: rejected, singleFlight: false });
}
