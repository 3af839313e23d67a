/**
 * Group Sync planning: pure and I/O-free.
 *
 * Given an integration's group mapping, the people it syncs (with their mapped attribute values),
 * the provider's own org units when it has them, and the groups this integration synced before,
 * it says which groups to create, rename, retype, re-parent, archive and revive, and which
 * synced memberships to add and remove.
 *
 * Rules (the console's help text says the same):
 * - **Identity.** A synced group is keyed by (integration, attribute, key). The key is the
 *   provider's own id for the unit (`id:<BambooHR list option id>`) when the provider lists the
 *   unit (matched by name), else the normalised name (`name:<nfkc, trimmed, lower-cased, single
 *   spaces>`). A unit keyed by id that is renamed in the HRIS keeps its group (same id, same
 *   memberships) and the group is renamed; a unit keyed by name that is renamed is a new unit
 *   (the old group is archived, a new one created) since nothing says they are the same.
 * - **Existence.** A group exists while at least one synced person holds the unit. A unit nobody
 *   holds any more, one the provider archived, or an attribute taken out of the mapping is
 *   archived (its synced memberships removed, the group and its history kept); it is revived (same
 *   id) when the unit comes back.
 * - **Nesting.** `parent: "division"` on the department entry puts each department under the
 *   division most of the department's members belong to. Members without a division do not vote;
 *   on a tie the current parent stays if it is among the tied, else the division whose name sorts
 *   first. A department whose members have no division at all is top-level.
 * - **Names.** `nameTemplate` (default `{value}`) may use `{value}`, `{type}` and `{attribute}`,
 *   e.g. `"{value} ({type})"`. The unit name is the provider's (its list option's current name),
 *   else the spelling most members use.
 */
import { isFieldName } from './fields.ts';

export interface GroupMappingEntry {
  /** A ReFresh field: `department`, `division`, `location`, …, or `custom.<key>`. */
  readonly attribute: string;
  /** The type label shown for the groups: "Department", "Location", … */
  readonly type: string;
  /** Another mapped attribute to nest these groups under. */
  readonly parent?: string;
  /** Group name; `{value}` (required), `{type}`, `{attribute}`. Default `{value}`. */
  readonly nameTemplate?: string;
}

/** A unit as the provider lists it, with `attribute` already a ReFresh field name. */
export interface OrgUnit {
  readonly attribute: string;
  readonly key: string;
  readonly name: string;
  readonly archived?: boolean;
}

/** One synced person: the employee and their mapped values (ReFresh field names). */
export interface GroupPerson {
  readonly employeeId: string;
  readonly values: Readonly<Record<string, string | undefined>>;
}

export interface ExistingSyncedGroup {
  readonly id: string;
  readonly attribute: string;
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly parentId: string | null;
  readonly archived: boolean;
}

export interface ExistingMembership {
  readonly groupId: string;
  readonly employeeId: string;
}

export interface PlanInput {
  readonly mapping: readonly GroupMappingEntry[];
  readonly people: readonly GroupPerson[];
  /** Provider org units; attributes without any listed unit are keyed by name. */
  readonly orgUnits?: readonly OrgUnit[];
  readonly existing: readonly ExistingSyncedGroup[];
  /** This integration's synced memberships (each once: the store keys them by group, person and origin). */
  readonly memberships: readonly ExistingMembership[];
  /** Ids for new groups (injected so the plan stays pure and testable). */
  readonly newId: () => string;
}

export interface PlannedGroup {
  readonly id: string;
  readonly attribute: string;
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly parentId: string | null;
  readonly members: ReadonlySet<string>;
  readonly status: 'new' | 'existing' | 'revived';
}

export type ArchiveReason = 'vanished' | 'archived_in_source' | 'unmapped' | 'deselected';

