/**
 * Seeded company generator for the BambooHR sandbox: deterministic for a given
 * (seed, employee count, today), and fast (100,000 people in a few hundred milliseconds).
 */
import {
  createRng,
  displayNameOf,
  emailLocalPart,
  PERSONAL_MAIL_DOMAINS,
  pickName,
  PLACES,
  type Place,
  type Rng,
} from '../../../sandbox/names.ts';
import { SHIRT_SIZES } from './fields.ts';

export interface DepartmentDef {
  readonly name: string;
  readonly division: string;
  /** Relative headcount. */
  readonly weight: number;
  readonly titles: readonly string[];
}

export const DIVISIONS = ['Corporate', 'Technology', 'Go-to-Market', 'Operations', 'People & Culture'] as const;

export const DEPARTMENTS: readonly DepartmentDef[] = [
  { name: 'Executive Office', division: 'Corporate', weight: 0.3, titles: ['Chief of Staff', 'Executive Assistant'] },
  { name: 'Finance', division: 'Corporate', weight: 4, titles: ['Accountant', 'Financial Analyst', 'Payroll Specialist', 'Controller', 'Accounts Payable Clerk'] },
  { name: 'Legal', division: 'Corporate', weight: 1.5, titles: ['Counsel', 'Paralegal', 'Contracts Manager', 'Privacy Counsel'] },
  { name: 'Engineering', division: 'Technology', weight: 18, titles: ['Software Engineer', 'Senior Software Engineer', 'Staff Software Engineer', 'Principal Engineer', 'QA Engineer', 'Software Engineer II'] },
  { name: 'Platform', division: 'Technology', weight: 5, titles: ['Site Reliability Engineer', 'DevOps Engineer', 'Platform Engineer', 'Senior Platform Engineer'] },
  { name: 'Data & Analytics', division: 'Technology', weight: 4, titles: ['Data Analyst', 'Data Scientist', 'Analytics Engineer', 'Data Engineer'] },
  { name: 'Security', division: 'Technology', weight: 2, titles: ['Security Engineer', 'Security Analyst', 'GRC Specialist'] },
  { name: 'IT', division: 'Technology', weight: 3, titles: ['IT Support Specialist', 'Systems Administrator', 'Service Desk Analyst'] },
  { name: 'Product', division: 'Technology', weight: 4, titles: ['Product Manager', 'Senior Product Manager', 'Product Owner'] },
  { name: 'Design', division: 'Technology', weight: 3, titles: ['Product Designer', 'UX Researcher', 'Content Designer'] },
  { name: 'Research & Development', division: 'Technology', weight: 3, titles: ['Research Scientist', 'R&D Engineer'] },
  { name: 'Sales', division: 'Go-to-Market', weight: 12, titles: ['Account Executive', 'Sales Development Representative', 'Enterprise Account Executive', 'Sales Engineer'] },
  { name: 'Marketing', division: 'Go-to-Market', weight: 5, titles: ['Marketing Manager', 'Content Marketer', 'Growth Marketer', 'Brand Designer'] },
  { name: 'Customer Success', division: 'Go-to-Market', weight: 6, titles: ['Customer Success Manager', 'Onboarding Specialist', 'Renewals Manager'] },
  { name: 'Support', division: 'Go-to-Market', weight: 8, titles: ['Support Specialist', 'Technical Support Engineer', 'Support Agent'] },
  { name: 'Partnerships', division: 'Go-to-Market', weight: 2, titles: ['Partner Manager', 'Alliances Manager'] },
  { name: 'Operations', division: 'Operations', weight: 4, titles: ['Operations Analyst', 'Business Operations Manager', 'Program Manager'] },
  { name: 'Logistics', division: 'Operations', weight: 4, titles: ['Logistics Coordinator', 'Warehouse Associate', 'Supply Chain Analyst'] },
  { name: 'Facilities', division: 'Operations', weight: 2, titles: ['Facilities Coordinator', 'Office Manager', 'Receptionist'] },
  { name: 'Procurement', division: 'Operations', weight: 1.5, titles: ['Buyer', 'Procurement Specialist', 'Vendor Manager'] },
  { name: 'People Operations', division: 'People & Culture', weight: 3, titles: ['HR Generalist', 'HR Business Partner', 'People Operations Specialist', 'Benefits Administrator'] },
  { name: 'Talent Acquisition', division: 'People & Culture', weight: 2.5, titles: ['Recruiter', 'Technical Recruiter', 'Recruiting Coordinator', 'Sourcer'] },
  { name: 'Learning & Development', division: 'People & Culture', weight: 1, titles: ['L&D Specialist', 'Instructional Designer'] },
];

