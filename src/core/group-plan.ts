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

/** A group as a plan has it, without its members. */
export interface PlannedGroupHead {
  readonly id: string;
  readonly attribute: string;
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly parentId: string | null;
  readonly status: 'new' | 'existing' | 'revived';
}

export interface PlannedGroup extends PlannedGroupHead {
  readonly members: ReadonlySet<string>;
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
  readonly spellings: Map<string, number>;
  /** Parent unit (its index) → how many of this unit's members hold it (the nesting vote). */
  readonly votes: Map<number, number>;
}

/** One attribute value as planned: its unit (index; -1 when the provider archived it) and spelling. */
interface Resolved {
  readonly unit: number;
  readonly value: string;
}

/** What a plan says about the groups themselves (its memberships come from GroupPlanner.memberships). */
export type GroupChanges = Omit<GroupPlan, 'groups' | 'created' | 'membershipsAdded' | 'membershipsRemoved'> & {
  readonly groups: readonly PlannedGroupHead[];
  readonly created: readonly PlannedGroupHead[];
};

/** Synced memberships to add and to remove. */
export interface MembershipChanges {
  readonly added: ExistingMembership[];
  readonly removed: ExistingMembership[];
}

/**
 * The plan made from people given one at a time, so a caller can read them in chunks: the groups
 * once every person has been seen (`plan`), then the memberships of any run of the people, in the
 * order they came, against the stored memberships of those people (`memberships`).
 * Each person is kept as their employee id and the unit they hold for each mapped attribute (an
 * index in a typed array), not as their values: at 100,000 people, a few MB instead of an object
 * and a record of values per person, and no set of members per group.
 * Cost: one pass over the people (each distinct value is normalised and keyed once, however many
 * people hold it) and one over the memberships; nothing per pair of groups and people.
 */
export class GroupPlanner {
  private readonly mapping: readonly GroupMappingEntry[];
  private readonly width: number;
  /** Provider units by attribute and normalised name (first listed wins; non-archived preferred). */
  private readonly unitsByAttr = new Map<string, Map<string, OrgUnit>>();
  /** Each raw value of each entry, resolved once (people share a few thousand values). */
  private readonly resolved: Map<string, Resolved | null>[];
  private readonly units: Unit[] = [];
  private readonly unitIndex = new Map<string, number>();
  private readonly archivedInSource = new Set<string>();
  /** Each entry's parent entry (index), or -1. */
  private readonly nested: number[];
  private readonly ids: string[] = [];
  /** Person p's unit for entry e at p * width + e (-1: none). */
  private slots: Int32Array;
  /** After plan(): each unit's group id, and every group the plan may remove memberships of. */
  private groupOfUnit: string[] | null = null;
  private known: ReadonlySet<string> = new Set();

  constructor(mapping: readonly GroupMappingEntry[], orgUnits: readonly OrgUnit[] = []) {
    this.mapping = mapping;
    this.width = mapping.length;
    for (const u of orgUnits) {
      let byName = this.unitsByAttr.get(u.attribute);
      if (!byName) this.unitsByAttr.set(u.attribute, (byName = new Map()));
      const n = normalizeUnitName(u.name);
      const prior = byName.get(n);
      if (!prior || (prior.archived && !u.archived)) byName.set(n, u);
    }
    this.resolved = mapping.map(() => new Map());
    this.nested = mapping.map((e) => (e.parent !== undefined && e.parent !== e.attribute ? mapping.findIndex((p) => p.attribute === e.parent) : -1));
    this.slots = new Int32Array(Math.max(1, this.width) * 1024);
  }

  /** People given so far. */
  get size(): number {
    return this.ids.length;
  }

  employeeId(index: number): string {
    return this.ids[index]!;
  }

  private resolve(entry: number, raw: string | undefined): Resolved | null {
    if (raw === undefined || raw === null) return null;
    const cache = this.resolved[entry]!;
    let r = cache.get(raw);
    if (r !== undefined) return r;
    const value = String(raw).normalize('NFC').trim();
    if (!value) r = null;
    else {
      const attribute = this.mapping[entry]!.attribute;
      const normalized = normalizeUnitName(value);
      const unit = this.unitsByAttr.get(attribute)?.get(normalized);
      const key = unit ? `id:${unit.key}` : `name:${normalized}`;
      const uid = `${attribute}\u0000${key}`;
      if (unit?.archived) {
        this.archivedInSource.add(uid);
        r = { unit: -1, value };
      } else {
        let index = this.unitIndex.get(uid);
        if (index === undefined) {
          index = this.units.length;
          this.units.push({ attribute, key, unitName: unit?.name ?? value, spellings: new Map(), votes: new Map() });
          this.unitIndex.set(uid, index);
        }
        r = { unit: index, value };
      }
    }
    cache.set(raw, r);
    return r;
  }