export interface GroupPlan {
  /** Every group the mapping yields now (active synced groups), for previews and trees. */
  readonly groups: readonly PlannedGroup[];
  readonly created: readonly PlannedGroup[];
  readonly renamed: readonly { id: string; from: string; to: string }[];
  readonly retyped: readonly { id: string; name: string; from: string; to: string }[];
  readonly moved: readonly { id: string; name: string; from: string | null; to: string | null }[];
  readonly archived: readonly { id: string; name: string; attribute: string; reason: ArchiveReason }[];
  readonly revived: readonly { id: string; name: string }[];
  readonly membershipsAdded: readonly ExistingMembership[];
  readonly membershipsRemoved: readonly ExistingMembership[];
}

/** How many of each change a plan holds: what a preview tells the admin the next sync would do. */
export function planCounts(plan: GroupPlan) {
  return {
    create: plan.created.length,
    rename: plan.renamed.length,
    move: plan.moved.length,
    archive: plan.archived.length,
    revive: plan.revived.length,
    membershipsAdded: plan.membershipsAdded.length,
    membershipsRemoved: plan.membershipsRemoved.length,
  };
}

/** ReFresh fields that make sense as groups (plus every `custom.<key>`). */
export const GROUPABLE_FIELDS = ['department', 'division', 'location', 'jobTitle', 'employmentStatus', 'employmentType'] as const;

const TEMPLATE_VARS = new Set(['value', 'type', 'attribute']);

export function isGroupableAttribute(attribute: string): boolean {
  return (GROUPABLE_FIELDS as readonly string[]).includes(attribute) || (attribute.startsWith('custom.') && isFieldName(attribute));
}

/** NFKC, trimmed, inner whitespace collapsed, lower-cased: how names are compared and keyed. */
export function normalizeUnitName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en');
}

export function applyNameTemplate(template: string | undefined, vars: { value: string; type: string; attribute: string }): string {
  const text = (template ?? '{value}').replace(/\{(\w+)\}/g, (whole, name: string) => (TEMPLATE_VARS.has(name) ? vars[name as keyof typeof vars] : whole));
  return text.trim().slice(0, 200) || vars.value;
}

/** One problem with a group mapping: the entry and part at fault (when there is one), in words an admin can act on. */
export interface GroupMappingProblem {
  readonly index?: number;
  readonly part?: 'attribute' | 'type' | 'parent' | 'nameTemplate';
  readonly message: string;
}

/**
 * The attributes a mapping may name, in words: the groupable ones the integration imports when
 * `available` is known, else every groupable ReFresh field.
 */
function allowedAttributes(available: ReadonlySet<string> | undefined): string {
  if (!available) return `one of ${GROUPABLE_FIELDS.join(', ')} or custom.<key>`;
  const imported = [...available].filter(isGroupableAttribute);
  return imported.length > 0 ? `one of the attributes it imports: ${imported.join(', ')}` : 'an attribute its field mapping writes (none of them can become groups yet)';
}

/**
 * The problems with a mapping, each with the entry and part at fault; empty when it is valid.
 * `available`, when given, is the set of attributes the integration actually imports (the targets
 * of its field mapping, whose provider fields are checked against the provider's catalogue).
 */
