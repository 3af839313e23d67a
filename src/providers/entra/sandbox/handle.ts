/** The Entra ID sandbox behind the common sandbox handle (src/sandbox/handle.ts), connected with client credentials. */
import type { ProviderSandbox, SandboxHandle, SandboxPerson } from '../../../sandbox/handle.ts';
import { API_KNOBS, apiFaultSpec } from '../../employmenthero/sandbox/handle.ts';
import { todayUtc } from '../../bamboohr/sandbox/generator.ts';
import type { EntraUserInput } from './directory.ts';
import { startEntraSandbox } from './server.ts';

const at = (date: string): string => `${date}T00:00:00Z`;

/** A person as Entra holds them: an enabled member account, disabled once their leave date has passed. */
export function entraUserInput(p: Partial<SandboxPerson>, today = todayUtc(Date.now())): EntraUserInput {
  return {
    ...(p.email !== undefined ? { userPrincipalName: p.email, mail: p.email, proxyAddresses: [`SMTP:${p.email}`] } : {}),
    ...(p.firstName !== undefined ? { givenName: p.firstName } : {}),
    ...(p.lastName !== undefined ? { surname: p.lastName } : {}),
    ...(p.firstName !== undefined && p.lastName !== undefined ? { displayName: `${p.firstName} ${p.lastName}` } : {}),
    ...(p.employeeNumber !== undefined ? { employeeId: p.employeeNumber } : {}),
    ...(p.startDate !== undefined ? { employeeHireDate: at(p.startDate) } : {}),
    ...(p.terminationDate !== undefined ? { employeeLeaveDateTime: p.terminationDate === null ? null : at(p.terminationDate), accountEnabled: p.terminationDate === null || p.terminationDate > today } : {}),
    ...(p.workPhone !== undefined ? { businessPhones: p.workPhone === null ? [] : [p.workPhone] } : {}),
  };
}

export const entraSandbox: ProviderSandbox = {
  knobs: API_KNOBS,
  async start(options = {}): Promise<SandboxHandle> {
    const employees = options.employees ?? 200;
    const sb = await startEntraSandbox({
      port: options.port ?? 0,
      employees,
      // An empty roster is empty: no guests or rooms either.
      ownAccounts: employees > 0,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.pageSize ? { usersPageSize: options.pageSize, deltaPageSize: options.pageSize } : {}),
    });
    const { directory, app } = sb;
    const credentials = { clientId: app.clientId, clientSecret: app.clientSecret };
    return {
      provider: 'entra',
      url: sb.url,
      connection: { settings: { baseUrl: sb.url, authBaseUrl: sb.url, tenantId: sb.tenantId }, credentials },
      connectorCredentials: credentials,
      paged: true,
      addPerson: (p) => directory.addUser({ employeeType: 'Employee', accountEnabled: true, ...entraUserInput(p) }).id,
      updatePerson: (id, patch) => void directory.updateUser(id, entraUserInput(patch)),
      terminate: (id, date) => void directory.updateUser(id, entraUserInput({ terminationDate: date })),
      removePerson: (id) => void directory.deleteUser(id),
      clear: () => {
        for (const u of directory.liveUsers()) directory.deleteUser(u.id);
      },
      count: () => directory.liveUsers().length,
      fault: (f) => {
        if (f.kind === 'unauthorized') sb.tokens.expireAccessTokens();
        sb.faults.set(apiFaultSpec(f, app.clientSecret));
      },
      clearFaults: () => sb.faults.clear(),
      close: () => sb.close(),
    };
  },
};
