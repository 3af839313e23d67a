/**
 * Identity-provider groups in Group Sync (Google groups, Entra groups): pure and I/O-free.
 *
 * - **Which.** `directoryGroups: "all"`, or `{include: [...]}`: names or e-mails, `*` matching any
 *   run of characters, case-insensitive (`"Abt. *"`, `"leaders@acme.example"`). A selected group's
 *   nested groups come with it (they are part of what was picked).
 * - **Identity.** A group is keyed by (integration, `directoryGroup`, the provider's id): a rename in
 *   the source renames the group; a group gone from the source or no longer selected is archived
 *   (its synced memberships removed, the group and its history kept), and revived if it comes back.
 * - **Nesting.** A group that is a member of another is its sub-group. Google and Entra let a group
 *   sit in several parents; a ReFresh group has one place in the tree (`parentId`, which paths,
 *   breadcrumbs and moves follow): where it already sits while that parent still holds it (so a
 *   second parent moves nothing), else the selected parent whose name sorts first. Every other selected
 *   parent is kept as a second link (`alsoIn`, stored in `group_parents`): the group is not copied,
 *   it shows under that parent as a link to itself, and that parent's headcount counts its people
 *   (each person once), as the source's own transitive membership does.
 * - **The whole organisation.** A Google group member of type CUSTOMER is "all users in the
 *   domain" (developers.google.com/admin-sdk/directory/reference/rest/v1/members: `type`
 *   CUSTOMER, its `id` the customer's id, no e-mail). It is expanded to every person this
 *   integration syncs (linked, in scope, active): that is who "everyone in the domain" is in
 *   ReFresh, and it follows hires and leavers on every run. Users of the domain out of scope stay
 *   out, as they do from any other group.
 * - **Members.** Direct user members who are ReFresh employees of this integration (linked, in
 *   scope, active) are synced members; everyone else is skipped with a reason (a guest or account
 *   out of the sync scope, a service principal, …). Headcounts include sub-groups (the store counts).
 */
import type { ArchiveReason, ExistingMembership, ExistingSyncedGroup, GroupPlan, PlannedGroup } from './group-plan.ts';

/** The attribute directory groups are kept under (beside the mapped attributes' `department`, …). */
export const DIRECTORY_GROUP_ATTRIBUTE = 'directoryGroup';

export type DirectoryGroupSelection = 'all' | { readonly include: readonly string[] };

export interface SourceGroup {
  readonly key: string;
  readonly name: string;
  readonly email: string | null;
  readonly userIds: readonly string[];
  readonly groupKeys: readonly string[];
  readonly others: readonly { readonly id: string; readonly name: string; readonly what: string }[];
  /** A member stands for every user of the organisation (Google's type CUSTOMER). */
  readonly everyone?: boolean;
}

/**
 * Whether `text` matches `pattern`, where `*` is any run of characters (both already folded).
 * One pass that goes back only to the last `*`: at most pattern × text steps, whatever the
 * pattern (a regular expression built from `*a*a*a…b` backtracks for minutes on one group name).
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      p += 1;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

function wildcard(pattern: string): (name: string) => boolean {
  const folded = pattern.trim().toLocaleLowerCase('en');
  return (name) => wildcardMatch(folded, name);
}

/** Whether an include pattern picks a group itself (by its name or e-mail). */
export function patternPicks(pattern: string): (g: Pick<SourceGroup, 'name' | 'email'>) => boolean {
  const matches = wildcard(pattern);
  return (g) => [g.name, g.email ?? ''].some((n) => n !== '' && matches(n.toLocaleLowerCase('en')));
}

/** The keys of the selected groups and every group nested in them. */
export function selectDirectoryGroups(groups: readonly SourceGroup[], selection: DirectoryGroupSelection): Set<string> {
  if (selection === 'all') return new Set(groups.map((g) => g.key));
  const picks = selection.include.map(patternPicks);
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const out = new Set<string>();
  const add = (g: SourceGroup): void => {
    if (out.has(g.key)) return;
    out.add(g.key);
    for (const child of g.groupKeys) {
      const c = byKey.get(child);
      if (c) add(c);
    }
  };
  for (const g of groups) if (picks.some((pick) => pick(g))) add(g);
  return out;
}