export function groupMappingProblems(mapping: readonly GroupMappingEntry[], opts: { available?: ReadonlySet<string>; sourceName?: string } = {}): GroupMappingProblem[] {
  const problems: GroupMappingProblem[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of mapping.entries()) {
    const attribute = entry.attribute?.trim?.() ?? '';
    if (attribute === '') {
      problems.push({ index: i, part: 'attribute', message: `attribute is required, e.g. "department"` });
      continue;
    }
    if (!isGroupableAttribute(attribute)) {
      problems.push({ index: i, part: 'attribute', message: `"${attribute.slice(0, 80)}" cannot become groups; use ${allowedAttributes(opts.available)}` });
    } else if (opts.available && !opts.available.has(attribute)) {
      problems.push({ index: i, part: 'attribute', message: `"${attribute}" is not imported from ${opts.sourceName ?? 'this source'} (no field mapping writes it), so no group could be made from it; use ${allowedAttributes(opts.available)}, or map a field to "${attribute}" under User Auto-Sync → Field mapping first` });
    }
    if (seen.has(attribute)) problems.push({ index: i, part: 'attribute', message: `"${attribute}" is mapped twice; map each attribute once` });
    seen.add(attribute);
    if (!entry.type || entry.type.trim() === '') problems.push({ index: i, part: 'type', message: `type is required, e.g. "Department"` });
    if (entry.nameTemplate !== undefined) {
      if (!entry.nameTemplate.includes('{value}')) problems.push({ index: i, part: 'nameTemplate', message: `nameTemplate must contain {value}, e.g. "{value} team"` });
      for (const m of entry.nameTemplate.matchAll(/\{(\w+)\}/g)) {
        if (!TEMPLATE_VARS.has(m[1]!)) problems.push({ index: i, part: 'nameTemplate', message: `nameTemplate placeholder {${m[1]}} is unknown; use {value}, {type} or {attribute}` });
      }
    }
  }
  const byAttribute = new Map(mapping.map((e) => [e.attribute, e]));
  for (const [i, entry] of mapping.entries()) {
    if (entry.parent !== undefined && entry.parent !== entry.attribute && !byAttribute.has(entry.parent)) {
      problems.push({ index: i, part: 'parent', message: `"${entry.attribute}" is nested under "${entry.parent.slice(0, 80)}", which is not in the mapping; add {"attribute": "${entry.parent.slice(0, 80)}", "type": "…"} or remove the parent` });
    }
  }
  // Cycles: walk up from each entry; report each cycle once, starting where the mapping lists it first.
  const reported = new Set<string>();
  for (const entry of mapping) {
    const path: string[] = [entry.attribute];
    let current = entry;
    while (current.parent !== undefined) {
      const next = byAttribute.get(current.parent);
      if (!next) break;
      const loopAt = path.indexOf(next.attribute);
      if (loopAt >= 0) {
        const cycle = path.slice(loopAt);
        const id = [...cycle].sort().join('|');
        if (!reported.has(id)) {
          reported.add(id);
          const first = mapping.findIndex((e) => cycle.includes(e.attribute));
          const start = cycle.indexOf(mapping[first]!.attribute);
          const ordered = [...cycle.slice(start), ...cycle.slice(0, start)];
          problems.push({ index: first, part: 'parent', message: `${[...ordered, ordered[0]].join(' → ')} is a cycle; groups can only nest in one direction` });
        }
        break;
      }
      path.push(next.attribute);
      current = next;
    }
  }
  return problems;
}

/** The problems with a mapping as sentences, each entry's named `mapping[i]` (see groupMappingProblems); empty when it is valid. */
export function validateGroupMapping(mapping: readonly GroupMappingEntry[], opts: { available?: ReadonlySet<string>; sourceName?: string } = {}): string[] {
  return groupMappingProblems(mapping, opts).map((p) => (p.index !== undefined && p.part !== 'parent' ? `mapping[${p.index}]: ${p.message}` : p.message));
}

interface Unit {
  readonly attribute: string;
  readonly key: string;
  readonly unitName: string;
  readonly members: Set<string>;
  readonly spellings: Map<string, number>;
  /** Parent unit (uid) → how many of this unit's members hold it (the nesting vote). */
  readonly votes: Map<string, number>;
}

/** One attribute value as planned: its unit (uid) and spelling, or archived in the source. */
interface Resolved {
  readonly uid: string;
  readonly key: string;
  readonly value: string;
  readonly providerName: string | undefined;
  readonly archived: boolean;
}

/**
 * Computes the plan. Assumes a valid mapping (see validateGroupMapping).
 * Cost: one pass over the people (each distinct value is normalised and keyed once, however many
 * people hold it) and one over the memberships; nothing per pair of groups and people.
 */
