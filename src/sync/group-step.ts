import { createHash } from 'node:crypto';
import type SQLite from 'better-sqlite3';
import type { Logger } from 'pino';
import { sql, SqliteAdapter, type Kysely, type Transaction } from 'kysely';
import { checkSafeguard } from '../core/safeguard.ts';
import { GroupPlanner, validateGroupMapping, type ExistingMembership, type ExistingSyncedGroup, type GroupChanges, type GroupMappingEntry, type GroupPerson, type MembershipChanges, type OrgUnit } from '../core/group-plan.ts';
import { DIRECTORY_GROUP_ATTRIBUTE, planDirectoryGroups, type DirectoryPlan, type GroupLink, type MemberSkip } from '../core/directory-groups.ts';
import type { FieldMapping } from '../core/mapping.ts';
import { isProviderError, providerDisplayName } from '../connectors/errors.ts';
import type { DirectoryGroup, HrisConnector } from '../connectors/types.ts';
import type { Store } from '../store/db.ts';
import type { RunWriter } from './fenced-run.ts';
import type { Integration } from '../store/integrations.ts';
import type { Database, NewRunChangeRow, RunRow } from '../store/schema.ts';
import { chunks, inValues, LOOKUP_CHUNK } from '../store/employees.ts';
import { writeChanges } from '../store/bulk.ts';
import { newId, nowIso, parseJson } from '../store/ids.ts';
import { addGroupLinks, bulkAddMemberships, bulkRemoveMemberships, groupLinksOf, groupSyncState, hasSyncedMemberships, insertGroups, linksDigest, nextSeq, removeGroupLinks, saveGroupSyncState, syncedGroupsOf, syncedMembershipsBetween, syncedMembershipsOfGroups, updateGroup } from '../store/groups.ts';
import { stableHash } from '../core/hash.ts';
import { groupFingerprint } from './plan-basis.ts';

type Db = Kysely<Database> | Transaction<Database>;


/** People read per query by the group step (keyset by employee id): memory stays bounded. */
export const PEOPLE_CHUNK = 10_000;

/** One chunk of the people: in employee id order (the database's), each once, and the last id read. */
export interface PeopleChunk {
  readonly people: GroupPerson[];
  readonly last: string;
}

/**
 * The people whose memberships an integration syncs: present in the source, linked to an employee,
 * in scope, and active in the source. A person the HRIS terminates leaves their synced groups (their
 * manual memberships stay) and comes back into them when rehired.
 * Read in chunks of `size`, by employee id (keyset over the link index of 0019, which has them in
 * that order): the plan adds memberships in this order, and the indexes by employee are written in
 * order. An employee linked twice counts once (the first link read).
 */
export async function* groupPeopleChunks(db: Db, tenantId: string, integrationId: string, attributes?: readonly string[], size = PEOPLE_CHUNK): AsyncGenerator<PeopleChunk> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  for (let after: string | null = null; ; ) {
    let q = db
      .selectFrom('employee_links')
      .where('integration_id', '=', integrationId)
      .where('tenant_id', '=', tenantId)
      .where('present', '=', 1)
      .where('source_status', '=', 'active')
      .where('employee_id', 'is not', null)
      .where('in_scope', '=', 1);
    if (after !== null) q = q.where('employee_id', '>', after);
    const people: GroupPerson[] = [];
    let last: string | null = null;
    let rows: number;
    if (attributes) {
      // Only the mapped attributes, taken out of the JSON by the database: people's full records
      // are neither sent over nor parsed here.
      // On PostgreSQL one json_to_record a person (the JSON text parsed once), not a `->>` per
      // attribute, each of which parses the text again.
      const found = (
        sqlite
          ? await q
              .select('employee_id')
              .select(attributes.map((a, i) => sql<string | null>`json_extract(field_values, ${`$."${a}"`})`.as(`v${i}`)))
              .orderBy('employee_id')
              .limit(size)
              .execute()
          : (
              await sql<Record<string, string | null>>`
                select l.employee_id${sql.join(attributes.map((a, i) => sql`, x.${sql.id(a)} as ${sql.id(`v${i}`)}`), sql``)}
                from employee_links l${attributes.length > 0 ? sql` cross join lateral json_to_record(l.field_values::json) as x(${sql.join(attributes.map((a) => sql`${sql.id(a)} text`))})` : sql``}
                where l.integration_id = ${integrationId} and l.tenant_id = ${tenantId} and l.present = 1 and l.source_status = 'active'
                  and l.employee_id is not null and l.in_scope = 1${after !== null ? sql` and l.employee_id > ${after}` : sql``}
                order by l.employee_id limit ${size}`.execute(db)
            ).rows
      ) as unknown as Record<string, string | number | null>[];
      rows = found.length;
      for (const r of found) {
        const id = r['employee_id'] as string;
        if (id === last) continue;
        last = id;
        const values: Record<string, string | undefined> = {};
        for (let i = 0; i < attributes.length; i += 1) {
          const v = r[`v${i}`];
          values[attributes[i]!] = v === null || v === undefined ? undefined : String(v);
        }
        people.push({ employeeId: id, values });
      }
    } else {
      const found = await q.select(['employee_id', 'field_values']).orderBy('employee_id').limit(size).execute();
      rows = found.length;
      for (const r of found) {
        if (r.employee_id === last) continue;
        last = r.employee_id!;
        people.push({ employeeId: last, values: parseJson<Record<string, string | undefined>>(r.field_values, {}) });
      }
    }
    if (last !== null) yield { people, last };
    if (rows < size || last === null) return;
    after = last;
  }
}

