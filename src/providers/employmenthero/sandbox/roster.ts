/**
 * The Employment Hero sandbox's data: organisations, their employees and teams, shaped as the HR
 * API v1 answers them (see server.ts). People come from the company every sandbox shares
 * (src/sandbox/base-roster.ts): the same work e-mail (`company_email`) and employee code as
 * everywhere. Most are in the first organisation, some in the second, and a few in both (the same
 * company e-mail, a different employee id in each, as Employment Hero keeps them).
 */
import { SandboxRosterError, uuidFrom } from '../../../sandbox/shared/people-api.ts';
import { sourceRoster, type SeedEmployee } from '../../../sandbox/base-roster.ts';
import { todayUtc } from '../../bamboohr/sandbox/generator.ts';

export type EhStatus = 'active' | 'terminated' | 'pending';

export interface EhEmployee {
  id: string;
  organisationId: string;
  /** The same person in another organisation shares this key (the base person). */
  personKey: string;
  first_name: string;
  last_name: string;
  known_as: string | null;
  company_email: string | null;
  account_email: string | null;
  personal_email: string | null;
  job_title: string | null;
  code: string | null;
  location: string | null;
  company_landline: string | null;
  company_mobile: string | null;
  personal_mobile_number: string | null;
  start_date: string;
  termination_date: string | null;
  status: EhStatus;
  employment_type: string | null;
  primary_manager: { id: string; name: string } | null;
  primary_cost_centre: { id: string; name: string } | null;
  /** Team ids. */
  teams: string[];
  updated_at: string;
}

export interface EhOrganisation {
  readonly id: string;
  readonly name: string;
  readonly country: string;
}

export interface EhTeam {
  readonly id: string;
  readonly organisationId: string;
  name: string;
}

/** Writable by the control surface (`POST /_sandbox/employees`, the handle). */
export interface EhPersonInput {
  first_name?: string;
  last_name?: string;
  known_as?: string | null;
  company_email?: string | null;
  code?: string | null;
  job_title?: string | null;
  location?: string | null;
  company_landline?: string | null;
  start_date?: string;
  termination_date?: string | null;
  status?: EhStatus;
  team?: string | null;
  organisationId?: string;
}

export { SandboxRosterError as EhRosterError };

const uuid = uuidFrom;

export function statusFor(start: string, termination: string | null, today = todayUtc()): EhStatus {
  if (termination !== null && termination <= today) return 'terminated';
  if (start > today) return 'pending';
  return 'active';
}

export class EhRoster {
  readonly organisations: EhOrganisation[];
  private readonly employees = new Map<string, EhEmployee>();
  private readonly teams = new Map<string, EhTeam>();
  private counter = 0;
  version = 0;

  constructor(opts: { employees: number; seed: number }) {
    this.organisations = [
      { id: uuid(`org:${opts.seed}:1`), name: 'Acme Pty Ltd', country: 'AU' },
      { id: uuid(`org:${opts.seed}:2`), name: 'Acme NZ Ltd', country: 'NZ' },
    ];
    const { people } = sourceRoster({ source: 'employmenthero', employees: opts.employees, seed: opts.seed });
    const ids = new Map<string, Map<string, string>>();
    people.forEach((p, i) => {
      const orgs = i % 23 === 5 ? [0, 1] : i % 7 === 3 ? [1] : [0];
      for (const o of orgs) {
        const org = this.organisations[o]!;
        const id = uuid(`emp:${org.id}:${p.id}`);
        ids.set(p.id, (ids.get(p.id) ?? new Map()).set(org.id, id));
        this.insert(this.fromSeed(p, org, id));
      }
    });
    // Managers are people of the same organisation.
    for (const p of people) {
      for (const [orgId, id] of ids.get(p.id) ?? []) {
        const e = this.employees.get(id)!;
        const managerId = p.supervisorEId === null ? undefined : ids.get(p.supervisorEId)?.get(orgId);
        const m = managerId ? this.employees.get(managerId) : undefined;
        e.primary_manager = m ? { id: m.id, name: `${m.first_name} ${m.last_name}` } : null;
      }
    }
    this.version = 0;
  }