export function planGroups(input: PlanInput): GroupPlan {
  const mapping = input.mapping;
  const mapped = new Map(mapping.map((e) => [e.attribute, e]));

  // Provider units by attribute and normalised name (first listed wins; non-archived preferred).
  const unitsByAttr = new Map<string, Map<string, OrgUnit>>();
  for (const u of input.orgUnits ?? []) {
    let byName = unitsByAttr.get(u.attribute);
    if (!byName) unitsByAttr.set(u.attribute, (byName = new Map()));
    const n = normalizeUnitName(u.name);
    const prior = byName.get(n);
    if (!prior || (prior.archived && !u.archived)) byName.set(n, u);
  }

  // Each raw value of each attribute, resolved once (people share a few thousand values).
  const resolvedByAttr = new Map<string, Map<string, Resolved | null>>(mapping.map((e) => [e.attribute, new Map()]));
  const resolve = (attribute: string, raw: string | undefined): Resolved | null => {
    if (raw === undefined || raw === null) return null;
    const cache = resolvedByAttr.get(attribute)!;
    let r = cache.get(raw);
    if (r !== undefined) return r;
    const value = String(raw).normalize('NFC').trim();
    if (!value) r = null;
    else {
      const unit = unitsByAttr.get(attribute)?.get(normalizeUnitName(value));
      const key = unit ? `id:${unit.key}` : `name:${normalizeUnitName(value)}`;
      r = { uid: `${attribute}\u0000${key}`, key, value, providerName: unit?.name, archived: unit?.archived === true };
    }
    cache.set(raw, r);
    return r;
  };

  // Units people hold now, and each nested unit's votes for its parent (members without one do not vote).
  const units = new Map<string, Unit>(); // `${attribute}\u0000${key}`
  const archivedInSource = new Set<string>();
  const held: (Unit | null)[] = new Array<Unit | null>(mapping.length);
  const nested = mapping.map((e) => (e.parent !== undefined && e.parent !== e.attribute ? mapping.findIndex((p) => p.attribute === e.parent) : -1));
  for (const person of input.people) {
    for (let i = 0; i < mapping.length; i += 1) {
      held[i] = null;
      const entry = mapping[i]!;
      const r = resolve(entry.attribute, person.values[entry.attribute]);
      if (!r) continue;
      if (r.archived) {
        archivedInSource.add(r.uid);
        continue;
      }
      let unit = units.get(r.uid);
      if (!unit) units.set(r.uid, (unit = { attribute: entry.attribute, key: r.key, unitName: r.providerName ?? r.value, members: new Set(), spellings: new Map(), votes: new Map() }));
      unit.members.add(person.employeeId);
      unit.spellings.set(r.value, (unit.spellings.get(r.value) ?? 0) + 1);
      held[i] = unit;
    }
    for (let i = 0; i < mapping.length; i += 1) {
      const unit = held[i];
      const parent = nested[i]! >= 0 ? held[nested[i]!] : null;
      if (!unit || !parent) continue;
      const parentUid = `${parent.attribute}\u0000${parent.key}`;
      unit.votes.set(parentUid, (unit.votes.get(parentUid) ?? 0) + 1);
    }
  }

  const existingByUid = new Map(input.existing.map((g) => [`${g.attribute}\u0000${g.key}`, g]));
  const existingById = new Map(input.existing.map((g) => [g.id, g]));

  // Names: the provider's, else the spelling most members use (ties: the existing name, else first by sort).
  const unitName = (unit: Unit, existingName: string | undefined, entry: GroupMappingEntry): string => {
    let value = unit.unitName;
    if (unit.key.startsWith('name:')) {
      const ranked = [...unit.spellings.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const top = ranked[0]![1];
      const tied = ranked.filter(([, n]) => n === top).map(([s]) => s);
      const current = existingName !== undefined ? tied.find((s) => applyNameTemplate(entry.nameTemplate, { value: s, type: entry.type, attribute: entry.attribute }) === existingName) : undefined;
      value = current ?? tied[0]!;
    }
    return applyNameTemplate(entry.nameTemplate, { value, type: entry.type, attribute: entry.attribute });
  };

  // Desired groups, ids assigned (existing id kept), in mapping order then by name.
  const planned = new Map<string, { unit: Unit; id: string; name: string; type: string; status: PlannedGroup['status']; existing?: ExistingSyncedGroup }>();
  const unitsOf = new Map<string, [string, Unit][]>();
  for (const [uid, unit] of units) {
    const list = unitsOf.get(unit.attribute);
    if (list) list.push([uid, unit]);
    else unitsOf.set(unit.attribute, [[uid, unit]]);
  }
  for (const entry of mapping) {
    for (const [uid, unit] of unitsOf.get(entry.attribute) ?? []) {
      const existing = existingByUid.get(uid);
      const name = unitName(unit, existing?.name, entry);
      planned.set(uid, {
        unit,
        id: existing?.id ?? input.newId(),
        name,
        type: entry.type,
        status: existing ? (existing.archived ? 'revived' : 'existing') : 'new',
        ...(existing ? { existing } : {}),
      });
    }
  }

  // Parents by majority of members (see the rule above).
  const parentOf = new Map<string, string | null>();
  const nameOfId = new Map<string, string>([...planned.values()].map((p) => [p.id, p.name]));
  for (const [uid, p] of planned) {
    const votes = new Map<string, number>();
    for (const [parentUid, n] of p.unit.votes) {
      const parent = planned.get(parentUid);
      if (parent) votes.set(parent.id, (votes.get(parent.id) ?? 0) + n);
    }
    if (votes.size === 0) {
      parentOf.set(uid, null);
      continue;
    }
    let top = 0;
    for (const n of votes.values()) if (n > top) top = n;
    const tied = [...votes.entries()].filter(([, n]) => n === top).map(([id]) => id);
    const current = p.existing?.parentId ?? null;
    const chosen = current !== null && tied.includes(current)
      ? current
      : tied.sort((a, b) => (nameOfId.get(a)! < nameOfId.get(b)! ? -1 : nameOfId.get(a)! > nameOfId.get(b)! ? 1 : a < b ? -1 : 1))[0]!;
    parentOf.set(uid, chosen);
  }

  const groups: PlannedGroup[] = [];
  const created: PlannedGroup[] = [];
  const renamed: { id: string; from: string; to: string }[] = [];
  const retyped: { id: string; name: string; from: string; to: string }[] = [];
  const moved: { id: string; name: string; from: string | null; to: string | null }[] = [];
  const revived: { id: string; name: string }[] = [];
  for (const [uid, p] of planned) {
    const g: PlannedGroup = { id: p.id, attribute: p.unit.attribute, key: p.unit.key, name: p.name, type: p.type, parentId: parentOf.get(uid) ?? null, members: p.unit.members, status: p.status };
    groups.push(g);
    if (!p.existing) {
      created.push(g);
      continue;
    }
    if (p.existing.archived) revived.push({ id: g.id, name: g.name });
    if (p.existing.name !== g.name) renamed.push({ id: g.id, from: p.existing.name, to: g.name });
    if (p.existing.type !== g.type) retyped.push({ id: g.id, name: g.name, from: p.existing.type, to: g.type });
    if (p.existing.parentId !== g.parentId) moved.push({ id: g.id, name: g.name, from: p.existing.parentId, to: g.parentId });
  }

  const archived: { id: string; name: string; attribute: string; reason: ArchiveReason }[] = [];
  const membersOf = new Map(groups.map((g) => [g.id, g.members]));
  for (const g of input.existing) {
    if (g.archived || membersOf.has(g.id)) continue;
    const uid = `${g.attribute}\u0000${g.key}`;
    const reason: ArchiveReason = !mapped.has(g.attribute) ? 'unmapped' : archivedInSource.has(uid) ? 'archived_in_source' : 'vanished';
    archived.push({ id: g.id, name: g.name, attribute: g.attribute, reason });
  }

  // Memberships: exactly the planned members of the planned groups; everything else synced goes.
  // Memberships of groups this integration does not know (should not happen) are left alone.
  // A group whose stored members are all still members, as many as it has, adds nobody: only the
  // others (few, on most runs) are compared member by member.
  const kept = new Map<string, number>();
  const membershipsRemoved: ExistingMembership[] = [];
  for (const m of input.memberships) {
    const members = membersOf.get(m.groupId);
    if (members?.has(m.employeeId)) kept.set(m.groupId, (kept.get(m.groupId) ?? 0) + 1);
    else if (members || existingById.has(m.groupId)) membershipsRemoved.push(m);
  }
  const changing = new Map<string, Set<string>>();
  for (const g of groups) if ((kept.get(g.id) ?? 0) < g.members.size) changing.set(g.id, new Set());
  for (const m of input.memberships) changing.get(m.groupId)?.add(m.employeeId);
  // Person by person, in the order the people came (the store reads them by employee id): a
  // first sync writes each person's memberships and their run changes together, so the indexes
  // by employee are written in order, not once per group all over again (a third of the writes' CPU on SQLite).
  const membershipsAdded: ExistingMembership[] = [];
  if (changing.size > 0) {
    for (const person of input.people) {
      for (const entry of mapping) {
        const r = resolve(entry.attribute, person.values[entry.attribute]);
        const p = r && !r.archived ? planned.get(r.uid) : undefined;
        const had = p ? changing.get(p.id) : undefined;
        if (!had || had.has(person.employeeId)) continue;
        had.add(person.employeeId); // once, however often a caller lists the person
        membershipsAdded.push({ groupId: p!.id, employeeId: person.employeeId });
      }
    }
  }

  return { groups, created, renamed, retyped, moved, archived, revived, membershipsAdded, membershipsRemoved };
}

/**
 * Headcount per group: distinct people in the group or any of its descendants for whom
 * `counts(employeeId)` holds (e.g. active people). Someone in a department and in its division
 * counts once for the division.
 */
export function subtreeHeadcounts(
  groups: readonly { readonly id: string; readonly parentId: string | null }[],
  members: ReadonlyMap<string, Iterable<string>>,
  counts: (employeeId: string) => boolean = () => true,
  /** Further parents (a group nested in two): their headcounts count it too. */
  links: readonly { readonly groupId: string; readonly parentId: string }[] = [],
): Map<string, number> {
  const children = new Map<string, string[]>();
  for (const [child, parent] of [...groups.map((g) => [g.id, g.parentId] as const), ...links.map((l) => [l.groupId, l.parentId] as const)]) {
    if (parent === null) continue;
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    list.push(child);
  }
  const out = new Map<string, number>();
  for (const g of groups) {
    const people = new Set<string>();
    const visited = new Set<string>();
    const stack = [g.id];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (visited.has(id)) continue;
      visited.add(id);
      for (const e of members.get(id) ?? []) if (counts(e)) people.add(e);
      stack.push(...(children.get(id) ?? []));
    }
    out.set(g.id, people.size);
  }
  return out;
}

/** Nests flat groups into a forest (siblings by name), each node with `children`. */
export function toTree<T extends { readonly id: string; readonly parentId: string | null; readonly name: string }>(items: readonly T[]): (T & { children: unknown[] })[] {
  type Node = T & { children: Node[] };
  const nodes = new Map<string, Node>(items.map((i) => [i.id, { ...i, children: [] as Node[] }]));
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId !== null ? nodes.get(node.parentId) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const sort = (list: Node[]) => {
    list.sort((a, b) => a.name.localeCompare(b.name, 'en') || (a.id < b.id ? -1 : 1));
    for (const n of list) sort(n.children);
  };
  sort(roots);
  return roots;
}
