/**
 * The admin console in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core against the real server with a sandbox BambooHR over HTTP. Nothing downloads a
 * browser: without Chromium these tests fail under CI=true and are skipped otherwise.
 * Screenshots of every page go to test-artifacts/screenshots/console/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchConsoleBrowser } from '../helpers/chromium.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';
import { listIntegrations, readCredentials } from '../../src/store/integrations.ts';
import { startHibobSandbox, DEFAULT_SERVICE_USER, type HibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';
import type { Config } from '../../src/config.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import { previewScope, type ScopePreview } from '../../src/app/scope-preview.ts';

// Its own folder: the browser files run two at a time, and the others write beside it.
const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', 'console');
const EMAIL = 'admin@example.com';
const OAUTH_CLIENT = { clientId: 'console-test-client', clientSecret: 'console-test-secret' };
const PASSWORD = 'console-test-password';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI !== 'true') console.log(`SKIPPED browser tests: ${CHROMIUM} is not installed (apt-get install chromium).`);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('admin console in Chromium', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let h: Harness;
  let hibob: HibobSandbox;
  let app: FastifyInstance;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];
  let shot = 0;

  const screenshot = async (name: string) => {
    shot += 1;
    await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const nav = (label: string) => page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: label, exact: true });

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    ensureConsoleBuilt({ quiet: true });
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    h = await openHarness('sqlite', { employees: 40, seed: 11 });
    await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: EMAIL, password: PASSWORD });
    app = await buildServer(h.ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    // OAuth against the BambooHR sandbox: the redirect URI needs the real port, known only now.
    Object.assign(h.ctx.config as Config & Record<string, unknown>, { publicUrl: base, oauthClients: { bamboohr: OAUTH_CLIENT } });
    h.sandbox.oauth.clients.set(OAUTH_CLIENT.clientId, { ...OAUTH_CLIENT, redirectUris: [`${base}/api/v1/oauth/callback/bamboohr`] });
    hibob = await startHibobSandbox({ employees: 6, seed: 5 });
    ({ context, page, userDataDir } = await launchConsoleBrowser(pageErrors));
  });

  after(async () => {
    await context?.close();
    await app?.close();
    await h?.close();
    await hibob?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('signs in at /login, showing the API message on a wrong password', async () => {
    await page.goto(`${base}/settings/integrations`);
    await page.waitForURL(/\/login\?next=/);
    await page.getByRole('heading', { name: 'Sign in to Settings' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter your email.').waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' }).waitFor();
    await screenshot('login-error');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/settings/integrations`);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === 'refresh_session');
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
  });

  it('shows the BambooHR integration connected, with priority and the provider catalogue from the descriptors', async () => {
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    const item = page.getByTestId('integration').filter({ hasText: 'BambooHR' });
    await item.getByText('Connected', { exact: true }).waitFor();
    await item.getByText(/Priority 1/).waitFor();
    // Every provider with a descriptor can be connected: none is "coming soon".
    for (const p of Object.values(DESCRIPTORS)) await page.getByRole('link', { name: `Connect ${p.name}` }).waitFor();
    assert.equal(await page.getByText('Coming soon').count(), 0);
    await page.getByRole('link', { name: 'Connect HiBob' }).waitFor();
    await screenshot('integrations');
    await page.getByRole('link', { name: 'Connect BambooHR' }).click();
    await page.getByRole('heading', { name: 'Connect BambooHR' }).waitFor();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Enter the API key.').waitFor();
    await screenshot('connect-bamboohr');
    await nav('Integrations').click();
  });

  it('connects HiBob with a service user, and moves it up and down in priority', async () => {
    await page.getByRole('link', { name: 'Connect HiBob' }).click();
    await page.getByRole('heading', { name: 'Connect HiBob' }).waitFor();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Enter the service user ID').waitFor();
    await page.getByLabel('Service user ID').fill(DEFAULT_SERVICE_USER.serviceUserId);
    await page.getByLabel('Token').fill('not-the-token');
    await page.locator('details.advanced summary').click();
    await page.getByLabel('API address').fill(hibob.url);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    // A wrong token is tried first and refused by HiBob: the form says why and nothing is saved.
    await page.getByRole('alert').filter({ hasText: /HiBob.*Nothing was saved/ }).first().waitFor();
    await screenshot('connect-hibob-refused');
    assert.equal((await listIntegrations(h.ctx.store.db, h.tenantId)).filter((i) => i.provider === 'hibob').length, 0, 'a refused connect stores nothing');
    // Fixed on the same form: one integration, connected.
    await page.getByLabel('Token').fill(DEFAULT_SERVICE_USER.token);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(/\/settings\/user-sync\/[\w-]+\?connected=1$/);
    const hibobs = (await listIntegrations(h.ctx.store.db, h.tenantId)).filter((i) => i.provider === 'hibob');
    assert.deepEqual(hibobs.map((i) => i.connection.status), ['connected'], 'one HiBob integration, not one per attempt');
    const hibobId = hibobs[0]!.id;
    await page.goto(`${base}/settings/integrations/${hibobId}`);
    await page.getByTestId('connection-status').getByText('Connected', { exact: true }).waitFor();
    await screenshot('integration-hibob');

    await nav('Integrations').click();
    const bamboo = page.getByTestId('integration').filter({ hasText: 'BambooHR' });
    const hb = page.getByTestId('integration').filter({ has: page.getByRole('link', { name: 'HiBob', exact: true }) });
    await hb.getByTestId('priority').getByText('Priority 2').waitFor();
    await page.getByRole('button', { name: 'Move HiBob up' }).click();
    await hb.getByTestId('priority').getByText('Priority 1').waitFor();
    await bamboo.getByTestId('priority').getByText('Priority 2').waitFor();
    assert.equal(await page.getByTestId('integration').first().getByRole('link', { name: 'HiBob', exact: true }).count(), 1, 'HiBob is listed first');
    await screenshot('integrations-priority');
    await page.getByRole('button', { name: 'Move HiBob down' }).click();
    await bamboo.getByTestId('priority').getByText('Priority 1').waitFor();
    const ranks = (await listIntegrations(h.ctx.store.db, h.tenantId)).map((i) => [i.id, i.priority]);
    assert.deepEqual(ranks, [[h.integration.id, 1], [hibobId, 2]], 'ranks stay a permutation, BambooHR first again');
  });

  it('opens User Auto-Sync, clicks Sync now and sees the run finish', async () => {
    await page.getByTestId('integration').filter({ hasText: 'BambooHR' }).getByRole('link', { name: 'User Auto-Sync' }).click();
    await page.waitForURL(/\/settings\/user-sync\/[\w-]+$/);
    await page.getByTestId('health').getByText('Healthy').waitFor();
    assert.equal(await page.getByLabel('User Auto-Sync').isChecked(), true);
    await page.getByLabel('Sync every').selectOption('1h');
    await page.getByText('Syncs every hour.').waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByTestId('sync-finished').filter({ hasText: 'Sync finished' }).waitFor();
    assert.ok((await page.getByTestId('run-row').count()) >= 2, 'run history lists the runs');
    await screenshot('user-sync');
  });

  it('previews an edited scope before saving: in/out counts, a warning about deactivations, samples, and the API message on 400', async () => {
    // The most common department among the synced people: a scope of only that department keeps them and drops the rest.
    const roster = h.sandbox.roster.list();
    const byDept = new Map<string, number>();
    for (const p of roster) if (p.department) byDept.set(p.department, (byDept.get(p.department) ?? 0) + 1);
    const [dept, rosterCount] = [...byDept].sort((a, b) => b[1] - a[1])[0]!;
    assert.ok(rosterCount < roster.length, 'some people are in other departments');

    const editor = page.getByRole('form', { name: 'Sync scope' });
    await editor.getByRole('button', { name: 'Add rule group' }).click();
    assert.equal(await editor.getByLabel('Field', { exact: true }).inputValue(), 'department');
    // Client-side check first: no values, no request.
    await editor.getByRole('button', { name: 'Preview', exact: true }).click();
    await editor.getByText('Enter at least one value, separated by commas.').waitFor();
    await editor.getByLabel('Values (comma-separated)').fill(dept);

    const responded = page.waitForResponse((r) => r.url().endsWith('/user-sync/preview') && r.request().method() === 'POST');
    await editor.getByRole('button', { name: 'Preview', exact: true }).click();
    const response = await responded;
    assert.equal(response.status(), 200);
    const sent = response.request().postDataJSON() as unknown;
    assert.deepEqual(sent, { scope: { groups: [{ conditions: [{ field: 'department', operator: 'in', values: [dept] }] }] }, outOfScopeAction: 'deactivate' });
    const api = (await response.json()) as ScopePreview;
    const result = page.getByTestId('scope-preview-result');
    await result.waitFor();
    const count = async (key: string) => Number((await result.locator(`[data-count="${key}"] dd`).innerText()).replace(/[^\d]/g, ''));
    assert.deepEqual(
      { inScope: await count('inScope'), outOfScope: await count('outOfScope'), wouldDeactivate: await count('wouldDeactivate'), wouldAdd: await count('wouldAdd') },
      { inScope: api.inScope, outOfScope: api.outOfScope, wouldDeactivate: api.wouldDeactivate, wouldAdd: api.wouldAdd },
      'the page shows the numbers the API returned',
    );
    // …which are the sandbox roster's: everyone synced, those in the department in scope.
    assert.equal(api.total, roster.length);
    assert.equal(api.inScope, rosterCount);
    assert.equal(api.outOfScope, roster.length - rosterCount);
    assert.deepEqual(api, await previewScope(h.ctx, h.tenantId, h.integration.id, sent), 'the same body answers the same');
    await result.getByTestId('scope-preview-basis').getByText(`${roster.length} people`, { exact: false }).waitFor();
    await result.getByText('last fetched data', { exact: false }).waitFor();
    assert.ok(api.wouldDeactivate > 0, 'dropping the other departments would deactivate synced people');
    await result.getByTestId('scope-preview-warning').getByText(`Saving this scope would deactivate ${api.wouldDeactivate} people at the next sync; the safeguard may hold the run.`).waitFor();
    await result.getByRole('list', { name: 'In scope by rule' }).getByText(String(api.inScope)).waitFor();
    // Short lists: the first 10 of each sample, the rest of the sample (up to 50) on request.
    const inList = page.getByTestId('scope-preview-in');
    const outList = page.getByTestId('scope-preview-out');
    assert.equal(await inList.getByTestId('preview-person').count(), Math.min(api.inScope, 10));
    assert.equal(await outList.getByTestId('preview-person').count(), Math.min(api.outOfScope, 10));
    assert.ok(api.outOfScope > 10, 'enough people out of scope to page the list');
    await outList.getByRole('button', { name: /^Show (all|the first) \d+ out of scope$/ }).click();
    assert.equal(await outList.getByTestId('preview-person').count(), Math.min(api.outOfScope, 50));
    await outList.getByRole('button', { name: 'Show fewer' }).click();
    await inList.getByTestId('preview-person').filter({ hasText: api.sampleIn[0]!.email! }).waitFor();
    const out = api.sampleOut[0]!;
    await page.getByTestId('scope-preview-out').getByTestId('preview-person').filter({ hasText: out.name! }).getByText(out.reason).waitFor();
    await screenshot('user-sync-scope-preview');

    // Leaving out-of-scope people alone deactivates nobody; the old preview is marked as out of date until refreshed.
    await editor.getByLabel('Leave them as they are').check();
    assert.equal(await result.getAttribute('data-stale'), 'true');
    await editor.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.locator('[data-testid="scope-preview-result"][data-stale="false"]').waitFor();
    assert.equal(await count('wouldDeactivate'), 0);
    assert.equal(await page.getByTestId('scope-preview-warning').count(), 0);

    // A 400 from the API is shown as the API's message, next to the condition it names.
    await page.route('**/user-sync/preview', (route) =>
      route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { code: 'invalid_request', message: 'scope.groups.0.conditions.0.values: not a department we know', details: { field: 'scope.groups.0.conditions.0.values' } } }) }),
    );
    await editor.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByTestId('scope-preview-error').getByText('not a department we know', { exact: false }).waitFor();
    await editor.locator('.field-error').filter({ hasText: 'not a department we know' }).waitFor();
    await page.unroute('**/user-sync/preview');

    // At phone width the preview fits without sideways scrolling.
    await editor.getByLabel('Deactivate them in ReFresh').check();
    await editor.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByTestId('scope-preview-warning').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(Number(overflow) <= 1, `no horizontal page scroll with the preview at 390px (overflow ${String(overflow)}px)`);
    await screenshot('user-sync-scope-preview-phone');
    await page.setViewportSize({ width: 1280, height: 860 });

    // Nothing was saved: the integration still syncs everyone.
    const saved = (await listIntegrations(h.ctx.store.db, h.tenantId)).find((i) => i.id === h.integration.id)!;
    assert.deepEqual(saved.userSync.scope.groups, [], 'previewing does not save the scope');
    await page.reload();
    await page.getByTestId('health').waitFor();
  });

  it('syncs a new hire and finds them in Employees, with locked fields managed by BambooHR', async () => {
    h.sandbox.roster.add({ firstName: 'Zelda', lastName: 'Newhire', workEmail: 'zelda.newhire@acme.example', jobTitle: 'Site Reliability Engineer', department: 'Engineering' });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByTestId('sync-finished').filter({ hasText: '1 created' }).waitFor();
    await page.getByTestId('sync-finished').getByRole('link', { name: 'See every change' }).click();
    await page.getByTestId('change-list').getByText('Zelda Newhire').waitFor();
    await screenshot('run-changes');

    await nav('Employees').click();
    await page.getByRole('heading', { name: 'Employees', level: 1 }).waitFor();
    await page.getByTestId('employee-row').first().waitFor();
    await screenshot('employees');
    await page.getByLabel('Search').fill('newhire');
    await page.waitForURL(/[?&]q=newhire/);
    await until(async () => (await page.getByTestId('employee-row').count()) === 1, 'the search narrows the list to the new hire');
    const row = page.getByTestId('employee-row').filter({ hasText: 'Zelda Newhire' });
    await row.getByRole('link', { name: 'Zelda Newhire' }).click();
    await page.getByRole('heading', { name: 'Zelda Newhire', level: 1 }).waitFor();
    const title = page.locator('[data-field="jobTitle"]');
    await title.getByText('Site Reliability Engineer').waitFor();
    await title.getByText('Managed by BambooHR').waitFor();
    assert.equal(await title.locator('svg.lock-icon').count(), 1, 'lock icon on a synced field');
    await page.getByTestId('diagnostics').getByText(/in scope/).first().waitFor();
    await screenshot('employee');
  });

  it('shows a locked field with the source that manages it and no Edit control, changes a role, and shows both in the history', async () => {
    const jobTitle = page.locator('[data-field="jobTitle"]');
    await jobTitle.getByText('Managed by BambooHR — change it there').waitFor();
    assert.equal(await jobTitle.getByRole('button', { name: /Edit/ }).count(), 0, 'a field BambooHR manages has no Edit control');
    await screenshot('employee-locked');
    await page.getByRole('combobox', { name: 'Role' }).selectOption('compliance_manager');
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByText('Role changed to Compliance Manager.').waitFor();
    await page.getByText(/· Compliance Manager ·/).waitFor();
    const history = page.getByTestId('history');
    await history.getByTestId('history-entry').filter({ hasText: 'by an admin' }).filter({ hasText: 'Compliance Manager' }).waitFor();
    const synced = history.locator('[data-actor="run"]').filter({ hasText: 'sync from BambooHR' });
    await synced.filter({ hasText: 'Created' }).waitFor();
    await synced.filter({ hasText: 'Site Reliability Engineer' }).first().waitFor();
    await screenshot('employee-history');
  });

  it('holds a sync that would deactivate too many people, and applies it on approval', async () => {
    const active = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.terminationDate === null);
    const victims = active.slice(0, Math.ceil(active.length * 0.3));
    for (const p of victims) h.sandbox.roster.terminate(p.id, '2024-01-31');
    await nav('User Auto-Sync').click();
    await page.getByRole('link', { name: 'Open User Auto-Sync for BambooHR' }).click();
    await page.getByRole('button', { name: 'Sync now' }).click();
    const finished = page.getByTestId('sync-finished').filter({ hasText: 'Sync blocked' });
    await finished.waitFor();
    await page.getByTestId('health').getByText('Blocked by safeguard').waitFor();
    await screenshot('user-sync-blocked');
    await finished.getByRole('link', { name: 'Review the blocked run' }).click();
    await page.getByText('Held by the safeguard — nothing has been applied').waitFor();
    await page.getByRole('button', { name: 'Deactivated' }).click();
    // The filtered list loads after the click: wait for it rather than count a spinner.
    const listed = page.getByTestId('change-list').locator('.change[data-kind="deactivated"]');
    await until(async () => (await listed.count()) === victims.length, `the ${victims.length} staged deactivations are listed`);
    assert.equal(await page.getByTestId('change-list').locator('.change').count(), victims.length);
    await screenshot('run-blocked');
    await page.getByRole('button', { name: 'Approve and apply' }).click();
    const dialog = page.getByRole('dialog', { name: 'Apply this run?' });
    await dialog.waitFor();
    // A held run has applied nothing: the dialog states what approving will do, not a zero.
    await dialog.getByText(`${victims.length} people will be deactivated`).waitFor();
    await dialog.getByRole('button', { name: 'Approve and apply' }).click();
    await page.getByRole('heading', { level: 1 }).getByText('Succeeded').waitFor({ timeout: 30_000 });
    await screenshot('run-approved');
    const inactive = await h.ctx.store.db.selectFrom('employees').select('id').where('status', '=', 'inactive').execute();
    assert.ok(inactive.length >= victims.length, 'the approved deactivations were applied');
  });

  it('adds an employee and imports a CSV, reporting the failed row by line number', async () => {
    await nav('Employees').click();
    await page.getByRole('button', { name: 'Add employee' }).click();
    const form = page.getByRole('form', { name: 'Add employee' });
    await form.getByRole('button', { name: 'Add employee' }).click();
    await form.getByText('Enter the first name.').waitFor();
    await form.getByLabel('First name').fill('Manual');
    await form.getByLabel('Last name').fill('Person');
    await form.getByLabel('Work email').fill('zelda.newhire@acme.example');
    await form.getByRole('button', { name: 'Add employee' }).click();
    await form.getByText(/already has the email/).first().waitFor();
    await form.getByLabel('Work email').fill('manual.person@example.com');
    await form.getByRole('button', { name: 'Add employee' }).click();
    await page.getByRole('heading', { name: 'Manual Person', level: 1 }).waitFor();

    await nav('Employees').click();
    await page.getByRole('button', { name: 'Import CSV' }).click();
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByText('Choose a CSV file or paste the rows').waitFor();
    const csv = ['email,firstName,lastName,department', 'csv.one@example.com,Csv,One,Sales', 'not-an-email,Bad,Row,Sales', 'csv.two@example.com,Csv,Two,Sales'].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await until(async () => (await page.getByLabel('Or paste CSV').inputValue()).includes('csv.two'), 'the file is read into the text box');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const result = page.getByTestId('import-result');
    await result.getByText('2 to create, 1 cannot be imported.').waitFor();
    await page.getByRole('button', { name: 'Apply: 2 to create' }).click();
    await result.getByText('2 created, 1 failed.').waitFor();
    const failed = result.locator('[data-testid="import-row"][data-status="failed"]');
    assert.equal(await failed.count(), 1);
    await failed.getByText('Line 3').waitFor();
    await failed.getByText(/is not an e-mail address/).waitFor();
    assert.equal(await result.locator('[data-testid="import-row"][data-status="created"]').count(), 2);
    await screenshot('employees-import');
  });

  it('maps Group Sync attributes, refuses a cycle, previews the tree with headcounts and syncs the groups', async () => {
    await nav('Group Sync').click();
    await page.getByRole('link', { name: 'Open Group Sync for BambooHR' }).click();
    await page.getByRole('heading', { name: /Group Sync · BambooHR/ }).waitFor();
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByRole('button', { name: 'Add attribute' }).click();
    const rows = page.getByTestId('mapping-row');
    await page.getByLabel('Attribute 1', { exact: true }).selectOption('department');
    await page.getByLabel('Attribute 2', { exact: true }).selectOption('division');
    assert.equal(await rows.nth(0).getByLabel('Type label').inputValue(), 'Department', 'the type label is suggested');
    await rows.nth(0).getByLabel('Nest under').selectOption('division');
    await rows.nth(1).getByLabel('Nest under').selectOption('department');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: /is a cycle/ }).waitFor();
    await screenshot('group-sync-cycle');
    await rows.nth(1).getByLabel('Nest under').selectOption('');
    await page.getByRole('button', { name: 'Preview' }).click();
    const tree = page.getByTestId('preview-tree');
    await tree.waitFor();
    assert.ok((await tree.locator('.tree-children').count()) >= 1, 'departments nest under divisions');
    await tree.getByText('Division').first().waitFor();
    await tree.getByText(/\d+ (people|person)/).first().waitFor();
    await page.getByLabel('Group Sync', { exact: true }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Group Sync saved and on').waitFor();
    const synced = page.getByTestId('synced-groups');
    await synced.getByText('Managed by BambooHR').first().waitFor({ timeout: 20_000 });
    await screenshot('group-sync');
  });

  it('creates a manual group, re-parents it, adds and removes a manual member, and shows synced groups as locked', async () => {
    await nav('Groups').click();
    await page.getByTestId('group-tree').getByText('Managed by BambooHR').first().waitFor();
    await screenshot('groups');
    await page.getByRole('button', { name: 'New group' }).click();
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Enter a name for the group.').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Volunteers');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('heading', { name: 'Volunteers', level: 1 }).waitFor();
    await page.getByText('Group created.').waitFor();

    await page.getByLabel('Add a person').fill('newhire');
    await page.getByRole('button', { name: 'Add Zelda Newhire' }).click();
    const member = page.getByTestId('member').filter({ hasText: 'Zelda Newhire' });
    await member.getByText('Added by hand').waitFor();
    await page.getByLabel('Add a person').fill('csv.one');
    await page.getByRole('button', { name: 'Add Csv One' }).click();
    await page.getByTestId('member').filter({ hasText: 'Csv One' }).waitFor();
    await page.getByRole('button', { name: 'Remove Csv One from Volunteers' }).click();
    await page.getByText('Csv One was removed from Volunteers.').waitFor();
    // The member list reloads after the notice: wait for it rather than count the old list.
    await until(async () => (await page.getByTestId('member').count()) === 1, 'one manual member is left');

    // Re-parent under a synced group (allowed: the manual group is ours).
    await page.getByLabel('Parent group').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Volunteers saved.').waitFor();
    await page.locator('.breadcrumbs a').first().waitFor();
    await screenshot('group-manual');

    // The synced parent is locked: renaming it is refused with the API's message.
    await page.locator('.breadcrumbs a').first().click();
    await page.getByRole('status').filter({ hasText: 'Managed by BambooHR' }).first().waitFor();
    await page.getByLabel('Group name').fill('Renamed in ReFresh');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: /is managed by BambooHR; rename it there/ }).waitFor();
    await screenshot('group-locked');
  });

  it('reviews an ambiguous match and links it to an employee', async () => {
    const hibobIntegration = (await listIntegrations(h.ctx.store.db, h.tenantId)).find((i) => i.provider === 'hibob')!;
    const zelda = await h.ctx.store.db.selectFrom('employees').select('id').where('email_norm', '=', 'zelda.newhire@acme.example').executeTakeFirstOrThrow();
    const other = await h.ctx.store.db.selectFrom('employees').select('id').where('email_norm', '=', 'manual.person@example.com').executeTakeFirstOrThrow();
    await h.ctx.store.db
      .insertInto('correlation_cases')
      .values({ id: randomUUID(), tenant_id: h.tenantId, integration_id: hibobIntegration.id, external_id: 'hb-4242', display_name: 'Zelda N.', email: null, reason: 'no work email; the name matches 2 employees', candidates: JSON.stringify([zelda.id, other.id]), status: 'open', resolution: null, run_id: null, created_at: new Date().toISOString(), resolved_at: null })
      .execute();
    await nav('Employees').click();
    await page.getByRole('link', { name: 'Review matches' }).click();
    const item = page.getByTestId('correlation-case').filter({ hasText: 'Zelda N.' });
    await item.getByRole('button', { name: 'Link to Zelda Newhire' }).waitFor();
    await screenshot('correlation-cases');
    await item.getByRole('button', { name: 'Link to Zelda Newhire' }).click();
    await page.getByText('Zelda N. is linked to Zelda Newhire.').waitFor();
    await page.getByText('Nothing to review').waitFor();
  });

  it('removes HiBob after confirming; its history stays', async () => {
    const hibobIntegration = (await listIntegrations(h.ctx.store.db, h.tenantId)).find((i) => i.provider === 'hibob')!;
    await page.goto(`${base}/settings/integrations/${hibobIntegration.id}`);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove HiBob?' });
    await dialog.getByText('Its run history and audit trail are kept.').waitFor();
    await screenshot('remove-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.ok((await listIntegrations(h.ctx.store.db, h.tenantId)).some((i) => i.id === hibobIntegration.id), 'cancel keeps it');
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.getByRole('button', { name: 'Remove integration' }).click();
    await page.waitForURL(`${base}/settings/integrations`);
    await page.getByTestId('integration').first().waitFor();
    assert.equal(await page.getByTestId('integration').filter({ hasText: 'HiBob' }).count(), 0, 'no longer listed');
    assert.equal((await listIntegrations(h.ctx.store.db, h.tenantId)).some((i) => i.id === hibobIntegration.id), false);
    const history = await h.ctx.store.db.selectFrom('audit_events').select('action').where('entity_id', '=', hibobIntegration.id).execute();
    assert.ok(history.some((e) => e.action === 'integration.removed') && history.some((e) => e.action === 'integration.created'), 'its audit trail stays');
  });

  it('disconnects BambooHR after confirming, then reconnects the same integration with an API key and by OAuth', async () => {
    const id = h.integration.id;
    const { apiKey } = (await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, id))!;
    await nav('Integrations').click();
    const bamboo = page.getByTestId('integration').filter({ hasText: 'BambooHR' });
    await page.getByRole('button', { name: 'Disconnect BambooHR' }).click();
    const dialog = page.getByRole('dialog', { name: 'Disconnect BambooHR?' });
    await dialog.waitFor();
    await screenshot('disconnect-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await bamboo.getByText('Connected', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Disconnect BambooHR' }).click();
    await dialog.getByRole('button', { name: 'Disconnect' }).click();
    await bamboo.getByText('Not connected', { exact: true }).waitFor();
    await page.getByText('BambooHR is disconnected').waitFor();

    await bamboo.getByRole('link', { name: 'Reconnect BambooHR' }).click();
    await page.waitForURL(`${base}/settings/integrations/${id}`);
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await page.getByText('Enter the API key').waitFor();
    // The key's input (the way to connect is called "API key" too).
    await page.getByLabel('API key', { exact: true }).and(page.locator('input[type="password"]')).fill(apiKey!);
    await page.getByRole('button', { name: 'Reconnect' }).click();
    await page.getByText('BambooHR is connected again.').waitFor();
    await page.getByTestId('connection-status').getByText('Connected', { exact: true }).waitFor();
    const bamboos = (await listIntegrations(h.ctx.store.db, h.tenantId)).filter((i) => i.provider === 'bamboohr');
    assert.deepEqual(bamboos.map((i) => [i.id, i.connection.status]), [[id, 'connected']], 'the same integration, connected again');
    await screenshot('integration-reconnected');

    // OAuth: sent to the BambooHR sandbox, which approves and sends the browser back here.
    await page.getByLabel('Sign in with BambooHR (OAuth 2.0)').check();
    await page.getByRole('button', { name: 'Continue to BambooHR' }).click();
    await page.waitForURL(`${base}/settings/integrations/${id}?connected=1`);
    await page.getByText('BambooHR is connected', { exact: true }).waitFor();
    const creds = await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, id);
    assert.ok(creds?.accessToken, 'OAuth tokens replaced the API key');
    await screenshot('integration-oauth-connected');
  });

  it('is usable at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('Employees').click();
    await page.getByTestId('employee-row').first().waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(Number(overflow) <= 1, `no horizontal page scroll at 390px (overflow ${String(overflow)}px)`);
    await screenshot('employees-phone');
    await nav('User Auto-Sync').click();
    await page.getByRole('link', { name: 'Open User Auto-Sync for BambooHR' }).click();
    await page.getByRole('button', { name: 'Sync now' }).waitFor();
    await screenshot('user-sync-phone');
    for (const [label, testId] of [['Groups', 'group-tree'], ['Integrations', 'integration']] as const) {
      await nav(label).click();
      await page.getByTestId(testId).first().waitFor();
      const over = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.ok(Number(over) <= 1, `no horizontal page scroll on ${label} at 390px (overflow ${String(over)}px)`);
      await screenshot(`${label.toLowerCase()}-phone`);
    }
    await nav('Group Sync').click();
    await page.getByRole('link', { name: 'Open Group Sync for BambooHR' }).click();
    await page.getByTestId('mapping-row').first().waitFor();
    await screenshot('group-sync-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.waitForURL(/\/login/);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the console');
  });
});