/** Every person groupPeopleChunks reads, at once (the Group Sync preview). */
export async function groupPeople(db: Db, tenantId: string, integrationId: string, attributes?: readonly string[]): Promise<GroupPerson[]> {
  const out: GroupPerson[] = [];
  for await (const chunk of groupPeopleChunks(db, tenantId, integrationId, attributes)) out.push(...chunk.people);
  return out;
}

/** The attributes a group mapping reads (its entries and their parents). */
export function mappedAttributes(mapping: readonly GroupMappingEntry[]): string[] {
  return [...new Set(mapping.flatMap((m) => [m.attribute, ...(m.parent ? [m.parent] : [])]))];
}

/** Provider org units with their attribute translated to the ReFresh field the integration maps it to. */
export function translateOrgUnits(units: readonly { attribute: string; key: string; name: string; archived?: boolean }[], fieldMapping: FieldMapping): OrgUnit[] {
  const out: OrgUnit[] = [];
  for (const u of units) {
    const target = fieldMapping[u.attribute];
    if (target) out.push({ attribute: target, key: u.key, name: u.name, ...(u.archived ? { archived: true } : {}) });
  }
  return out;
}

export interface GroupStepResult {
  /** What the step planned for the groups themselves (its memberships are written as they are planned). */
  readonly plan: GroupChanges | null;
  readonly changes: number;
  readonly heldArchives: number;
  /** The groups whose archiving was held (the run waits for approval). */
  readonly heldGroups: readonly string[];
  /** Why archives were held (the run waits for approval), or null. */
  readonly heldReason: string | null;
}

export interface GroupStepOptions {
  /**
   * The archives an admin approved (the groups the safeguard held): these are applied this time.
   * Any other archive the plan has now goes through the safeguard again, so an approval never
   * archives more than it was shown.
   */
  readonly approvedArchives?: ReadonlySet<string>;
}

/** What the engine hands the group step: the run's store and fenced writer, and the connector it already made (one credential refresh per run). */
export interface GroupStepDeps {
  readonly store: Store;
  readonly run: RunWriter;
  readonly connector: () => Promise<HrisConnector>;
  readonly log: Logger;
  /** Fault injection for tests (EngineDeps.crashAt 'groups'): called inside the group step's write, before it commits. */
  readonly crashAt?: () => void | Promise<void>;
}

/**
 * Group Sync's part of a run: called by the engine after the run's people changes are applied
 * (same run), when the integration's Group Sync is enabled. Reads the integration's synced people
 * (links), plans against the groups it synced before, and applies the plan in one transaction,
 * recording every change as a run change (applied) and an audit event.
 */
