/**
 * The sandbox's data store: employees, list-field options and the change log behind
 * `/api/v1/employees/changed`. Every change stamps the employee with the sandbox clock.
 */
import { createRng, displayNameOf, placeByName, type Rng } from '../../../sandbox/names.ts';
import { formatStamp, isIsoDate, SandboxClock } from './clock.ts';
import { FIELD_NAMES, isListField, LIST_FIELDS, type FieldName, type ListFieldAlias } from './fields.ts';
import {
  departmentByName,
  EmailAllocator,
  randomPerson,
  todayUtc,
  type GeneratedCompany,
  type SeedEmployee,
} from './generator.ts';

export type EmployeeStatus = 'Active' | 'Inactive';

/** One employee as the sandbox serves it (dataset field names; `id` is the employee id). */
export interface BambooEmployee {
  readonly id: string;
  readonly employeeNumber: string | null;
  readonly firstName: string;
  readonly lastName: string;
  readonly preferredName: string | null;
  readonly displayName: string;
  readonly workEmail: string | null;
  readonly homeEmail: string | null;
  readonly jobTitle: string | null;
  readonly department: string | null;
  readonly division: string | null;
  readonly location: string | null;
  readonly country: string | null;
  readonly supervisorEId: string | null;
  readonly supervisorEmail: string | null;
  readonly hireDate: string;
  readonly terminationDate: string | null;
  readonly status: EmployeeStatus;
  readonly employmentHistoryStatus: string | null;
  readonly mobilePhone: string | null;
  readonly workPhone: string | null;
  readonly customShirtSize: string | null;
  /** ISO 8601 UTC. */
  readonly lastChanged: string;
}

/** Writable fields. `displayName` and `country` follow names and location unless given. */
export type BambooEmployeePatch = {
  -readonly [K in Exclude<keyof BambooEmployee, 'id' | 'supervisorEmail' | 'lastChanged'>]?: BambooEmployee[K] | null;
};

const WRITABLE: ReadonlySet<string> = new Set([
  'employeeNumber', 'firstName', 'lastName', 'preferredName', 'displayName', 'workEmail', 'homeEmail', 'jobTitle',
  'department', 'division', 'location', 'country', 'supervisorEId', 'hireDate', 'terminationDate', 'status',
  'employmentHistoryStatus', 'mobilePhone', 'workPhone', 'customShirtSize',
]);
const REQUIRED: ReadonlySet<string> = new Set(['firstName', 'lastName', 'hireDate', 'status']);

export type ChangeAction = 'Inserted' | 'Updated' | 'Deleted';
export interface ChangeEntry {
  readonly id: string;
  readonly action: ChangeAction;
  readonly lastChanged: string;
}

export class RosterError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid' | 'not_found' | 'conflict',
  ) {
    super(message);
    this.name = 'RosterError';
  }
}

export interface ListOption {
  readonly id: number;
  name: string;
  archived: boolean;
  readonly createdDate: string | null;
  archivedDate: string | null;
}

export interface ListField {
  readonly fieldId: number;
  readonly alias: ListFieldAlias;
  readonly name: string;
  readonly options: ListOption[];
}

/** Internal, mutable record. */
export interface EmployeeRecord extends SeedEmployee {
  /** `changedMs` formatted, computed on first use. */
  changedIso: string | null;
  /** Employment status before a termination, restored by a rehire. */
  statusBeforeTermination: string | null | undefined;
}

interface Tombstone {
  readonly id: string;
  readonly createdMs: number;
  readonly deletedMs: number;
}

export interface RosterOptions {
  readonly seed?: number;
  readonly emailDomain?: string;
  readonly clock?: SandboxClock;
}

export class BambooRoster {
  readonly clock: SandboxClock;
  private readonly byId = new Map<string, EmployeeRecord>();
  /** Existing records, ascending by numeric id. */
  private ordered: EmployeeRecord[] = [];
  private readonly tombstones: Tombstone[] = [];
  private readonly emails: EmailAllocator;
  private readonly listFields: ListField[];
  private readonly rng: Rng;
  private nextId: number;
  private nextEmployeeNumber: number;
  private nextOptionId = 1;
  private versionCounter = 0;
  /** Told of every insert, update and delete (the sandbox's webhooks listen here). */
  onChange: ((id: string, action: ChangeAction) => void) | null = null;