  private fromSeed(p: SeedEmployee, org: EhOrganisation, id: string): EhEmployee {
    const teamId = p.department ? this.ensureTeam(org.id, p.department) : null;
    return {
      id,
      organisationId: org.id,
      personKey: p.id,
      first_name: p.firstName,
      last_name: p.lastName,
      known_as: p.preferredName,
      company_email: p.workEmail,
      // The sign-in is often a personal address: never the work e-mail's stand-in.
      account_email: p.homeEmail ?? p.workEmail,
      personal_email: p.homeEmail,
      job_title: p.jobTitle,
      code: p.employeeNumber,
      location: p.location,
      company_landline: p.workPhone,
      company_mobile: null,
      personal_mobile_number: p.mobilePhone,
      start_date: p.hireDate,
      termination_date: p.terminationDate,
      status: statusFor(p.hireDate, p.terminationDate),
      employment_type: p.employmentHistoryStatus === 'Contractor' ? 'Contractor' : p.employmentHistoryStatus === 'Part-Time' ? 'Part-time' : 'Full-time',
      primary_manager: null,
      primary_cost_centre: p.division ? { id: uuid(`cc:${org.id}:${p.division}`), name: p.division } : null,
      teams: teamId ? [teamId] : [],
      updated_at: new Date(p.changedMs).toISOString(),
    };
  }

  private ensureTeam(organisationId: string, name: string): string {
    const id = uuid(`team:${organisationId}:${name}`);
    if (!this.teams.has(id)) this.teams.set(id, { id, organisationId, name });
    return id;
  }

  private insert(e: EhEmployee): void {
    this.employees.set(e.id, e);
  }

  get size(): number {
    return this.employees.size;
  }

  list(organisationId?: string): EhEmployee[] {
    return [...this.employees.values()].filter((e) => organisationId === undefined || e.organisationId === organisationId);
  }

  get(id: string): EhEmployee | undefined {
    return this.employees.get(id);
  }

  teamsOf(organisationId: string): EhTeam[] {
    return [...this.teams.values()].filter((t) => t.organisationId === organisationId);
  }

  team(id: string): EhTeam | undefined {
    return this.teams.get(id);
  }

  membersOf(teamId: string): EhEmployee[] {
    return this.list().filter((e) => e.teams.includes(teamId));
  }

  organisation(id: string): EhOrganisation | undefined {
    return this.organisations.find((o) => o.id === id);
  }

  add(input: EhPersonInput): EhEmployee {
    const org = this.organisation(input.organisationId ?? this.organisations[0]!.id);
    if (!org) throw new SandboxRosterError(`no organisation ${input.organisationId}`, 'not_found');
    if (!input.first_name || !input.last_name) throw new SandboxRosterError('first_name and last_name are required', 'invalid');
    const start = input.start_date ?? todayUtc();
    const termination = input.termination_date ?? null;
    const id = uuid(`added:${org.id}:${this.counter++}:${input.company_email ?? input.first_name}`);
    const e: EhEmployee = {
      id,
      organisationId: org.id,
      personKey: `added-${id}`,
      first_name: input.first_name,
      last_name: input.last_name,
      known_as: input.known_as ?? null,
      company_email: input.company_email ?? null,
      account_email: input.company_email ?? null,
      personal_email: null,
      job_title: input.job_title ?? null,
      code: input.code ?? null,
      location: input.location ?? null,
      company_landline: input.company_landline ?? null,
      company_mobile: null,
      personal_mobile_number: null,
      start_date: start,
      termination_date: termination,
      status: input.status ?? statusFor(start, termination),
      employment_type: 'Full-time',
      primary_manager: null,
      primary_cost_centre: null,
      teams: input.team ? [this.ensureTeam(org.id, input.team)] : [],
      updated_at: new Date().toISOString(),
    };
    this.insert(e);
    this.version++;
    return e;
  }

  update(id: string, input: EhPersonInput): EhEmployee {
    const e = this.require(id);
    const { team, organisationId: _org, ...fields } = input;
    Object.assign(e, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
    if (team !== undefined) e.teams = team ? [this.ensureTeam(e.organisationId, team)] : [];
    if (input.start_date !== undefined || input.termination_date !== undefined) e.status = input.status ?? statusFor(e.start_date, e.termination_date);
    e.updated_at = new Date().toISOString();
    this.version++;
    return e;
  }

  terminate(id: string, date: string): EhEmployee {
    return this.update(id, { termination_date: date });
  }

  remove(id: string): void {
    this.require(id);
    this.employees.delete(id);
    for (const other of this.employees.values()) if (other.primary_manager?.id === id) other.primary_manager = null;
    this.version++;
  }

  renameTeam(id: string, name: string): EhTeam {
    const t = this.teams.get(id);
    if (!t) throw new SandboxRosterError(`no team ${id}`, 'not_found');
    t.name = name;
    this.version++;
    return t;
  }

  private require(id: string): EhEmployee {
    const e = this.employees.get(id);
    if (!e) throw new SandboxRosterError(`no employee with id ${id}`, 'not_found');
    return e;
  }
}
