/** The Employment Hero sandbox behind the common sandbox handle (src/sandbox/handle.ts). */
import { peopleControls, type FaultKnob, type ProviderSandbox, type SandboxFault, type SandboxHandle, type SandboxPerson } from '../../../sandbox/handle.ts';
import type { ApiFaultSpec } from '../../../sandbox/shared/api-faults.ts';
import type { EhPersonInput } from './roster.ts';
import { SANDBOX_CLIENT, startEmploymentHeroSandbox } from './server.ts';

/** The knobs every paged-API sandbox shares (src/sandbox/shared/api-faults.ts). */
export const API_KNOBS: readonly FaultKnob[] = [
  { name: 'rateLimit', description: '{count, retryAfter?: seconds, retryAfterDate?: bool}: the next requests get 429' },
  { name: 'outage', description: '{count, status?: 500|502|503|504}: the next requests fail' },
  { name: 'malformed', description: '{count}: the next answers are 200 with a cut-off body' },
  { name: 'failPage', description: '{page, status?, times?, malformed?: bool}: one page of the people list fails or comes back cut off' },
  { name: 'shortPages', description: 'true: pages shorter than asked for while paging leads on' },
  { name: 'slowMs', description: 'milliseconds: every answer is delayed' },
  { name: 'revokeKey', description: 'access token(s) refused with 401 until cleared' },
  { name: 'forbidden', description: 'true: every request is refused with 403 (a missing scope)' },
  { name: 'malformedRecord', description: 'true: the first page of people holds one record without an id' },
];

export function apiFaultSpec(f: SandboxFault, token: string): ApiFaultSpec {
  switch (f.kind) {
    case 'rateLimit': return { rateLimit: { count: f.count, retryAfter: f.retryAfterSeconds, retryAfterDate: f.asDate ?? false } };
    case 'outage': return { outage: { count: f.count, ...(f.status ? { status: f.status } : {}) } };
    case 'failPage': return { failPage: { page: f.page, times: f.times ?? 1, ...(f.status ? { status: f.status } : {}), malformed: f.truncated ?? false } };
    case 'unauthorized': return { revokeKey: token };
    case 'forbidden': return { forbidden: true };
    case 'malformedRecord': return { malformedRecord: true };
  }
}

function input(p: Partial<SandboxPerson>): EhPersonInput {
  return {
    ...(p.firstName !== undefined ? { first_name: p.firstName } : {}),
    ...(p.lastName !== undefined ? { last_name: p.lastName } : {}),
    ...(p.email !== undefined ? { company_email: p.email } : {}),
    ...(p.employeeNumber !== undefined ? { code: p.employeeNumber } : {}),
    ...(p.startDate !== undefined ? { start_date: p.startDate } : {}),
    ...(p.terminationDate !== undefined ? { termination_date: p.terminationDate } : {}),
    ...(p.workPhone !== undefined ? { company_landline: p.workPhone } : {}),
  };
}

export const employmentheroSandbox: ProviderSandbox = {
  knobs: API_KNOBS,
  async start(options = {}): Promise<SandboxHandle> {
    const sb = await startEmploymentHeroSandbox({ port: options.port ?? 0, ...(options.employees !== undefined ? { employees: options.employees } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.pageSize ? { pageSizeMax: options.pageSize } : {}) });
    const { refreshToken } = sb.oauth.issueGrant(SANDBOX_CLIENT.clientId);
    const accessToken = sb.oauth.issueAccessToken(SANDBOX_CLIENT.clientId);
    const { roster } = sb;
    return {
      provider: 'employmenthero',
      url: sb.url,
      connection: { settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials: { clientId: SANDBOX_CLIENT.clientId, clientSecret: SANDBOX_CLIENT.clientSecret, refreshToken } },
      connectorCredentials: { authType: 'oauth', accessToken },
      paged: true,
      ...peopleControls(roster, input),
      fault: (f) => sb.faults.set(apiFaultSpec(f, accessToken)),
      clearFaults: () => sb.faults.clear(),
      close: () => sb.close(),
    };
  },
};