  constructor(company: GeneratedCompany, opts: RosterOptions = {}) {
    this.rng = createRng((opts.seed ?? 1) ^ 0x5eed);
    this.emails = new EmailAllocator(opts.emailDomain ?? 'acme.example');
    let maxStamp = 0;
    let maxId = 99;
    let maxNumber = 10000;
    for (const seed of company.employees) {
      const rec = toRecord(seed);
      this.byId.set(rec.id, rec);
      this.ordered.push(rec);
      if (rec.workEmail) this.emails.claim(rec.workEmail);
      maxStamp = Math.max(maxStamp, rec.changedMs);
      maxId = Math.max(maxId, Number(rec.id));
      const num = Number(rec.employeeNumber);
      if (Number.isFinite(num)) maxNumber = Math.max(maxNumber, num);
    }
    this.ordered.sort((a, b) => Number(a.id) - Number(b.id));
    this.nextId = maxId + 1;
    this.nextEmployeeNumber = maxNumber + 1;
    this.clock = opts.clock ?? new SandboxClock(Math.max(Date.now(), maxStamp + 1));

    const initial: Record<ListFieldAlias, readonly string[]> = {
      department: company.departments,
      division: company.divisions,
      location: company.locations,
      employmentHistoryStatus: ['Full-Time', 'Part-Time', 'Contractor', 'Terminated'],
    };
    this.listFields = LIST_FIELDS.map((l) => ({
      fieldId: l.fieldId,
      alias: l.alias,
      name: l.name,
      options: initial[l.alias].map((name) => ({ id: this.nextOptionId++, name, archived: false, createdDate: null, archivedDate: null })),
    }));
    // Values present in the data but not in the defaults still need an option.
    for (const l of this.listFields) {
      const known = new Set(l.options.map((o) => o.name));
      for (const rec of this.ordered) {
        const v = rec[l.alias];
        if (v !== null && v !== '' && !known.has(v)) {
          known.add(v);
          this.ensureOption(l.alias, v, null);
        }
      }
    }
  }

  /** Number of employees (deleted ones excluded). */
  get size(): number {
    return this.ordered.length;
  }

  /** Bumps on every change; lets readers cache derived views. */
  get version(): number {
    return this.versionCounter;
  }

  get(id: string): BambooEmployee | undefined {
    const rec = this.byId.get(String(id));
    return rec ? this.view(rec) : undefined;
  }

  list(): BambooEmployee[] {
    return this.ordered.map((r) => this.view(r));
  }

  /**
   * Adds an employee. Anything not given is filled in realistically (a random person when no
   * name is given); hireDate defaults to today, status follows hireDate.
   */
  add(partial: BambooEmployeePatch = {}): BambooEmployee {
    const patch = this.validatePatch(partial, null);
    const hasName = patch.firstName !== undefined || patch.lastName !== undefined;
    if (hasName && (!patch.firstName || !patch.lastName)) {
      throw new RosterError('firstName and lastName are both required (omit both for a random person)', 'invalid');
    }
    const dept = patch.department ? departmentByName(patch.department) : undefined;
    const person = randomPerson(this.rng, dept);
    const today = todayUtc();
    const firstName = patch.firstName ?? person.firstName;
    const lastName = patch.lastName ?? person.lastName;
    const preferredName = patch.preferredName !== undefined ? patch.preferredName : hasName ? null : person.preferredName;
    const hireDate = patch.hireDate ?? today;
    const location = patch.location !== undefined ? patch.location : person.location;
    const department = patch.department !== undefined ? patch.department : person.department;
    let workEmail: string | null;
    if (patch.workEmail !== undefined) {
      workEmail = patch.workEmail;
      if (workEmail !== null && !this.emails.claim(workEmail)) throw new RosterError(`workEmail ${workEmail} is already in use`, 'conflict');
    } else {
      workEmail = this.emails.allocate(hasName ? firstName : person.latinFirst, hasName ? lastName : person.latinLast);
    }
    const stamp = this.clock.tick();
    const rec: EmployeeRecord = {
      id: String(this.nextId++),
      employeeNumber: patch.employeeNumber !== undefined ? patch.employeeNumber : String(this.nextEmployeeNumber++),
      firstName,
      lastName,
      preferredName,
      displayName: patch.displayName ?? displayNameOf(firstName, lastName, preferredName),
      workEmail,
      homeEmail: patch.homeEmail !== undefined ? patch.homeEmail : hasName ? null : person.homeEmail,
      jobTitle: patch.jobTitle !== undefined ? patch.jobTitle : person.jobTitle,
      department,
      division: patch.division !== undefined ? patch.division : (department && departmentByName(department)?.division) ?? person.division,
      location,
      country: patch.country !== undefined ? patch.country : (location && placeByName(location)?.country) ?? null,
      supervisorEId: patch.supervisorEId !== undefined ? patch.supervisorEId : this.defaultSupervisor(department),
      hireDate,
      terminationDate: patch.terminationDate ?? null,
      status: patch.status ?? (hireDate > today ? 'Inactive' : 'Active'),
      employmentHistoryStatus: patch.employmentHistoryStatus !== undefined ? patch.employmentHistoryStatus : person.employmentHistoryStatus,
      mobilePhone: patch.mobilePhone !== undefined ? patch.mobilePhone : person.mobilePhone,
      workPhone: patch.workPhone !== undefined ? patch.workPhone : person.workPhone,
      customShirtSize: patch.customShirtSize !== undefined ? patch.customShirtSize : person.customShirtSize,
      createdMs: stamp,
      changedMs: stamp,
      changedIso: formatStamp(stamp),
      statusBeforeTermination: undefined,
    };
    for (const l of this.listFields) this.ensureOption(l.alias, rec[l.alias]);
    this.byId.set(rec.id, rec);
    this.ordered.push(rec); // ids only grow, so the order holds
    this.versionCounter++;
    this.onChange?.(rec.id, 'Inserted');
    return this.view(rec);
  }

