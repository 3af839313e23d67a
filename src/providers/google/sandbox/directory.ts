/**
 * The Google Workspace sandbox's directory: users, groups with their members, and org units, held
 * as the Admin SDK Directory API represents them (`shared/specs/google-admin-directory-v1.json`,
 * schemas `User`, `UserName`, `UserExternalId`, `UserRelation`, `UserOrganization`, `UserPhone`,
 * `Group`, `Member`, `OrgUnit`).
 *
 * Seeded people come from the company generator with the BambooHR sandbox's seed and e-mail
 * domain, so with the same seed the same person has the same work e-mail and employee number in
 * both (the story a demo with two sources tells). Google's view of that company:
 * - every active person has an account; some contractors have none; the account's `primaryEmail`
 *   is the work e-mail, except for a few people whose address changed (the old one is an alias);
 * - leavers: recent ones are `suspended`, a few `archived`, long-gone ones deleted (listed only
 *   with `showDeleted=true`, with `deletionTime`, as Google keeps them for 20 days);
 * - `externalIds` `{type: "organization"}` hold the employee number, `relations` `{type: "manager"}`
 *   the manager's e-mail, `organizations[primary]` the title and department, `orgUnitPath` is
 *   `/{division}/{department}`;
 * - accounts of its own: service mailboxes (`/Service accounts`) and people HR does not hold;
 * - groups: one per department (`Abt. {department}`, members USER), one per division (members are
 *   the department groups: type GROUP, so groups nest), `leaders@` (managers), an all-staff group
 *   whose member is the whole customer (type CUSTOMER), and an external partner as a member.
 */
import { createRng, type Rng } from '../../../sandbox/names.ts';
import { generateCompany, todayUtc, type SeedEmployee } from '../../bamboohr/sandbox/generator.ts';

export type MemberType = 'USER' | 'GROUP' | 'CUSTOMER';
export type MemberRole = 'OWNER' | 'MANAGER' | 'MEMBER';

export interface GoogleUser {
  id: string;
  primaryEmail: string;
  givenName: string;
  familyName: string;
  displayName: string | null;
  aliases: string[];
  suspended: boolean;
  archived: boolean;
  isAdmin: boolean;
  orgUnitPath: string;
  employeeNumber: string | null;
  managerEmail: string | null;
  title: string | null;
  department: string | null;
  costCenter: string | null;
  location: string | null;
  workPhone: string | null;
  mobilePhone: string | null;
  creationTime: string;
  /** Set once deleted: the user is then listed only with `showDeleted=true`. */
  deletionTime: string | null;
  /** Bumped on every change (the ETag). */
  version: number;
}

export interface GoogleMember {
  /** User id, group id or the customer id (type CUSTOMER); an external user's own id. */
  readonly id: string;
  readonly email: string | null;
  readonly type: MemberType;
  readonly role: MemberRole;
}

export interface GoogleGroup {
  id: string;
  email: string;
  name: string;
  description: string;
  aliases: string[];
  adminCreated: boolean;
  members: GoogleMember[];
  version: number;
}

export interface GoogleOrgUnit {
  readonly orgUnitId: string;
  readonly orgUnitPath: string;
  readonly name: string;
  readonly parentOrgUnitPath: string | null;
  readonly parentOrgUnitId: string | null;
  readonly description: string;
}

export class GoogleDirectoryError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid' | 'not_found' | 'conflict',
  ) {
    super(message);
    this.name = 'GoogleDirectoryError';
  }
}

export interface GoogleDirectoryOptions {
  readonly employees: number;
  readonly seed: number;
  /** The primary domain (default `acme.example`, the BambooHR sandbox's). */
  readonly domain: string;
  readonly customerId: string;
  /** E-mails of the super admins (default: the CEO plus `admin@{domain}`). */
  readonly admins?: readonly string[];
  readonly now?: () => Date;
}

