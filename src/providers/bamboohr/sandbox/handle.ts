/** The BambooHR sandbox behind the common sandbox handle (src/sandbox/handle.ts). */
import type { FaultKnob, ProviderSandbox, SandboxFault, SandboxHandle, SandboxPerson } from '../../../sandbox/handle.ts';
import type { BambooFaultSpec } from './faults.ts';
import { todayUtc } from './generator.ts';
import { startBambooSandbox, type BambooSandboxOptions } from './server.ts';

const API_KEY = 'sandbox-key';

export const BAMBOOHR_KNOBS: readonly FaultKnob[] = [
  { name: 'rateLimit', description: '{count, retryAfter: seconds, retryAfterDate?: bool, status?: 429|503}: the next requests are throttled' },
  { name: 'outage', description: '{count, status?: 500|502|503|504}: the next requests fail' },
  { name: 'failPage', description: '{page, status?, times?, malformed?: bool} (or a list): one dataset page fails or comes back cut off' },
  { name: 'shortPages', description: 'true: pages hold fewer rows than page_size while paging leads on' },
  { name: 'slowMs', description: 'milliseconds: every answer is delayed' },
  { name: 'revokeKey', description: 'API key(s) refused with 401 until cleared' },
  { name: 'forbidden', description: 'true: every request is refused with 403 (a user without access to employees)' },
  { name: 'malformedRecord', description: 'true: page 1 holds one row without an employee id' },
];

export function faultSpec(f: SandboxFault, apiKey: string): BambooFaultSpec {
  switch (f.kind) {
    case 'rateLimit': return { rateLimit: { count: f.count, retryAfter: f.retryAfterSeconds, retryAfterDate: f.asDate ?? false, status: 429 } };
    case 'outage': return { outage: { count: f.count, ...(f.status ? { status: f.status } : {}) } };
    case 'failPage': return { failPage: { page: f.page, times: f.times ?? 1, ...(f.status ? { status: f.status } : {}), malformed: f.truncated ?? false } };
    case 'unauthorized': return { revokeKey: apiKey };
    case 'forbidden': return { forbidden: true };
    case 'malformedRecord': return { malformedRecord: true };
  }
}

export const bamboohrSandbox: ProviderSandbox = {
  knobs: BAMBOOHR_KNOBS,
  async start(options = {}): Promise<SandboxHandle> {
    const opts: BambooSandboxOptions = { apiKeys: [API_KEY], port: options.port ?? 0, ...(options.employees !== undefined ? { employees: options.employees } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.pageSize ? { pageSizeMax: options.pageSize } : {}) };
    const sb = await startBambooSandbox(opts);
    const { roster } = sb;
    const fields = (p: Partial<SandboxPerson>) => ({
      ...(p.firstName !== undefined ? { firstName: p.firstName } : {}),
      ...(p.lastName !== undefined ? { lastName: p.lastName } : {}),
      ...(p.email !== undefined ? { workEmail: p.email } : {}),
      ...(p.employeeNumber !== undefined ? { employeeNumber: p.employeeNumber } : {}),
      ...(p.workPhone !== undefined ? { workPhone: p.workPhone, mobilePhone: p.workPhone } : {}),
    });
    return {
      provider: 'bamboohr',
      url: sb.url,
      connection: { settings: { companyDomain: 'sandbox', baseUrl: sb.url }, credentials: { apiKey: API_KEY } },
      connectorCredentials: { apiKey: API_KEY },
      paged: true,
      addPerson(p) {
        const hireDate = p.startDate ?? todayUtc();
        const added = roster.add({ ...fields(p), hireDate, status: hireDate > todayUtc() ? 'Inactive' : 'Active' });
        if (p.terminationDate) roster.terminate(added.id, p.terminationDate);
        return added.id;
      },
      updatePerson: (id, patch) => void roster.update(id, { ...fields(patch), ...(patch.startDate ? { hireDate: patch.startDate } : {}) }),
      terminate: (id, date) => void roster.terminate(id, date),
      removePerson: (id) => roster.remove(id),
      clear: () => {
        for (const p of roster.list()) roster.remove(p.id);
      },
      count: () => roster.size,
      fault: (f) => sb.faults.set(faultSpec(f, API_KEY)),
      clearFaults: () => sb.faults.clear(),
      close: () => sb.close(),
    };
  },
};