  update(id: string, patch: BambooEmployeePatch): BambooEmployee {
    const rec = this.require(id);
    const valid = this.validatePatch(patch, rec);
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(valid)) if (v !== undefined) next[k] = v;
    const nameChanged = 'firstName' in next || 'lastName' in next || 'preferredName' in next;
    if (nameChanged && !('displayName' in next)) {
      next['displayName'] = displayNameOf(
        (next['firstName'] as string | undefined) ?? rec.firstName,
        (next['lastName'] as string | undefined) ?? rec.lastName,
        'preferredName' in next ? (next['preferredName'] as string | null) : rec.preferredName,
      );
    }
    if ('location' in next && !('country' in next)) {
      const place = typeof next['location'] === 'string' ? placeByName(next['location']) : undefined;
      if (place) next['country'] = place.country;
    }
    if ('workEmail' in next && next['workEmail'] !== rec.workEmail) {
      const email = next['workEmail'] as string | null;
      if (email !== null && (rec.workEmail ?? '').toLowerCase() !== email.toLowerCase() && !this.emails.claim(email)) {
        throw new RosterError(`workEmail ${email} is already in use`, 'conflict');
      }
      if (rec.workEmail && (email === null || rec.workEmail.toLowerCase() !== email.toLowerCase())) this.emails.release(rec.workEmail);
      if (email !== null) this.emails.claim(email);
    }
    let changed = false;
    const target = rec as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(next)) {
      if (target[k] !== v) {
        target[k] = v;
        changed = true;
      }
    }
    if (changed) {
      for (const l of this.listFields) this.ensureOption(l.alias, rec[l.alias]);
      this.touch(rec);
    }
    return this.view(rec);
  }

  /**
   * Terminates on `date` (default today, UTC). A past or present date makes the person Inactive
   * with employment status "Terminated"; a future date only records the termination date (BambooHR
   * keeps them Active until then).
   */
  terminate(id: string, date: string = todayUtc()): BambooEmployee {
    const rec = this.require(id);
    this.checkDate('date', date);
    if (date < rec.hireDate) throw new RosterError(`termination date ${date} is before the hire date ${rec.hireDate}`, 'invalid');
    rec.terminationDate = date;
    if (date <= todayUtc()) {
      if (rec.employmentHistoryStatus !== 'Terminated') rec.statusBeforeTermination = rec.employmentHistoryStatus;
      rec.status = 'Inactive';
      rec.employmentHistoryStatus = 'Terminated';
    }
    this.touch(rec);
    return this.view(rec);
  }

  /** Rehires a terminated (or inactive) person on `date` (default today): new hire date, no termination date. */
  rehire(id: string, date: string = todayUtc()): BambooEmployee {
    const rec = this.require(id);
    this.checkDate('date', date);
    if (rec.status === 'Active' && rec.terminationDate === null) throw new RosterError(`employee ${id} is not terminated`, 'invalid');
    rec.hireDate = date;
    rec.terminationDate = null;
    rec.status = date <= todayUtc() ? 'Active' : 'Inactive';
    if (rec.employmentHistoryStatus === 'Terminated' || rec.employmentHistoryStatus === null) {
      rec.employmentHistoryStatus = rec.statusBeforeTermination ?? 'Full-Time';
    }
    rec.statusBeforeTermination = undefined;
    this.touch(rec);
    return this.view(rec);
  }

  /** Deletes the employee (reported by `/employees/changed` as Deleted). Their reports move up to their manager. */
  remove(id: string): void {
    const rec = this.require(id);
    const stamp = this.clock.tick();
    this.byId.delete(rec.id);
    const idx = this.indexOf(rec.id);
    if (idx >= 0) this.ordered.splice(idx, 1);
    if (rec.workEmail) this.emails.release(rec.workEmail);
    this.tombstones.push({ id: rec.id, createdMs: rec.createdMs, deletedMs: stamp });
    for (const other of this.ordered) {
      if (other.supervisorEId === rec.id) {
        other.supervisorEId = rec.supervisorEId;
        this.touch(other);
      }
    }
    this.versionCounter++;
    this.onChange?.(rec.id, 'Deleted');
  }

  /** Renames a list option in place (it keeps its id); everyone holding the value changes with it. */
  renameListOption(field: string, oldName: string, newName: string): number {
    if (!isListField(field)) throw new RosterError(`${field} is not a list field (${LIST_FIELDS.map((l) => l.alias).join(', ')})`, 'invalid');
    if (typeof newName !== 'string' || newName.trim() === '') throw new RosterError('the new name must be a non-empty string', 'invalid');
    const list = this.listField(field);
    const option = list.options.find((o) => o.name === oldName);
    if (!option) throw new RosterError(`${field} has no option named "${oldName}"`, 'not_found');
    if (oldName === newName) return 0;
    if (list.options.some((o) => o.name === newName)) throw new RosterError(`${field} already has an option named "${newName}"`, 'conflict');
    option.name = newName;
    let affected = 0;
    for (const rec of this.ordered) {
      if (rec[field] === oldName) {
        rec[field] = newName;
        this.touch(rec);
        affected++;
      }
    }
    this.versionCounter++;
    return affected;
  }

  // ─────────────── read side used by the routes ───────────────

  /** The clock's current instant, reserved (later changes are strictly after it). */
  latest(): string {
    return formatStamp(this.clock.peek());
  }

  /** Changes strictly after `sinceMs`, by id, plus the `latest` to use as the next `since`. */
  changedSince(sinceMs: number, type?: 'inserted' | 'updated' | 'deleted'): { latest: string; changes: ChangeEntry[] } {
    const latest = this.latest();
    const out: { id: string; action: ChangeAction; ms: number }[] = [];
    if (type !== 'deleted') {
      for (const rec of this.ordered) {
        if (rec.changedMs <= sinceMs) continue;
        const action: ChangeAction = rec.createdMs > sinceMs ? 'Inserted' : 'Updated';
        if (type === undefined || type === action.toLowerCase()) out.push({ id: rec.id, action, ms: rec.changedMs });
      }
    }
    if (type === undefined || type === 'deleted') {
      for (const t of this.tombstones) if (t.deletedMs > sinceMs) out.push({ id: t.id, action: 'Deleted', ms: t.deletedMs });
    }
    out.sort((a, b) => Number(a.id) - Number(b.id));
    return { latest, changes: out.map((c) => ({ id: c.id, action: c.action, lastChanged: formatStamp(c.ms) })) };
  }

  /** Records in id order (do not mutate). */
  records(): readonly EmployeeRecord[] {
    return this.ordered;
  }

  record(id: string): EmployeeRecord | undefined {
    return this.byId.get(id);
  }

  /** A field's served value: a string, or null when empty. */
  value(rec: EmployeeRecord, field: FieldName): string | null {
    switch (field) {
      case 'employeeId':
        return rec.id;
      case 'supervisorEmail':
        return rec.supervisorEId ? (this.byId.get(rec.supervisorEId)?.workEmail ?? null) : null;
      case 'lastChanged':
        return (rec.changedIso ??= formatStamp(rec.changedMs));
      default: {
        const v = rec[field];
        return v === undefined || v === '' ? null : v;
      }
    }
  }

  lists(): readonly ListField[] {
    return this.listFields;
  }

  // ─────────────── internals ───────────────

  private view(rec: EmployeeRecord): BambooEmployee {
    const out: Record<string, string | null> = { id: rec.id };
    for (const f of FIELD_NAMES) if (f !== 'employeeId') out[f] = this.value(rec, f);
    return out as unknown as BambooEmployee;
  }

  private touch(rec: EmployeeRecord): void {
    rec.changedMs = this.clock.tick();
    rec.changedIso = null;
    this.versionCounter++;
    this.onChange?.(rec.id, 'Updated');
  }

  private require(id: string): EmployeeRecord {
    const rec = this.byId.get(String(id));
    if (!rec) throw new RosterError(`no employee with id ${id}`, 'not_found');
    return rec;
  }

  private indexOf(id: string): number {
    const target = Number(id);
    let lo = 0;
    let hi = this.ordered.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = Number((this.ordered[mid] as EmployeeRecord).id);
      if (v === target) return mid;
      if (v < target) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private listField(alias: ListFieldAlias): ListField {
    const l = this.listFields.find((x) => x.alias === alias);
    if (!l) throw new Error(`list ${alias} missing`);
    return l;
  }

  private ensureOption(alias: ListFieldAlias, name: string | null, createdDate?: string | null): void {
    if (name === null || name === '') return;
    const list = this.listField(alias);
    for (const o of list.options) if (o.name === name) return;
    list.options.push({ id: this.nextOptionId++, name, archived: false, createdDate: createdDate === undefined ? todayUtc() : createdDate, archivedDate: null });
  }

  private defaultSupervisor(department: string | null): string | null {
    let fallback: string | null = null;
    for (const rec of this.ordered) {
      if (rec.status !== 'Active') continue;
      fallback ??= rec.id;
      if (department && rec.department === department) return rec.id;
    }
    return fallback;
  }

  private checkDate(name: string, value: unknown): void {
    if (typeof value !== 'string' || !isIsoDate(value)) throw new RosterError(`${name} must be a date written YYYY-MM-DD`, 'invalid');
  }

  private validatePatch(patch: unknown, rec: EmployeeRecord | null): BambooEmployeePatch {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw new RosterError('expected an object of employee fields', 'invalid');
    const entries = Object.entries(patch as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const unknown = entries.map(([k]) => k).filter((k) => !WRITABLE.has(k));
    if (unknown.length > 0) {
      throw new RosterError(`unknown or read-only field(s): ${unknown.join(', ')} (writable: ${[...WRITABLE].join(', ')})`, 'invalid');
    }
    const out: Record<string, string | null> = {};
    for (const [k, raw] of entries) {
      if (raw !== null && typeof raw !== 'string') throw new RosterError(`${k} must be a string or null`, 'invalid');
      const v = raw === null ? null : raw.trim() === '' ? null : raw;
      if (v === null && REQUIRED.has(k)) throw new RosterError(`${k} cannot be empty`, 'invalid');
      out[k] = v;
    }
    for (const k of ['hireDate', 'terminationDate'] as const) if (out[k] != null) this.checkDate(k, out[k]);
    if (out['status'] != null && out['status'] !== 'Active' && out['status'] !== 'Inactive') {
      throw new RosterError('status must be "Active" or "Inactive"', 'invalid');
    }
    const email = out['workEmail'];
    if (email != null && !/^[^\s@]+@[^\s@]+$/.test(email)) throw new RosterError(`workEmail ${email} is not an e-mail address`, 'invalid');
    const sup = out['supervisorEId'];
    if (sup != null) {
      if (!this.byId.has(sup)) throw new RosterError(`supervisorEId ${sup} is not an employee`, 'invalid');
      if (rec) {
        // No cycles: walking up from the new supervisor must never reach this person.
        let cursor: string | null = sup;
        for (let hops = 0; cursor !== null && hops <= this.ordered.length; hops++) {
          if (cursor === rec.id) throw new RosterError(`supervisorEId ${sup} would make a reporting cycle`, 'invalid');
          cursor = this.byId.get(cursor)?.supervisorEId ?? null;
        }
      }
    }
    const hire = out['hireDate'] ?? rec?.hireDate;
    const term = out['terminationDate'] !== undefined ? out['terminationDate'] : rec?.terminationDate;
    if (hire && term && term < hire) throw new RosterError(`terminationDate ${term} is before hireDate ${hire}`, 'invalid');
    return out as BambooEmployeePatch;
  }
}

/** Copies a seed into a record with an explicit literal (fast, one hidden class for all records). */
function toRecord(s: SeedEmployee): EmployeeRecord {
  return {
    id: s.id,
    employeeNumber: s.employeeNumber,
    firstName: s.firstName,
    lastName: s.lastName,
    preferredName: s.preferredName,
    displayName: s.displayName,
    workEmail: s.workEmail,
    homeEmail: s.homeEmail,
    jobTitle: s.jobTitle,
    department: s.department,
    division: s.division,
    location: s.location,
    country: s.country,
    supervisorEId: s.supervisorEId,
    hireDate: s.hireDate,
    terminationDate: s.terminationDate,
    status: s.status,
    employmentHistoryStatus: s.employmentHistoryStatus,
    mobilePhone: s.mobilePhone,
    workPhone: s.workPhone,
    customShirtSize: s.customShirtSize,
    createdMs: s.createdMs,
    changedMs: s.changedMs,
    changedIso: null,
    statusBeforeTermination: undefined,
  };
}
