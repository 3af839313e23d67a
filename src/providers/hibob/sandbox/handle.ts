/** The HiBob sandbox behind the common sandbox handle (src/sandbox/handle.ts). HiBob does not page. */
import type { FaultKnob, ProviderSandbox, SandboxFault, SandboxHandle, SandboxPerson } from '../../../sandbox/handle.ts';
import type { HibobFaultSpec } from './faults.ts';
import type { HibobSeedPerson } from './roster.ts';
import { DEFAULT_SERVICE_USER, startHibobSandbox } from './server.ts';

export const HIBOB_KNOBS: readonly FaultKnob[] = [
  { name: 'rateLimit', description: '{count, retryAfter?: seconds, retryAfterDate?: bool}: the next requests get 429 (Retry-After only when given)' },
  { name: 'outage', description: '{count, status?: 500|502|503|504}: the next requests fail' },
  { name: 'malformed', description: '{count}: the next answers are 200 with a cut-off body' },
  { name: 'slowMs', description: 'milliseconds: every answer is delayed' },
  { name: 'revokeKey', description: 'service user id(s) refused with 401 until cleared' },
  { name: 'forbidden', description: 'true: every request is refused with 403 (no People permission)' },
  { name: 'malformedRecord', description: 'true: the people search holds one employee without an id' },
];

export function faultSpec(f: SandboxFault, serviceUserId: string): HibobFaultSpec {
  switch (f.kind) {
    case 'rateLimit': return { rateLimit: { count: f.count, retryAfter: f.retryAfterSeconds, retryAfterDate: f.asDate ?? false } };
    case 'outage': return { outage: { count: f.count, ...(f.status ? { status: f.status } : {}) } };
    // One answer holds everyone: "page 1" is the people search itself (named lists come first, two requests).
    case 'failPage': return f.truncated ? { malformed: { count: f.times ?? 1 } } : { outage: { count: f.times ?? 1, ...(f.status && f.status >= 500 ? { status: f.status as 500 } : {}) } };
    case 'unauthorized': return { revokeKey: serviceUserId };
    case 'forbidden': return { forbidden: true };
    case 'malformedRecord': return { malformedRecord: true };
  }
}

function seed(p: Partial<SandboxPerson>): HibobSeedPerson {
  return {
    ...(p.firstName !== undefined ? { firstName: p.firstName } : {}),
    ...(p.lastName !== undefined ? { surname: p.lastName } : {}),
    ...(p.email !== undefined ? { email: p.email } : {}),
    ...(p.employeeNumber !== undefined ? { employeeIdInCompany: Number(p.employeeNumber) } : {}),
    ...(p.startDate !== undefined ? { startDate: p.startDate } : {}),
    ...(p.workPhone !== undefined ? { workPhone: p.workPhone, workMobile: null } : {}),
  };
}

export const hibobSandbox: ProviderSandbox = {
  knobs: HIBOB_KNOBS,
  async start(options = {}): Promise<SandboxHandle> {
    const sb = await startHibobSandbox({ port: options.port ?? 0, ...(options.employees !== undefined ? { employees: options.employees } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    const { roster } = sb;
    const user = DEFAULT_SERVICE_USER;
    return {
      provider: 'hibob',
      url: sb.url,
      connection: { settings: { baseUrl: sb.url }, credentials: { serviceUserId: user.serviceUserId, token: user.token } },
      connectorCredentials: { serviceUserId: user.serviceUserId, token: user.token },
      paged: false,
      addPerson(p) {
        const added = roster.add(seed(p));
        if (p.terminationDate) roster.terminate(added.id, p.terminationDate);
        return added.id;
      },
      updatePerson: (id, patch) => void roster.update(id, seed(patch)),
      terminate: (id, date) => void roster.terminate(id, date),
      removePerson: (id) => roster.remove(id),
      clear: () => {
        for (const p of roster.list()) roster.remove(p.id);
      },
      count: () => roster.size,
      fault: (f) => sb.faults.set(faultSpec(f, user.serviceUserId)),
      clearFaults: () => sb.faults.clear(),
      close: () => sb.close(),
    };
  },
};