const DEPARTMENT_BY_NAME = new Map(DEPARTMENTS.map((d) => [d.name, d]));
export function departmentByName(name: string): DepartmentDef | undefined {
  return DEPARTMENT_BY_NAME.get(name);
}

const EXECUTIVE_OFFICE = 'Executive Office';
const DEPT_WEIGHTS = DEPARTMENTS.map((d) => [d, d.weight] as const);
const PLACE_WEIGHTS = PLACES.map((p) => [p, p.weight] as const);

/** Everything the roster stores about one person (derived fields such as supervisorEmail excepted). */
export interface SeedEmployee {
  id: string;
  employeeNumber: string | null;
  firstName: string;
  lastName: string;
  preferredName: string | null;
  displayName: string;
  workEmail: string | null;
  homeEmail: string | null;
  jobTitle: string | null;
  department: string | null;
  division: string | null;
  location: string | null;
  country: string | null;
  supervisorEId: string | null;
  hireDate: string;
  terminationDate: string | null;
  status: 'Active' | 'Inactive';
  employmentHistoryStatus: string | null;
  mobilePhone: string | null;
  workPhone: string | null;
  customShirtSize: string | null;
  /** When the record was created (ms since epoch). */
  createdMs: number;
  /** When the record last changed (ms since epoch). */
  changedMs: number;
}

export interface GenerateOptions {
  readonly employees: number;
  readonly seed: number;
  /** `YYYY-MM-DD` (UTC) that "today" is for hire and termination dates. */
  readonly today: string;
  readonly emailDomain?: string;
  /**
   * Split the departments into about this many teams (each a department value of its own,
   * "Engineering 017"), shared by weight: a large org's many small units (benchmarks use 5,000).
   */
  readonly teams?: number;
}

export interface GeneratedCompany {
  readonly employees: SeedEmployee[];
  readonly divisions: readonly string[];
  readonly departments: readonly string[];
  readonly locations: readonly string[];
}

const DAY_MS = 86_400_000;

export function dayOf(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

const dateCache = new Map<number, string>();

export function dateOf(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dateCache.size < 50_000) dateCache.set(day, s);
  }
  return s;
}

export function todayUtc(now: number = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Hands out unique e-mail local parts: `jose.alvarez`, then `jose.alvarez2`, … */
export class EmailAllocator {
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly domain: string) {}

  /** Marks an address as used (e.g. one given explicitly). Returns false if it already was. */
  claim(address: string): boolean {
    const key = address.toLowerCase();
    if (this.taken.has(key)) return false;
    this.taken.add(key);
    return true;
  }

  release(address: string): void {
    this.taken.delete(address.toLowerCase());
  }

  has(address: string): boolean {
    return this.taken.has(address.toLowerCase());
  }

  allocate(latinFirst: string, latinLast: string): string {
    const base = localPartCached(latinFirst, latinLast) || 'employee';
    let n = this.counters.get(base) ?? 1;
    for (;;) {
      const address = `${n === 1 ? base : `${base}${n}`}@${this.domain}`;
      n++;
      if (!this.taken.has(address)) {
        this.counters.set(base, n);
        this.taken.add(address);
        return address;
      }
    }
  }
}

const localPartCached = emailLocalPart;

/** A person without id, supervisor or stamps: what both the generator and `roster.add({})` start from. */
export interface NewPerson {
  firstName: string;
  lastName: string;
  latinFirst: string;
  latinLast: string;
  preferredName: string | null;
  displayName: string;
  homeEmail: string | null;
  department: string;
  division: string;
  jobTitle: string;
  location: string;
  country: string;
  employmentHistoryStatus: string;
  mobilePhone: string | null;
  workPhone: string | null;
  customShirtSize: string | null;
}

