/**
 * Two records of one source never link to the same person: the second record whose address
 * matches someone this run already linked is held as a correlation case, whether the two are on
 * one page or on pages apart (where the first page's link may still be committing, or staged).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { parseJson } from '../../src/store/ids.ts';
import { startEntraSandbox, type EntraSandbox } from '../../src/providers/entra/sandbox/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';

for (const dialect of DIALECTS) {
  describe(`one source, two accounts with one person's address, on ${dialect}`, () => {
    let h: Harness;
    let sb: EntraSandbox;
    let entraId = '';
    const samePage = { email: '', accounts: [] as string[] };
    const pagesApart = { email: '', accounts: [] as string[] };

    before(async () => {
      h = await openHarness(dialect, { employees: 40, seed: 5 });
      assert.equal(h.firstRun?.status, 'succeeded');
      sb = await startEntraSandbox({ employees: 40, seed: 5, usersPageSize: 10 });
      const users = sb.directory.liveUsers();
      const hrEmails = new Set(h.sandbox.roster.list().filter((e) => e.workEmail && e.status === 'Active').map((e) => e.workEmail!.toLowerCase()));
      // Two accounts next to each other on the first page: the second takes the first's address.
      const first = users.findIndex((u, i) => i < 8 && u.mail && hrEmails.has(u.mail.toLowerCase()));
      assert.ok(first >= 0, 'an account of an HR person on the first page');
      samePage.email = users[first]!.mail!.toLowerCase();
      sb.directory.updateUser(users[first + 1]!.id, { mail: samePage.email, employeeId: null });
      samePage.accounts = [users[first]!.id, users[first + 1]!.id];
      // Another HR person's address on a new account, listed last (pages after the original's).
      const other = users.find((u, i) => i > first + 1 && i < 10 && u.mail && hrEmails.has(u.mail.toLowerCase()))!;
      pagesApart.email = other.mail!.toLowerCase();
      const late = sb.directory.addUser({ userPrincipalName: 'second.account@acme.example', mail: pagesApart.email, givenName: 'Second', surname: 'Account', displayName: 'Second Account', userType: 'Member', accountEnabled: true });
      pagesApart.accounts = [other.id, late.id];
      assert.ok(users.length > 20, 'the accounts span several pages');

      const entra = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'entra', settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials: { clientId: sb.app.clientId, clientSecret: sb.app.clientSecret } });
      entraId = entra.id;
      await patchIntegrationFromRequest(h.ctx, h.tenantId, entraId, { userSync: { enabled: true } });
      const queued = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', entraId).executeTakeFirstOrThrow();
      const run = await waitForRun(h.ctx.engine, h.tenantId, queued.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    });
    after(async () => {
      await sb?.close();
      await h?.close();
    });

    const hrPerson = async (email: string) => {
      const links = await h.ctx.store.db.selectFrom('employee_links').select(['employee_id', 'field_values']).where('integration_id', '=', h.integration.id).execute();
      return links.find((l) => parseJson<Record<string, string>>(l.field_values, {})['email']?.toLowerCase() === email)!.employee_id!;
    };

    for (const [name, pair] of [['on one page', samePage], ['pages apart', pagesApart]] as const) {
      it(`${name}: the first account is linked, the second held as a case`, async () => {
        const person = await hrPerson(pair.email);
        const links = await h.ctx.store.db.selectFrom('employee_links').select(['external_id', 'employee_id']).where('integration_id', '=', entraId).where('employee_id', '=', person).execute();
        assert.deepEqual(links.map((l) => l.external_id), [pair.accounts[0]], 'one link to the person, from the first account');
        const held = await h.ctx.store.db.selectFrom('correlation_cases').select(['external_id', 'reason', 'status']).where('integration_id', '=', entraId).where('external_id', '=', pair.accounts[1]!).executeTakeFirst();
        assert.equal(held?.status, 'open');
        assert.match(held!.reason, /already linked in this source/);
      });
    }
  });
}
