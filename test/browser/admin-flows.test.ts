/**
 * Issue 14's admin flows in Debian's Chromium (playwright-core, nothing downloaded), at 1280 and
 * 390 px: a sync's progress (phase, people fetched of the total, percentage, the wait after a
 * 429), "Go to Integrations" on the sync pages, the provider's status page on the integration
 * page, every section in the navigation on a phone, and on every page no raw ids, ISO timestamps
 * or internal field names in the text an admin reads (test/helpers/admin-text.ts). Screenshots
 * go to test-artifacts/screenshots/flows/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { CHROMIUM, openConsoleSession, WIDTHS, type ConsoleSession } from '../helpers/console-session.ts';
import { descriptorOf } from '../../src/providers/descriptors.ts';

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', 'flows');
const EMAIL = 'admin@example.com';
const PASSWORD = 'flows-test-password';
const SECTIONS = ['Employees', 'Match review', 'Groups', 'User Auto-Sync', 'Group Sync', 'Integrations', 'API keys'];
const hasChromium = existsSync(CHROMIUM);

describe('admin flows at 1280 and 390 px in Chromium', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let h: Harness;
  let session: ConsoleSession;
  let base: string;
  let page: Page;
  let pageErrors: string[];
  const setWidth = (width: number) => session.setWidth(width);
  const screenshot = (name: string, width: number) => session.screenshot(name, width);
  const assertCleanText = (where: string) => session.assertCleanText(where);
  const settle = () => session.settle();

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    h = await openHarness('sqlite', { employees: 40, seed: 21, pageSize: 5 });
    session = await openConsoleSession(h, { shots: SHOTS, email: EMAIL, password: PASSWORD });
    ({ base, page, pageErrors } = session);
  });

  after(async () => {
    await session?.close();
    await h?.close();
  });

  for (const width of WIDTHS) {
    it(`at ${width} px, a running sync shows its phase, people fetched of the total, a percentage and the wait after a 429`, async () => {
      await setWidth(width);
      await page.goto(`${base}/settings/user-sync/${h.integration.id}`);
      await page.getByRole('button', { name: 'Sync now' }).waitFor();
      // Throttled once (Retry-After 3 s), then slow pages: pages after the first are fetched 4 at a
      // time, so each must take long enough (1.5 s) for the console's 1 s poll to see the fetch.
      h.sandbox.faults.set({ rateLimit: { count: 1, retryAfter: 3 }, slowMs: 1500 });
      await page.getByRole('button', { name: 'Full sync' }).click();
      const progress = page.getByTestId('run-progress');
      await progress.getByTestId('run-retry').filter({ hasText: /^Retrying after 429 in [1-3] s$/ }).waitFor();
      await progress.getByRole('list', { name: 'Sync steps' }).getByText('Fetching').waitFor();
      await screenshot('sync-retrying', width);
      // Polled every second: one of the readings while fetching shows "N of total people fetched · P%".
      const readings: string[] = [];
      const wanted = new RegExp(`^\\d+ of ${h.sandbox.roster.size} people fetched · \\d+%$`);
      const end = Date.now() + 40_000;
      while (!readings.some((r) => wanted.test(r)) && Date.now() < end) {
        const counts = page.locator('[data-testid="run-progress"][data-phase="fetching"]').getByTestId('run-progress-counts');
        if ((await counts.count()) > 0) readings.push((await counts.innerText().catch(() => '')).trim());
        else readings.push(`[${(await page.getByTestId('run-progress').getAttribute('data-phase', { timeout: 200 }).catch(() => 'none')) ?? ''}] ${(await page.getByTestId('health').innerText().catch(() => '')).slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(readings.some((r) => wanted.test(r)), `fetching showed people of the total with a percentage; saw ${JSON.stringify([...new Set(readings)])}`);
      const value = Number(await progress.getByRole('progressbar').getAttribute('aria-valuenow'));
      assert.ok(value >= 0 && value <= 100, 'the bar has a percentage');
      await assertCleanText(`the running sync (${width} px)`);
      await screenshot('sync-progress', width);
      await page.getByTestId('sync-finished').filter({ hasText: 'Sync finished' }).waitFor({ timeout: 30_000 });
      h.sandbox.faults.clear();
      assert.equal(await page.getByTestId('sync-finished').filter({ hasText: '—' }).count(), 0);
      await assertCleanText(`the finished sync (${width} px)`);
    });
  }

  it('every page at 1280 and 390 px: sync pages lead to Integrations, the integration page links the status page, a phone shows every section, and no text has raw ids, ISO timestamps or internal names', async () => {
    // An open match case, so Match review has something to show and count.
    const employee = await h.ctx.store.db.selectFrom('employees').select('id').limit(2).execute();
    await h.ctx.store.db
      .insertInto('correlation_cases')
      .values({ id: randomUUID(), tenant_id: h.tenantId, integration_id: h.integration.id, external_id: 'bh-9001', display_name: 'Ambiguous Person', email: null, reason: 'no work email; the name matches 2 employees', candidates: JSON.stringify(employee.map((e) => e.id)), status: 'open', resolution: null, run_id: null, created_at: new Date().toISOString(), resolved_at: null })
      .execute();
    const lastRun = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', h.integration.id).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    const someone = employee[0]!.id;
    const statusPage = descriptorOf('bamboohr')!.statusPageUrl;
    const pages: { name: string; path: string; check?: () => Promise<void> }[] = [
      { name: 'integrations', path: '/settings/integrations' },
      {
        name: 'integration',
        path: `/settings/integrations/${h.integration.id}`,
        check: async () => assert.equal(await page.getByTestId('status-page').getByRole('link', { name: 'BambooHR status page' }).getAttribute('href'), statusPage),
      },
      { name: 'user-sync-list', path: '/settings/user-sync', check: () => page.getByRole('link', { name: 'Go to Integrations' }).waitFor() },
      { name: 'user-sync', path: `/settings/user-sync/${h.integration.id}`, check: () => page.getByRole('link', { name: 'Go to Integrations' }).waitFor() },
      { name: 'run', path: `/settings/user-sync/${h.integration.id}/runs/${lastRun.id}` },
      { name: 'employees', path: '/settings/employees' },
      { name: 'employee', path: `/settings/employees/${someone}` },
      { name: 'match-review', path: '/settings/correlation-cases', check: () => page.getByTestId('correlation-case').first().waitFor() },
      { name: 'groups', path: '/settings/groups' },
      { name: 'group-sync-list', path: '/settings/group-sync', check: () => page.getByRole('link', { name: 'Go to Integrations' }).waitFor() },
      { name: 'group-sync', path: `/settings/group-sync/${h.integration.id}`, check: () => page.getByRole('link', { name: 'Go to Integrations' }).waitFor() },
      { name: 'api-keys', path: '/settings/api-keys' },
    ];
    for (const width of WIDTHS) {
      await setWidth(width);
      for (const p of pages) {
        await page.goto(`${base}${p.path}`);
        await settle();
        await p.check?.();
        const nav = page.getByRole('navigation', { name: 'Settings' });
        for (const section of SECTIONS) {
          const link = nav.getByRole('link', { name: new RegExp(`^${section}`) });
          const box = await link.boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= width && box.y >= 0, `"${section}" is in view in the navigation at ${width} px on ${p.name}`);
        }
        await nav.getByTestId('match-review-count').filter({ hasText: /^\d+\+?$/ }).waitFor();
        const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
        assert.ok(Number(overflow) <= 1, `no sideways scrolling on ${p.name} at ${width} px (overflow ${String(overflow)}px)`);
        await assertCleanText(`${p.name} at ${width} px`);
        await screenshot(p.name, width);
      }
    }
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the console');
  });

  it('health is one natural sentence ("the last sync added 40 people"), and a failed run\'s alert names the problem in words, never its code, at 1280 and 390 px', async () => {
    const synced = /; the last sync (changed nothing|(added|updated|deactivated|reactivated) [\d,]+ (person|people)(( and|,) (updated|deactivated|reactivated) [\d,]+)*)\./;
    for (const width of WIDTHS) {
      await setWidth(width);
      await page.goto(`${base}/settings/user-sync/${h.integration.id}`);
      await settle();
      const health = await page.getByTestId('health').innerText();
      assert.match(health, synced, health);
      assert.doesNotMatch(health, /\bmade\b/, health);
    }
    // BambooHR stops answering: the run fails as provider_unavailable, which the admin reads in words.
    h.sandbox.faults.set({ outage: { count: 1000, status: 503 } });
    const failed = await h.sync('full');
    h.sandbox.faults.set({ outage: null });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'provider_unavailable');
    for (const width of WIDTHS) {
      await setWidth(width);
      await page.goto(`${base}/settings/user-sync/${h.integration.id}/runs/${failed.id}`);
      await settle();
      const alert = page.getByRole('alert').filter({ hasText: 'The provider did not answer' });
      await alert.waitFor();
      assert.doesNotMatch(await alert.innerText(), /provider_unavailable/);
      await page.getByText('The run stopped before it changed anyone.').waitFor();
      assert.equal(await page.getByText('Everyone was already up to date.').count(), 0, 'a failed run does not say everyone is up to date');
      await assertCleanText(`the failed run at ${width} px`);
      await screenshot('run-failed', width);
      await page.goto(`${base}/settings/user-sync/${h.integration.id}`);
      await settle();
      assert.match(await page.getByTestId('health').innerText(), /The last sync of BambooHR failed because BambooHR is not answering/);
      await assertCleanText(`User Auto-Sync after a failed run at ${width} px`);
    }
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the console');
  });
});