export function randomPerson(rng: Rng, forceDepartment?: DepartmentDef): NewPerson {
  const place: Place = rng.weighted(PLACE_WEIGHTS);
  const name = pickName(rng, rng.weighted(place.cultures));
  const dept = forceDepartment ?? rng.weighted(DEPT_WEIGHTS);
  const r = rng.next();
  const employmentHistoryStatus = r < 0.82 ? 'Full-Time' : r < 0.91 ? 'Part-Time' : 'Contractor';
  const homeEmail = rng.chance(0.35)
    ? `${localPartCached(name.latinFirst, name.latinLast) || 'me'}${rng.int(1, 99)}@${rng.pick(PERSONAL_MAIL_DOMAINS)}`
    : null;
  return {
    firstName: name.firstName,
    lastName: name.lastName,
    latinFirst: name.latinFirst,
    latinLast: name.latinLast,
    preferredName: name.preferredName,
    displayName: name.displayName,
    homeEmail,
    department: dept.name,
    division: dept.division,
    jobTitle: rng.pick(dept.titles),
    location: place.name,
    country: place.country,
    employmentHistoryStatus,
    mobilePhone: rng.chance(0.85) ? place.mobilePhone(rng) : null,
    workPhone: rng.chance(0.7) ? place.workPhone(rng) : null,
    customShirtSize: rng.chance(0.6) ? rng.pick(SHIRT_SIZES) : null,
  };
}

const SPAN = 8;

/** Picks `k` distinct indices from [from, to) (partial Fisher–Yates). */
function sample(rng: Rng, from: number, to: number, k: number): number[] {
  const pool: number[] = [];
  for (let i = from; i < to; i++) pool.push(i);
  const out: number[] = [];
  for (let i = 0; i < k && pool.length > 0; i++) {
    const j = rng.int(0, pool.length - 1);
    out.push(pool[j] as number);
    pool[j] = pool[pool.length - 1] as number;
    pool.pop();
  }
  return out;
}

