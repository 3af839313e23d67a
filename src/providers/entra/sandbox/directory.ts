/**
 * The Entra ID sandbox's directory: users, groups (security, Microsoft 365, dynamic), service
 * principals, and the change log `/users/delta` reads, held as Microsoft Graph v1.0 represents
 * them (`shared/specs/msgraph-v1-users-groups.yaml`, schemas `microsoft.graph.user`,
 * `microsoft.graph.group`, `microsoft.graph.employeeOrgData`).
 *
 * Seeded people come from the company generator with the BambooHR sandbox's seed and e-mail
 * domain (same seed, same people, same work e-mail and employee number), seen as Entra holds them:
 * - most people have an account; some contractors have none; `mail` is the work e-mail, but for a
 *   few the `userPrincipalName` differs from it, a few write it in another case, and a few have a
 *   new address with the one HR knows kept in `proxyAddresses` (`smtp:` = alias);
 * - `employeeId` = the employee number (missing for some), `employeeType`, `employeeHireDate`,
 *   `employeeLeaveDateTime` (leavers and future leavers), `accountEnabled: false` for leavers;
 *   long-gone leavers are deleted; `manager` the manager's account;
 * - accounts of its own: guests (`#EXT#` in the UPN, `userType: Guest`), disabled resource
 *   accounts (rooms, a shared mailbox) and a break-glass admin;
 * - groups: a security group per department (`Abt. {department}`) nested in one per division, a
 *   Microsoft 365 group with everyone and the guests, a dynamic group (membership by rule), a
 *   mail-enabled `leaders@` group, and a service principal as a member.
 *
 * Every change is recorded with a sequence number and the properties it touched, so a delta
 * round returns exactly the users whose *selected* properties changed ("Only properties included
 * in $select are tracked for changes", learn.microsoft.com/graph/delta-query-users).
 */
import { createRng, type Rng } from '../../../sandbox/names.ts';
import { generateCompany, todayUtc, type SeedEmployee } from '../../bamboohr/sandbox/generator.ts';

export interface EntraUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  givenName: string | null;
  surname: string | null;
  displayName: string;
  jobTitle: string | null;
  department: string | null;
  officeLocation: string | null;
  employeeId: string | null;
  employeeType: string | null;
  accountEnabled: boolean;
  employeeHireDate: string | null;
  employeeLeaveDateTime: string | null;
  userType: 'Member' | 'Guest';
  creationType: string | null;
  externalUserState: string | null;
  proxyAddresses: string[];
  mobilePhone: string | null;
  businessPhones: string[];
  companyName: string | null;
  city: string | null;
  country: string | null;
  usageLocation: string | null;
  division: string | null;
  costCenter: string | null;
  managerId: string | null;
  createdDateTime: string;
  /** Soft-deleted (restorable for 30 days): gone from `/users`, `@removed: changed` in delta. */
  deletedDateTime: string | null;
}

export type EntraMemberKind = 'user' | 'group' | 'servicePrincipal';

export interface EntraGroup {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailNickname: string;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  /** For dynamic groups (`groupTypes` has `DynamicMembership`): `user.department -eq "…"`. */
  membershipRule: string | null;
  createdDateTime: string;
  /** Direct members (ids of users, groups or service principals). Dynamic groups compute theirs. */
  members: string[];
}

export interface EntraServicePrincipal {
  readonly id: string;
  readonly displayName: string;
  readonly appId: string;
}

/** One recorded change of a user. */
export interface UserChange {
  readonly seq: number;
  readonly userId: string;
  /** Changed properties; `manager` for a new manager. */
  readonly props: ReadonlySet<string>;
  readonly kind: 'created' | 'updated' | 'deleted' | 'restored' | 'purged';
  /** The manager before this change, when it changed the manager. */
  readonly oldManagerId?: string | null;
}

export class EntraDirectoryError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid' | 'not_found' | 'conflict',
  ) {
    super(message);
    this.name = 'EntraDirectoryError';
  }
}

export interface EntraDirectoryOptions {
  readonly employees: number;
  readonly seed: number;
  /** Verified domain (default `acme.example`, the BambooHR sandbox's). */
  readonly domain: string;
  readonly tenantId: string;
  /** Guests, resource accounts, a break-glass admin and service principals of its own (default true). */
  readonly ownAccounts?: boolean;
  readonly now?: () => Date;
}