export async function runGroupStep(deps: GroupStepDeps, run: RunRow, integration: Integration, options: GroupStepOptions = {}): Promise<GroupStepResult> {
  const { db } = deps.store;
  const { log } = deps;
  const source = providerDisplayName(integration.provider);
  const mapping = integration.groupSync.mapping as readonly GroupMappingEntry[];
  const now = nowIso();
  const skip = async (reason: string, after: Record<string, unknown> | null = null): Promise<GroupStepResult> => {
    await deps.run.write(async (trx) => {
      const seq = await nextSeq(trx, run.id);
      await trx.insertInto('run_changes').values(changeRow(run, seq, 'skipped', null, 'Group Sync', null, after, reason)).execute();
    });
    log.warn({ reason }, 'group sync skipped');
    return { plan: null, changes: 0, heldArchives: 0, heldGroups: [], heldReason: null };
  };

  const problems = validateGroupMapping(mapping);
  if (problems.length > 0) return skip(`Groups were not synced: the group mapping is invalid (${problems.join('; ')}). Fix it under Group Sync.`);

  // The provider's own unit keys, when it has them. Without them a renamed unit could not be told
  // from a new one, so an unreadable list holds the whole group step rather than guessing.
  let orgUnits: OrgUnit[] = [];
  try {
    const connector = await deps.connector();
    if (connector.fetchOrgUnits) orgUnits = translateOrgUnits(await connector.fetchOrgUnits(), integration.userSync.fieldMapping);
  } catch (error) {
    const message = isProviderError(error) || error instanceof Error ? error.message : String(error);
    return skip(`Groups were not synced this run: ${source}'s org units (departments, divisions, locations) could not be read: ${message}. People were synced; groups catch up on the next run.`);
  }

  // Where the step's time goes (ms), on its log line: reading, planning, applying.
  const ms: Record<string, number> = {};
  let lap = performance.now();
  const timed = (name: string) => {
    const at = performance.now();
    ms[name] = Math.round(at - lap);
    lap = at;
  };
  const existing = await syncedGroupsOf(db, run.tenant_id, integration.id);
  // Nothing changed since the last step left the groups in step: the same settings and units, the
  // same links (or at least the same people with the same mapped values), the same groups. Then
  // the plan would be empty, so none is made. Directory groups come from the provider each run,
  // and an approval applies what it was shown: those always plan.
  const directoryInPlay = (integration.groupSync.directoryGroups ?? null) !== null || existing.some((g) => g.attribute === DIRECTORY_GROUP_ATTRIBUTE && !g.archived);
  const settings = stableHash({ group: groupFingerprint(integration), orgUnits });
  const eligible = !directoryInPlay && !options.approvedArchives;
  const stored = eligible ? await groupSyncState(db, run.tenant_id, integration.id) : undefined;
  // Read before the people are: a link written after it makes the next run's digest differ (it plans), never the reverse.
  const links = eligible ? await linksDigest(db, run.tenant_id, integration.id) : null;
  const unchanged = async (which: 'links' | 'people'): Promise<GroupStepResult> => {
    await deps.crashAt?.();
    log.info({ groups: existing.length, unchanged: which, ms: { ...ms, check: Math.round(performance.now() - lap) } }, 'groups unchanged: nothing to plan');
    return { plan: null, changes: 0, heldArchives: 0, heldGroups: [], heldReason: null };
  };
  if (stored && links !== null && stored.linksDigest === stateDigest(settings, links, existing)) return unchanged('links');
  // The people, chunk by chunk, into the planner (each kept as an id and a unit per attribute);
  // where each chunk ends, so the memberships are planned and written over the same runs of people.
  const directoryIds = new Set(existing.filter((g) => g.attribute === DIRECTORY_GROUP_ATTRIBUTE).map((g) => g.id));
  const attributeGroups = existing.filter((g) => !directoryIds.has(g.id));
  const planner = new GroupPlanner(mapping, orgUnits);
  const chunks: PeopleRun[] = [];
  const peopleHash = createHash('sha256');
  const attributes = mappedAttributes(mapping);
  for await (const { people, last } of groupPeopleChunks(db, run.tenant_id, integration.id, attributes)) {
    const from = planner.size;
    let lines = '';
    for (const person of people) {
      planner.add(person);
      lines += personLine(person, attributes);
    }
    peopleHash.update(lines);
    chunks.push({ from, to: planner.size, last });
  }
  timed('people');
  const peopleKey = `${planner.size}:${peopleHash.digest('base64url')}`;
  if (stored && stored.peopleDigest === stateDigest(settings, peopleKey, existing)) {
    // Some link moved, but nobody's groups: remember these links, so the next run checks them alone.
    if (links !== null) await deps.run.write((trx) => saveGroupSyncState(trx, run.tenant_id, integration.id, run.id, { linksDigest: stateDigest(settings, links, existing), peopleDigest: stored.peopleDigest }));
    return unchanged('people');
  }
  // Directory groups (Google groups, Entra groups) are planned apart from the mapped attributes,
  // with their memberships (read for those groups only).
  const directoryMemberships = directoryIds.size > 0 ? await syncedMembershipsOfGroups(db, run.tenant_id, integration.id, [...directoryIds]) : [];
  timed('read');
  let plan: GroupChanges = planner.plan(attributeGroups, newId);
  const directory = await planDirectory(deps, run, integration, existing.filter((g) => directoryIds.has(g.id)), directoryMemberships);
  let directoryChanges: MembershipChanges = { added: [], removed: [] };
  if (directory.plan) {
    plan = mergePlans(plan, directory.plan);
    directoryChanges = { added: [...directory.plan.membershipsAdded], removed: [...directory.plan.membershipsRemoved] };
  } else if (directory.failure) await skip(directory.failure);
  timed('plan');

  // Archiving counts towards the safeguard: vanished units beyond the threshold (of the active
  // synced groups) look like a broken source, so none is archived and nobody is taken out of them.
  // Groups of an attribute the admin took out of the mapping are archived regardless: that was asked for.
  let heldArchives = 0;
  let heldReason: string | null = null;
  let held = new Set<string>();
  const risky = plan.archived.filter((a) => a.reason !== 'unmapped' && a.reason !== 'deselected' && !options.approvedArchives?.has(a.id));
  if (risky.length > 0) {
    const active = existing.filter((g) => !g.archived && (mapping.some((m) => m.attribute === g.attribute) || g.attribute === DIRECTORY_GROUP_ATTRIBUTE)).length;
    const verdict = checkSafeguard(integration.userSync.safeguard, active, risky.length);
    if (verdict.blocked) {
      heldArchives = risky.length;
      held = new Set(risky.map((a) => a.id));
      heldReason = `Group Sync would archive ${risky.length} of ${active} synced groups (${risky.map((a) => a.name).slice(0, 10).join(', ')}${risky.length > 10 ? ', …' : ''}), more than the safeguard allows (${verdict.threshold}). None was archived and their members were kept: check ${source}, then approve the run to archive them, or reject it.`;
      plan = { ...plan, archived: plan.archived.filter((a) => !held.has(a.id)) };
      directoryChanges = { ...directoryChanges, removed: directoryChanges.removed.filter((m) => !held.has(m.groupId)) };
    }
  }

  // A group's further parents (nested in two groups in the source): what the source says now,
  // against what the last run stored; links of groups whose archiving is held stay as they were.
  const parentLinks = { added: [] as GroupLink[], removed: [] as GroupLink[] };
  if (directory.plan) {
    const key = (l: GroupLink) => `${l.groupId}\u0000${l.parentId}`;
    const have = await groupLinksOf(db, run.tenant_id, integration.id);
    const want = new Set(directory.plan.alsoIn.map(key));
    const had = new Set(have.map(key));
    parentLinks.added = directory.plan.alsoIn.filter((l) => !had.has(key(l)));
    parentLinks.removed = have.filter((l) => !want.has(key(l)) && !held.has(l.groupId) && !held.has(l.parentId));
  }
  // What this step leaves in step, as the next run will read it (none when something waits or came from the provider's groups).
  const clean = !directoryInPlay && !directory.plan && heldReason === null;
  const after = clean ? groupsAfter(existing, plan) : [];
  const inStep = {
    linksDigest: clean && links !== null ? stateDigest(settings, links, after) : null,
    peopleDigest: clean ? stateDigest(settings, peopleKey, after) : null,
  };
  const memberships: PlannedMemberships = { planner, chunks, directoryIds, held, directory: directoryChanges };
  const narrow = widenSqliteCache(deps.store);
  let applied: Awaited<ReturnType<typeof applyGroupPlan>>;
  try {
    applied = await applyGroupPlan(deps, run, integration, plan, memberships, parentLinks, existing, now, inStep);
  } finally {
    narrow();
  }
  timed('apply');
  Object.assign(ms, applied.ms);
  if (directory.skips.length > 0) await recordSkips(deps, run, integration, directory.skips);
  if (heldReason) await skip(heldReason, { groups: risky.map((a) => ({ id: a.id, name: a.name })) });
  log.info({ groups: plan.groups.length, created: plan.created.length, renamed: plan.renamed.length, archived: plan.archived.length, revived: plan.revived.length, added: applied.added, removed: applied.removed, heldArchives, ms }, 'groups synced');
  return { plan, changes: applied.changes, heldArchives, heldGroups: heldReason ? risky.map((a) => a.id) : [], heldReason };
}