export function generateCompany(opts: GenerateOptions): GeneratedCompany {
  const n = Math.max(0, Math.floor(opts.employees));
  const rng = createRng(opts.seed);
  const today = dayOf(opts.today);
  const todayMs = today * DAY_MS;
  const emails = new EmailAllocator(opts.emailDomain ?? 'acme.example');
  const homeEmails = new Set<string>();

  type Draft = NewPerson & {
    hireDay: number;
    termDay: number | null;
    active: boolean;
    rank: number;
    supervisor: number;
    level: number;
  };
  const drafts: Draft[] = new Array<Draft>(n);
  const execDept = departmentByName(EXECUTIVE_OFFICE);
  for (let i = 0; i < n; i++) {
    const p = randomPerson(rng, i === 0 ? execDept : undefined);
    if (p.homeEmail !== null) {
      if (homeEmails.has(p.homeEmail)) p.homeEmail = null;
      else homeEmails.add(p.homeEmail);
    }
    // Hire dates skew recent (a growing company); the CEO was there first.
    const daysAgo = i === 0 ? 7400 : 1 + Math.floor(7300 * Math.pow(rng.next(), 1.8));
    // An explicit literal (not a spread): one hidden class for all 100,000 drafts keeps this fast.
    drafts[i] = {
      firstName: p.firstName, lastName: p.lastName, latinFirst: p.latinFirst, latinLast: p.latinLast,
      preferredName: p.preferredName, displayName: p.displayName, homeEmail: p.homeEmail, department: p.department,
      division: p.division, jobTitle: p.jobTitle, location: p.location, country: p.country,
      employmentHistoryStatus: p.employmentHistoryStatus, mobilePhone: p.mobilePhone, workPhone: p.workPhone,
      customShirtSize: p.customShirtSize,
      hireDay: today - daysAgo, termDay: null, active: true, rank: 0, supervisor: -1, level: 0,
    };
  }
  if (n > 0) {
    const ceo = drafts[0] as Draft;
    ceo.employmentHistoryStatus = 'Full-Time';
  }

  // Special populations (never the CEO).
  const nTerminated = n >= 10 ? Math.max(1, Math.round(n * 0.05)) : 0;
  const nFutureHires = n >= 20 ? Math.max(2, Math.round(n * 0.004)) : n >= 5 ? 1 : 0;
  const nFutureTerms = n >= 20 ? Math.max(2, Math.round(n * 0.002)) : n >= 8 ? 1 : 0;
  const picked = sample(rng, 1, n, nTerminated + nFutureHires + nFutureTerms);
  picked.forEach((idx, k) => {
    const d = drafts[idx] as Draft;
    if (k < nTerminated) {
      if (d.hireDay > today - 40) d.hireDay = today - 40 - rng.int(0, 400);
      d.termDay = rng.int(d.hireDay + 30, today - 1);
      d.active = false;
      d.employmentHistoryStatus = 'Terminated';
    } else if (k < nTerminated + nFutureHires) {
      d.hireDay = today + rng.int(3, 60);
      d.active = false; // BambooHR: future hires are "Inactive" until their hire date
    } else {
      d.termDay = today + rng.int(5, 45); // still Active until then
    }
  });

  // Ids follow creation order, which follows hire order (the CEO first, future hires last).
  const order = drafts.map((_, i) => i);
  order.sort((a, b) => (drafts[a] as Draft).hireDay - (drafts[b] as Draft).hireDay || a - b);
  const ids: string[] = new Array<string>(n);
  let nextId = 100;
  order.forEach((idx, rank) => {
    (drafts[idx] as Draft).rank = rank;
    ids[idx] = String(nextId);
    nextId += rng.chance(0.06) ? rng.int(2, 4) : 1; // gaps: records created and deleted long ago
  });

  // Reporting lines: CEO → division heads → department heads → managers → team leads → people.
  if (n > 0) buildTree(drafts, order, rng);

  // Titles that follow the tree.
  for (let i = 0; i < n; i++) {
    const d = drafts[i] as Draft;
    if (i === 0) d.jobTitle = 'Chief Executive Officer';
    else if (d.level === LEVEL_DIVISION_HEAD) d.jobTitle = `VP, ${d.division}`;
    else if (d.level === LEVEL_DEPT_HEAD) d.jobTitle = `Head of ${d.department}`;
    else if (d.level > 0) d.jobTitle = leadTitle(d.department, d.level);
  }

  // Change stamps (all strictly before today 00:00 UTC, so before the sandbox clock starts).
  // Earlier hires got the plain addresses; later namesakes get jose.alvarez2, …
  const workEmails: string[] = new Array<string>(n);
  for (const idx of order) workEmails[idx] = emails.allocate((drafts[idx] as Draft).latinFirst, (drafts[idx] as Draft).latinLast);

  const employees: SeedEmployee[] = new Array<SeedEmployee>(n);
  for (let i = 0; i < n; i++) {
    const d = drafts[i] as Draft;
    const createdDay = Math.min(d.hireDay - rng.int(5, 40), today - 1);
    const createdMs = createdDay * DAY_MS + rng.int(8 * 3600, 18 * 3600) * 1000;
    const floorMs = Math.max(createdMs, d.termDay !== null && d.termDay < today ? d.termDay * DAY_MS : todayMs - 400 * DAY_MS);
    const ceilMs = todayMs - 60_000;
    const changedMs = floorMs >= ceilMs ? ceilMs : floorMs + Math.floor(rng.next() * (ceilMs - floorMs));
    const supervisor = d.supervisor >= 0 ? (ids[d.supervisor] as string) : null;
    employees[i] = {
      id: ids[i] as string,
      employeeNumber: String(10001 + d.rank),
      firstName: d.firstName,
      lastName: d.lastName,
      preferredName: d.preferredName,
      displayName: displayNameOf(d.firstName, d.lastName, d.preferredName),
      workEmail: workEmails[i] as string,
      homeEmail: d.homeEmail,
      jobTitle: d.jobTitle,
      department: d.department,
      division: d.division,
      location: d.location,
      country: d.country,
      supervisorEId: supervisor,
      hireDate: dateOf(d.hireDay),
      terminationDate: d.termDay === null ? null : dateOf(d.termDay),
      status: d.active ? 'Active' : 'Inactive',
      employmentHistoryStatus: d.employmentHistoryStatus,
      mobilePhone: d.mobilePhone,
      workPhone: d.workPhone,
      customShirtSize: d.customShirtSize,
      createdMs: Math.min(createdMs, changedMs),
      changedMs,
    };
  }
  employees.sort((a, b) => Number(a.id) - Number(b.id));
  const departments = opts.teams && opts.teams > DEPARTMENTS.length ? splitIntoTeams(employees, opts.teams) : DEPARTMENTS.map((d) => d.name);

  return {
    employees,
    divisions: [...DIVISIONS],
    departments,
    locations: PLACES.map((p) => p.name),
  };
}