/** What a test or the control surface may set on a user (`manager` by id or UPN). */
export type EntraUserInput = Partial<Omit<EntraUser, 'id' | 'createdDateTime' | 'deletedDateTime' | 'managerId'>> & { manager?: string | null };

const SALT = 0xe47a;
const INPUT_KEYS = new Set([
  'userPrincipalName', 'mail', 'givenName', 'surname', 'displayName', 'jobTitle', 'department', 'officeLocation', 'employeeId', 'employeeType',
  'accountEnabled', 'employeeHireDate', 'employeeLeaveDateTime', 'userType', 'creationType', 'externalUserState', 'proxyAddresses', 'mobilePhone',
  'businessPhones', 'companyName', 'city', 'country', 'usageLocation', 'division', 'costCenter', 'manager',
]);
const DAY_MS = 86_400_000;

export class EntraDirectory {
  readonly domain: string;
  readonly tenantDomain: string;
  readonly tenantId: string;
  private readonly users = new Map<string, EntraUser>();
  private readonly byUpn = new Map<string, EntraUser>();
  private readonly groups = new Map<string, EntraGroup>();
  private readonly principals = new Map<string, EntraServicePrincipal>();
  private readonly log: UserChange[] = [];
  private seqCounter = 0;
  /** Bumped to invalidate every delta token handed out so far (a "synchronization reset"). */
  deltaEpoch = 1;
  private readonly rng: Rng;
  private readonly now: () => Date;

  constructor(opts: EntraDirectoryOptions) {
    this.domain = opts.domain.toLowerCase();
    this.tenantId = opts.tenantId;
    this.tenantDomain = `${this.domain.split('.')[0]}.onmicrosoft.com`;
    this.rng = createRng(opts.seed ^ SALT);
    this.now = opts.now ?? (() => new Date());
    const today = todayUtc(this.now().getTime());
    const company = generateCompany({ employees: opts.employees, seed: opts.seed, today, emailDomain: this.domain });
    this.seedPeople(company.employees, today);
    if (opts.ownAccounts !== false) this.seedOwnAccounts();
    this.seedGroups(company.employees);
    // The seed is the state before any client looked: it is not a change.
    this.log.length = 0;
  }

  // ─────────────── reads ───────────────

  get seq(): number {
    return this.seqCounter;
  }

