/**
 * The Google Workspace sandbox behind the common sandbox handle (src/sandbox/handle.ts), connected
 * with its service account (domain-wide delegation, acting as the sandbox's admin). The Directory
 * API has no employment dates: a leaver is a suspended account, a leaver-to-be is not yet one.
 */
import type { ProviderSandbox, SandboxHandle, SandboxPerson } from '../../../sandbox/handle.ts';
import { API_KNOBS, apiFaultSpec } from '../../employmenthero/sandbox/handle.ts';
import { todayUtc } from '../../bamboohr/sandbox/generator.ts';
import type { GoogleUserInput } from './directory.ts';
import { startGoogleSandbox } from './server.ts';

export function googleUserInput(p: Partial<SandboxPerson>, today = todayUtc(Date.now())): GoogleUserInput {
  return {
    ...(p.email !== undefined ? { primaryEmail: p.email } : {}),
    ...(p.firstName !== undefined ? { givenName: p.firstName } : {}),
    ...(p.lastName !== undefined ? { familyName: p.lastName } : {}),
    ...(p.employeeNumber !== undefined ? { employeeNumber: p.employeeNumber } : {}),
    ...(p.workPhone !== undefined ? { workPhone: p.workPhone } : {}),
    ...(p.terminationDate !== undefined ? { suspended: p.terminationDate !== null && p.terminationDate <= today } : {}),
  };
}

export const googleSandbox: ProviderSandbox = {
  knobs: API_KNOBS,
  async start(options = {}): Promise<SandboxHandle> {
    const sb = await startGoogleSandbox({
      port: options.port ?? 0,
      ...(options.employees !== undefined ? { employees: options.employees } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.pageSize ? { maxUsersPage: options.pageSize } : {}),
    });
    const { directory, serviceAccount } = sb;
    const credentials = { clientEmail: serviceAccount.clientEmail, privateKey: serviceAccount.privateKey, subject: sb.adminEmail };
    const live = () => directory.allUsers().filter((u) => u.deletionTime === null);
    return {
      provider: 'google',
      url: sb.url,
      connection: { settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials },
      connectorCredentials: credentials,
      paged: true,
      addPerson: (p) => directory.addUser(googleUserInput(p)).id,
      updatePerson: (id, patch) => void directory.updateUser(id, googleUserInput(patch)),
      terminate: (id, date) => void directory.updateUser(id, googleUserInput({ terminationDate: date })),
      removePerson: (id) => void directory.deleteUser(id),
      // Everyone but the admin the service account acts as (without whom nothing can be read).
      clear: () => {
        for (const u of live()) if (u.primaryEmail !== sb.adminEmail) directory.deleteUser(u.id);
      },
      count: () => live().length,
      fault: (f) => sb.faults.set(apiFaultSpec(f, serviceAccount.clientEmail)),
      clearFaults: () => sb.faults.clear(),
      close: () => sb.close(),
    };
  },
};
