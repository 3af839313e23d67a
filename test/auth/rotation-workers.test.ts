/**
 * A rotated refresh token is never reused, also with two workers (issue 11): two real `refresh
 * worker` processes on one PostgreSQL database run syncs of the same Employment Hero and the same
 * Deel integration at the same time, each needing a refresh. The sandboxes' authorization servers
 * rotate refresh tokens as RFC 9700 §4.14.2 describes (the used one dies; presenting it again
 * revokes the whole grant) and answer slowly, so the two refreshes are in flight together. One
 * worker refreshes; the other waits for the tokens it stores and uses those.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { PG_URL, openTestStore } from '../helpers/dialects.ts';
import { testConfig } from '../helpers/harness.ts';
import { launch, stop, until, type Child } from '../helpers/processes.ts';
import { createContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { freshCredentials } from '../../src/auth/oauth/credentials.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { createLogger } from '../../src/logger.ts';
import { startDeelSandbox } from '../../src/providers/deel/sandbox/server.ts';
import { startEmploymentHeroSandbox } from '../../src/providers/employmenthero/sandbox/server.ts';
import type { SandboxOAuth } from '../../src/sandbox/shared/oauth-server.ts';
import type { ApiFaults } from '../../src/sandbox/shared/api-faults.ts';
import { readCredentials, type Integration } from '../../src/store/integrations.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';

const tenantId = DEFAULT_TENANT_ID;

interface Source {
  readonly provider: 'employmenthero' | 'deel';
  readonly url: string;
  readonly oauth: SandboxOAuth;
  readonly faults: ApiFaults;
  readonly app: { clientId: string; clientSecret: string };
  readonly people: number;
  close(): Promise<void>;
}

describe('rotating refresh tokens with two worker processes on PostgreSQL', { skip: PG_URL ? false : 'needs PostgreSQL' }, () => {
  it('two `refresh worker` processes sync the same Employment Hero and Deel integrations at once: one refresh each, no token reused, the grants survive and every run succeeds', async () => {
    const store = await openTestStore('postgres');
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
    const databaseUrl = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${rows[0]!.schema}`)}`;
    const secretKey = randomBytes(32).toString('base64');
    const ehApp = { clientId: 'eh-workers-app', clientSecret: `eh_${randomBytes(12).toString('hex')}` };
    const deelApp = { clientId: 'deel-workers-app', clientSecret: `deel_${randomBytes(12).toString('hex')}` };
    const eh = await startEmploymentHeroSandbox({ employees: 40, seed: 31, port: 0, oauthClients: [{ ...ehApp, redirectUris: [] }] });
    const deel = await startDeelSandbox({ employees: 40, seed: 31, port: 0, oauthClients: [{ ...deelApp, redirectUris: [] }] });
    const sources: Source[] = [
      { provider: 'employmenthero', url: eh.url, oauth: eh.oauth, faults: eh.faults, app: ehApp, people: new Set(eh.roster.list().map((e) => e.company_email?.toLowerCase() ?? e.id)).size, close: () => eh.close() },
      { provider: 'deel', url: deel.url, oauth: deel.oauth, faults: deel.faults, app: deelApp, people: deel.roster.size, close: () => deel.close() },
    ];
    // This process only sets up and checks: it runs no worker.
    const ctx = await createContext({ ...testConfig(), databaseUrl, secretKey, allowedProviderHosts: ['127.0.0.1'] }, createLogger('warn'), { store });
    const workers: Child[] = [];
    try {
      // Grants made elsewhere, imported headlessly (each is redeemed once on import).
      const integrations: Integration[] = [];
      for (const s of sources) {
        const { refreshToken } = s.oauth.issueGrant(s.app.clientId);
        const created = await createIntegrationFromRequest(ctx, tenantId, { provider: s.provider, settings: { baseUrl: s.url, authBaseUrl: s.url }, credentials: { ...s.app, refreshToken } });
        assert.equal(created.connection.status, 'connected', created.connection.detail ?? '');
        integrations.push(created);
      }

      // Each worker runs one run at a time, so two runs queued together go to the two processes.
      const env = { DATABASE_URL: databaseUrl, REFRESH_SECRET_KEY: secretKey, REFRESH_ALLOWED_PROVIDER_HOSTS: '127.0.0.1', REFRESH_WORKER_CONCURRENCY: '1' };
      for (const name of ['A', 'B']) {
        const w = launch(['worker'], env);
        workers.push(w);
        await until(`worker ${name} to start`, () => (w.output().includes('worker started') ? true : undefined), w, 60_000);
      }

      for (const [i, s] of sources.entries()) {
        const integration = integrations[i]!;
        // The stored access token is about to expire (a 60 s token, inside the 5 minutes a run refreshes ahead of),
        // so both runs need a refresh; the one they get lives an hour.
        s.oauth.accessTokenSeconds = 60;
        await freshCredentials(ctx.engine, integration, { force: true });
        s.oauth.accessTokenSeconds = 3600;
        const before = (await readCredentials(store.db, ctx.vault, tenantId, integration.id))!;
        // A slow authorization server and a slow API: both workers are refreshing, then reading, at the same time.
        s.oauth.tokenDelayMs = 1500;
        s.faults.set({ slowMs: 400 });
        const refreshes = s.oauth.stats.refreshes;

        await patchIntegrationFromRequest(ctx, tenantId, integration.id, { userSync: { enabled: true } }); // queues a full sync
        const full = (await store.db.selectFrom('runs').select('id').where('integration_id', '=', integration.id).where('dry_run', '=', 0).executeTakeFirstOrThrow()).id;
        const dry = (await requestSync(ctx, tenantId, integration.id, { mode: 'full', dryRun: true })).id;
        const done = await Promise.all([full, dry].map((id) => waitForRun(ctx.engine, tenantId, id, 120_000)));
        s.faults.clear();
        s.oauth.tokenDelayMs = 0;

        for (const run of done) {
          assert.equal(run.status, 'succeeded', `${s.provider} ${run.dryRun ? 'dry run' : 'sync'}: ${JSON.stringify(run.error)}`);
          assert.equal(run.counts.fetched, s.people, `${s.provider}: the whole roster read`);
        }
        const held = await store.db.selectFrom('runs').select(['id', 'worker_id']).where('id', 'in', [full, dry]).execute();
        assert.equal(new Set(held.map((r) => r.worker_id)).size, 2, `${s.provider}: the two runs ran in the two processes`);
        assert.equal(s.oauth.stats.refreshes, refreshes + 1, `${s.provider}: one refresh for both workers; the other used the tokens it stored`);
        assert.equal(s.oauth.stats.reuses, 0, `${s.provider}: no rotated refresh token was presented again`);
        assert.ok((s.oauth.summary()['grants'] as { revoked: boolean }[]).every((g) => !g.revoked), `${s.provider}: the grant is alive`);
        const after = (await readCredentials(store.db, ctx.vault, tenantId, integration.id))!;
        assert.notEqual(after['refreshToken'], before['refreshToken'], 'the rotated refresh token is what is stored');
      }
      for (const w of workers) assert.doesNotMatch(w.output(), /invalid_grant|Authorisation expired/);
    } finally {
      for (const w of workers) await stop(w);
      await ctx.close();
      for (const s of sources) await s.close();
    }
  });
});