/**
 * SQLite's page cache for the step's write, in KiB (the connection's default is 2,000). A first
 * sync adds a membership per person and attribute in employee order, so the index by group takes
 * them all over its ~5,000 groups: with 2 MB of cache its pages were evicted and read again
 * throughout (on a 100,000-person store: ~2.5 s of CPU for the 284,000 memberships, ~1.7 s with
 * 32 MB). Given back when the step ends.
 */
const GROUP_STEP_CACHE_KIB = 32 * 1024;

function widenSqliteCache(store: Store): () => void {
  const sqlite = store.sqlite;
  if (!sqlite) return () => undefined;
  const before = sqlite.pragma('cache_size', { simple: true }) as number;
  if (before < 0 && -before >= GROUP_STEP_CACHE_KIB) return () => undefined;
  sqlite.pragma(`cache_size = -${GROUP_STEP_CACHE_KIB}`);
  return () => void sqlite.pragma(`cache_size = ${Number(before)}`);
}

/** A run of the people as they were read: planner indexes [from, to), the last employee id in it. */
interface PeopleRun {
  readonly from: number;
  readonly to: number;
  readonly last: string;
}

/** One run of people's membership changes, with the names of the people in them. */
interface MembershipWrite {
  readonly out: readonly ExistingMembership[];
  readonly into: readonly ExistingMembership[];
  readonly people: ReadonlyMap<string, string | null>;
}

/** The memberships a step writes: the mapped attributes' planned chunk by chunk, the directory groups' as planned. */
interface PlannedMemberships {
  readonly planner: GroupPlanner;
  readonly chunks: readonly PeopleRun[];
  /** Directory groups: their memberships are the directory plan's, never the planner's. */
  readonly directoryIds: ReadonlySet<string>;
  /** Groups whose archiving the safeguard holds: their members stay. */
  readonly held: ReadonlySet<string>;
  readonly directory: MembershipChanges;
}

/** One line of the people digest: who, and each mapped value (undefined apart from any text). */
function personLine(person: GroupPerson, attributes: readonly string[]): string {
  let line = person.employeeId;
  for (const a of attributes) {
    const v = person.values[a];
    line += v === undefined ? '\u0001' : `\u0002${v}`;
  }
  return `${line}\n`;
}

/** One digest of the step's settings and units, its people (or their links) and its groups as they stand. */
function stateDigest(settings: string, people: string, groups: readonly ExistingSyncedGroup[]): string {
  const hash = createHash('sha256').update(settings).update('\n').update(people).update('\n');
  for (const g of [...groups].sort((a, b) => (a.id < b.id ? -1 : 1))) hash.update(`${g.id}|${g.attribute}|${g.key}|${g.name}|${g.type}|${g.parentId ?? ''}|${g.archived ? 1 : 0}\n`);
  return hash.digest('base64url');
}