/** Anything not given is generated. `managerEmail` links a manager; `employeeNumber` goes to externalIds. */
export interface GoogleUserInput {
  primaryEmail?: string;
  givenName?: string;
  familyName?: string;
  displayName?: string | null;
  aliases?: string[];
  suspended?: boolean;
  archived?: boolean;
  isAdmin?: boolean;
  orgUnitPath?: string;
  employeeNumber?: string | null;
  managerEmail?: string | null;
  title?: string | null;
  department?: string | null;
  costCenter?: string | null;
  location?: string | null;
  workPhone?: string | null;
  mobilePhone?: string | null;
}

const SALT = 0x600913;
const SERVICE_OU = '/Service accounts';
const FORMER_OU = '/Former employees';
const DAY_MS = 86_400_000;

const USER_KEYS = new Set<keyof GoogleUserInput>([
  'primaryEmail', 'givenName', 'familyName', 'displayName', 'aliases', 'suspended', 'archived', 'isAdmin', 'orgUnitPath', 'employeeNumber',
  'managerEmail', 'title', 'department', 'costCenter', 'location', 'workPhone', 'mobilePhone',
]);

export class GoogleDirectory {
  readonly domain: string;
  readonly customerId: string;
  private readonly users = new Map<string, GoogleUser>();
  private readonly byEmail = new Map<string, GoogleUser>();
  private readonly groups = new Map<string, GoogleGroup>();
  private readonly groupByEmail = new Map<string, GoogleGroup>();
  private readonly orgUnits = new Map<string, GoogleOrgUnit>();
  private readonly rng: Rng;
  private readonly now: () => Date;

  constructor(opts: GoogleDirectoryOptions) {
    this.domain = opts.domain.toLowerCase();
    this.customerId = opts.customerId;
    this.rng = createRng(opts.seed ^ SALT);
    this.now = opts.now ?? (() => new Date());
    const today = todayUtc(this.now().getTime());
    const company = generateCompany({ employees: opts.employees, seed: opts.seed, today, emailDomain: this.domain });
    this.seedPeople(company.employees, today);
    this.seedOwnAccounts(opts.admins);
    this.seedGroups(company.employees);
  }

  // ─────────────── reads ───────────────

  /** Every user, deleted ones included, in creation order. */
  allUsers(): GoogleUser[] {
    return [...this.users.values()];
  }

  user(key: string): GoogleUser | undefined {
    return this.users.get(key) ?? this.byEmail.get(key.toLowerCase());
  }

  /** A live user (not deleted) by id, primary e-mail or alias. */
  liveUser(key: string): GoogleUser | undefined {
    const u = this.user(key);
    return u && u.deletionTime === null ? u : undefined;
  }

  allGroups(): GoogleGroup[] {
    return [...this.groups.values()];
  }

  group(key: string): GoogleGroup | undefined {
    return this.groups.get(key) ?? this.groupByEmail.get(key.toLowerCase());
  }

  allOrgUnits(): GoogleOrgUnit[] {
    return [...this.orgUnits.values()];
  }

  orgUnit(pathOrId: string): GoogleOrgUnit | undefined {
    const id = pathOrId.startsWith('id:') ? pathOrId : undefined;
    if (id) return [...this.orgUnits.values()].find((o) => o.orgUnitId === id);
    return this.orgUnits.get(pathOrId.replace(/\/+$/, '') || '/');
  }

  /** The domains this customer owns (secondary domains: none in the sandbox). */
  ownsDomain(domain: string): boolean {
    return domain.toLowerCase() === this.domain;
  }

  isMemberOfDomain(email: string): boolean {
    return email.toLowerCase().endsWith(`@${this.domain}`);
  }

  // ─────────────── changes (control surface and tests) ───────────────

