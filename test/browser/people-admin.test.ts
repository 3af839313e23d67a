/**
 * Issue 14, items 3–5 in Debian's Chromium (playwright-core, nothing downloaded), at 1280 and 390
 * px, each page checked for raw ids, ISO timestamps and internal names (test/helpers/admin-text.ts):
 * the Employees list (total, sort by column, filters, page size). Screenshots go to
 * test-artifacts/screenshots/people/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { CHROMIUM, openConsoleSession, WIDTHS, type ConsoleSession } from '../helpers/console-session.ts';

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', 'people');
const EMAIL = 'admin@example.com';
const PASSWORD = 'people-test-password';
const hasChromium = existsSync(CHROMIUM);

describe('people admin at 1280 and 390 px in Chromium', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let h: Harness;
  let session: ConsoleSession;
  let base: string;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    h = await openHarness('sqlite', { employees: 30, seed: 33 });
    session = await openConsoleSession(h, { shots: SHOTS, email: EMAIL, password: PASSWORD });
    ({ base, page, pageErrors } = session);
  });

  after(async () => {
    await session?.close();
    await h?.close();
  });

  for (const width of WIDTHS) {
    it(`at ${width} px, Employees shows the total, sorts by a column on the server, filters by department and role, and pages by the chosen size`, async () => {
      await session.setWidth(width);
      const everyone = await h.ctx.store.db.selectFrom('employees').select(['fields', 'role']).execute();
      const total = everyone.length;
      await page.goto(`${base}/settings/employees`);
      await session.settle();
      await page.getByTestId('employee-total').filter({ hasText: new RegExp(`^${total} people · showing 1–${Math.min(total, 50)}$`) }).waitFor();
      // Page size 25: page 1 of 2, Next shows 26–total.
      await page.getByLabel('People per page').selectOption('25');
      await page.getByTestId('employee-total').filter({ hasText: `${total} people · showing 1–25` }).waitFor();
      assert.equal(await page.getByTestId('employee-row').count(), 25);
      await page.getByRole('button', { name: 'Next →' }).click();
      await page.getByTestId('employee-total').filter({ hasText: `showing 26–${total}` }).waitFor();
      await page.getByText(`Page 2 of ${Math.ceil(total / 25)}`).waitFor();
      // Sort by department, Z to A (the select works at every width; the column header is a button too).
      await page.getByLabel('Sort by', { exact: true }).selectOption('department:desc');
      await page.getByTestId('employee-total').filter({ hasText: `${total} people · showing 1–25` }).waitFor();
      const departments = everyone.map((e) => (JSON.parse(e.fields) as Record<string, string>).department ?? '').sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? 1 : a.toLowerCase() > b.toLowerCase() ? -1 : 0));
      if (width === 1280) {
        const shown = (await page.getByTestId('employee-department').allInnerTexts()).map((t) => t.trim());
        assert.deepEqual(shown.map((d) => d.toLowerCase()), departments.slice(0, 25).map((d) => (d || '—').toLowerCase()), 'the first page holds the last departments in order');
        await page.getByRole('button', { name: /^Sort by department/ }).click();
        await page.locator('th[aria-sort="ascending"]', { hasText: 'Department' }).waitFor();
      }
      // Filters: a department and a role; the total counts the matches.
      const dept = departments[0]!;
      const inDept = everyone.filter((e) => ((JSON.parse(e.fields) as Record<string, string>).department ?? '').toLowerCase() === dept.toLowerCase()).length;
      await page.getByLabel('Department', { exact: true }).selectOption({ label: dept });
      await page.getByTestId('employee-total').filter({ hasText: `${inDept} ${inDept === 1 ? 'person' : 'people'} match` }).waitFor();
      await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Compliance Manager' });
      await page.getByText('Nobody matches').waitFor();
      await page.getByLabel('Role', { exact: true }).selectOption({ label: 'All roles' });
      await page.getByTestId('employee-total').filter({ hasText: `${inDept} ${inDept === 1 ? 'person' : 'people'} match` }).waitFor();
      await session.assertCleanText(`Employees (${width} px)`);
      await session.screenshot('employees', width);
      await page.getByLabel('Department', { exact: true }).selectOption({ label: 'All departments' });
      assert.deepEqual(pageErrors, []);
    });
  }
});