/**
 * The distinct people (user members) in each group and the groups nested in it, as the source
 * holds them: what the admin knows the group as, before ReFresh leaves out who it does not sync.
 */
export function sourcePeopleCounts(groups: readonly SourceGroup[], everyone: readonly string[] = []): Map<string, number> {
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const out = new Map<string, number>();
  for (const g of groups) {
    const people = new Set<string>();
    const seen = new Set<string>();
    const stack = [g.key];
    while (stack.length > 0) {
      const k = stack.pop()!;
      if (seen.has(k)) continue;
      seen.add(k);
      const h = byKey.get(k);
      if (!h) continue;
      for (const u of h.everyone ? everyone : h.userIds) people.add(u);
      if (h.everyone) for (const u of h.userIds) people.add(u);
      stack.push(...h.groupKeys);
    }
    out.set(g.key, people.size);
  }
  return out;
}

/** Why a direct member is not synced, per kind of member. */
export interface MemberSkip {
  readonly groupKey: string;
  readonly groupName: string;
  readonly skipped: readonly { readonly name: string; readonly why: string }[];
}

export interface DirectoryPlanInput {
  readonly groups: readonly SourceGroup[];
  /** null: directory groups are turned off (every synced one is archived as deselected). */
  readonly selection: DirectoryGroupSelection | null;
  /** "Entra group" / "Google group". */
  readonly type: string;
  /** External id → employee id, for the integration's synced people (linked, in scope, active). */
  readonly employeeOf: ReadonlyMap<string, string>;
  /** Why a user member is not among them (not linked, out of scope, inactive), when known. */
  readonly whyNot: (externalId: string) => string;
  /** This integration's directory groups synced before, and their synced memberships. */
  readonly existing: readonly ExistingSyncedGroup[];
  readonly memberships: readonly ExistingMembership[];
  readonly newId: () => string;
}

/** A second (third, …) parent of a group: where else it sits in the source. */
export interface GroupLink {
  readonly groupId: string;
  readonly parentId: string;
}

export interface DirectoryPlan extends GroupPlan {
  readonly skips: readonly MemberSkip[];
  /** Every selected parent of each group besides its place in the tree (`parentId`). */
  readonly alsoIn: readonly GroupLink[];
}

