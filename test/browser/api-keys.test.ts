/**
 * The console's API keys page in Debian's Chromium (playwright-core, nothing downloaded): list with
 * last use, create (shown once), revoke after confirming. Skipped without Chromium unless CI=true.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

describe('API keys page in Chromium', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let h: Harness;
  let app: FastifyInstance;
  let base: string;
  let key: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];

  before(async () => {
    ensureConsoleBuilt({ quiet: true });
    h = await openHarness('sqlite', { employees: 3, seed: 4, enable: false });
    await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: 'admin@example.com', password: 'api keys page password' });
    ({ app, base, key } = await serveApi(h));
    await fetch(`${base}/api/v1/integrations`, { headers: { authorization: `Bearer ${key}` } });
    userDataDir = mkdtempSync(path.join(tmpdir(), 'refresh-chromium-keys-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context.setDefaultTimeout(15_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
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

  it('lists the keys with their last use, creates one shown once, and revokes it after confirming', async () => {
    await page.goto(`${base}/login?next=/settings/api-keys`);
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill('api keys page password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'API keys' }).getAttribute('aria-current'), 'page');
    const harnessRow = page.getByTestId('api-key-row').filter({ hasText: 'test' });
    await harnessRow.waitFor();
    assert.doesNotMatch(await harnessRow.innerText(), /Never/, 'the key used above shows its last use');

    await page.getByLabel('Name').fill('nightly export');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = await page.getByTestId('new-api-key').innerText();
    assert.match(shown, /^rfk_/);
    assert.equal((await fetch(`${base}/api/v1/integrations`, { headers: { authorization: `Bearer ${shown}` } })).status, 200);

    const row = page.getByTestId('api-key-row').filter({ hasText: 'nightly export' });
    await row.getByRole('button', { name: 'Revoke nightly export' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('Revoked "nightly export"').waitFor();
    await row.waitFor({ state: 'detached' });
    assert.equal((await fetch(`${base}/api/v1/integrations`, { headers: { authorization: `Bearer ${shown}` } })).status, 401);
    assert.deepEqual(pageErrors, []);
  });
});
