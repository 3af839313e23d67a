/**
 * The admin console in a real browser: Debian's Chromium (/usr/bin/chromium) driven by
 * playwright-core against the real server with a sandbox BambooHR over HTTP. Nothing downloads a
 * browser: without Chromium these tests fail under CI=true and are skipped otherwise.
 * Screenshots of every page go to test-artifacts/screenshots/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const EMAIL = 'admin@example.com';
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
    userDataDir = mkdtempSync(path.join(tmpdir(), 'refresh-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 860 },
    });
    context.setDefaultTimeout(15_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // Console errors other than expected HTTP failures (a 401 before sign-in, the 409 refusal), e.g. CSP violations.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
    });
  });

  after(async () => {
    await context?.close();
    await app?.close();
    await h?.close();
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

  it('shows the BambooHR integration connected, with priority and the provider catalogue', async () => {
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    const item = page.getByTestId('integration').filter({ hasText: 'BambooHR' });
    await item.getByText('Connected', { exact: true }).waitFor();
    await item.getByText(/Priority 1/).waitFor();
    for (const soon of ['HiBob', 'Employment Hero', 'Deel', 'Google Workspace', 'Microsoft Entra ID']) {
      await page.locator('.catalogue-item').filter({ hasText: soon }).getByText('Coming soon').waitFor();
    }
    await screenshot('integrations');
    await page.getByRole('link', { name: 'Connect BambooHR' }).click();
    await page.getByRole('heading', { name: 'Connect BambooHR' }).waitFor();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Enter your company domain').waitFor();
    await page.getByText('Enter the API key').waitFor();
    await screenshot('connect-bamboohr');
    await nav('Integrations').click();
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

  it('refuses an edit of a locked field with the API message, and changes a role (when the employee edit API exists)', async (t) => {
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    if (!doc.paths['/api/v1/employees/{id}']?.patch) return t.skip('PATCH /employees/{id} is not in this build');
    await page.getByRole('button', { name: 'Edit Job title' }).click();
    await page.getByText('ReFresh refuses changes to it').waitFor();
    await page.getByRole('textbox', { name: 'Job title' }).fill('Chief Everything Officer');
    await page.locator('[data-field="jobTitle"]').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: /managed by BambooHR/i }).waitFor();
    await screenshot('employee-locked-refusal');
    await page.locator('[data-field="jobTitle"]').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('combobox', { name: 'Role' }).selectOption('compliance_manager');
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByText('Role changed to Compliance Manager.').waitFor();
    await page.getByText(/· Compliance Manager ·/).waitFor();
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
    assert.equal(await page.getByTestId('change-list').locator('.change').count(), victims.length);
    await screenshot('run-blocked');
    await page.getByRole('button', { name: 'Approve and apply' }).click();
    const dialog = page.getByRole('dialog', { name: 'Apply this run?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Approve and apply' }).click();
    await page.getByRole('heading', { level: 1 }).getByText('Succeeded').waitFor({ timeout: 30_000 });
    await screenshot('run-approved');
    const inactive = await h.ctx.store.db.selectFrom('employees').select('id').where('status', '=', 'inactive').execute();
    assert.ok(inactive.length >= victims.length, 'the approved deactivations were applied');
  });

  it('opens Groups and Group Sync (lists, or placeholders until their API lands)', async () => {
    await nav('Groups').click();
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
    await screenshot('groups');
    await nav('Group Sync').click();
    await page.getByRole('heading', { name: 'Group Sync', level: 1 }).waitFor();
    await screenshot('group-sync');
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
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.waitForURL(/\/login/);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the console');
  });
});
