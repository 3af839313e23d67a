/**
 * The HiBob sandbox's people store: employees as HiBob holds them (backend ids, list-item ids for
 * department, site, title and employment type), plus the named lists those ids point into.
 *
 * Seeded people are HiBob's share of the company every sandbox draws from (src/sandbox/base-roster.ts:
 * the same work e-mail and employee number as in BambooHR's sandbox with the same seed and size),
 * plus people only HiBob has; multilingual names, reporting lines, terminated people, future
 * starters and future leavers, re-shaped into HiBob's model:
 * - `id`: a 19-digit backend id; `employeeIdInCompany`: a small number.
 * - `internal.status` `Active`/`Inactive`; `internal.lifecycleStatus` `employed`, `hired` (a future
 *   starter: Inactive until the start date, as HiBob excludes them from `showInactive: false`),
 *   `terminated` (Inactive), with `internal.terminationDate`. A future termination keeps the person
 *   Active and employed until that date.
 */
import { createRng, displayNameOf, type Rng } from '../../../sandbox/names.ts';
import { isIsoDate } from '../../bamboohr/sandbox/clock.ts';
import { EmailAllocator, randomPerson, todayUtc, type SeedEmployee } from '../../bamboohr/sandbox/generator.ts';
import { COMPANY_DOMAIN, sourceRoster } from '../../../sandbox/base-roster.ts';
import { NamedLists, SUB_TEAMS } from './lists.ts';

export type HibobStatus = 'Active' | 'Inactive';
export type HibobLifecycleStatus = 'employed' | 'hired' | 'terminated' | 'leave';
const LIFECYCLE: ReadonlySet<string> = new Set(['employed', 'hired', 'terminated', 'leave']);

/** One employee as the sandbox's control surface shows it (names resolved, ids alongside). */
export interface HibobEmployee {
  readonly id: string;
  readonly employeeIdInCompany: number;
  readonly email: string | null;
  readonly firstName: string;
  readonly surname: string;
  readonly displayName: string;
  readonly title: string | null;
  readonly department: string | null;
  readonly departmentId: string | null;
  readonly site: string | null;
  readonly siteId: string | null;
  /** The manager's backend id. */
  readonly reportsTo: string | null;
  readonly startDate: string;
  readonly terminationDate: string | null;
  readonly status: HibobStatus;
  readonly lifecycleStatus: HibobLifecycleStatus;
  readonly employmentType: string | null;
  /** `work.workPhone` ("Work phone"). */
  readonly workPhone: string | null;
  /** `work.workMobile` ("Work mobile"). */
  readonly workMobile: string | null;
  /** `home.mobilePhone` ("Mobile phone", category Home): personal. */
  readonly homeMobilePhone: string | null;
  readonly creationDateTime: string;
}

/**
 * A person to create (`people` option, `roster.add`, `POST /_sandbox/employees`). Everything is
 * optional: what is missing is generated. `department`, `site`, `title` and `employmentType` are
 * names (a department may also be given by list-item id); unknown names become new list items.
 * `reportsTo` is the manager's backend id or work email.
 */
export interface HibobSeedPerson {
  id?: string;
  email?: string | null;
  firstName?: string;
  surname?: string;
  displayName?: string;
  title?: string | null;
  department?: string | null;
  site?: string | null;
  reportsTo?: string | null;
  employeeIdInCompany?: number;
  startDate?: string;
  terminationDate?: string | null;
  status?: HibobStatus;
  lifecycleStatus?: HibobLifecycleStatus;
  employmentType?: string | null;
  workPhone?: string | null;
  workMobile?: string | null;
  homeMobilePhone?: string | null;
}

export type HibobEmployeePatch = Omit<HibobSeedPerson, 'id'>;

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'id', 'email', 'firstName', 'surname', 'displayName', 'title', 'department', 'site', 'reportsTo', 'employeeIdInCompany',
  'startDate', 'terminationDate', 'status', 'lifecycleStatus', 'employmentType', 'workPhone', 'workMobile', 'homeMobilePhone',
]);

