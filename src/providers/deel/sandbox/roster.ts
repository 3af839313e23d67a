/**
 * The Deel sandbox's people, shaped as `GET /rest/v2/people` answers them (Deel's OpenAPI,
 * `getPeopleList_200_response_data_inner`). People come from the company every sandbox shares
 * (src/sandbox/base-roster.ts): a work e-mail typed `work`, the same as everywhere, and the employee
 * number as `worker_id`; contractors of the company are Deel contractors; Deel also has people of
 * its own. Personal e-mails are typed `personal`, and the `primary` one is often the personal one.
 */
import { SandboxRosterError, uuidFrom } from '../../../sandbox/shared/people-api.ts';
import { sourceRoster, type SeedEmployee } from '../../../sandbox/base-roster.ts';
import { todayUtc } from '../../bamboohr/sandbox/generator.ts';

export type DeelHiringStatus = 'active' | 'inactive' | 'onboarding' | 'offboarding';

export interface DeelPerson {
  id: string;
  worker_id: number | null;
  first_name: string;
  last_name: string;
  preferred_first_name: string | null;
  workEmail: string | null;
  personalEmail: string | null;
  job_title: string | null;
  department: { id: string; name: string; parent: string | null } | null;
  team: { id: string; name: string } | null;
  managerId: string | null;
  hiring_type: string;
  hiring_status: DeelHiringStatus;
  start_date: string;
  termination_last_day: string | null;
  work_location: string | null;
  country: string | null;
  custom: Record<string, string>;
  updated_at: string;
}

export interface DeelPersonInput {
  first_name?: string;
  last_name?: string;
  workEmail?: string | null;
  personalEmail?: string | null;
  worker_id?: number | null;
  job_title?: string | null;
  department?: string | null;
  hiring_type?: string;
  start_date?: string;
  termination_last_day?: string | null;
  custom?: Record<string, string>;
}

export { SandboxRosterError as DeelRosterError };

const uuid = uuidFrom;

export function hiringStatusFor(start: string, last: string | null, today = todayUtc()): DeelHiringStatus {
  if (last !== null && last <= today) return 'inactive';
  if (start > today) return 'onboarding';
  if (last !== null) return 'offboarding';
  return 'active';
}

export class DeelRoster {
  private readonly people = new Map<string, DeelPerson>();
  private counter = 0;
  /** Custom field definitions (`GET /rest/v2/people/custom_fields`). */
  readonly customFields = [{ id: uuid('cf:cost-code'), name: 'Cost code', type: { name: 'text' } }];

  constructor(opts: { employees: number; seed: number }) {
    const { people } = sourceRoster({ source: 'deel', employees: opts.employees, seed: opts.seed });
    const idOf = new Map(people.map((p) => [p.id, uuid(`deel:${opts.seed}:${p.id}`)]));
    people.forEach((p, i) => this.people.set(idOf.get(p.id)!, this.fromSeed(p, idOf, i)));
  }

  private fromSeed(p: SeedEmployee, idOf: ReadonlyMap<string, string>, i: number): DeelPerson {
    const contractor = p.employmentHistoryStatus === 'Contractor';
    return {
      id: idOf.get(p.id)!,
      worker_id: p.employeeNumber ? Number(p.employeeNumber) : null,
      first_name: p.firstName,
      last_name: p.lastName,
      preferred_first_name: p.preferredName,
      workEmail: p.workEmail,
      personalEmail: p.homeEmail,
      job_title: p.jobTitle,
      department: p.department ? { id: uuid(`dept:${p.department}`), name: p.department, parent: p.division } : null,
      team: p.division ? { id: uuid(`team:${p.division}`), name: p.division } : null,
      managerId: p.supervisorEId ? (idOf.get(p.supervisorEId) ?? null) : null,
      hiring_type: contractor ? 'contractor' : i % 3 === 0 ? 'eor' : 'direct_employee',
      hiring_status: hiringStatusFor(p.hireDate, p.terminationDate),
      start_date: p.hireDate,
      termination_last_day: p.terminationDate,
      work_location: p.location,
      country: p.country,
      custom: p.division ? { 'Cost code': `CC-${p.division.slice(0, 3).toUpperCase()}` } : {},
      updated_at: new Date(p.changedMs).toISOString(),
    };
  }