/** Gives each person a team of their department (by id, so stable for a seed); returns the team names. */
function splitIntoTeams(employees: SeedEmployee[], teams: number): string[] {
  const totalWeight = DEPARTMENTS.reduce((sum, d) => sum + d.weight, 0);
  const perDepartment = new Map(DEPARTMENTS.map((d) => [d.name, Math.max(1, Math.round((teams * d.weight) / totalWeight))]));
  const width = String(Math.max(...perDepartment.values())).length;
  const teamOf = (department: string, n: number) => `${department} ${String(n).padStart(width, '0')}`;
  for (const e of employees) {
    const count = e.department ? perDepartment.get(e.department) : undefined;
    if (e.department && count) e.department = teamOf(e.department, 1 + (Number(e.id) % count));
  }
  return DEPARTMENTS.flatMap((d) => Array.from({ length: perDepartment.get(d.name)! }, (_, k) => teamOf(d.name, k + 1)));
}

const LEVEL_DEPT_HEAD = 100;
const LEVEL_DIVISION_HEAD = 200;

function leadTitle(department: string, level: number): string {
  if (level === 1) return `${department} Team Lead`;
  if (level === 2) return `${department} Manager`;
  if (level === 3) return `Senior ${department} Manager`;
  return `Director, ${department}`;
}

interface TreeNode {
  department: string;
  division: string;
  active: boolean;
  supervisor: number;
  level: number;
}

function buildTree(drafts: TreeNode[], hireOrder: readonly number[], rng: Rng): void {
  const CEO = 0;
  const byDept = new Map<string, { active: number[]; inactive: number[] }>();
  for (const idx of hireOrder) {
    if (idx === CEO) continue;
    const d = drafts[idx] as TreeNode;
    let bucket = byDept.get(d.department);
    if (!bucket) byDept.set(d.department, (bucket = { active: [], inactive: [] }));
    (d.active ? bucket.active : bucket.inactive).push(idx);
  }
  const ceoDept = (drafts[CEO] as TreeNode).department;
  const ceoDivision = (drafts[CEO] as TreeNode).division;

  const deptHead = new Map<string, number>();
  const deptLeaders = new Map<string, number[]>();
  for (const [dept, bucket] of byDept) {
    const members = bucket.active;
    let head: number;
    let rest: number[];
    if (dept === ceoDept) {
      head = CEO;
      rest = members;
    } else {
      if (members.length === 0) continue;
      head = members[0] as number;
      rest = members.slice(1);
      (drafts[head] as TreeNode).level = LEVEL_DEPT_HEAD;
    }
    deptHead.set(dept, head);
    // Balanced tree: chunks of SPAN, the earliest hire of each chunk leads it, repeat upwards.
    let layer = rest;
    let round = 1;
    const leaders: number[] = [];
    while (layer.length > SPAN) {
      const next: number[] = [];
      for (let i = 0; i < layer.length; i += SPAN) {
        const lead = layer[i] as number;
        next.push(lead);
        (drafts[lead] as TreeNode).level = round;
        for (let j = i + 1; j < Math.min(i + SPAN, layer.length); j++) (drafts[layer[j] as number] as TreeNode).supervisor = lead;
      }
      layer = next;
      round++;
    }
    for (const x of layer) (drafts[x] as TreeNode).supervisor = head;
    leaders.push(head, ...layer.filter((x) => (drafts[x] as TreeNode).level > 0));
    deptLeaders.set(dept, leaders);
  }

  // Division heads: the earliest-hired department head of the division (the CEO for their own).
  const divisionHead = new Map<string, number>();
  divisionHead.set(ceoDivision, CEO);
  for (const idx of hireOrder) {
    const d = drafts[idx] as TreeNode;
    if (d.level !== LEVEL_DEPT_HEAD || divisionHead.has(d.division)) continue;
    divisionHead.set(d.division, idx);
    d.level = LEVEL_DIVISION_HEAD;
  }
  for (const [, head] of deptHead) {
    if (head === CEO) continue;
    const d = drafts[head] as TreeNode;
    const divHead = divisionHead.get(d.division) ?? CEO;
    d.supervisor = divHead === head ? CEO : divHead;
  }

  // People who are not active (terminated, future hires) still have a manager in their department.
  for (const [dept, bucket] of byDept) {
    const leaders = deptLeaders.get(dept);
    for (const idx of bucket.inactive) {
      const d = drafts[idx] as TreeNode;
      d.supervisor = leaders && leaders.length > 0 ? rng.pick(leaders) : (divisionHead.get(d.division) ?? CEO);
    }
  }
}
