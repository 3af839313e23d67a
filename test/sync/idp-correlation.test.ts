/**
 * Issue 12's done-when, on each dialect: a company with BambooHR (rank 1) and Microsoft Entra ID
 * (rank 2) and the field priority "email: Entra first" has one employee per person, the job title
 * from BambooHR and the e-mail from Entra ID, each named as the field's owner (and lock) in the API.
 *
 * IdP accounts match HR people by `mail`, then the user principal name, then proxy addresses
 * (case-insensitive), then employee number; an HR person without an account and an account without
 * an HR person are both normal and explained by the diagnostics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { putFieldPriorities } from '../../src/app/priority-service.ts';
import { explainPerson } from '../../src/app/explain.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { parseJson } from '../../src/store/ids.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import { smtpAddresses } from '../../src/providers/entra/connector/normalize.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';

for (const dialect of DIALECTS) {
  describe(`BambooHR (rank 1) + Entra ID (rank 2), email: Entra first, on ${dialect}`, () => {
    let h: Harness;
    let sb: EntraSandbox;
    let api: Awaited<ReturnType<typeof serveApi>>;
    let call: ApiCall;
    let entraId: string;
    /** Forced cases: a new mailbox with HR's address kept as an alias; no mailbox, UPN = HR's address; mail in other case; no account. */
    let accountOnly = '';
    const cases: Record<'alias' | 'upn' | 'caps' | 'noAccount' | 'retitled', { hrEmail: string; entraMail?: string | null; title?: string }> = {} as never;

    before(async () => {
      h = await openHarness(dialect, { employees: 60, seed: 12 });
      assert.equal(h.firstRun?.status, 'succeeded');
      sb = await startEntraSandbox({ employees: 60, seed: 12, usersPageSize: 25 });
      const hr = h.sandbox.roster.list().filter((e) => e.workEmail && e.status === 'Active');
      const account = (email: string) => sb.directory.liveUsers().find((u) => [u.mail, u.userPrincipalName, ...smtpAddresses(u.proxyAddresses)].some((a) => a?.toLowerCase() === email.toLowerCase()));
      const usable = hr.filter((e) => {
        const u = account(e.workEmail!);
        return u && u.accountEnabled && u.mail?.toLowerCase() === e.workEmail && u.userPrincipalName.toLowerCase() === e.workEmail;
      });
      assert.ok(usable.length >= 8, `enough plain accounts (${usable.length})`);
      const [a, b, c, d, t] = usable as [typeof usable[0], typeof usable[0], typeof usable[0], typeof usable[0], typeof usable[0]];
      const [local, domain] = a.workEmail!.split('@') as [string, string];
      sb.directory.updateUser(account(a.workEmail!)!.id, { mail: `${local}.neu@${domain}`, proxyAddresses: [`SMTP:${local}.neu@${domain}`, `smtp:${a.workEmail!}`] });
      cases.alias = { hrEmail: a.workEmail!, entraMail: `${local}.neu@${domain}` };
      sb.directory.updateUser(account(b.workEmail!)!.id, { mail: null, proxyAddresses: [], employeeId: null });
      cases.upn = { hrEmail: b.workEmail!, entraMail: null };
      sb.directory.updateUser(account(c.workEmail!)!.id, { mail: c.workEmail!.toUpperCase() });
      cases.caps = { hrEmail: c.workEmail!, entraMail: c.workEmail!.toUpperCase() };
      sb.directory.deleteUser(account(d.workEmail!)!.id);
      cases.noAccount = { hrEmail: d.workEmail! };
      sb.directory.updateUser(account(t.workEmail!)!.id, { jobTitle: 'Title only Entra has' });
      cases.retitled = { hrEmail: t.workEmail!, title: t.jobTitle ?? '' };
      // An account HR does not know (someone HR has not entered yet).
      accountOnly = sb.directory.addUser({ userPrincipalName: 'kim.vorab@acme.example', mail: 'kim.vorab@acme.example', givenName: 'Kim', surname: 'Vorab', displayName: 'Kim Vorab', userType: 'Member', accountEnabled: true }).id;

      const entra = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'entra', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
      entraId = entra.id;
      assert.equal(entra.priority, h.integration.priority + 1, 'Entra ID is ranked after BambooHR');
      await putFieldPriorities(h.ctx, h.tenantId, { overrides: [{ field: 'email', order: [entraId, h.integration.id] }] });
      await patchIntegrationFromRequest(h.ctx, h.tenantId, entraId, { userSync: { enabled: true } });
      const queued = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', entraId).executeTakeFirstOrThrow();
      const run = await waitForRun(h.ctx.engine, h.tenantId, queued.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      api = await serveApi(h);
      call = apiCaller(api);
    });
    after(async () => {
      await api?.app.close();
      await sb?.close();
      await h?.close();
    });

    const linksOf = async (integrationId: string) =>
      (await h.ctx.store.db.selectFrom('employee_links').selectAll().where('tenant_id', '=', h.tenantId).where('integration_id', '=', integrationId).where('employee_id', 'is not', null).execute()).map((l) => ({
        ...l,
        values: parseJson<Record<string, string>>(l.field_values, {}),
      }));

    it('one employee per person: every account of an HR person is linked to that person, by mail, UPN or alias', async () => {
      const hrLinks = await linksOf(h.integration.id);
      const entraLinks = await linksOf(entraId);
      const hrByEmail = new Map(hrLinks.map((l) => [(l.values['email'] ?? '').toLowerCase(), l]));
      let paired = 0;
      for (const u of sb.directory.liveUsers()) {
        const addresses = [u.mail, u.userPrincipalName, ...smtpAddresses(u.proxyAddresses)].filter((x): x is string => !!x).map((x) => x.toLowerCase());
        const person = addresses.map((a) => hrByEmail.get(a)).find((l) => l !== undefined);
        const link = entraLinks.find((l) => l.external_id === u.id);
        if (!person || !link) continue;
        assert.equal(link.employee_id, person.employee_id, `${u.userPrincipalName} is linked to the HR person ${person.values['email']}`);
        paired++;
      }
      assert.ok(paired >= 40, `accounts paired with HR people (${paired})`);
      const employees = await h.ctx.store.db.selectFrom('employees').select(['id']).where('tenant_id', '=', h.tenantId).execute();
      const onlyEntra = entraLinks.filter((l) => !hrLinks.some((x) => x.employee_id === l.employee_id));
      assert.equal(employees.length, hrLinks.length + onlyEntra.length, 'nobody twice');
      for (const key of ['alias', 'upn', 'caps'] as const) {
        const person = hrByEmail.get(cases[key].hrEmail)!;
        assert.ok(entraLinks.some((l) => l.employee_id === person.employee_id), `${key}: the account found its HR person`);
      }
    });

    it('job title from BambooHR and e-mail from Entra ID, each named as owner and lock', async () => {
      const hrLinks = await linksOf(h.integration.id);
      const idOf = (email: string) => hrLinks.find((l) => l.values['email']?.toLowerCase() === email)!.employee_id!;
      const retitled = (await call('GET', `/employees/${idOf(cases.retitled.hrEmail)}`)).body;
      assert.equal(retitled.fields.jobTitle.value, cases.retitled.title, 'BambooHR ranks first for the job title');
      assert.equal(retitled.fields.jobTitle.source.integrationId, h.integration.id);
      assert.equal(retitled.fields.jobTitle.source.provider, 'bamboohr');
      assert.equal(retitled.fields.jobTitle.locked, true);
      assert.equal(retitled.fields.email.source.integrationId, entraId);
      assert.equal(retitled.fields.email.source.provider, 'entra');
      assert.equal(retitled.fields.email.locked, true);

      const alias = (await call('GET', `/employees/${idOf(cases.alias.hrEmail)}`)).body;
      assert.equal(alias.fields.email.value, cases.alias.entraMail, 'the e-mail is Entra ID\'s');
      assert.equal(alias.fields.email.source.provider, 'entra');
      const caps = (await call('GET', `/employees/${idOf(cases.caps.hrEmail)}`)).body;
      assert.equal(caps.fields.email.value.toLowerCase(), cases.caps.hrEmail);
      assert.equal(caps.fields.email.source.provider, 'entra');
      // Entra ID has no mail for this one: the next source in the order (BambooHR) provides it.
      const upn = (await call('GET', `/employees/${idOf(cases.upn.hrEmail)}`)).body;
      assert.equal(upn.fields.email.value, cases.upn.hrEmail);
      assert.equal(upn.fields.email.source.provider, 'bamboohr');

      const why = await explainPerson(h.ctx, h.tenantId, idOf(cases.retitled.hrEmail));
      const field = (f: string) => why.fields.find((x) => x.field === f)!;
      assert.equal(field('jobTitle').source, h.integration.name);
      assert.equal(field('email').source, 'Microsoft Entra ID');
      assert.match(field('email').why, /field priority/);
    });

    it('diagnostics explain an HR person without an account, and an account without an HR person', async () => {
      const noAccount = await explainPerson(h.ctx, h.tenantId, cases.noAccount.hrEmail);
      assert.ok(noAccount.employee);
      assert.ok(noAccount.summary.some((s) => /Microsoft Entra ID has no account linked to this person/.test(s) && s.includes(cases.noAccount.hrEmail)), noAccount.summary.join('\n'));
      const entraLinks = await linksOf(entraId);
      const link = entraLinks.find((l) => l.external_id === accountOnly);
      assert.ok(link, 'the account HR does not know became an employee');
      const onlyAccount = await explainPerson(h.ctx, h.tenantId, link.employee_id!);
      assert.ok(onlyAccount.summary.some((s) => /No HR source \(BambooHR\) has this person/.test(s)), onlyAccount.summary.join('\n'));
    });
  });
}