  get size(): number {
    return this.people.size;
  }

  list(): DeelPerson[] {
    return [...this.people.values()];
  }

  get(id: string): DeelPerson | undefined {
    return this.people.get(id);
  }

  add(input: DeelPersonInput): DeelPerson {
    if (!input.first_name || !input.last_name) throw new SandboxRosterError('first_name and last_name are required', 'invalid');
    const start = input.start_date ?? todayUtc();
    const last = input.termination_last_day ?? null;
    const person: DeelPerson = {
      id: uuid(`added:${this.counter++}:${input.workEmail ?? input.first_name}`),
      worker_id: input.worker_id ?? null,
      first_name: input.first_name,
      last_name: input.last_name,
      preferred_first_name: null,
      workEmail: input.workEmail ?? null,
      personalEmail: input.personalEmail ?? null,
      job_title: input.job_title ?? null,
      department: input.department ? { id: uuid(`dept:${input.department}`), name: input.department, parent: null } : null,
      team: null,
      managerId: null,
      hiring_type: input.hiring_type ?? 'direct_employee',
      hiring_status: hiringStatusFor(start, last),
      start_date: start,
      termination_last_day: last,
      work_location: null,
      country: null,
      custom: input.custom ?? {},
      updated_at: new Date().toISOString(),
    };
    this.people.set(person.id, person);
    return person;
  }

  update(id: string, input: DeelPersonInput): DeelPerson {
    const p = this.require(id);
    const { department, custom, ...rest } = input;
    Object.assign(p, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
    if (department !== undefined) p.department = department ? { id: uuid(`dept:${department}`), name: department, parent: null } : null;
    if (custom) p.custom = { ...p.custom, ...custom };
    p.hiring_status = hiringStatusFor(p.start_date, p.termination_last_day);
    p.updated_at = new Date().toISOString();
    return p;
  }

  terminate(id: string, date: string): DeelPerson {
    return this.update(id, { termination_last_day: date });
  }

  remove(id: string): void {
    this.require(id);
    this.people.delete(id);
    for (const other of this.people.values()) if (other.managerId === id) other.managerId = null;
  }

  /** A person as the people list answers them. */
  present(p: DeelPerson): Record<string, unknown> {
    const manager = p.managerId ? this.people.get(p.managerId) : undefined;
    const emails = [
      { type: 'primary', value: p.personalEmail ?? p.workEmail },
      { type: 'work', value: p.workEmail },
      { type: 'personal', value: p.personalEmail },
    ];
    return {
      id: p.id,
      worker_id: p.worker_id,
      first_name: p.first_name,
      last_name: p.last_name,
      full_name: `${p.first_name} ${p.last_name}`,
      preferred_first_name: p.preferred_first_name,
      emails,
      job_title: p.job_title,
      department: p.department,
      direct_manager: manager ? { id: manager.id, first_name: manager.first_name, last_name: manager.last_name, work_email: manager.workEmail, worker_id: manager.worker_id === null ? null : String(manager.worker_id) } : null,
      hiring_type: p.hiring_type,
      hiring_status: p.hiring_status,
      start_date: p.start_date,
      work_location: p.work_location,
      country: p.country,
      employments: [
        {
          id: `e${p.id.slice(0, 6)}`,
          work_email: p.workEmail,
          hiring_type: p.hiring_type,
          hiring_status: p.hiring_status,
          start_date: p.start_date,
          termination_last_day: p.termination_last_day ? `${p.termination_last_day}T00:00:00.000Z` : null,
          is_ended: p.hiring_status === 'inactive',
          team: p.team,
          job_title: p.job_title,
        },
      ],
      updated_at: p.updated_at,
    };
  }

  private require(id: string): DeelPerson {
    const p = this.people.get(id);
    if (!p) throw new SandboxRosterError(`no person with id ${id}`, 'not_found');
    return p;
  }
}