/** Internal, mutable record: list fields hold list-item ids, as HiBob stores them. */
export interface HibobRecord {
  id: string;
  employeeIdInCompany: number;
  email: string | null;
  firstName: string;
  surname: string;
  displayName: string;
  titleId: string | null;
  departmentId: string | null;
  siteId: string | null;
  reportsTo: string | null;
  startDate: string;
  terminationDate: string | null;
  status: HibobStatus;
  lifecycleStatus: HibobLifecycleStatus;
  employmentTypeId: string | null;
  workPhone: string | null;
  workMobile: string | null;
  homeMobilePhone: string | null;
  creationDateTime: string;
}

export class HibobRosterError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid' | 'not_found' | 'conflict',
  ) {
    super(message);
    this.name = 'HibobRosterError';
  }
}

export interface HibobRosterOptions {
  /** The size of the company HiBob holds a share of (as BambooHR's sandbox `employees`). */
  readonly employees: number;
  readonly seed: number;
  /** Domain of the e-mails of people added later (default the company's). */
  readonly emailDomain?: string;
  readonly people?: readonly HibobSeedPerson[];
}

/** Mixed into the seed for HiBob's own choices (sub-teams, backend ids). */
const HIBOB_SALT = 0x4b0b;

const EMPLOYMENT_TYPE_OF: Readonly<Record<string, string>> = {
  'Full-Time': 'Permanent',
  'Part-Time': 'Part-time',
  Contractor: 'Contractor',
};

export class HibobRoster {
  readonly lists = new NamedLists();
  private readonly byId = new Map<string, HibobRecord>();
  private readonly byEmail = new Map<string, HibobRecord>();
  private ordered: HibobRecord[] = [];
  private readonly rng: Rng;
  private readonly emails: EmailAllocator;
  private nextNumber = 1;
  private versionCounter = 0;

  constructor(opts: HibobRosterOptions) {
    this.rng = createRng(opts.seed ^ HIBOB_SALT);
    this.emails = new EmailAllocator(opts.emailDomain ?? COMPANY_DOMAIN);
    const today = todayUtc();
    const { people } = sourceRoster({ source: 'hibob', employees: opts.employees, seed: opts.seed, today });
    const idOf = new Map<string, string>();
    for (const s of people) idOf.set(s.id, this.newId());
    for (const s of people) this.insert(this.fromSeed(s, idOf, today));
    for (const p of opts.people ?? []) this.add(p);
    this.versionCounter = 0;
  }

  get size(): number {
    return this.ordered.length;
  }

  /** Bumps on every change (lets the search route cache its rendering). */
  get version(): number {
    return this.versionCounter;
  }

  get(id: string): HibobEmployee | undefined {
    const r = this.byId.get(String(id)) ?? this.byEmail.get(String(id).toLowerCase());
    return r ? this.view(r) : undefined;
  }

  list(): HibobEmployee[] {
    return this.ordered.map((r) => this.view(r));
  }

  /** Records in creation order (do not mutate). */
  records(): readonly HibobRecord[] {
    return this.ordered;
  }

  record(id: string): HibobRecord | undefined {
    return this.byId.get(id);
  }