/** The integration's synced groups as they stand once the plan is applied. */
function groupsAfter(existing: readonly ExistingSyncedGroup[], plan: GroupChanges): ExistingSyncedGroup[] {
  const byId = new Map(existing.map((g) => [g.id, { ...g }]));
  for (const g of plan.created) byId.set(g.id, { id: g.id, attribute: g.attribute, key: g.key, name: g.name, type: g.type, parentId: g.parentId, archived: false });
  const set = (id: string, patch: Partial<ExistingSyncedGroup>) => {
    const g = byId.get(id);
    if (g) byId.set(id, { ...g, ...patch });
  };
  for (const r of plan.revived) set(r.id, { archived: false });
  for (const r of plan.renamed) set(r.id, { name: r.to });
  for (const r of plan.retyped) set(r.id, { type: r.to });
  for (const m of plan.moved) set(m.id, { parentId: m.to });
  for (const a of plan.archived) set(a.id, { archived: true });
  return [...byId.values()];
}

function mergePlans(a: GroupChanges, b: GroupChanges): GroupChanges {
  return {
    groups: [...a.groups, ...b.groups],
    created: [...a.created, ...b.created],
    renamed: [...a.renamed, ...b.renamed],
    retyped: [...a.retyped, ...b.retyped],
    moved: [...a.moved, ...b.moved],
    archived: [...a.archived, ...b.archived],
    revived: [...a.revived, ...b.revived],
  };
}

/** The group type directory groups of a provider get: "Google group", "Entra group". */
export function directoryGroupType(provider: string): string {
  return provider === 'google' ? 'Google group' : provider === 'entra' ? 'Entra group' : `${providerDisplayName(provider)} group`;
}

/** Why a direct user member of a directory group is not a synced member, from the integration's link for them. */
export async function memberReasons(db: Db, tenantId: string, integrationId: string): Promise<{ employeeOf: Map<string, string>; whyNot: (id: string) => string }> {
  const rows = await db
    .selectFrom('employee_links')
    .select(['external_id', 'employee_id', 'present', 'in_scope', 'scope_reason', 'source_status', 'status_reason'])
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .execute();
  const employeeOf = new Map<string, string>();
  const byId = new Map(rows.map((r) => [r.external_id, r]));
  for (const r of rows) if (r.employee_id && r.present === 1 && r.in_scope === 1 && r.source_status === 'active') employeeOf.set(r.external_id, r.employee_id);
  const whyNot = (id: string): string => {
    const r = byId.get(id);
    if (!r) return 'not a person User Auto-Sync brings in (an external member or an account it has not read)';
    if (r.in_scope !== 1) return `out of the sync scope (${r.scope_reason})`;
    if (!r.employee_id) return `not a ReFresh employee (${r.status_reason})`;
    if (r.source_status !== 'active') return `inactive (${r.status_reason})`;
    return 'no longer in the source';
  };
  return { employeeOf, whyNot };
}

interface DirectoryOutcome {
  readonly plan: DirectoryPlan | null;
  readonly skips: readonly MemberSkip[];
  /** Why directory groups were left as they are this run (the source's groups could not be read). */
  readonly failure: string | null;
}

/**
 * The directory groups' part of the plan: the provider's groups, the ones the settings pick, their
 * nesting and members. A failed read of the groups changes none of them (nothing is archived).
 */
async function planDirectory(deps: GroupStepDeps, run: RunRow, integration: Integration, existing: readonly ExistingSyncedGroup[], memberships: readonly ExistingMembership[]): Promise<DirectoryOutcome> {
  const selection = integration.groupSync.directoryGroups ?? null;
  if (selection === null && existing.every((g) => g.archived)) return { plan: null, skips: [], failure: null };
  let groups: DirectoryGroup[] = [];
  if (selection !== null) {
    try {
      const connector = await deps.connector();
      if (!connector.fetchDirectoryGroups) return { plan: null, skips: [], failure: `Directory groups were not synced: ${providerDisplayName(integration.provider)} has none.` };
      groups = await connector.fetchDirectoryGroups();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { plan: null, skips: [], failure: `${directoryGroupType(integration.provider)}s were not synced this run: they could not be read: ${message}. People were synced; groups catch up on the next run.` };
    }
  }
  const { employeeOf, whyNot } = await memberReasons(deps.store.db, run.tenant_id, integration.id);
  const plan = planDirectoryGroups({ groups, selection, type: directoryGroupType(integration.provider), employeeOf, whyNot, existing, memberships, newId });
  return { plan, skips: plan.skips, failure: null };
}

/** One skipped change per directory group with members who are not ReFresh employees, naming them and why. */
async function recordSkips(deps: GroupStepDeps, run: RunRow, integration: Integration, skips: readonly MemberSkip[]): Promise<void> {
  const type = directoryGroupType(integration.provider);
  await deps.run.write(async (trx) => {
    let seq = await nextSeq(trx, run.id);
    const rows = skips.map((s) => {
      const shown = s.skipped.slice(0, 5).map((m) => `${m.name} (${m.why})`).join('; ');
      const more = s.skipped.length > 5 ? `; and ${s.skipped.length - 5} more` : '';
      return changeRow(run, seq++, 'skipped', null, s.groupName, null, { group: s.groupName, skipped: s.skipped.slice(0, 100) }, `${s.skipped.length} member(s) of the ${type} are not synced: ${shown}${more}`);
    });
    for (const chunk of chunks(rows, 200)) await trx.insertInto('run_changes').values(chunk).execute();
  });
}