  addUser(input: GoogleUserInput = {}): GoogleUser {
    this.checkKeys(input);
    const givenName = input.givenName ?? 'Alex';
    const familyName = input.familyName ?? `Tester${this.users.size + 1}`;
    const primaryEmail = (input.primaryEmail ?? `${givenName}.${familyName}@${this.domain}`).toLowerCase();
    if (this.byEmail.has(primaryEmail) || this.groupByEmail.has(primaryEmail)) throw new GoogleDirectoryError(`Entity already exists: ${primaryEmail}`, 'conflict');
    const user: GoogleUser = {
      id: this.newUserId(),
      primaryEmail,
      givenName,
      familyName,
      displayName: input.displayName ?? null,
      aliases: [],
      suspended: input.suspended ?? false,
      archived: input.archived ?? false,
      isAdmin: input.isAdmin ?? false,
      orgUnitPath: '/',
      employeeNumber: input.employeeNumber ?? null,
      managerEmail: input.managerEmail ?? null,
      title: input.title ?? null,
      department: input.department ?? null,
      costCenter: input.costCenter ?? null,
      location: input.location ?? null,
      workPhone: input.workPhone ?? null,
      mobilePhone: input.mobilePhone ?? null,
      creationTime: this.now().toISOString(),
      deletionTime: null,
      version: 1,
    };
    this.insertUser(user);
    if (input.orgUnitPath) this.moveToOrgUnit(user, input.orgUnitPath);
    for (const alias of input.aliases ?? []) this.addAlias(user, alias);
    return user;
  }