  /** Takes one person: the units they hold now, and each nested unit's vote for its parent (members without one do not vote). */
  add(person: GroupPerson): void {
    if (this.groupOfUnit) throw new Error('GroupPlanner: a person was added after the plan was made');
    const w = this.width;
    const base = this.ids.length * w;
    if (base + w > this.slots.length) {
      const grown = new Int32Array(this.slots.length * 2);
      grown.set(this.slots);
      this.slots = grown;
    }
    this.ids.push(person.employeeId);
    const slots = this.slots;
    for (let e = 0; e < w; e += 1) {
      const r = this.resolve(e, person.values[this.mapping[e]!.attribute]);
      if (!r || r.unit < 0) {
        slots[base + e] = -1;
        continue;
      }
      slots[base + e] = r.unit;
      const spellings = this.units[r.unit]!.spellings;
      spellings.set(r.value, (spellings.get(r.value) ?? 0) + 1);
    }
    for (let e = 0; e < w; e += 1) {
      const parentEntry = this.nested[e]!;
      if (parentEntry < 0) continue;
      const unit = slots[base + e]!;
      const parent = slots[base + parentEntry]!;
      if (unit < 0 || parent < 0) continue;
      const votes = this.units[unit]!.votes;
      votes.set(parent, (votes.get(parent) ?? 0) + 1);
    }
  }