export function planDirectoryGroups(input: DirectoryPlanInput): DirectoryPlan {
  const selected = input.selection === null ? new Set<string>() : selectDirectoryGroups(input.groups, input.selection);
  const chosen = input.groups.filter((g) => selected.has(g.key));
  const existingByKey = new Map(input.existing.map((g) => [g.key, g]));
  const idOf = new Map<string, string>();
  for (const g of chosen) idOf.set(g.key, existingByKey.get(g.key)?.id ?? input.newId());
  // Parent: where the group sat before, while that group still holds it (a second parent in the
  // source adds a link and moves nothing); else the selected group holding it whose name sorts first.
  const parentKey = new Map<string, string>();
  const keyOfId = new Map(input.existing.map((g) => [g.id, g.key]));
  const chosenByKey = new Map(chosen.map((g) => [g.key, g]));
  for (const g of chosen) {
    const before = existingByKey.get(g.key)?.parentId;
    const pk = before ? keyOfId.get(before) : undefined;
    if (pk !== undefined && pk !== g.key && selected.has(pk) && chosenByKey.get(pk)?.groupKeys.includes(g.key)) parentKey.set(g.key, pk);
  }
  for (const g of [...chosen].sort((a, b) => a.name.localeCompare(b.name, 'en') || a.key.localeCompare(b.key))) {
    for (const child of g.groupKeys) if (selected.has(child) && child !== g.key && !parentKey.has(child)) parentKey.set(child, g.key);
  }
  // A cycle in the source (not possible in Entra or Google, but cheap to refuse) leaves a root.
  for (const g of chosen) {
    const seen = new Set<string>([g.key]);
    for (let k = parentKey.get(g.key); k !== undefined; k = parentKey.get(k)) {
      if (seen.has(k)) {
        parentKey.delete(g.key);
        break;
      }
      seen.add(k);
    }
  }

  // Every other selected parent: a link, unless it would close a loop (a parent nested in the group).
  const byKey = chosenByKey;
  const below = (from: string, target: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const k = stack.pop()!;
      if (k === target) return true;
      if (seen.has(k)) continue;
      seen.add(k);
      stack.push(...(byKey.get(k)?.groupKeys ?? []));
    }
    return false;
  };
  const alsoIn: GroupLink[] = [];
  for (const g of chosen) {
    for (const child of new Set(g.groupKeys)) {
      if (!selected.has(child) || child === g.key || parentKey.get(child) === g.key || below(child, g.key)) continue;
      alsoIn.push({ groupId: idOf.get(child)!, parentId: idOf.get(g.key)! });
    }
  }

  const everyone = [...new Set(input.employeeOf.values())];
  const groups: PlannedGroup[] = [];
  const skips: MemberSkip[] = [];
  for (const g of chosen) {
    const members = new Set<string>(g.everyone ? everyone : []);
    const skipped: { name: string; why: string }[] = g.others.map((o) => ({ name: o.name, why: `${o.what}: not a person` }));
    for (const user of g.userIds) {
      const employee = input.employeeOf.get(user);
      if (employee) members.add(employee);
      else skipped.push({ name: user, why: input.whyNot(user) });
    }
    if (skipped.length > 0) skips.push({ groupKey: g.key, groupName: g.name, skipped });
    const before = existingByKey.get(g.key);
    const parent = parentKey.get(g.key);
    groups.push({
      id: idOf.get(g.key)!,
      attribute: DIRECTORY_GROUP_ATTRIBUTE,
      key: g.key,
      name: g.name,
      type: input.type,
      parentId: parent ? idOf.get(parent)! : null,
      members,
      status: !before ? 'new' : before.archived ? 'revived' : 'existing',
    });
  }

  const created = groups.filter((g) => g.status === 'new');
  const renamed: { id: string; from: string; to: string }[] = [];
  const retyped: { id: string; name: string; from: string; to: string }[] = [];
  const moved: { id: string; name: string; from: string | null; to: string | null }[] = [];
  const revived: { id: string; name: string }[] = [];
  for (const g of groups) {
    const before = existingByKey.get(g.key);
    if (!before) continue;
    if (before.archived) revived.push({ id: g.id, name: g.name });
    if (before.name !== g.name) renamed.push({ id: g.id, from: before.name, to: g.name });
    if (before.type !== g.type) retyped.push({ id: g.id, name: g.name, from: before.type, to: g.type });
    if (before.parentId !== g.parentId) moved.push({ id: g.id, name: g.name, from: before.parentId, to: g.parentId });
  }
  const inSource = new Set(input.groups.map((g) => g.key));
  const archived: { id: string; name: string; attribute: string; reason: ArchiveReason }[] = input.existing
    .filter((g) => !g.archived && !selected.has(g.key))
    .map((g) => ({ id: g.id, name: g.name, attribute: g.attribute, reason: inSource.has(g.key) || input.selection === null ? 'deselected' : 'vanished' }));

  const wanted = new Set(groups.flatMap((g) => [...g.members].map((e) => `${g.id}\u0000${e}`)));
  const have = new Set(input.memberships.map((m) => `${m.groupId}\u0000${m.employeeId}`));
  const membershipsAdded = groups.flatMap((g) => [...g.members].filter((e) => !have.has(`${g.id}\u0000${e}`)).map((employeeId) => ({ groupId: g.id, employeeId })));
  const membershipsRemoved = input.memberships.filter((m) => !wanted.has(`${m.groupId}\u0000${m.employeeId}`));
  return { groups, created, renamed, retyped, moved, archived, revived, membershipsAdded, membershipsRemoved, skips, alsoIn };
}