  /** Changes a user (id, e-mail or alias); renaming `primaryEmail` keeps the old address as an alias, as Google does. */
  updateUser(key: string, patch: GoogleUserInput): GoogleUser {
    this.checkKeys(patch);
    const user = this.requireUser(key);
    if (patch.primaryEmail !== undefined && patch.primaryEmail.toLowerCase() !== user.primaryEmail) {
      const next = patch.primaryEmail.toLowerCase();
      const holder = this.byEmail.get(next);
      if ((holder && holder !== user) || this.groupByEmail.has(next)) throw new GoogleDirectoryError(`Entity already exists: ${next}`, 'conflict');
      user.aliases = user.aliases.filter((a) => a !== next);
      user.aliases.push(user.primaryEmail);
      user.primaryEmail = next;
      this.byEmail.set(next, user);
    }
    const { primaryEmail: _p, aliases, orgUnitPath, ...rest } = patch;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) (user as unknown as Record<string, unknown>)[k] = v;
    if (orgUnitPath !== undefined) this.moveToOrgUnit(user, orgUnitPath);
    for (const alias of aliases ?? []) this.addAlias(user, alias);
    user.version++;
    return user;
  }

  /** Deletes a user: gone from `users.list`, listed with `showDeleted=true`, removed from every group. */
  deleteUser(key: string): GoogleUser {
    const user = this.requireUser(key);
    if (user.deletionTime !== null) throw new GoogleDirectoryError(`Resource Not Found: userKey`, 'not_found');
    user.deletionTime = this.now().toISOString();
    user.version++;
    for (const g of this.groups.values()) this.dropMember(g, user.id);
    return user;
  }

  undeleteUser(id: string): GoogleUser {
    const user = this.users.get(id);
    if (!user || user.deletionTime === null) throw new GoogleDirectoryError(`Resource Not Found: userKey`, 'not_found');
    user.deletionTime = null;
    user.version++;
    return user;
  }

  addGroup(input: { email: string; name: string; description?: string }): GoogleGroup {
    const email = input.email.toLowerCase();
    if (this.groupByEmail.has(email) || this.byEmail.has(email)) throw new GoogleDirectoryError(`Entity already exists: ${email}`, 'conflict');
    const group: GoogleGroup = { id: this.newGroupId(), email, name: input.name, description: input.description ?? '', aliases: [], adminCreated: true, members: [], version: 1 };
    this.groups.set(group.id, group);
    this.groupByEmail.set(email, group);
    return group;
  }

  updateGroup(key: string, patch: { name?: string; description?: string }): GoogleGroup {
    const group = this.requireGroup(key);
    if (patch.name !== undefined) group.name = patch.name;
    if (patch.description !== undefined) group.description = patch.description;
    group.version++;
    return group;
  }

  deleteGroup(key: string): void {
    const group = this.requireGroup(key);
    this.groups.delete(group.id);
    this.groupByEmail.delete(group.email);
    for (const g of this.groups.values()) this.dropMember(g, group.id);
  }

  /**
   * Adds a member by e-mail: a user or group of this customer (type USER / GROUP), anyone else
   * as an external USER. `"*"` (or `type: "CUSTOMER"`) adds the whole customer. Refuses a cycle, as
   * Google does ("if group1 is a member of group2, group2 cannot be a member of group1").
   */
  addMember(groupKey: string, input: { email?: string; type?: MemberType; role?: MemberRole }): GoogleMember {
    const group = this.requireGroup(groupKey);
    const role = input.role ?? 'MEMBER';
    let member: GoogleMember;
    if (input.type === 'CUSTOMER' || input.email === '*') {
      member = { id: this.customerId, email: null, type: 'CUSTOMER', role };
    } else {
      const email = (input.email ?? '').toLowerCase();
      if (!email.includes('@')) throw new GoogleDirectoryError('Missing required field: memberKey', 'invalid');
      const child = this.group(email);
      const user = this.liveUser(email);
      if (child) {
        if (child === group || this.contains(child, group.id)) throw new GoogleDirectoryError('Cyclic memberships not allowed', 'invalid');
        member = { id: child.id, email: child.email, type: 'GROUP', role };
      } else if (user) {
        member = { id: user.id, email: user.primaryEmail, type: 'USER', role };
      } else {
        if (this.isMemberOfDomain(email)) throw new GoogleDirectoryError(`Resource Not Found: memberKey`, 'not_found');
        member = { id: this.externalIdFor(email), email, type: 'USER', role };
      }
    }
    if (group.members.some((m) => m.id === member.id)) throw new GoogleDirectoryError('Member already exists.', 'conflict');
    group.members.push(member);
    group.version++;
    return member;
  }

  removeMember(groupKey: string, memberKey: string): void {
    const group = this.requireGroup(groupKey);
    const key = memberKey.toLowerCase();
    const m = group.members.find((x) => x.id === memberKey || x.email === key);
    if (!m) throw new GoogleDirectoryError('Resource Not Found: memberKey', 'not_found');
    this.dropMember(group, m.id);
  }

  /** Users directly in a group (CUSTOMER expands to every live user). */
  directUserCount(group: GoogleGroup): number {
    return group.members.filter((m) => m.type === 'USER').length;
  }

  /**
   * Members with `includeDerivedMembership`: the group's own members plus, for each member group,
   * its members (recursively), each listed once.
   */
  derivedMembers(group: GoogleGroup): GoogleMember[] {
    const out = new Map<string, GoogleMember>();
    const walk = (g: GoogleGroup, depth: number): void => {
      if (depth > 50) return;
      for (const m of g.members) {
        if (!out.has(m.id)) out.set(m.id, m);
        if (m.type === 'GROUP') {
          const child = this.groups.get(m.id);
          if (child) walk(child, depth + 1);
        }
      }
    };
    walk(group, 0);
    return [...out.values()];
  }

  // ─────────────── internals ───────────────

  private checkKeys(input: object): void {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new GoogleDirectoryError('expected a JSON object', 'invalid');
    const unknown = Object.keys(input).filter((k) => !USER_KEYS.has(k as keyof GoogleUserInput));
    if (unknown.length > 0) throw new GoogleDirectoryError(`unknown user field(s): ${unknown.join(', ')}`, 'invalid');
  }

  private requireUser(key: string): GoogleUser {
    const u = this.user(key);
    if (!u) throw new GoogleDirectoryError('Resource Not Found: userKey', 'not_found');
    return u;
  }

  private requireGroup(key: string): GoogleGroup {
    const g = this.group(key);
    if (!g) throw new GoogleDirectoryError('Resource Not Found: groupKey', 'not_found');
    return g;
  }

  /** Whether `id` is a member of `group`, directly or through member groups. */
  private contains(group: GoogleGroup, id: string, depth = 0): boolean {
    if (depth > 50) return false;
    return group.members.some((m) => {
      if (m.id === id) return true;
      const child = m.type === 'GROUP' ? this.groups.get(m.id) : undefined;
      return child !== undefined && this.contains(child, id, depth + 1);
    });
  }

  private dropMember(group: GoogleGroup, id: string): void {
    const before = group.members.length;
    group.members = group.members.filter((m) => m.id !== id);
    if (group.members.length !== before) group.version++;
  }

  private insertUser(user: GoogleUser): void {
    this.users.set(user.id, user);
    this.byEmail.set(user.primaryEmail, user);
  }

  private addAlias(user: GoogleUser, alias: string): void {
    const a = alias.toLowerCase();
    const holder = this.byEmail.get(a);
    if (holder && holder !== user) throw new GoogleDirectoryError(`Entity already exists: ${a}`, 'conflict');
    if (!user.aliases.includes(a) && a !== user.primaryEmail) user.aliases.push(a);
    this.byEmail.set(a, user);
  }

  private moveToOrgUnit(user: GoogleUser, path: string): void {
    user.orgUnitPath = this.ensureOrgUnit(path).orgUnitPath;
  }

  /** Creates the org unit and its parents as needed. */
  ensureOrgUnit(path: string): GoogleOrgUnit {
    const clean = `/${path.split('/').filter(Boolean).join('/')}`;
    const existing = this.orgUnits.get(clean);
    if (existing) return existing;
    if (clean === '/') {
      const root: GoogleOrgUnit = { orgUnitId: `id:${this.hex(8)}`, orgUnitPath: '/', name: this.domain, parentOrgUnitPath: null, parentOrgUnitId: null, description: '' };
      this.orgUnits.set('/', root);
      return root;
    }
    const parts = clean.split('/').filter(Boolean);
    const parent = this.ensureOrgUnit(`/${parts.slice(0, -1).join('/')}`);
    const unit: GoogleOrgUnit = {
      orgUnitId: `id:${this.hex(8)}`,
      orgUnitPath: clean,
      name: parts[parts.length - 1]!,
      parentOrgUnitPath: parent.orgUnitPath,
      parentOrgUnitId: parent.orgUnitId,
      description: '',
    };
    this.orgUnits.set(clean, unit);
    return unit;
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.rng.int(0, 15)];
    return s;
  }

  /** Google user ids are 21 decimal digits. */
  private newUserId(): string {
    for (;;) {
      let id = String(this.rng.int(1, 9));
      for (let i = 0; i < 20; i++) id += String(this.rng.int(0, 9));
      if (!this.users.has(id)) return id;
    }
  }

  /** Group ids are 15 hex-ish characters (e.g. `03ep43zb2k1ab2c`). */
  private newGroupId(): string {
    for (;;) {
      const id = `0${this.hex(14)}`;
      if (!this.groups.has(id)) return id;
    }
  }

  private readonly externalIds = new Map<string, string>();
  private externalIdFor(email: string): string {
    let id = this.externalIds.get(email);
    if (!id) this.externalIds.set(email, (id = this.newUserId()));
    return id;
  }

  // ─────────────── seed data ───────────────

  private seedPeople(people: readonly SeedEmployee[], today: string): void {
    this.ensureOrgUnit('/');
    const todayMs = Date.parse(`${today}T00:00:00Z`);
    const emailOf = new Map(people.map((p) => [p.id, p.workEmail]));
    for (const p of people) {
      if (!p.workEmail) continue;
      const contractor = p.employmentHistoryStatus === 'Contractor';
      if (contractor && this.rng.chance(0.5)) continue; // contractors often have no Google account
      const leftDaysAgo = p.terminationDate !== null && p.terminationDate < today ? Math.round((todayMs - Date.parse(`${p.terminationDate}T00:00:00Z`)) / DAY_MS) : null;
      const renamed = leftDaysAgo === null && this.rng.chance(0.03);
      const [local, domain] = p.workEmail.split('@') as [string, string];
      const user: GoogleUser = {
        id: this.newUserId(),
        // A changed address keeps the one HR knows as an alias (the second half of correlation's "aliases").
        primaryEmail: renamed ? `${local.replace(/\./, '_')}@${domain}` : p.workEmail,
        givenName: p.preferredName ?? p.firstName,
        familyName: p.lastName,
        displayName: null,
        aliases: [],
        suspended: leftDaysAgo !== null,
        archived: false,
        isAdmin: false,
        orgUnitPath: leftDaysAgo !== null ? FORMER_OU : `/${p.division ?? 'Unassigned'}/${p.department ?? 'Unassigned'}`,
        employeeNumber: p.employeeNumber,
        managerEmail: p.supervisorEId ? (emailOf.get(p.supervisorEId) ?? null) : null,
        title: p.jobTitle,
        department: p.department,
        costCenter: p.department ? `CC-${p.department.slice(0, 3).toUpperCase()}` : null,
        location: p.location,
        workPhone: p.workPhone,
        mobilePhone: p.mobilePhone,
        creationTime: new Date(p.createdMs).toISOString(),
        deletionTime: null,
        version: 1,
      };
      this.insertUser(user);
      this.ensureOrgUnit(user.orgUnitPath);
      if (renamed) this.addAlias(user, p.workEmail);
      if (leftDaysAgo !== null) {
        if (leftDaysAgo > 60 && this.rng.chance(0.5)) {
          // Deleted (Google keeps deleted users for 20 days: listed with showDeleted=true).
          user.deletionTime = new Date(todayMs - Math.min(leftDaysAgo - 40, 19) * DAY_MS).toISOString();
        } else if (this.rng.chance(0.25)) {
          user.suspended = false;
          user.archived = true; // archived user licence: no longer working, account kept
        }
      }
    }
    const ceo = people[0];
    if (ceo?.workEmail) {
      const u = this.byEmail.get(ceo.workEmail);
      if (u) u.isAdmin = true;
    }
  }

  private seedOwnAccounts(admins: readonly string[] | undefined): void {
    this.ensureOrgUnit(SERVICE_OU);
    const mailbox = (local: string, given: string, family: string): GoogleUser =>
      this.addUser({ primaryEmail: `${local}@${this.domain}`, givenName: given, familyName: family, orgUnitPath: SERVICE_OU });
    mailbox('admin', 'Workspace', 'Admin').isAdmin = true;
    mailbox('it-helpdesk', 'IT', 'Helpdesk');
    mailbox('scanner', 'Office', 'Scanner');
    for (const email of admins ?? []) {
      const u = this.byEmail.get(email.toLowerCase());
      if (u) u.isAdmin = true;
    }
  }

  private seedGroups(people: readonly SeedEmployee[]): void {
    const live = (email: string | null): GoogleUser | undefined => (email ? this.liveUser(email) : undefined);
    const slug = (s: string): string => s.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const divisions = new Map<string, GoogleGroup>();
    const departments = new Map<string, GoogleGroup>();
    for (const p of people) {
      if (!p.division || !p.department) continue;
      let div = divisions.get(p.division);
      if (!div) divisions.set(p.division, (div = this.addGroup({ email: `${slug(p.division)}@${this.domain}`, name: p.division, description: `Everyone in ${p.division}` })));
      let dept = departments.get(p.department);
      if (!dept) {
        dept = this.addGroup({ email: `abt-${slug(p.department)}@${this.domain}`, name: `Abt. ${p.department}`, description: `${p.department} department` });
        departments.set(p.department, dept);
        this.addMember(div.email, { email: dept.email });
      }
      const u = live(p.workEmail);
      if (u && !u.archived) this.addMember(dept.email, { email: u.primaryEmail, role: /^(Head of|VP,)/.test(p.jobTitle ?? '') ? 'OWNER' : 'MEMBER' });
    }
    const managers = new Set(people.map((p) => p.supervisorEId).filter((x): x is string => x !== null));
    const leaders = this.addGroup({ email: `leaders@${this.domain}`, name: 'Leaders', description: 'Everyone who manages people' });
    for (const p of people) {
      const u = live(p.workEmail);
      if (u && !u.suspended && !u.archived && managers.has(p.id)) this.addMember(leaders.email, { email: u.primaryEmail });
    }
    const all = this.addGroup({ email: `all-staff@${this.domain}`, name: 'All staff', description: 'The whole company' });
    this.addMember(all.email, { type: 'CUSTOMER' });
    const partners = this.addGroup({ email: `partners@${this.domain}`, name: 'Partners', description: 'People outside the company we work with' });
    this.addMember(partners.email, { email: 'maria.rossi@partner.example' });
    this.addMember(partners.email, { email: `it-helpdesk@${this.domain}` });
    const first = [...departments.values()][0];
    if (first) this.addMember(partners.email, { email: first.email });
  }
}
