/**
 * Issue 14, items 3–5 in Debian's Chromium (playwright-core, nothing downloaded), at 1280 and 390
 * px, each page checked for raw ids, ISO timestamps and internal names (test/helpers/admin-text.ts):
 * the Employees list (total, sort by column, filters, page size); CSV import (preview, then apply);
 * Match review's bulk decisions; the safeguard threshold per integration; an employee's locks and
 * custom configuration.
 * Screenshots go to
 * test-artifacts/screenshots/people/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
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
  let apiKey: string;

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    h = await openHarness('sqlite', { employees: 30, seed: 33 });
    session = await openConsoleSession(h, { shots: SHOTS, email: EMAIL, password: PASSWORD });
    ({ base, page, pageErrors } = session);
    apiKey = generateApiKey();
    await registerApiKey(h.ctx.store.db, h.tenantId, apiKey, 'people-admin test');
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

  for (const width of WIDTHS) {
    it(`at ${width} px, a CSV export is previewed line by line (nothing written), then applied`, async () => {
      await session.setWidth(width);
      const synced = h.sandbox.roster.list().find((p) => p.status === 'Active' && p.workEmail && p.jobTitle)!;
      const csv = [
        'Work Email,First Name,Last Name,Job Title,Department,Manager Email',
        `ana.${width}@csv.example,Ana,Import,Analyst,Finance,boss.${width}@csv.example`,
        'not-an-email,Bad,Row,,,',
        `boss.${width}@csv.example,Bo,Boss,Director,Finance,`,
        `${synced.workEmail!},,,Chief Everything,,`,
      ].join('\n');
      const before = await h.ctx.store.db.selectFrom('employees').select('id').execute();
      await page.goto(`${base}/settings/employees`);
      await session.settle();
      await page.getByRole('button', { name: 'Import CSV' }).click();
      await page.getByLabel('Or paste CSV').fill(csv);
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      const result = page.getByTestId('import-result');
      await result.getByText('Preview: nothing has changed yet').waitFor();
      await result.getByText('2 to create, 2 cannot be imported.').waitFor();
      const row = (line: number) => result.getByTestId('import-row').filter({ has: page.getByRole('cell', { name: `Line ${line}`, exact: true }) });
      await row(2).getByText('Will be created').waitFor();
      await row(2).getByText(`Manager: boss.${width}@csv.example`).waitFor();
      await row(3).getByText('“not-an-email” is not an e-mail address').waitFor();
      await row(5).getByText(new RegExp(`^Job title is managed by BambooHR \\(it has “${synced.jobTitle!}”, the file “Chief Everything”\\); change it there$`)).waitFor();
      assert.equal((await h.ctx.store.db.selectFrom('employees').select('id').execute()).length, before.length, 'the preview wrote nothing');
      await session.assertCleanText(`the CSV preview (${width} px)`);
      await session.screenshot('csv-preview', width);
      await page.getByRole('button', { name: 'Apply: 2 to create' }).click();
      await result.getByText('Import finished').waitFor();
      await result.getByText('2 created, 2 failed.').waitFor();
      await row(2).getByText('Created', { exact: true }).waitFor();
      assert.equal((await h.ctx.store.db.selectFrom('employees').select('id').execute()).length, before.length + 2);
      await session.assertCleanText(`the CSV import result (${width} px)`);
      await session.screenshot('csv-applied', width);
      await page.getByRole('button', { name: 'Close' }).click();
      assert.deepEqual(pageErrors, []);
    });
  }

  for (const width of WIDTHS) {
    it(`at ${width} px, Match review links all suggested and creates the rest as new, after confirming, and says who was left open and why`, async () => {
      await session.setWidth(width);
      const add = async (first: string, email: string, employeeNumber: string) => {
        const res = await session.app.inject({ method: 'POST', url: '/api/v1/employees', headers: { authorization: `Bearer ${apiKey}` }, payload: { fields: { email, employeeNumber, firstName: first, lastName: 'Manual' } } });
        assert.equal(res.statusCode, 201, res.body);
      };
      // One case whose e-mail names one employee and number another (suggested), one whose number two employees share (no suggestion).
      await add('Lena', `lena.${width}@bulk.example`, `A-${width}`);
      await add('Other', `other.${width}@bulk.example`, `B-${width}`);
      h.sandbox.roster.add({ firstName: 'Lena', lastName: `Case${width}`, workEmail: `lena.${width}@bulk.example`, employeeNumber: `B-${width}`, hireDate: '2024-01-01', status: 'Active' });
      await add('One', `one.${width}@bulk.example`, `N-${width}`);
      await add('Two', `two.${width}@bulk.example`, `N-${width}`);
      h.sandbox.roster.add({ firstName: 'Bo', lastName: `Case${width}`, workEmail: `bo.${width}@bulk.example`, employeeNumber: `N-${width}`, hireDate: '2024-01-01', status: 'Active' });
      await h.sync('incremental');
      await page.goto(`${base}/settings/correlation-cases`);
      await session.settle();
      await page.getByTestId('correlation-case').filter({ hasText: `Lena Case${width}` }).getByText('Suggested').waitFor();
      await page.getByRole('button', { name: 'Link all suggested (1)' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Link 1 person to their suggested employee?').waitFor();
      await session.screenshot('match-review-confirm', width);
      await dialog.getByRole('button', { name: 'Link all suggested' }).click();
      const result = page.getByTestId('bulk-result');
      await result.getByText('Linked 1 person to their suggested employee').waitFor();
      await result.getByText(`Bo Case${width} could be any of 2 employees; pick one.`).waitFor();
      await session.assertCleanText(`Match review after linking (${width} px)`);
      await session.screenshot('match-review-linked', width);
      await page.getByRole('button', { name: 'Create all as new (1)' }).click();
      await dialog.getByText('Create 1 person as new employees?').waitFor();
      await dialog.getByRole('button', { name: 'Create all as new' }).click();
      await result.getByText('Created 1 person as new employees').waitFor();
      await page.getByText('Nothing to review').waitFor();
      const created = await h.ctx.store.db.selectFrom('employees').select('id').where('email_norm', '=', `bo.${width}@bulk.example`).execute();
      assert.equal(created.length, 1);
      await session.assertCleanText(`Match review after creating (${width} px)`);
      await session.screenshot('match-review-done', width);
      assert.deepEqual(pageErrors, []);
    });
  }

  for (const width of WIDTHS) {
    it(`at ${width} px, the safeguard's percentage and minimum are edited on the integration's User Auto-Sync page, with errors in words`, async () => {
      await session.setWidth(width);
      await page.goto(`${base}/settings/user-sync/${h.integration.id}`);
      await session.settle();
      const form = page.getByRole('form', { name: 'Safeguard' });
      const percent = form.getByLabel('Hold a run above (% of active people)');
      const minimum = form.getByLabel('Only when a source has at least (people)');
      await percent.fill('150');
      await minimum.fill('2.5');
      await form.getByRole('button', { name: 'Save safeguard' }).click();
      await form.getByText('Enter a percentage from 0 to 100 (0 holds any run that deactivates someone).').waitFor();
      await form.getByText('Enter a whole number of people, 0 or more.').waitFor();
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'safeguard-percent', 'the first field at fault has the focus');
      await session.assertCleanText(`the safeguard errors (${width} px)`);
      await session.screenshot('safeguard-errors', width);
      const wanted = width === 1280 ? { percent: 15, minimum: 8 } : { percent: 7.5, minimum: 30 };
      await percent.fill(String(wanted.percent));
      await minimum.fill(String(wanted.minimum));
      await form.getByRole('button', { name: 'Save safeguard' }).click();
      await form.getByRole('status').filter({ hasText: `Saved: a run that would deactivate more than ${wanted.percent}% of the active people (once there are at least ${wanted.minimum}) waits for your approval.` }).waitFor();
      const row = await h.ctx.store.db.selectFrom('integrations').select('user_sync').where('id', '=', h.integration.id).executeTakeFirstOrThrow();
      const stored = (JSON.parse(row.user_sync) as { safeguard: { maxDeactivationPercent: number; minPopulation: number } }).safeguard;
      assert.deepEqual([stored.maxDeactivationPercent, stored.minPopulation], [wanted.percent, wanted.minimum]);
      await session.assertCleanText(`the saved safeguard (${width} px)`);
      await session.screenshot('safeguard-saved', width);
      assert.deepEqual(pageErrors, []);
    });
  }

  for (const width of WIDTHS) {
    it(`at ${width} px, an employee's HR-managed fields carry a lock naming the provider and no Edit, and custom configuration is edited as checked JSON`, async () => {
      await session.setWidth(width);
      const person = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail)[width === 1280 ? 3 : 4]!;
      const row = await h.ctx.store.db.selectFrom('employees').select('id').where('email_norm', '=', person.workEmail!.toLowerCase()).executeTakeFirstOrThrow();
      await page.goto(`${base}/settings/employees/${row.id}`);
      await session.settle();
      const jobTitle = page.locator('[data-field="jobTitle"]');
      await jobTitle.getByText('Managed by BambooHR — change it there').waitFor();
      assert.equal(await jobTitle.getByRole('button', { name: /^Edit/ }).count(), 0, 'a locked field has no Edit control');
      assert.ok((await page.getByTestId('field-lock').count()) > 1, 'every field BambooHR maps is locked');
      assert.equal(await page.locator('.field-locked').getByRole('button', { name: /^Edit / }).count(), 0);
      await page.getByRole('button', { name: 'Edit custom configuration' }).click();
      const text = page.getByLabel('Custom configuration (JSON)');
      await text.fill('["gold"]');
      await page.getByRole('form', { name: 'Custom configuration' }).getByRole('button', { name: 'Save' }).click();
      await page.getByText('Write an object in braces, such as {"badge": "gold"}: a list or a single value cannot hold named settings.').waitFor();
      await text.fill('{"badge": "gold",\n "desk": }');
      await page.getByRole('form', { name: 'Custom configuration' }).getByRole('button', { name: 'Save' }).click();
      await page.getByText(/^This is not valid JSON/).waitFor();
      await session.screenshot('custom-config-error', width);
      await text.fill('{"badge": "gold", "desk": 12}');
      await page.getByRole('form', { name: 'Custom configuration' }).getByRole('button', { name: 'Save' }).click();
      await page.getByText('Custom configuration saved.').waitFor();
      const shown = page.getByTestId('custom-config');
      await shown.getByText('gold').waitFor();
      // Taking a name out of the text removes it.
      await page.getByRole('button', { name: 'Edit custom configuration' }).click();
      await text.fill('{"desk": 14}');
      await page.getByRole('form', { name: 'Custom configuration' }).getByRole('button', { name: 'Save' }).click();
      await shown.getByText('14').waitFor();
      const stored = await h.ctx.store.db.selectFrom('employees').select('custom_config').where('id', '=', row.id).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(stored.custom_config), { desk: 14 });
      await session.assertCleanText(`the employee page (${width} px)`);
      await session.screenshot('employee-locks', width);
      assert.deepEqual(pageErrors, []);
    });
  }
});