  recordByEmail(email: string): HibobRecord | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  /** Adds a person; anything not given is generated (a random multilingual person). */
  add(input: HibobSeedPerson = {}): HibobEmployee {
    const p = this.validate(input, null);
    const today = todayUtc();
    const hasName = p.firstName !== undefined || p.surname !== undefined;
    if (hasName && (!p.firstName || !p.surname)) throw new HibobRosterError('firstName and surname are both required (omit both for a random person)', 'invalid');
    const person = randomPerson(this.rng);
    const firstName = p.firstName ?? person.firstName;
    const surname = p.surname ?? person.lastName;
    let id = p.id;
    if (id !== undefined) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new HibobRosterError('id must be 1–64 letters, digits, "-" or "_"', 'invalid');
      if (this.byId.has(id)) throw new HibobRosterError(`an employee with id ${id} already exists`, 'conflict');
    } else {
      id = this.newId();
    }
    let email: string | null;
    if (p.email !== undefined) {
      email = p.email;
      if (email !== null && !this.emails.claim(email)) throw new HibobRosterError(`email ${email} is already in use`, 'conflict');
    } else {
      email = this.emails.allocate(hasName ? firstName : person.latinFirst, hasName ? surname : person.latinLast);
    }
    const startDate = p.startDate ?? today;
    const terminationDate = p.terminationDate ?? null;
    const derived = lifecycleFor(startDate, terminationDate, today);
    const department = p.department !== undefined ? p.department : person.department;
    const rec: HibobRecord = {
      id,
      employeeIdInCompany: p.employeeIdInCompany ?? this.nextNumber,
      email,
      firstName,
      surname,
      displayName: p.displayName ?? (hasName ? displayNameOf(firstName, surname, null) : displayNameOf(firstName, surname, person.preferredName)),
      titleId: this.listId('title', p.title !== undefined ? p.title : person.jobTitle),
      departmentId: this.departmentId(department),
      siteId: this.listId('site', p.site !== undefined ? p.site : person.location),
      reportsTo: p.reportsTo !== undefined ? this.managerId(p.reportsTo) : this.defaultManager(),
      startDate,
      terminationDate,
      status: p.status ?? derived.status,
      lifecycleStatus: p.lifecycleStatus ?? derived.lifecycleStatus,
      employmentTypeId: this.listId('employmentType', p.employmentType !== undefined ? p.employmentType : (EMPLOYMENT_TYPE_OF[person.employmentHistoryStatus] ?? 'Permanent')),
      ...phonesOf(person, p),
      creationDateTime: new Date().toISOString(),
    };
    this.nextNumber = Math.max(this.nextNumber, rec.employeeIdInCompany + 1);
    this.insert(rec);
    this.versionCounter++;
    return this.view(rec);
  }

  update(id: string, input: HibobEmployeePatch): HibobEmployee {
    const rec = this.require(id);
    if (input && typeof input === 'object' && 'id' in input) throw new HibobRosterError('id cannot be changed', 'invalid');
    const p = this.validate(input, rec);
    if (p.email !== undefined && (p.email ?? '').toLowerCase() !== (rec.email ?? '').toLowerCase()) {
      if (p.email !== null && !this.emails.claim(p.email)) throw new HibobRosterError(`email ${p.email} is already in use`, 'conflict');
      if (rec.email) {
        this.emails.release(rec.email);
        this.byEmail.delete(rec.email.toLowerCase());
      }
      rec.email = p.email;
      if (rec.email) this.byEmail.set(rec.email.toLowerCase(), rec);
    }
    const nameChanged = p.firstName !== undefined || p.surname !== undefined;
    if (p.firstName !== undefined) rec.firstName = p.firstName;
    if (p.surname !== undefined) rec.surname = p.surname;
    if (p.displayName !== undefined) rec.displayName = p.displayName;
    else if (nameChanged) rec.displayName = displayNameOf(rec.firstName, rec.surname, null);
    if (p.title !== undefined) rec.titleId = this.listId('title', p.title);
    if (p.department !== undefined) rec.departmentId = this.departmentId(p.department);
    if (p.site !== undefined) rec.siteId = this.listId('site', p.site);
    if (p.reportsTo !== undefined) rec.reportsTo = this.managerId(p.reportsTo);
    if (p.employeeIdInCompany !== undefined) rec.employeeIdInCompany = p.employeeIdInCompany;
    if (p.startDate !== undefined) rec.startDate = p.startDate;
    if (p.terminationDate !== undefined) rec.terminationDate = p.terminationDate;
    if (p.startDate !== undefined || p.terminationDate !== undefined) {
      const d = lifecycleFor(rec.startDate, rec.terminationDate, todayUtc());
      rec.status = d.status;
      rec.lifecycleStatus = d.lifecycleStatus;
    }
    if (p.status !== undefined) rec.status = p.status;
    if (p.lifecycleStatus !== undefined) rec.lifecycleStatus = p.lifecycleStatus;
    if (p.employmentType !== undefined) rec.employmentTypeId = this.listId('employmentType', p.employmentType);
    if (p.workPhone !== undefined) rec.workPhone = p.workPhone;
    if (p.workMobile !== undefined) rec.workMobile = p.workMobile;
    if (p.homeMobilePhone !== undefined) rec.homeMobilePhone = p.homeMobilePhone;
    this.versionCounter++;
    return this.view(rec);
  }

  /** Terminates on `date` (default today): past or today → Inactive/terminated; future → stays Active until then. */
  terminate(id: string, date: string = todayUtc()): HibobEmployee {
    const rec = this.require(id);
    checkDate('date', date);
    if (date < rec.startDate) throw new HibobRosterError(`termination date ${date} is before the start date ${rec.startDate}`, 'invalid');
    rec.terminationDate = date;
    const d = lifecycleFor(rec.startDate, date, todayUtc());
    rec.status = d.status;
    rec.lifecycleStatus = d.lifecycleStatus;
    this.versionCounter++;
    return this.view(rec);
  }

  /** Rehires on `date` (default today): new start date, no termination date. */
  rehire(id: string, date: string = todayUtc()): HibobEmployee {
    const rec = this.require(id);
    checkDate('date', date);
    if (rec.status === 'Active' && rec.terminationDate === null) throw new HibobRosterError(`employee ${id} is not terminated`, 'invalid');
    rec.startDate = date;
    rec.terminationDate = null;
    const d = lifecycleFor(date, null, todayUtc());
    rec.status = d.status;
    rec.lifecycleStatus = d.lifecycleStatus;
    this.versionCounter++;
    return this.view(rec);
  }

  /** Deletes the person (HiBob then simply stops returning them); their reports move up to their manager. */
  remove(id: string): void {
    const rec = this.require(id);
    this.byId.delete(rec.id);
    if (rec.email) {
      this.byEmail.delete(rec.email.toLowerCase());
      this.emails.release(rec.email);
    }
    this.ordered = this.ordered.filter((r) => r !== rec);
    for (const other of this.ordered) if (other.reportsTo === rec.id) other.reportsTo = rec.reportsTo;
    this.versionCounter++;
  }

  /** Renames a named-list item (by id or name); everyone holding it follows, as in HiBob. */
  renameListItem(list: string, idOrName: string, to: string): { id: string; name: string } {
    if (typeof to !== 'string' || to.trim() === '') throw new HibobRosterError('the new name must be a non-empty string', 'invalid');
    if (!this.lists.get(list)) throw new HibobRosterError(`no named list "${list}" (lists: ${this.lists.names().join(', ')})`, 'not_found');
    if (this.lists.itemByName(list, to)) throw new HibobRosterError(`${list} already has an item named "${to}"`, 'conflict');
    const item = this.lists.rename(list, idOrName, to.trim());
    if (!item) throw new HibobRosterError(`${list} has no item "${idOrName}"`, 'not_found');
    this.versionCounter++;
    return { id: item.id, name: item.name };
  }

  // ─────────────── internals ───────────────

  view(r: HibobRecord): HibobEmployee {
    return {
      id: r.id,
      employeeIdInCompany: r.employeeIdInCompany,
      email: r.email,
      firstName: r.firstName,
      surname: r.surname,
      displayName: r.displayName,
      title: this.itemName('title', r.titleId),
      department: this.itemName('department', r.departmentId),
      departmentId: r.departmentId,
      site: this.itemName('site', r.siteId),
      siteId: r.siteId,
      reportsTo: r.reportsTo,
      startDate: r.startDate,
      terminationDate: r.terminationDate,
      status: r.status,
      lifecycleStatus: r.lifecycleStatus,
      employmentType: this.itemName('employmentType', r.employmentTypeId),
      workPhone: r.workPhone,
      workMobile: r.workMobile,
      homeMobilePhone: r.homeMobilePhone,
      creationDateTime: r.creationDateTime,
    };
  }

  itemName(list: string, id: string | null): string | null {
    return id === null ? null : (this.lists.item(list, id)?.name ?? null);
  }

  private insert(rec: HibobRecord): void {
    this.byId.set(rec.id, rec);
    if (rec.email) {
      this.byEmail.set(rec.email.toLowerCase(), rec);
      this.emails.claim(rec.email);
    }
    this.ordered.push(rec);
    this.nextNumber = Math.max(this.nextNumber, rec.employeeIdInCompany + 1);
  }

  private fromSeed(s: SeedEmployee, idOf: ReadonlyMap<string, string>, today: string): HibobRecord {
    const lc = lifecycleFor(s.hireDate, s.terminationDate, today);
    let deptName = s.department;
    const teams = deptName ? SUB_TEAMS[deptName] : undefined;
    const leader = s.jobTitle !== null && /^(Head of|VP,|Chief)/.test(s.jobTitle);
    if (teams && !leader && this.rng.chance(0.75)) deptName = this.rng.pick(teams);
    return {
      id: idOf.get(s.id) as string,
      employeeIdInCompany: Number(s.employeeNumber),
      email: s.workEmail,
      firstName: s.firstName,
      surname: s.lastName,
      displayName: s.displayName,
      titleId: this.listId('title', s.jobTitle),
      departmentId: this.departmentId(deptName),
      siteId: this.listId('site', s.location),
      reportsTo: s.supervisorEId === null ? null : (idOf.get(s.supervisorEId) ?? null),
      startDate: s.hireDate,
      terminationDate: s.terminationDate,
      status: lc.status,
      lifecycleStatus: lc.lifecycleStatus,
      employmentTypeId: this.listId('employmentType', EMPLOYMENT_TYPE_OF[s.employmentHistoryStatus ?? ''] ?? 'Permanent'),
      ...phonesOf(s, {}),
      creationDateTime: new Date(s.createdMs).toISOString(),
    };
  }

  /** A 19-digit backend id, like HiBob's. */
  private newId(): string {
    for (;;) {
      const id = `3${String(this.rng.int(0, 999_999_999)).padStart(9, '0')}${String(this.rng.int(0, 999_999_999)).padStart(9, '0')}`;
      if (!this.byId.has(id)) return id;
    }
  }

  private listId(list: string, name: string | null | undefined): string | null {
    if (name === null || name === undefined || name.trim() === '') return null;
    return this.lists.ensure(list, name.trim()).id;
  }

  private departmentId(nameOrId: string | null | undefined): string | null {
    if (nameOrId === null || nameOrId === undefined || nameOrId.trim() === '') return null;
    return this.lists.item('department', nameOrId)?.id ?? this.listId('department', nameOrId);
  }

  private managerId(ref: string | null): string | null {
    if (ref === null || ref === '') return null;
    const m = this.byId.get(ref) ?? this.byEmail.get(ref.toLowerCase());
    if (!m) throw new HibobRosterError(`reportsTo ${ref} is not an employee (give a backend id or work email)`, 'invalid');
    return m.id;
  }

  private defaultManager(): string | null {
    for (const r of this.ordered) if (r.status === 'Active') return r.id;
    return null;
  }

  private require(id: string): HibobRecord {
    const rec = this.byId.get(String(id)) ?? this.byEmail.get(String(id).toLowerCase());
    if (!rec) throw new HibobRosterError(`no employee with id ${id}`, 'not_found');
    return rec;
  }

  private validate(input: unknown, rec: HibobRecord | null): HibobSeedPerson {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new HibobRosterError('expected an object of employee fields', 'invalid');
    const entries = Object.entries(input as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const unknown = entries.map(([k]) => k).filter((k) => !KNOWN_KEYS.has(k));
    if (unknown.length > 0) throw new HibobRosterError(`unknown field(s): ${unknown.join(', ')} (known: ${[...KNOWN_KEYS].join(', ')})`, 'invalid');
    const out: Record<string, unknown> = {};
    for (const [k, raw] of entries) {
      if (k === 'employeeIdInCompany') {
        if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) throw new HibobRosterError('employeeIdInCompany must be a whole number ≥ 1', 'invalid');
        out[k] = raw;
        continue;
      }
      if (raw !== null && typeof raw !== 'string') throw new HibobRosterError(`${k} must be a string or null`, 'invalid');
      const v = raw === null || raw.trim() === '' ? null : raw.trim().normalize('NFC');
      if (v === null && ['firstName', 'surname', 'displayName', 'startDate', 'status', 'lifecycleStatus', 'id'].includes(k)) {
        throw new HibobRosterError(`${k} cannot be empty`, 'invalid');
      }
      out[k] = v;
    }
    const p = out as HibobSeedPerson;
    if (p.startDate != null) checkDate('startDate', p.startDate);
    if (p.terminationDate != null) checkDate('terminationDate', p.terminationDate);
    if (p.status != null && p.status !== 'Active' && p.status !== 'Inactive') throw new HibobRosterError('status must be "Active" or "Inactive"', 'invalid');
    if (p.lifecycleStatus != null && !LIFECYCLE.has(p.lifecycleStatus)) throw new HibobRosterError(`lifecycleStatus must be one of ${[...LIFECYCLE].join(', ')}`, 'invalid');
    if (p.email != null && !/^[^\s@]+@[^\s@]+$/.test(p.email)) throw new HibobRosterError(`email ${p.email} is not an e-mail address`, 'invalid');
    const start = p.startDate ?? rec?.startDate;
    const term = p.terminationDate !== undefined ? p.terminationDate : rec?.terminationDate;
    if (start && term && term < start) throw new HibobRosterError(`terminationDate ${term} is before startDate ${start}`, 'invalid');
    if (rec && p.reportsTo) {
      const target = this.byId.get(p.reportsTo) ?? this.byEmail.get(p.reportsTo.toLowerCase());
      let cursor: string | null = target?.id ?? null;
      for (let hops = 0; cursor !== null && hops <= this.ordered.length; hops++) {
        if (cursor === rec.id) throw new HibobRosterError(`reportsTo ${p.reportsTo} would make a reporting cycle`, 'invalid');
        cursor = this.byId.get(cursor)?.reportsTo ?? null;
      }
    }
    return p;
  }
}

