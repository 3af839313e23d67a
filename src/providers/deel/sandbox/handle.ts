/** The Deel sandbox behind the common sandbox handle (src/sandbox/handle.ts), connected with an organization token. */
import { peopleControls, type ProviderSandbox, type SandboxHandle, type SandboxPerson } from '../../../sandbox/handle.ts';
import { API_KNOBS, apiFaultSpec } from '../../employmenthero/sandbox/handle.ts';
import type { DeelPersonInput } from './roster.ts';
import { SANDBOX_TOKEN, startDeelSandbox } from './server.ts';

function input(p: Partial<SandboxPerson>): DeelPersonInput {
  return {
    ...(p.firstName !== undefined ? { first_name: p.firstName } : {}),
    ...(p.lastName !== undefined ? { last_name: p.lastName } : {}),
    ...(p.email !== undefined ? { workEmail: p.email } : {}),
    ...(p.employeeNumber !== undefined ? { worker_id: Number(p.employeeNumber) } : {}),
    ...(p.startDate !== undefined ? { start_date: p.startDate } : {}),
    ...(p.terminationDate !== undefined ? { termination_last_day: p.terminationDate } : {}),
  };
}

export const deelSandbox: ProviderSandbox = {
  knobs: API_KNOBS,
  async start(options = {}): Promise<SandboxHandle> {
    const sb = await startDeelSandbox({ port: options.port ?? 0, ...(options.employees !== undefined ? { employees: options.employees } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.pageSize ? { pageSizeMax: options.pageSize } : {}) });
    const { roster } = sb;
    return {
      provider: 'deel',
      url: sb.url,
      connection: { settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials: { apiToken: SANDBOX_TOKEN } },
      connectorCredentials: { apiToken: SANDBOX_TOKEN },
      paged: true,
      ...peopleControls(roster, input),
      fault: (f) => sb.faults.set(apiFaultSpec(f, SANDBOX_TOKEN)),
      clearFaults: () => sb.faults.clear(),
      close: () => sb.close(),
    };
  },
};