  /** Live users (not deleted), in id order. */
  liveUsers(): EntraUser[] {
    return [...this.users.values()].filter((u) => u.deletedDateTime === null).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  user(key: string): EntraUser | undefined {
    const k = key.toLowerCase();
    return this.users.get(k) ?? this.byUpn.get(k);
  }

  liveUser(key: string): EntraUser | undefined {
    const u = this.user(key);
    return u && u.deletedDateTime === null ? u : undefined;
  }

  allGroups(): EntraGroup[] {
    return [...this.groups.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  group(id: string): EntraGroup | undefined {
    return this.groups.get(id.toLowerCase()) ?? [...this.groups.values()].find((g) => g.mail?.toLowerCase() === id.toLowerCase() || g.displayName === id);
  }

  principal(id: string): EntraServicePrincipal | undefined {
    return this.principals.get(id);
  }

  kindOf(id: string): EntraMemberKind | undefined {
    if (this.users.has(id)) return 'user';
    if (this.groups.has(id)) return 'group';
    if (this.principals.has(id)) return 'servicePrincipal';
    return undefined;
  }

  /** Direct members; a dynamic group's are whoever its rule matches now. */
  directMembers(group: EntraGroup): string[] {
    if (group.groupTypes.includes('DynamicMembership') && group.membershipRule) {
      const m = /^\(?user\.(\w+)\s+-eq\s+"([^"]*)"\)?$/.exec(group.membershipRule.trim());
      if (!m) return [];
      const [, prop, value] = m as unknown as [string, keyof EntraUser, string];
      return this.liveUsers().filter((u) => String(u[prop] ?? '').toLowerCase() === value.toLowerCase()).map((u) => u.id);
    }
    return group.members.filter((id) => this.kindOf(id) !== 'user' || this.users.get(id)?.deletedDateTime === null);
  }

  /** Every member, through nested groups, each once (groups included, as `/transitiveMembers` lists them). */
  transitiveMembers(group: EntraGroup): string[] {
    const out = new Set<string>();
    const walk = (g: EntraGroup, depth: number): void => {
      if (depth > 50) return;
      for (const id of this.directMembers(g)) {
        if (out.has(id)) continue;
        out.add(id);
        const child = this.groups.get(id);
        if (child) walk(child, depth + 1);
      }
    };
    walk(group, 0);
    return [...out];
  }

  /** Changes after `seq` up to `upTo` (inclusive), oldest first. */
  changesBetween(seq: number, upTo: number): UserChange[] {
    return this.log.filter((c) => c.seq > seq && c.seq <= upTo);
  }

  // ─────────────── changes ───────────────

  addUser(input: EntraUserInput = {}): EntraUser {
    this.checkKeys(input);
    const id = this.newGuid();
    const upn = input.userPrincipalName ?? `user${this.users.size + 1}@${this.domain}`;
    if (this.user(upn)) throw new EntraDirectoryError(`Another object with the same value for property userPrincipalName already exists.`, 'conflict');
    const user: EntraUser = {
      id,
      userPrincipalName: upn,
      mail: null,
      givenName: null,
      surname: null,
      displayName: upn.split('@')[0]!,
      jobTitle: null,
      department: null,
      officeLocation: null,
      employeeId: null,
      employeeType: null,
      accountEnabled: true,
      employeeHireDate: null,
      employeeLeaveDateTime: null,
      userType: 'Member',
      creationType: null,
      externalUserState: null,
      proxyAddresses: [],
      mobilePhone: null,
      businessPhones: [],
      companyName: null,
      city: null,
      country: null,
      usageLocation: null,
      division: null,
      costCenter: null,
      managerId: null,
      createdDateTime: this.now().toISOString(),
      deletedDateTime: null,
    };
    this.users.set(id, user);
    this.byUpn.set(upn.toLowerCase(), user);
    this.assign(user, input);
    this.record(id, 'created', []);
    return user;
  }

  updateUser(key: string, patch: EntraUserInput): EntraUser {
    this.checkKeys(patch);
    const user = this.requireLive(key);
    const oldManagerId = user.managerId;
    const changed = this.assign(user, patch);
    if (changed.length > 0) this.record(user.id, 'updated', changed, changed.includes('manager') ? oldManagerId : undefined);
    return user;
  }

  /** Soft delete (restorable): `@removed: {reason: "changed"}` in delta. */
  deleteUser(key: string): EntraUser {
    const user = this.requireLive(key);
    user.deletedDateTime = this.now().toISOString();
    this.record(user.id, 'deleted', []);
    return user;
  }

  restoreUser(id: string): EntraUser {
    const user = this.users.get(id);
    if (!user || user.deletedDateTime === null) throw new EntraDirectoryError(`Resource '${id}' does not exist or one of its queried reference-property objects are not present.`, 'not_found');
    user.deletedDateTime = null;
    this.record(user.id, 'restored', []);
    return user;
  }

  /** Permanent delete: `@removed: {reason: "deleted"}` in delta. */
  purgeUser(id: string): void {
    const user = this.users.get(id);
    if (!user) throw new EntraDirectoryError(`Resource '${id}' does not exist or one of its queried reference-property objects are not present.`, 'not_found');
    if (user.deletedDateTime === null) user.deletedDateTime = this.now().toISOString();
    this.users.delete(id);
    this.byUpn.delete(user.userPrincipalName.toLowerCase());
    for (const g of this.groups.values()) g.members = g.members.filter((m) => m !== id);
    this.record(id, 'purged', []);
  }

  addGroup(input: { displayName: string; mail?: string | null; securityEnabled?: boolean; mailEnabled?: boolean; groupTypes?: string[]; membershipRule?: string | null; description?: string | null }): EntraGroup {
    const nickname = (input.mail ?? input.displayName).split('@')[0]!.replace(/[^A-Za-z0-9._-]+/g, '');
    const group: EntraGroup = {
      id: this.newGuid(),
      displayName: input.displayName,
      description: input.description ?? null,
      mail: input.mail ?? null,
      mailNickname: nickname || 'group',
      mailEnabled: input.mailEnabled ?? input.mail !== undefined,
      securityEnabled: input.securityEnabled ?? true,
      groupTypes: input.groupTypes ?? [],
      membershipRule: input.membershipRule ?? null,
      createdDateTime: this.now().toISOString(),
      members: [],
    };
    this.groups.set(group.id, group);
    return group;
  }

  updateGroup(id: string, patch: { displayName?: string; description?: string | null; mail?: string | null }): EntraGroup {
    const group = this.requireGroup(id);
    if (patch.displayName !== undefined) group.displayName = patch.displayName;
    if (patch.description !== undefined) group.description = patch.description;
    if (patch.mail !== undefined) group.mail = patch.mail;
    return group;
  }

  deleteGroup(id: string): void {
    const group = this.requireGroup(id);
    this.groups.delete(group.id);
    for (const g of this.groups.values()) g.members = g.members.filter((m) => m !== group.id);
  }

  /** Adds a member by id or UPN (user), id or name (group), or service principal id. Refuses cycles and dynamic groups. */
  addMember(groupId: string, memberKey: string): void {
    const group = this.requireGroup(groupId);
    if (group.groupTypes.includes('DynamicMembership')) throw new EntraDirectoryError('Members of a dynamic group are set by its membership rule.', 'invalid');
    const id = this.user(memberKey)?.id ?? this.group(memberKey)?.id ?? (this.principals.has(memberKey) ? memberKey : undefined);
    if (!id) throw new EntraDirectoryError(`Resource '${memberKey}' does not exist or one of its queried reference-property objects are not present.`, 'not_found');
    const child = this.groups.get(id);
    if (child && (child === group || this.transitiveMembers(child).includes(group.id))) throw new EntraDirectoryError('A group cannot be nested in itself.', 'invalid');
    if (group.members.includes(id)) throw new EntraDirectoryError('One or more added object references already exist for the following modified properties: \'members\'.', 'conflict');
    group.members.push(id);
  }

  removeMember(groupId: string, memberKey: string): void {
    const group = this.requireGroup(groupId);
    const id = this.user(memberKey)?.id ?? this.group(memberKey)?.id ?? memberKey;
    if (!group.members.includes(id)) throw new EntraDirectoryError(`Resource '${memberKey}' is not a member.`, 'not_found');
    group.members = group.members.filter((m) => m !== id);
  }

  addServicePrincipal(displayName: string): EntraServicePrincipal {
    const sp = { id: this.newGuid(), displayName, appId: this.newGuid() };
    this.principals.set(sp.id, sp);
    return sp;
  }

  // ─────────────── internals ───────────────

  private checkKeys(input: object): void {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new EntraDirectoryError('expected a JSON object', 'invalid');
    const unknown = Object.keys(input).filter((k) => !INPUT_KEYS.has(k));
    if (unknown.length > 0) throw new EntraDirectoryError(`unknown user property(ies): ${unknown.join(', ')}`, 'invalid');
  }

  /** Sets what the input names; returns the changed property names (`manager` for a new manager). */
  private assign(user: EntraUser, input: EntraUserInput): string[] {
    const changed: string[] = [];
    const target = user as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(input)) {
      if (v === undefined) continue;
      if (k === 'manager') {
        const managerId = v === null ? null : (this.liveUser(String(v))?.id ?? null);
        if (v !== null && managerId === null) throw new EntraDirectoryError(`manager ${String(v)} does not exist`, 'not_found');
        if (managerId !== user.managerId) {
          user.managerId = managerId;
          changed.push('manager');
        }
        continue;
      }
      if (k === 'userPrincipalName' && typeof v === 'string') {
        const holder = this.user(v);
        if (holder && holder !== user) throw new EntraDirectoryError('Another object with the same value for property userPrincipalName already exists.', 'conflict');
        this.byUpn.delete(user.userPrincipalName.toLowerCase());
        this.byUpn.set(v.toLowerCase(), user);
      }
      if (JSON.stringify(target[k]) !== JSON.stringify(v)) {
        target[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
        changed.push(k);
      }
    }
    if (changed.some((k) => k === 'division' || k === 'costCenter')) changed.push('employeeOrgData');
    return changed;
  }

  private record(userId: string, kind: UserChange['kind'], props: readonly string[], oldManagerId?: string | null): void {
    this.seqCounter += 1;
    this.log.push({ seq: this.seqCounter, userId, kind, props: new Set(props), ...(oldManagerId !== undefined ? { oldManagerId } : {}) });
  }

  private requireLive(key: string): EntraUser {
    const u = this.liveUser(key);
    if (!u) throw new EntraDirectoryError(`Resource '${key}' does not exist or one of its queried reference-property objects are not present.`, 'not_found');
    return u;
  }

  private requireGroup(id: string): EntraGroup {
    const g = this.group(id);
    if (!g) throw new EntraDirectoryError(`Resource '${id}' does not exist or one of its queried reference-property objects are not present.`, 'not_found');
    return g;
  }

  private newGuid(): string {
    const hex = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.rng.int(0, 15)];
      return s;
    };
    return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[this.rng.int(0, 3)]}${hex(3)}-${hex(12)}`;
  }

  // ─────────────── seed data ───────────────

  private seedPeople(people: readonly SeedEmployee[], today: string): void {
    const todayMs = Date.parse(`${today}T00:00:00Z`);
    const idOf = new Map<string, string>();
    const rows: { p: SeedEmployee; user: EntraUser }[] = [];
    for (const p of people) {
      if (!p.workEmail) continue;
      const contractor = p.employmentHistoryStatus === 'Contractor';
      if (contractor && this.rng.chance(0.4)) continue; // some contractors have no account
      const leftDaysAgo = p.terminationDate !== null && p.terminationDate < today ? Math.round((todayMs - Date.parse(`${p.terminationDate}T00:00:00Z`)) / DAY_MS) : null;
      if (leftDaysAgo !== null && leftDaysAgo > 30 && this.rng.chance(0.5)) continue; // deleted long ago
      const [local, domain] = p.workEmail.split('@') as [string, string];
      const roll = this.rng.next();
      // Most: UPN = mail = work e-mail. Some: another UPN; another case; a new address (HR's kept as an alias).
      const shortUpn = `${local.replace(/^([a-z])[^.]*\./, '$1')}@${domain}`;
      const upn = roll < 0.05 && !this.user(shortUpn) ? shortUpn : p.workEmail;
      const capitalised = `${local.replace(/(^|\.)([a-z])/g, (_, dot: string, c: string) => `${dot}${c.toUpperCase()}`)}@${domain}`;
      const mail = roll >= 0.05 && roll < 0.08 ? capitalised : roll >= 0.08 && roll < 0.1 ? `${local}.new@${domain}` : p.workEmail;
      const proxies = [`SMTP:${mail}`, `smtp:${local}@${this.tenantDomain}`, ...(mail.toLowerCase() !== p.workEmail ? [`smtp:${p.workEmail}`] : [])];
      const user = this.addUser({ userPrincipalName: upn });
      this.assign(user, {
        mail,
        givenName: p.preferredName ?? p.firstName,
        surname: p.lastName,
        displayName: p.displayName,
        jobTitle: p.jobTitle,
        department: p.department,
        officeLocation: p.location,
        employeeId: this.rng.chance(0.9) ? p.employeeNumber : null,
        employeeType: contractor ? 'Contractor' : 'Employee',
        accountEnabled: leftDaysAgo === null,
        employeeHireDate: `${p.hireDate}T00:00:00Z`,
        employeeLeaveDateTime: p.terminationDate ? `${p.terminationDate}T00:00:00Z` : null,
        proxyAddresses: proxies,
        mobilePhone: p.mobilePhone,
        businessPhones: p.workPhone ? [p.workPhone] : [],
        companyName: 'Acme',
        country: p.country,
        usageLocation: null,
        division: p.division,
        costCenter: p.department ? `CC-${p.department.slice(0, 3).toUpperCase()}` : null,
      });
      user.createdDateTime = new Date(p.createdMs).toISOString();
      idOf.set(p.id, user.id);
      rows.push({ p, user });
    }
    for (const { p, user } of rows) user.managerId = p.supervisorEId ? (idOf.get(p.supervisorEId) ?? null) : null;
  }

  private seedOwnAccounts(): void {
    const guests: [string, string, string][] = [['Maria', 'Rossi', 'partner.example'], ['Tom', 'Becker', 'agency.example'], ['Aiko', 'Sato', 'consult.example']];
    for (const [given, family, home] of guests) {
      const external = `${given.toLowerCase()}.${family.toLowerCase()}@${home}`;
      this.addUser({
        userPrincipalName: `${external.replace('@', '_')}#EXT#@${this.tenantDomain}`,
        mail: external,
        givenName: given,
        surname: family,
        displayName: `${given} ${family} (Guest)`,
        userType: 'Guest',
        creationType: 'Invitation',
        externalUserState: 'Accepted',
        proxyAddresses: [`SMTP:${external}`],
      });
    }
    for (const [local, name] of [['room-atlas', 'Room Atlas 4.01'], ['room-borealis', 'Room Borealis 2.12'], ['accounts-payable', 'Accounts Payable (shared)']] as const) {
      this.addUser({ userPrincipalName: `${local}@${this.domain}`, mail: `${local}@${this.domain}`, displayName: name, accountEnabled: false, proxyAddresses: [`SMTP:${local}@${this.domain}`] });
    }
    this.addUser({ userPrincipalName: `breakglass@${this.tenantDomain}`, displayName: 'Break-glass admin', givenName: 'Break-glass', surname: 'Admin' });
    this.addServicePrincipal('Backup Agent');
    this.addServicePrincipal('HR Connector');
  }

  private seedGroups(people: readonly SeedEmployee[]): void {
    const byEmail = new Map<string, EntraUser>();
    for (const u of this.users.values()) {
      for (const p of u.proxyAddresses) byEmail.set(p.slice(5).toLowerCase(), u);
      byEmail.set(u.userPrincipalName.toLowerCase(), u);
    }
    const account = (p: SeedEmployee): EntraUser | undefined => (p.workEmail ? byEmail.get(p.workEmail) : undefined);
    const divisions = new Map<string, EntraGroup>();
    const departments = new Map<string, EntraGroup>();
    for (const p of people) {
      if (!p.division || !p.department) continue;
      let div = divisions.get(p.division);
      if (!div) divisions.set(p.division, (div = this.addGroup({ displayName: p.division, mailEnabled: false, description: `Everyone in ${p.division}` })));
      let dept = departments.get(p.department);
      if (!dept) {
        dept = this.addGroup({ displayName: `Abt. ${p.department}`, mailEnabled: false, description: `${p.department} department` });
        departments.set(p.department, dept);
        div.members.push(dept.id);
      }
      const u = account(p);
      if (u?.accountEnabled) dept.members.push(u.id);
    }
    const everyone = this.addGroup({ displayName: 'All Company', mail: `allcompany@${this.domain}`, mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'], description: 'Everyone, guests included' });
    for (const u of this.users.values()) if (u.accountEnabled && (u.employeeId !== null || u.userType === 'Guest')) everyone.members.push(u.id);
    this.addGroup({ displayName: 'Engineering (dynamic)', groupTypes: ['DynamicMembership'], membershipRule: 'user.department -eq "Engineering"', mailEnabled: false, description: 'Everyone whose department is Engineering' });
    const managers = new Set(people.map((p) => p.supervisorEId).filter((x): x is string => x !== null));
    const leaders = this.addGroup({ displayName: 'Leaders', mail: `leaders@${this.domain}`, mailEnabled: true, description: 'Everyone who manages people' });
    for (const p of people) {
      const u = account(p);
      if (u?.accountEnabled && managers.has(p.id)) leaders.members.push(u.id);
    }
    const it = departments.get('IT') ?? [...departments.values()][0];
    const backup = [...this.principals.values()][0];
    if (it && backup) it.members.push(backup.id);
  }
}

export const ENTRA_USER_PROPERTIES = [
  'id', 'userPrincipalName', 'mail', 'givenName', 'surname', 'displayName', 'jobTitle', 'department', 'officeLocation', 'employeeId', 'employeeType',
  'accountEnabled', 'employeeHireDate', 'employeeLeaveDateTime', 'userType', 'creationType', 'externalUserState', 'proxyAddresses', 'mobilePhone',
  'businessPhones', 'companyName', 'city', 'country', 'usageLocation', 'employeeOrgData', 'createdDateTime', 'deletedDateTime', 'preferredLanguage', 'otherMails',
] as const;