/**
 * A generated person's numbers in HiBob's fields: a desk number is the work phone; their one
 * mobile is their work mobile when they have no desk number, else a personal number (Home).
 */
function phonesOf(person: { readonly mobilePhone: string | null; readonly workPhone: string | null }, given: HibobSeedPerson): Pick<HibobRecord, 'workPhone' | 'workMobile' | 'homeMobilePhone'> {
  const generated = person.workPhone !== null
    ? { workPhone: person.workPhone, workMobile: null, homeMobilePhone: person.mobilePhone }
    : { workPhone: null, workMobile: person.mobilePhone, homeMobilePhone: null };
  return {
    workPhone: given.workPhone !== undefined ? given.workPhone : generated.workPhone,
    workMobile: given.workMobile !== undefined ? given.workMobile : generated.workMobile,
    homeMobilePhone: given.homeMobilePhone !== undefined ? given.homeMobilePhone : generated.homeMobilePhone,
  };
}

function lifecycleFor(startDate: string, terminationDate: string | null, today: string): { status: HibobStatus; lifecycleStatus: HibobLifecycleStatus } {
  if (terminationDate !== null && terminationDate <= today) return { status: 'Inactive', lifecycleStatus: 'terminated' };
  if (startDate > today) return { status: 'Inactive', lifecycleStatus: 'hired' };
  return { status: 'Active', lifecycleStatus: 'employed' };
}

function checkDate(name: string, value: unknown): void {
  if (typeof value !== 'string' || !isIsoDate(value)) throw new HibobRosterError(`${name} must be a date written YYYY-MM-DD`, 'invalid');
}