function changeRow(run: RunRow, seq: number, kind: string, employeeId: string | null, displayName: string, before: unknown, after: unknown, reason: string | null): NewRunChangeRow {
  return {
    tenant_id: run.tenant_id,
    run_id: run.id,
    seq,
    kind,
    employee_id: employeeId,
    external_id: null,
    display_name: displayName,
    before: before === null ? null : JSON.stringify(before),
    after: after === null ? null : JSON.stringify(after),
    reason,
    payload: null,
    applied: 1,
  };
}

/**
 * Each person's name as run changes show it (display name, else first and last name, else
 * e-mail), the parts taken out of the fields JSON by the database, a few thousand people a query.
 * On SQLite one json_extract of the four paths (an array): each person's JSON is parsed once, not
 * once per part.
 */
async function personNames(db: Db, tenantId: string, ids: readonly string[]): Promise<Map<string, string | null>> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const out = new Map<string, string | null>();
  const name = (id: string, displayName: unknown, firstName: unknown, lastName: unknown, email: unknown) =>
    out.set(id, (displayName ?? ([firstName, lastName].filter(Boolean).join(' ') || email || null)) as string | null);
  for (const chunk of chunks(ids, LOOKUP_CHUNK)) {
    if (sqlite) {
      const { rows } = await sql<{ id: string; parts: string | null }>`
        select id, json_extract(fields, '$.displayName', '$.firstName', '$.lastName', '$.email') as parts
        from employees where tenant_id = ${tenantId} and ${inValues(db, 'id', chunk)}`.execute(db);
      for (const r of rows) {
        const [displayName, firstName, lastName, email] = r.parts === null ? [] : (JSON.parse(r.parts) as unknown[]);
        name(r.id, displayName, firstName, lastName, email);
      }
      continue;
    }
    // One json_to_record a person (its fields parsed once; a `->>` each parsed them four times: 20,000 people 190 → 65 ms).
    const { rows } = await sql<{ id: string; displayName: string | null; firstName: string | null; lastName: string | null; email: string | null }>`
      select e.id, x."displayName", x."firstName", x."lastName", x.email
      from employees e cross join lateral json_to_record(e.fields::json) as x("displayName" text, "firstName" text, "lastName" text, email text)
      where e.tenant_id = ${tenantId} and ${inValues(db, 'e.id', chunk)}`.execute(db);
    for (const r of rows) name(r.id, r.displayName, r.firstName, r.lastName, r.email);
  }
  return out;
}

/**
 * Run changes of the group step, written as they are made (never all held at once): on SQLite
 * each at once through a prepared statement on the raw handle (positional parameters, the columns
 * a group change has), on PostgreSQL batched until the caller flushes (one JSON parameter a batch,
 * src/store/bulk.ts). `before` and `after` come as JSON text.
 */
class ChangeWriter {
  private rows: NewRunChangeRow[] = [];
  private readonly insert: SQLite.Statement | null;
  constructor(
    private readonly store: Store,
    private readonly trx: Transaction<Database>,
    private readonly run: RunRow,
    private seq: number,
  ) {
    const sqlite = store.sqlite;
    let insert = sqlite ? changeStatements.get(sqlite) : undefined;
    if (sqlite && !insert) {
      insert = sqlite.prepare('insert into run_changes (tenant_id, run_id, seq, kind, employee_id, display_name, before, after, reason, applied) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)');
      changeStatements.set(sqlite, insert);
    }
    this.insert = insert ?? null;
  }
  add(kind: string, employeeId: string | null, displayName: string, before: string | null, after: string | null, reason: string | null): void {
    const seq = this.seq++;
    if (this.insert) this.insert.run(this.run.tenant_id, this.run.id, seq, kind, employeeId, displayName, before, after, reason);
    else this.rows.push({ tenant_id: this.run.tenant_id, run_id: this.run.id, seq, kind, employee_id: employeeId, external_id: null, display_name: displayName, before, after, reason, payload: null, applied: 1 });
  }
  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    await writeChanges(this.store, this.trx, rows);
  }
}

const changeStatements = new WeakMap<SQLite.Database, SQLite.Statement>();

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

const REASONS = {
  vanished: (source: string) => `nobody in ${source} holds this unit any more`,
  archived_in_source: (source: string) => `archived in ${source}`,
  unmapped: () => 'its attribute was taken out of the group mapping',
  deselected: () => 'it is no longer among the directory groups Group Sync picks',
};

/**
 * Applies a plan in one transaction with its run changes. Changes to groups themselves are also
 * audit events (entity: the group); membership changes are run changes only, which the audit log
 * reads as they are (src/app/audit-service.ts): a first sync adds a membership per person and
 * attribute, and a second copy of each would cost as much again for no new fact.
 * The mapped attributes' memberships are planned and written a run of people at a time (those
 * people's stored memberships read, compared, the differences written with their run changes),
 * so neither the memberships nor their changes are ever all held at once.
 * Answers the number of changes, and of memberships added and removed.
 */
