/**
 * Identity-provider groups in the console (issue 12), in Debian's Chromium at 1280 and 390 px, with
 * an Entra ID integration synced from its sandbox:
 * - Group Sync: the admin picks Entra groups by pattern and previews them before saving (the picked
 *   groups nested, people and headcounts, a pattern naming no group called out), then saves "all";
 * - Groups: the nested Entra groups show in the tree, each department under its division, and the
 *   division's headcount counts the people of its departments (each once); a department the source
 *   also nests in Leaders is in the tree once and named under Leaders as a link, counted there too.
 * Expected figures come from the sandbox's own directory. No page text has raw ids, ISO timestamps or
 * internal names (test/helpers/admin-text.ts). Screenshots go to test-artifacts/screenshots/directory-groups/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { CHROMIUM, launchConsoleBrowser } from '../helpers/chromium.ts';
import { adminTextProblems } from '../helpers/admin-text.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { createAdminUser } from '../../src/auth/admin-users.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { openTestStore } from '../helpers/dialects.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import type { EntraGroup } from '../../src/providers/entra/sandbox/directory.ts';
import { ensureConsoleBuilt } from '../../web/scripts/ensure-built.ts';

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots', 'directory-groups');
const EMAIL = 'admin@example.com';
const PASSWORD = 'directory-groups-password';
const WIDTHS = [1280, 390] as const;
const tenantId = DEFAULT_TENANT_ID;
const hasChromium = existsSync(CHROMIUM);

describe('Entra groups in the console at 1280 and 390 px', { skip: !hasChromium && process.env.CI !== 'true' ? `${CHROMIUM} is not installed` : false }, () => {
  let sb: EntraSandbox;
  let ctx: AppContext;
  let app: FastifyInstance;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let id: string;
  const pageErrors: string[] = [];

  const setWidth = (width: number) => page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
  const screenshot = (name: string, width: number) => page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  const assertCleanText = async (where: string) => assert.deepEqual(adminTextProblems(await page.locator('body').innerText()), [], `text an admin reads on ${where}`);
  /** A tree item by its own line (not its sub-groups' lines). */
  const item = (tree: Locator, name: string) => tree.locator('li').filter({ has: page.locator(':scope > .tree-node', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`) }) });
  const children = async (li: Locator) => (await li.locator(':scope > ul > li > .tree-node strong').allInnerTexts()).map((t) => t.trim()).sort();
  /** ReFresh employees of the integration among a group's people, nested groups included. */
  let employees: Set<string>;
  const headcountOf = (g: EntraGroup) => new Set(sb.directory.transitiveMembers(g).filter((m) => employees.has(m))).size;
  const nested = () => {
    const division = sb.directory.allGroups().find((g) => g.members.filter((m) => sb.directory.kindOf(m) === 'group').length >= 2)!;
    const departments = division.members.filter((m) => sb.directory.kindOf(m) === 'group').map((m) => sb.directory.group(m)!);
    return { division, departments };
  };

  before(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install chromium); nothing downloads a browser.`);
    ensureConsoleBuilt({ quiet: true });
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    sb = await startEntraSandbox({ employees: 60, seed: 31 });
    const config = testConfig();
    ctx = await createContext(config, createLogger('silent'), { store: await openTestStore('sqlite'), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
    ctx.worker.start();
    const created = await createIntegrationFromRequest(ctx, tenantId, { provider: 'entra', name: 'Entra ID', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
    id = created.id;
    await patchIntegrationFromRequest(ctx, tenantId, id, { userSync: { enabled: true } });
    const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).executeTakeFirstOrThrow();
    assert.equal((await waitForRun(ctx.engine, tenantId, first.id)).status, 'succeeded');
    const links = await ctx.store.db.selectFrom('employee_links').select('external_id').where('integration_id', '=', id).where('employee_id', 'is not', null).where('in_scope', '=', 1).where('source_status', '=', 'active').execute();
    employees = new Set(links.map((l) => l.external_id));
    await createAdminUser(ctx.store.db, { tenantId, email: EMAIL, password: PASSWORD });
    app = await buildServer(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    ({ context, page, userDataDir } = await launchConsoleBrowser(pageErrors));
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/settings\//);
  });

  after(async () => {
    await context?.close();
    await app?.close();
    await ctx?.close();
    await sb?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  for (const width of WIDTHS) {
    it(`at ${width} px, Group Sync previews which Entra groups a pattern picks, nested, with people and headcounts, before saving`, async () => {
      await setWidth(width);
      await page.goto(`${base}/settings/group-sync/${id}`);
      const card = page.getByRole('form', { name: 'Microsoft Entra ID groups' });
      await card.getByLabel('Only groups matching').check();
      const { division, departments } = nested();
      await card.getByLabel('Group names or e-mails, one a line').fill(`${division.displayName}\nSales Team *`);
      await card.getByRole('button', { name: 'Preview groups' }).click();
      const preview = page.getByTestId('directory-preview');
      const tree = preview.getByTestId('directory-preview-tree');
      await tree.waitFor();
      const root = item(tree, division.displayName);
      assert.deepEqual(await children(root), departments.map((d) => d.displayName).sort(), 'the departments nest under the division');
      const people = new Set(sb.directory.transitiveMembers(division).filter((m) => sb.directory.kindOf(m) === 'user')).size;
      const line = (await root.locator(':scope > .tree-node').innerText()).replace(/\s+/g, ' ');
      assert.match(line, new RegExp(`${people} people in Microsoft Entra ID · ${headcountOf(division)} in ReFresh`));
      assert.match(await preview.getByTestId('directory-preview-summary').innerText(), new RegExp(`Picks ${1 + departments.length} of the ${sb.directory.allGroups().length} groups in Microsoft Entra ID`));
      await preview.getByText('This pattern names no group: “Sales Team *”.').waitFor();
      await assertCleanText(`the directory-groups preview (${width} px)`);
      await screenshot('group-sync-preview', width);
      const saved = await ctx.store.db.selectFrom('integrations').select('settings').where('id', '=', id).executeTakeFirstOrThrow();
      assert.doesNotMatch(JSON.stringify(saved), /Sales Team/, 'the preview saved nothing');
      assert.equal((await ctx.store.db.selectFrom('groups').select('id').execute()).length, 0);
    });
  }

  it('saving "all" turns Group Sync on and builds the groups', async () => {
    await setWidth(1280);
    await page.goto(`${base}/settings/group-sync/${id}`);
    const card = page.getByRole('form', { name: 'Microsoft Entra ID groups' });
    await card.getByLabel('All Microsoft Entra ID groups').check();
    await card.getByRole('button', { name: 'Save groups' }).click();
    await card.getByText('Saved: a sync is building the Microsoft Entra ID groups now.').waitFor();
    const runs = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', id).execute();
    assert.equal(runs.length, 2, 'saving started a sync');
    for (const r of runs) assert.equal((await waitForRun(ctx.engine, tenantId, r.id)).status, 'succeeded');
    const groups = await ctx.store.db.selectFrom('groups').select('id').where('type', '=', 'Entra group').execute();
    assert.equal(groups.length, sb.directory.allGroups().length);
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  });

  it('a department the source also nests in Leaders is synced once, as a link under Leaders', async () => {
    const { departments } = nested();
    const leaders = sb.directory.allGroups().find((g) => g.mail === 'leaders@acme.example')!;
    sb.directory.addMember(leaders.id, departments[0]!.id);
    const run = await waitForRun(ctx.engine, tenantId, (await requestSync(ctx, tenantId, id, { mode: 'incremental' })).id);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal((await ctx.store.db.selectFrom('group_parents').select('group_id').execute()).length, 1);
  });

  for (const width of WIDTHS) {
    it(`at ${width} px, the Groups tree nests the Entra groups as in the source, with headcounts that include sub-groups`, async () => {
      await setWidth(width);
      await page.goto(`${base}/settings/groups`);
      const tree = page.getByTestId('group-tree');
      await tree.waitFor();
      const { division, departments } = nested();
      const root = item(tree, division.displayName);
      assert.equal(await root.count(), 1, 'the division is in the tree once');
      assert.deepEqual(await children(root), departments.map((d) => d.displayName).sort(), 'its departments are nested under it');
      const headcount = (li: Locator) => li.locator(':scope > .tree-node .headcount').innerText();
      const expected = headcountOf(division);
      assert.ok(expected > Math.max(...departments.map(headcountOf)), 'the division counts more than any one department');
      assert.equal(await headcount(root), `${expected} people`, 'the division counts the people of its departments, each once');
      for (const d of departments) assert.equal(await headcount(item(root.locator(':scope > ul'), d.displayName)), headcountOf(d) === 1 ? '1 person' : `${headcountOf(d)} people`);
      assert.match((await root.locator(':scope > .tree-node').innerText()).replace(/\s+/g, ' '), /Entra group/);

      // The department also nested in Leaders: in the tree once, named under Leaders as a link to it.
      const leaders = sb.directory.allGroups().find((g) => g.mail === 'leaders@acme.example')!;
      const leadersItem = item(tree, 'Leaders');
      const link = leadersItem.locator(':scope > ul.tree-links > li');
      assert.match((await link.innerText()).replace(/\s+/g, ' '), new RegExp(`${departments[0]!.displayName} Entra group ${headcountOf(departments[0]!)} (people|person) nested here too`));
      assert.equal(await headcount(leadersItem), `${headcountOf(leaders)} people`, 'Leaders counts the linked department too');
      assert.equal(await tree.locator('li:not(.tree-link) > .tree-node > a', { hasText: new RegExp(`^${departments[0]!.displayName}$`) }).count(), 1, 'the department has one entry of its own');
      assert.match((await item(root.locator(':scope > ul'), departments[0]!.displayName).locator(':scope > .tree-node').innerText()).replace(/\s+/g, ' '), /also in Leaders/);
      await assertCleanText(`the Groups tree (${width} px)`);
      await screenshot('groups-tree', width);
    });
  }

  it('no errors in the pages', () => assert.deepEqual(pageErrors, []));
});
