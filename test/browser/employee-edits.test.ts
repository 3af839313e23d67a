/**
 * Issue 9 point 6 in the console (Debian's Chromium, playwright-core): the employee page saves on
 * condition of the version it read (If-Match with the ETag's version). Two pages open the same
 * person; the first one's edit applies, the second one's (made on the older read) is refused with
 * a plain sentence, the page shows the first edit, the second admin's input stays in its form, and
 * saving it again applies it: neither edit is lost.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchConsoleBrowser } from '../helpers/chromium.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';

const EMAIL = 'admin@example.com';
const PASSWORD = 'edits-test-password';
const STALE = /Someone changed this employee after you opened it, so your change was not saved/;
const hasChromium = existsSync(CHROMIUM);

describe('two admins editing one employee in Chromium', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let h: Harness;
  let app: FastifyInstance;
  let base: string;
  let call: ApiCall;
  let context: BrowserContext;
  let first: Page;
  let second: Page;
  let userDataDir: string;
  let employeeId: string;
  const pageErrors: string[] = [];

  const open = async (page: Page) => {
    await page.goto(`${base}/settings/employees/${employeeId}`);
    await page.getByRole('heading', { name: 'Nia Okafor' }).waitFor();
  };
  const fieldValue = (page: Page, name: string) => page.locator(`[data-field="${name}"] .field-value`);
  const editField = async (page: Page, label: string, value: string) => {
    await page.getByRole('button', { name: `Edit ${label}` }).click();
    await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
  };

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    ensureConsoleBuilt({ quiet: true });
    h = await openHarness('sqlite', { employees: 3, seed: 5, enable: false });
    await createAdminUser(h.ctx.store.db, { tenantId: h.tenantId, email: EMAIL, password: PASSWORD });
    const served = await serveApi(h);
    ({ app, base } = served);
    call = apiCaller(served);
    const made = await call('POST', '/employees', { fields: { email: 'nia.okafor@acme.example', firstName: 'Nia', lastName: 'Okafor', jobTitle: 'Engineer', department: 'Platform' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    employeeId = made.body.id;
    ({ context, page: first, userDataDir } = await launchConsoleBrowser(pageErrors));
    await first.goto(`${base}/login`);
    await first.getByLabel('Email').fill(EMAIL);
    await first.getByLabel('Password').fill(PASSWORD);
    await first.getByRole('button', { name: 'Sign in' }).click();
    await first.waitForURL(`${base}/settings/user-sync`);
    second = await context.newPage();
    second.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  after(async () => {
    await context?.close();
    await app?.close();
    await h?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('the second save, made on the older read, is refused with a sentence; the page shows the first edit and saving again keeps both', async () => {
    await open(first);
    await open(second);

    // First admin changes the job title.
    await editField(first, 'Job title', 'Staff Engineer');
    await first.getByText('Job title saved.').waitFor();

    // Second admin, on the page read before, changes the role: refused, told why, shown the new title.
    await second.getByRole('combobox', { name: 'Role' }).selectOption('compliance_manager');
    await second.getByRole('button', { name: 'Save role' }).click();
    await second.getByRole('alert').filter({ hasText: STALE }).waitFor();
    await fieldValue(second, 'jobTitle').filter({ hasText: 'Staff Engineer' }).waitFor();
    let now = (await call('GET', `/employees/${employeeId}`)).body;
    assert.equal(now.role, 'member', 'the refused edit changed nothing');
    assert.equal(now.fields.jobTitle.value, 'Staff Engineer', 'the first edit is kept');
    // Their choice is still selected: saving again applies it on top of the first edit.
    assert.equal(await second.getByRole('combobox', { name: 'Role' }).inputValue(), 'compliance_manager');
    await second.getByRole('button', { name: 'Save role' }).click();
    await second.getByText('Role changed to Compliance Manager.').waitFor();
    now = (await call('GET', `/employees/${employeeId}`)).body;
    assert.equal(now.role, 'compliance_manager');
    assert.equal(now.fields.jobTitle.value, 'Staff Engineer');
  });

  it('an inline field edit on an older read is refused in place, keeps what was typed, and saves on the next try', async () => {
    // The first page still holds the version before the role change.
    await editField(first, 'Department', 'Infrastructure');
    const form = first.locator('[data-field="department"]');
    await form.getByRole('alert').filter({ hasText: STALE }).waitFor();
    assert.equal(await first.getByLabel('Department', { exact: true }).inputValue(), 'Infrastructure', 'what was typed stays in the form');
    await first.locator('.page-subtitle').filter({ hasText: 'Compliance Manager' }).waitFor();
    assert.equal((await call('GET', `/employees/${employeeId}`)).body.fields.department.value, 'Platform');
    await first.getByRole('button', { name: 'Save', exact: true }).click();
    await first.getByText('Department saved.').waitFor();
    const now = (await call('GET', `/employees/${employeeId}`)).body;
    assert.equal(now.fields.department.value, 'Infrastructure');
    assert.equal(now.role, 'compliance_manager', "the other admin's change is kept");
    assert.equal(now.fields.jobTitle.value, 'Staff Engineer');
    assert.deepEqual(pageErrors, []);
  });
});
