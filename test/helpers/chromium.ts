import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium: nothing here downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium in a fresh profile, with the flags this machine needs (no background
 * networking: its closed network refuses those connections), and a page that records uncaught
 * errors and console errors other than expected HTTP failures (e.g. CSP violations).
 */
export async function launchConsoleBrowser(pageErrors: string[]): Promise<{ context: BrowserContext; page: Page; userDataDir: string }> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'refresh-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
  return { context, page, userDataDir };
}

/** Signs in to the console at /login and waits for the page it lands on (User Auto-Sync). */
export async function signIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/settings/user-sync`);
}