async function applyGroupPlan(
  deps: GroupStepDeps,
  run: RunRow,
  integration: Integration,
  plan: GroupChanges,
  memberships: PlannedMemberships,
  links: { readonly added: readonly GroupLink[]; readonly removed: readonly GroupLink[] },
  existing: readonly { id: string; name: string; type: string; parentId: string | null }[],
  now: string,
  inStep: { readonly linksDigest: string | null; readonly peopleDigest: string | null },
): Promise<{ changes: number; added: number; removed: number; ms: { names: number; changes: number; writes: number; commit: number } }> {
  // Where the write's time goes (ms): the people's names read, the memberships and their changes written.
  const spent = { names: 0, changes: 0, writes: 0, commit: 0 };
  const linked = new Set([...links.added, ...links.removed].map((l) => l.groupId));
  const source = providerDisplayName(integration.provider);
  const tenantId = run.tenant_id;
  const names = new Map<string, string>([...existing.map((g) => [g.id, g.name] as const), ...plan.groups.map((g) => [g.id, g.name] as const)]);
  const types = new Map<string, string>([...existing.map((g) => [g.id, g.type] as const), ...plan.groups.map((g) => [g.id, g.type] as const)]);
  const groupRef = (id: string | null) => (id === null ? null : { id, name: names.get(id) ?? id });
  const archivedIds = new Set(plan.archived.map((a) => a.id));
  // Per group, once: its part of a membership change's JSON, and why members come and go.
  const perGroup = new Map<string, { ref: string; added: string; removed: string }>();
  const groupBits = (id: string) => {
    let bits = perGroup.get(id);
    if (!bits) {
      const type = types.get(id);
      bits = {
        ref: JSON.stringify(groupRef(id)),
        added: `${type ?? 'group'} in ${source}`,
        removed: archivedIds.has(id) ? 'the group was archived' : `no longer ${type ?? 'in this group'} in ${source}`,
      };
      perGroup.set(id, bits);
    }
    return bits;
  };
  let added = 0;
  let removed = 0;
  let groupChanges = 0;

  await deps.run.write(async (trx) => {
    const changes = new ChangeWriter(deps.store, trx, run, await nextSeq(trx, run.id));
    const audits: { action: string; entityId: string; before: unknown; after: unknown }[] = [];
    /** A change to a group: a run change and an audit event. */
    const record = (kind: string, groupId: string, before: unknown, after: unknown, reason: string | null) => {
      groupChanges += 1;
      changes.add(kind, null, names.get(groupId) ?? groupId, json(before), json(after), reason);
      audits.push({ action: `group.${kind.replace(/^group_/, '')}`, entityId: groupId, before, after: after === null ? null : { ...(after as object), runId: run.id } });
    };

    if (plan.created.length > 0) {
      await insertGroups(trx, tenantId, plan.created.map((g) => ({ id: g.id, name: g.name, type: g.type, parentId: g.parentId, origin: 'synced', integrationId: integration.id, attribute: g.attribute, sourceKey: g.key })), now);
      for (const g of plan.created) record('group_created', g.id, null, { id: g.id, name: g.name, type: g.type, parent: groupRef(g.parentId), attribute: g.attribute, key: g.key }, `new in ${source}`);
    }
    const patches = new Map<string, { name?: string; type?: string; parentId?: string | null; archived?: boolean }>();
    const patch = (id: string) => patches.get(id) ?? (patches.set(id, {}), patches.get(id)!);
    for (const r of plan.revived) {
      patch(r.id).archived = false;
      record('group_revived', r.id, { archived: true }, { archived: false }, `back in ${source}`);
    }
    for (const r of plan.renamed) {
      patch(r.id).name = r.to;
      record('group_renamed', r.id, { name: r.from }, { name: r.to }, `renamed in ${source}`);
    }
    for (const r of plan.retyped) {
      patch(r.id).type = r.to;
      record('group_updated', r.id, { type: r.from }, { type: r.to }, 'the group mapping gives this attribute a new type');
    }
    for (const m of plan.moved) {
      patch(m.id).parentId = m.to;
      record('group_moved', m.id, { parent: groupRef(m.from) }, { parent: groupRef(m.to) }, m.to ? `most of its members are in ${names.get(m.to) ?? m.to}` : 'its members are in no parent group');
    }
    for (const a of plan.archived) {
      patch(a.id).archived = true;
      record('group_archived', a.id, { archived: false }, { archived: true }, `archived: ${REASONS[a.reason](source)}; its synced memberships are removed, the group and its history are kept`);
    }
    for (const [id, p] of patches) await updateGroup(trx, tenantId, id, p, now);

    // Further parents: one change per group whose set of them changed, naming them before and after.
    if (linked.size > 0) {
      const before = await groupLinksOf(trx, tenantId, integration.id);
      await removeGroupLinks(trx, tenantId, links.removed);
      await addGroupLinks(trx, tenantId, integration.id, links.added, now);
      const after = await groupLinksOf(trx, tenantId, integration.id);
      const parentsOf = (list: readonly GroupLink[], id: string) => list.filter((l) => l.groupId === id).map((l) => groupRef(l.parentId)!).sort((a, b) => a.name.localeCompare(b.name, 'en'));
      for (const id of linked) {
        const also = parentsOf(after, id);
        record('group_updated', id, { alsoIn: parentsOf(before, id) }, { alsoIn: also }, also.length > 0 ? `in ${source} it is nested in ${also.map((p) => p.name).join(', ')} as well` : `in ${source} it is no longer nested in a second group`);
      }
    }
    await changes.flush();

    /** Writes memberships out and in, each with its run change (the audit log reads it from there), the people's names read before (see namesOf). */
    const write = async ({ out, into, people }: MembershipWrite) => {
      if (out.length === 0 && into.length === 0) return;
      let at = performance.now();
      const personRef = new Map<string, string>();
      const person = (id: string) => {
        let ref = personRef.get(id);
        if (ref === undefined) personRef.set(id, (ref = JSON.stringify({ id, name: people.get(id) ?? null })));
        return ref;
      };
      await bulkRemoveMemberships(deps.store, trx, tenantId, 'synced', out);
      for (const m of out) {
        const g = groupBits(m.groupId);
        changes.add('membership_removed', m.employeeId, names.get(m.groupId) ?? m.groupId, `{"group":${g.ref},"employee":${person(m.employeeId)}}`, null, g.removed);
      }
      at = performance.now();
      for (const m of into) {
        const g = groupBits(m.groupId);
        changes.add('membership_added', m.employeeId, names.get(m.groupId) ?? m.groupId, null, `{"group":${g.ref},"employee":${person(m.employeeId)}}`, g.added);
      }
      spent.changes += performance.now() - at;
      // On PostgreSQL both go to the transaction's connection at once, which runs them one after
      // the other: Node builds the change statements while the server inserts the memberships.
      at = performance.now();
      await Promise.all([bulkAddMemberships(deps.store, trx, tenantId, 'synced', integration.id, into, now), changes.flush()]);
      spent.writes += performance.now() - at;
      removed += out.length;
      added += into.length;
    };
    const { planner, chunks: runs, directoryIds, held } = memberships;
    // A first sync has none stored: nothing to read run by run. Synced memberships are only ever
    // of the integration's own synced groups, so without any group there is none to look for.
    const anyStored = existing.length > 0 && (await hasSyncedMemberships(trx, tenantId, integration.id));
    /** The people's names of these memberships, timed. */
    const namesOf = async (db: Db, out: readonly ExistingMembership[], into: readonly ExistingMembership[]): Promise<MembershipWrite> => {
      const ids = new Set<string>();
      for (const m of out) ids.add(m.employeeId);
      for (const m of into) ids.add(m.employeeId);
      const at = performance.now();
      const people = ids.size > 0 ? await personNames(db, tenantId, [...ids]) : new Map<string, string | null>();
      spent.names += performance.now() - at;
      return { out, into, people };
    };
    await write(await namesOf(trx, memberships.directory.removed, memberships.directory.added));
    // On PostgreSQL a run of people is read and planned, names and all, on another of the pool's
    // connections while the one before is written: the write waits for none of it. Nothing this
    // transaction wrote bears on it (the directory groups' memberships, written above, are left
    // out; each run's people are its own), and the reads see what was committed as the
    // transaction's own would (READ COMMITTED). On SQLite a run is read on the transaction's
    // connection when it is written, as there is only the one.
    const reader: Db = deps.store.sqlite ? trx : deps.store.db;
    const prepare = async (c: number): Promise<MembershipWrite> => {
      // People (previous run's last, this run's last]; the first run from the start, the last to the end
      // (the stored memberships of people no longer synced are among those read, and go).
      const people = runs[c];
      const after = c === 0 ? null : runs[c - 1]!.last;
      const upTo = c >= runs.length - 1 ? null : people!.last;
      const stored = anyStored ? (await syncedMembershipsBetween(reader, tenantId, integration.id, after, upTo)).filter((m) => !directoryIds.has(m.groupId)) : [];
      const diff = planner.memberships(people?.from ?? 0, people?.to ?? 0, stored);
      return namesOf(reader, held.size > 0 ? diff.removed.filter((m) => !held.has(m.groupId)) : diff.removed, diff.added);
    };
    const count = Math.max(1, runs.length);
    let next: Promise<MembershipWrite> | null = null;
    try {
      for (let c = 0; c < count; c += 1) {
        const planned: MembershipWrite = await (next ?? prepare(c));
        next = deps.store.sqlite || c + 1 >= count ? null : prepare(c + 1);
        await write(planned);
      }
    } finally {
      // A write that failed leaves the run read ahead unwanted: its own failure, if any, is not the one to report.
      void next?.catch(() => undefined);
    }

    const auditRows = audits.map((a) => ({
      id: newId(),
      tenant_id: tenantId,
      at: now,
      actor_type: 'sync',
      actor_id: integration.id,
      action: a.action,
      entity_type: 'group',
      entity_id: a.entityId,
      before: json(a.before),
      after: json(a.after),
    }));
    for (const chunk of chunks(auditRows, 200)) await trx.insertInto('audit_events').values(chunk).execute();
    await saveGroupSyncState(trx, tenantId, integration.id, run.id, inStep, now);
    await deps.crashAt?.();
    spent.commit = performance.now();
  });
  spent.commit = performance.now() - spent.commit;
  return { changes: groupChanges + added + removed, added, removed, ms: { names: Math.round(spent.names), changes: Math.round(spent.changes), writes: Math.round(spent.writes), commit: Math.round(spent.commit) } };
}
