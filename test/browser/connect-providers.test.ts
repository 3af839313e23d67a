/**
 * The console's connect forms, catalogue and provider texts come from the descriptors
 * (GET /api/v1/providers), issue 11: no page names a provider, and providers the console was never
 * taught about by hand connect in Chromium against their sandboxes. Employment Hero by OAuth in the
 * browser (authorization code with PKCE through its sandbox's authorization server), Deel by OAuth
 * and then by importing a grant made elsewhere, Microsoft Entra ID with an app's client
 * credentials, Google Workspace with a service account's JSON key file; each ends in a synced roster.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchConsoleBrowser, signIn } from '../helpers/chromium.ts';
import { openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { freePort } from '../helpers/oauth-browser.ts';
import { until } from '../helpers/processes.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { createLogger } from '../../src/logger.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import { startEmploymentHeroSandbox, type EmploymentHeroSandbox } from '../../src/providers/employmenthero/sandbox/server.ts';
import { startDeelSandbox, type DeelSandbox } from '../../src/providers/deel/sandbox/server.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/server.ts';
import { startGoogleSandbox, type GoogleSandbox } from '../../src/providers/google/sandbox/index.ts';
import { listIntegrations, readCredentials } from '../../src/store/integrations.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';

const WEB_SRC = path.resolve(import.meta.dirname, '..', '..', 'web', 'src');
const EMAIL = 'admin@example.com';
const PASSWORD = 'connect-providers-password';
const EH_APP = { clientId: 'eh-console-app', clientSecret: 'eh-console-secret-0123456789' };
const DEEL_APP = { clientId: 'deel-console-app', clientSecret: 'deel-console-secret-0123456789' };
const tenantId = DEFAULT_TENANT_ID;
const hasChromium = existsSync(CHROMIUM);

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourcesUnder(full);
    // The generated API types carry the OpenAPI document's prose, not console text.
    return /\.(tsx?|css|html)$/.test(name) && name !== 'schema.gen.ts' ? [full] : [];
  });
}

describe('no provider is named in the console source', () => {
  it('web/src (pages, components, formatting) names no provider: every name, id and form comes from the descriptors', () => {
    const files = [...sourcesUnder(WEB_SRC), path.resolve(WEB_SRC, '..', 'index.html')];
    assert.ok(files.some((f) => f.endsWith(path.join('pages', 'Connect.tsx'))) && files.some((f) => f.endsWith(path.join('pages', 'Integrations.tsx'))));
    const found: string[] = [];
    for (const d of Object.values(DESCRIPTORS)) {
      // The display name and the id ("deel", "entra"), as words, case-insensitively.
      const words = [d.name, d.id];
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const w of words) {
          const re = new RegExp(`\\b${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s*')}\\b`, 'i');
          const m = re.exec(text);
          if (m) found.push(`${path.relative(WEB_SRC, file)}:${text.slice(0, m.index).split('\n').length} names ${d.name} ("${m[0]}")`);
        }
      }
    }
    assert.deepEqual(found, []);
  });
});

describe('connecting providers from their descriptors, in Chromium', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let eh: EmploymentHeroSandbox;
  let deel: DeelSandbox;
  let entra: EntraSandbox;
  let google: GoogleSandbox;
  let ctx: AppContext;
  let app: FastifyInstance;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];

  const today = new Date().toISOString().slice(0, 10);
  const linkedEmails = async (integrationId: string) => {
    const rows = await ctx.store.db.selectFrom('employee_links as l').innerJoin('employees as e', 'e.id', 'l.employee_id').select('e.fields').where('l.integration_id', '=', integrationId).execute();
    return new Set(rows.map((r) => String((JSON.parse(r.fields) as Record<string, string>)['email'] ?? '').toLowerCase()));
  };
  const integrationNamed = async (name: string) => (await listIntegrations(ctx.store.db, tenantId)).find((i) => i.name === name);
  /** On the integration's User Auto-Sync page: turn it on; the first sync runs and is listed as succeeded. */
  const turnOnUserSync = async (integrationId: string) => {
    await page.goto(`${base}/settings/user-sync/${integrationId}`);
    // The switch shows the saved state: it turns on once the API has answered, and the first sync is then queued.
    const toggle = page.getByRole('switch', { name: 'User Auto-Sync' });
    await toggle.click();
    await until('User Auto-Sync to be saved on', async () => ((await toggle.isChecked()) ? true : undefined), undefined, 15_000);
    const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).executeTakeFirstOrThrow();
    const run = await waitForRun(ctx.engine, tenantId, first.id, 60_000);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    await page.reload();
    await page.locator('[data-testid="run-row"][data-status="succeeded"]').first().waitFor();
    return run;
  };

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    ensureConsoleBuilt({ quiet: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    eh = await startEmploymentHeroSandbox({ employees: 30, seed: 21, oauthClients: [{ ...EH_APP, redirectUris: [`${base}/api/v1/oauth/callback/employmenthero`] }] });
    deel = await startDeelSandbox({ employees: 30, seed: 21, oauthClients: [{ ...DEEL_APP, redirectUris: [`${base}/api/v1/oauth/callback/deel`] }] });
    // One seed: the sandboxes tell one story (the same person has the same work e-mail and employee number in each).
    entra = await startEntraSandbox({ employees: 30, seed: 21 });
    google = await startGoogleSandbox({ employees: 30, seed: 21 });
    // ReFresh's own OAuth apps for the two OAuth providers (what EMPLOYMENTHERO_OAUTH_CLIENT_ID… configure).
    ctx = await createContext({ ...testConfig(), port, publicUrl: base, oauthClients: { employmenthero: EH_APP, deel: DEEL_APP } }, createLogger('silent'), {
      store: await openTestStore('sqlite'),
      worker: { pollMs: 50, schedule: false },
      httpPolicy: FAST_HTTP,
    });
    ctx.worker.start();
    await createAdminUser(ctx.store.db, { tenantId, email: EMAIL, password: PASSWORD });
    app = await buildServer(ctx);
    await app.listen({ port, host: '127.0.0.1' });
    ({ context, page, userDataDir } = await launchConsoleBrowser(pageErrors));
    await signIn(page, base, EMAIL, PASSWORD);
  });

  after(async () => {
    await context?.close();
    await app?.close();
    await ctx?.close();
    await eh?.close();
    await deel?.close();
    await entra?.close();
    await google?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('lists every provider of GET /providers in the catalogue, with its ways to connect', async () => {
    await page.goto(`${base}/settings/integrations`);
    for (const d of Object.values(DESCRIPTORS)) {
      const item = page.getByTestId('catalogue-item').filter({ has: page.getByRole('heading', { name: d.name, exact: true }) });
      await item.getByText(d.blurb).waitFor();
      await item.getByText(`Connects with: ${d.auth.map((m) => m.label).join(' or ')}`).waitFor();
      await item.getByRole('link', { name: `Connect ${d.name}` }).waitFor();
    }
    assert.equal(await page.getByText('Coming soon').count(), 0);
  });

  it('connects Employment Hero by signing in at its authorization server, and syncs the roster', async () => {
    await page.goto(`${base}/settings/integrations`);
    await page.getByRole('link', { name: 'Connect Employment Hero' }).click();
    await page.getByRole('heading', { name: 'Connect Employment Hero' }).waitFor();
    // The settings form from the descriptor: its organisations setting, with its label and help.
    await page.getByLabel('Organisations').waitFor();
    await page.getByText('Which Employment Hero organisations to sync').waitFor();
    assert.equal(await page.getByLabel('Sign in with Employment Hero (OAuth 2.0)').isChecked(), true, 'the first auth method is offered first');
    await page.locator('summary', { hasText: 'Advanced' }).click();
    await page.getByLabel('API address').fill(eh.url);
    await page.getByLabel('Authorization server').fill(eh.url);
    const codesBefore = eh.oauth.stats.codesIssued;
    await page.getByRole('button', { name: 'Continue to Employment Hero' }).click();
    // Sent to the sandbox's authorize endpoint (PKCE S256), which approves and sends the browser back.
    await page.waitForURL(new RegExp(`^${base}/settings/integrations/[\\w-]+\\?connected=1$`));
    await page.getByText('Employment Hero is connected', { exact: true }).waitFor();
    assert.equal(eh.oauth.stats.codesIssued, codesBefore + 1);
    const integration = (await integrationNamed('Employment Hero'))!;
    assert.equal(integration.connection.status, 'connected');
    assert.equal((await readCredentials(ctx.store.db, ctx.vault, tenantId, integration.id))?.['authType'], 'oauth');
    // The integration page's texts name the provider from its descriptor.
    await page.getByText('Is Employment Hero having trouble?').waitFor();

    const run = await turnOnUserSync(integration.id);
    const people = eh.roster.list();
    assert.equal(run.counts.fetched, new Set(people.map((e) => e.company_email?.toLowerCase() ?? e.id)).size);
    const working = people.filter((e) => e.company_email && e.status === 'active' && (!e.termination_date || e.termination_date > today)).map((e) => e.company_email!.toLowerCase());
    const synced = await linkedEmails(integration.id);
    assert.ok(working.length > 0);
    assert.deepEqual(working.filter((e) => !synced.has(e)), [], 'every working person is an employee');
  });

  it('connects Deel by OAuth in the browser, syncs, then reconnects it by importing a grant made elsewhere', async () => {
    await page.goto(`${base}/settings/integrations`);
    await page.getByRole('link', { name: 'Connect Deel' }).click();
    await page.getByRole('heading', { name: 'Connect Deel' }).waitFor();
    // Deel's first method is its organization token: the form asks for it, by its own label.
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Enter the organization token.').waitFor();
    await page.getByLabel('Sign in with Deel (OAuth 2.0)').check();
    await page.locator('summary', { hasText: 'Advanced' }).click();
    await page.getByLabel('API address').fill(deel.url);
    await page.getByLabel('Authorization server').fill(deel.url);
    await page.getByRole('button', { name: 'Continue to Deel' }).click();
    await page.waitForURL(new RegExp(`^${base}/settings/integrations/[\\w-]+\\?connected=1$`));
    await page.getByText('Deel is connected', { exact: true }).waitFor();
    const integration = (await integrationNamed('Deel'))!;
    const run = await turnOnUserSync(integration.id);
    assert.equal(run.counts.fetched, deel.roster.size);
    const working = deel.roster.list().filter((p) => p.workEmail && p.hiring_status !== 'inactive').map((p) => p.workEmail!.toLowerCase());
    const synced = await linkedEmails(integration.id);
    assert.deepEqual(working.filter((e) => !synced.has(e)), [], 'every working person is an employee');

    // A grant made outside ReFresh (e.g. by a script), imported on the same integration.
    const { refreshToken } = deel.oauth.issueGrant(DEEL_APP.clientId);
    const refreshes = deel.oauth.stats.refreshes;
    await page.goto(`${base}/settings/integrations/${integration.id}`);
    await page.getByLabel('Import an existing grant (client ID, client secret and refresh token)').check();
    await page.getByLabel('Client ID', { exact: true }).fill(DEEL_APP.clientId);
    await page.getByLabel('Client secret', { exact: true }).fill(DEEL_APP.clientSecret);
    await page.getByLabel('Refresh token', { exact: true }).fill(refreshToken);
    await page.getByRole('button', { name: 'Replace credentials' }).click();
    await page.getByText('Deel is connected again.').waitFor();
    assert.equal(deel.oauth.stats.refreshes, refreshes + 1, 'the imported refresh token was redeemed, once');
    const again = await waitForRun(ctx.engine, tenantId, (await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integration.id).orderBy('created_at', 'desc').executeTakeFirstOrThrow()).id, 60_000);
    assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
    assert.equal(deel.oauth.stats.reuses, 0);
  });

  it('connects Microsoft Entra ID with an app registration (client credentials) and syncs', async () => {
    await page.goto(`${base}/settings/integrations`);
    await page.getByRole('link', { name: 'Connect Microsoft Entra ID' }).click();
    await page.getByRole('heading', { name: 'Connect Microsoft Entra ID' }).waitFor();
    assert.equal(await page.getByRole('radio').count(), 0, 'one way to connect: no choice to make');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Enter the tenant ID.').waitFor();
    await page.getByText('Enter the application (client) ID.').waitFor();
    await page.getByLabel('Tenant ID').fill(entra.tenantId);
    await page.getByLabel('Application (client) ID').fill(entra.app.clientId);
    await page.getByLabel('Client secret').fill('not-the-secret');
    await page.locator('summary', { hasText: 'Advanced' }).click();
    await page.getByLabel('API address').fill(entra.url);
    await page.getByLabel('Authorization server').fill(entra.url);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    // Tried first and refused: the form keeps its inputs and says so; nothing is saved.
    await page.getByRole('alert').filter({ hasText: /Nothing was saved/ }).first().waitFor();
    assert.equal(await integrationNamed('Microsoft Entra ID'), undefined);
    await page.getByLabel('Client secret').fill(entra.app.clientSecret);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(/\/settings\/user-sync\/[\w-]+\?connected=1$/);
    const integration = (await integrationNamed('Microsoft Entra ID'))!;
    assert.equal(integration.connection.status, 'connected');
    const run = await turnOnUserSync(integration.id);
    assert.ok(run.counts.fetched > 0);
    assert.ok((await linkedEmails(integration.id)).size > 0, 'Entra accounts are linked to employees');
  });

  it('connects Google Workspace with a service account, its key filled from the JSON key file, and syncs', async () => {
    await page.goto(`${base}/settings/integrations`);
    await page.getByRole('link', { name: 'Connect Google Workspace' }).click();
    await page.getByRole('heading', { name: 'Connect Google Workspace' }).waitFor();
    assert.equal(await page.getByLabel('Service account with domain-wide delegation').isChecked(), true);
    // This server has no Google OAuth app of its own: signing in needs the organization's app, asked for up front.
    await page.getByLabel('Sign in with Google (OAuth 2.0)').check();
    await page.getByText('ReFresh has no Google Workspace app configured here').waitFor();
    await page.getByRole('button', { name: 'Continue to Google Workspace' }).click();
    await page.getByText('Enter the OAuth app’s client ID.').waitFor();
    assert.equal(await integrationNamed('Google Workspace'), undefined, 'nothing saved');
    await page.getByLabel('Service account with domain-wide delegation').check();
    // The key file as Google's console downloads it; it is read in the browser and fills the two fields it holds.
    await page.getByLabel('JSON key file').setInputFiles({ name: 'not-json.json', mimeType: 'application/json', buffer: Buffer.from('not json') });
    await page.getByText('This is not a JSON key file').waitFor();
    const sa = google.serviceAccount;
    const keyFile = { type: 'service_account', project_id: 'acme-sync', private_key_id: sa.privateKeyId, private_key: sa.privateKey, client_email: sa.clientEmail, client_id: sa.clientId };
    await page.getByLabel('JSON key file').setInputFiles({ name: 'acme-sync.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(keyFile)) });
    await until('the key file to fill the service account e-mail', async () => ((await page.getByLabel('Service account e-mail').inputValue()) === sa.clientEmail ? true : undefined), undefined, 10_000);
    assert.equal(await page.getByLabel('Private key').inputValue(), sa.privateKey);
    await page.getByLabel('Admin to act as').fill(google.adminEmail);
    await page.locator('summary', { hasText: 'Advanced' }).click();
    await page.getByLabel('API address').fill(google.url);
    await page.getByLabel('Authorization server').fill(google.url);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(/\/settings\/user-sync\/[\w-]+\?connected=1$/);
    const integration = (await integrationNamed('Google Workspace'))!;
    assert.equal(integration.connection.status, 'connected');
    const run = await turnOnUserSync(integration.id);
    assert.ok(run.counts.fetched > 0);
  });

  it("an employee's page names their sources by the providers' names, never their ids", async () => {
    const eh = (await integrationNamed('Employment Hero'))!;
    const link = await ctx.store.db.selectFrom('employee_links').select('employee_id').where('integration_id', '=', eh.id).executeTakeFirstOrThrow();
    await page.goto(`${base}/settings/employees/${link.employee_id}`);
    await page.getByText(/^Employment Hero id/).first().waitFor();
    const text = await page.locator('body').innerText();
    for (const d of Object.values(DESCRIPTORS)) assert.doesNotMatch(text, new RegExp(`\\b${d.id}\\b`), `no raw provider id (${d.id}) on the page`);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the console');
  });
});