  /**
   * The groups, once every person has been added: which to create, rename, retype, re-parent,
   * archive and revive against the groups this integration synced before. Call once.
   */
  plan(existingGroups: readonly ExistingSyncedGroup[], newId: () => string): GroupChanges {
    const mapping = this.mapping;
    const mapped = new Map(mapping.map((e) => [e.attribute, e]));
    const existingByUid = new Map(existingGroups.map((g) => [`${g.attribute}\u0000${g.key}`, g]));

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

    // Desired groups, ids assigned (existing id kept), in mapping order then in the order units were first held.
    type Planned = { unit: number; id: string; name: string; type: string; status: PlannedGroup['status']; existing?: ExistingSyncedGroup };
    const planned: (Planned | undefined)[] = new Array<Planned | undefined>(this.units.length);
    const order: Planned[] = [];
    for (const entry of mapping) {
      this.units.forEach((unit, index) => {
        if (unit.attribute !== entry.attribute) return;
        const existing = existingByUid.get(`${unit.attribute}\u0000${unit.key}`);
        const p: Planned = {
          unit: index,
          id: existing?.id ?? newId(),
          name: unitName(unit, existing?.name, entry),
          type: entry.type,
          status: existing ? (existing.archived ? 'revived' : 'existing') : 'new',
          ...(existing ? { existing } : {}),
        };
        planned[index] = p;
        order.push(p);
      });
    }

    // Parents by majority of members (see the rule above).
    const nameOfId = new Map<string, string>(order.map((p) => [p.id, p.name]));
    const parentOf = (p: Planned): string | null => {
      const votes = new Map<string, number>();
      for (const [parentUnit, n] of this.units[p.unit]!.votes) {
        const parent = planned[parentUnit];
        if (parent) votes.set(parent.id, (votes.get(parent.id) ?? 0) + n);
      }
      if (votes.size === 0) return null;
      let top = 0;
      for (const n of votes.values()) if (n > top) top = n;
      const tied = [...votes.entries()].filter(([, n]) => n === top).map(([id]) => id);
      const current = p.existing?.parentId ?? null;
      return current !== null && tied.includes(current)
        ? current
        : tied.sort((a, b) => (nameOfId.get(a)! < nameOfId.get(b)! ? -1 : nameOfId.get(a)! > nameOfId.get(b)! ? 1 : a < b ? -1 : 1))[0]!;
    };

    const groups: PlannedGroupHead[] = [];
    const created: PlannedGroupHead[] = [];
    const renamed: { id: string; from: string; to: string }[] = [];
    const retyped: { id: string; name: string; from: string; to: string }[] = [];
    const moved: { id: string; name: string; from: string | null; to: string | null }[] = [];
    const revived: { id: string; name: string }[] = [];
    for (const p of order) {
      const unit = this.units[p.unit]!;
      const g: PlannedGroupHead = { id: p.id, attribute: unit.attribute, key: unit.key, name: p.name, type: p.type, parentId: parentOf(p), status: p.status };
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
    const plannedIds = new Set(groups.map((g) => g.id));
    for (const g of existingGroups) {
      if (g.archived || plannedIds.has(g.id)) continue;
      const uid = `${g.attribute}\u0000${g.key}`;
      const reason: ArchiveReason = !mapped.has(g.attribute) ? 'unmapped' : this.archivedInSource.has(uid) ? 'archived_in_source' : 'vanished';
      archived.push({ id: g.id, name: g.name, attribute: g.attribute, reason });
    }

    this.groupOfUnit = planned.map((p) => p!.id);
    // Memberships of groups this integration does not know (should not happen) are left alone.
    this.known = new Set([...plannedIds, ...existingGroups.map((g) => g.id)]);
    return { groups, created, renamed, retyped, moved, archived, revived };
  }

  /**
   * The memberships of people [from, to) (in the order they were added) against their stored
   * synced memberships (`stored`: those people's, and any other person's the caller wants gone,
   * e.g. people no longer synced): exactly the planned groups of the planned people; every other
   * synced membership of a group this plan knows goes. Added person by person, in the order the
   * people came (the store reads them by employee id): a first sync writes each person's
   * memberships and their run changes together, so the indexes by employee are written in order,
   * not once per group all over again. Removed in the order `stored` lists them.
   */
  memberships(from: number, to: number, stored: readonly ExistingMembership[]): MembershipChanges {
    const groupOfUnit = this.groupOfUnit;
    if (!groupOfUnit) throw new Error('GroupPlanner: memberships asked for before the plan was made');
    const w = this.width;
    const slots = this.slots;
    const have = new Map<string, string[]>();
    for (const m of stored) {
      const list = have.get(m.employeeId);
      if (list) list.push(m.groupId);
      else have.set(m.employeeId, [m.groupId]);
    }
    // Each person's planned groups, as far as a removal or a person listed twice needs them.
    const wanted = new Map<string, string[]>();
    const added: ExistingMembership[] = [];
    for (let p = from; p < to; p += 1) {
      const employeeId = this.ids[p]!;
      const had = have.get(employeeId);
      let want = wanted.get(employeeId);
      for (let e = 0; e < w; e += 1) {
        const unit = slots[p * w + e]!;
        if (unit < 0) continue;
        const groupId = groupOfUnit[unit]!;
        if (want?.includes(groupId)) continue; // once, however often a caller lists the person
        if (want) want.push(groupId);
        else wanted.set(employeeId, (want = [groupId]));
        if (!had?.includes(groupId)) added.push({ groupId, employeeId });
      }
      if (!want) wanted.set(employeeId, []);
    }
    const removed: ExistingMembership[] = [];
    for (const m of stored) if (this.known.has(m.groupId) && !wanted.get(m.employeeId)?.includes(m.groupId)) removed.push(m);
    return { added, removed };
  }

  /** Each planned group's members (all the people given). */
  members(): Map<string, Set<string>> {
    const groupOfUnit = this.groupOfUnit;
    if (!groupOfUnit) throw new Error('GroupPlanner: members asked for before the plan was made');
    const out = new Map<string, Set<string>>(groupOfUnit.map((id) => [id, new Set()]));
    const w = this.width;
    for (let p = 0; p < this.ids.length; p += 1) {
      for (let e = 0; e < w; e += 1) {
        const unit = this.slots[p * w + e]!;
        if (unit >= 0) out.get(groupOfUnit[unit]!)!.add(this.ids[p]!);
      }
    }
    return out;
  }
}

/**
 * Computes the whole plan, memberships included, from people held at once (the preview, tests).
 * Assumes a valid mapping (see validateGroupMapping). The group step reads its people in chunks
 * and plans with GroupPlanner itself.
 */
export function planGroups(input: PlanInput): GroupPlan {
  const planner = new GroupPlanner(input.mapping, input.orgUnits);
  for (const person of input.people) planner.add(person);
  const changes = planner.plan(input.existing, input.newId);
  const members = planner.members();
  const withMembers = (g: PlannedGroupHead): PlannedGroup => ({ ...g, members: members.get(g.id) ?? new Set() });
  const groups = changes.groups.map(withMembers);
  const byId = new Map(groups.map((g) => [g.id, g]));
  const { added, removed } = planner.memberships(0, planner.size, input.memberships);
  return { ...changes, groups, created: changes.created.map((g) => byId.get(g.id)!), membershipsAdded: added, membershipsRemoved: removed };
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
