import { z } from 'zod';
import type { AppContext } from './context.ts';
import { ApiError, cursorKey, notFound, validateBody } from './errors.ts';
import { importedAttributes, requireValidGroupMapping } from './group-sync-settings.ts';
import { CreateGroupBody, GroupListPage, GroupPreviewBody, MembersBody, PatchGroupBody, type GroupListQueryT, type GroupSyncPreview, type MemberListQuery } from '../api/contract/groups.ts';
import { asContract } from '../api/contract/common.ts';
import { planCounts, planGroups, subtreeHeadcounts, toTree, type GroupMappingEntry } from '../core/group-plan.ts';
import { groupPeople, mappedAttributes } from '../sync/group-step.ts';
import { providerDisplayName } from '../connectors/errors.ts';
import { getIntegration, listIntegrations, type Integration } from '../store/integrations.ts';
import { employeesByIds } from '../store/employees.ts';
import {
  addMemberships,
  ancestorsOf,
  childCounts,
  childrenOf,
  getGroup,
  groupMembers,
  groupsPage,
  insertGroups,
  linkedChildrenOf,
  membershipsOf,
  otherParentsOf,
  removeMemberships,
  syncedGroupsOf,
  syncedMembershipsOf,
  updateGroup,
  type Group,
  type GroupFilter,
  type GroupOrigin,
} from '../store/groups.ts';
import { refreshHeadcounts } from '../store/group-headcounts.ts';
import { encodeCursor, parseJson } from '../store/ids.ts';
import { lastFinishedRun } from '../store/runs.ts';
import { audit } from '../store/audit.ts';

async function integrationsOf(ctx: AppContext, tenantId: string): Promise<Map<string, Integration>> {
  return new Map((await listIntegrations(ctx.store.db, tenantId)).map((i) => [i.id, i]));
}

/**
 * A synced group is locked while its integration is connected with Group Sync on: the HRIS owns its
 * name, type and place (as with field locks, disconnecting or turning Group Sync off unlocks it).
 */
function lockerOf(g: Group, integrations: ReadonlyMap<string, Integration>): Integration | undefined {
  if (g.origin !== 'synced' || !g.integrationId) return undefined;
  const i = integrations.get(g.integrationId);
  return i && i.groupSync.enabled && i.connection.status === 'connected' ? i : undefined;
}

export function presentGroup(g: Group, integrations: ReadonlyMap<string, Integration>) {
  const source = g.integrationId ? integrations.get(g.integrationId) : undefined;
  const locker = lockerOf(g, integrations);
  return {
    id: g.id,
    name: g.name,
    type: g.type,
    parentId: g.parentId,
    origin: g.origin,
    archived: g.archived,
    archivedAt: g.archivedAt,
    headcount: g.headcount,
    integrationId: g.integrationId,
    source: g.origin === 'synced' ? { integrationId: g.integrationId, provider: source?.provider ?? null, attribute: g.attribute, key: g.sourceKey } : null,
    locked: locker !== undefined,
    ...(locker ? { lockedBy: locker.name } : {}),
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}
export type PresentedGroup = ReturnType<typeof presentGroup>;

const fold = (s: string) => s.normalize('NFKC').toLocaleLowerCase('en').trim();

/** Groups read per query while looking for matches of a name or type filter. */
const SCAN = 500;

/**
 * Up to `limit` groups matching `filter` and `test`, in id order: read a few hundred at a time
 * (never the tenant's every group), the name and type compared as the API promises (NFKC,
 * case-insensitive, any script).
 */
async function matchingPage(ctx: AppContext, tenantId: string, filter: GroupFilter, test: (g: Group) => boolean, limit: number): Promise<Group[]> {
  const out: Group[] = [];
  for (let afterId = filter.afterId; out.length < limit; ) {
    const batch = await groupsPage(ctx.store.db, tenantId, { ...filter, ...(afterId ? { afterId } : {}) }, SCAN);
    for (const g of batch) if (test(g) && out.length < limit) out.push(g);
    if (batch.length < SCAN) break;
    afterId = batch[batch.length - 1]!.id;
  }
  return out;
}

type TreeNode = ReturnType<typeof presentGroup> & { childCount: number; alsoIn?: { id: string; name: string }[]; alsoHere?: { id: string; name: string; type: string; headcount: number }[]; children: TreeNode[] };

/**
 * Adds each group's further parents (`alsoIn`) and, in a tree, the groups nested in it as a further
 * parent (`alsoHere`): a group nested in two groups in the source sits in the tree once and is
 * named under its other parent (src/core/directory-groups.ts).
 */
async function withLinks<T extends { id: string; alsoIn?: unknown; children?: T[]; alsoHere?: unknown }>(ctx: AppContext, tenantId: string, nodes: T[], tree: boolean): Promise<T[]> {
  const all: T[] = [];
  const walk = (list: readonly T[]) => {
    for (const n of list) {
      all.push(n);
      if (n.children) walk(n.children);
    }
  };
  walk(nodes);
  const ids = all.map((n) => n.id);
  const parents = await otherParentsOf(ctx.store.db, tenantId, ids);
  const linked = tree ? await linkedChildrenOf(ctx.store.db, tenantId, ids) : new Map<string, Group[]>();
  for (const n of all) {
    const p = parents.get(n.id);
    if (p) n.alsoIn = p;
    const l = linked.get(n.id);
    if (l) n.alsoHere = l.map((g) => ({ id: g.id, name: g.name, type: g.type, headcount: g.headcount }));
  }
  return nodes;
}

/**
 * Groups under `roots`, level by level, until the answer holds `budget` groups in all: a large
 * tree comes in pages (a node's `childCount` says how many sub-groups it has; ask for the rest
 * with `parentId`). Each level is sorted by name.
 */
async function subtrees(ctx: AppContext, tenantId: string, roots: readonly Group[], budget: number, includeArchived: boolean, integrations: ReadonlyMap<string, Integration>): Promise<TreeNode[]> {
  const node = (g: Group): TreeNode => ({ ...presentGroup(g, integrations), childCount: 0, children: [] });
  const top = roots.map(node);
  const byId = new Map(top.map((n) => [n.id, n]));
  let level = top;
  let room = budget - top.length;
  while (level.length > 0) {
    const counts = await childCounts(ctx.store.db, tenantId, level.map((n) => n.id), includeArchived);
    for (const n of level) n.childCount = counts.get(n.id) ?? 0;
    const parents = level.filter((n) => n.childCount > 0);
    if (room <= 0 || parents.length === 0) break;
    const next: TreeNode[] = [];
    // Whole families only: a parent's sub-groups come all together or wait for a `parentId` page.
    const fits: string[] = [];
    for (const p of parents) {
      if (p.childCount > room) break;
      fits.push(p.id);
      room -= p.childCount;
    }
    for (const child of await childrenOf(ctx.store.db, tenantId, fits, includeArchived)) {
      const parent = byId.get(child.parentId!);
      if (!parent || byId.has(child.id)) continue;
      const n = node(child);
      byId.set(n.id, n);
      parent.children.push(n);
      next.push(n);
    }
    level = next;
  }
  const sort = (list: TreeNode[]) => {
    list.sort((a, b) => a.name.localeCompare(b.name, 'en') || (a.id < b.id ? -1 : 1));
    for (const n of list) sort(n.children);
  };
  sort(top);
  return top;
}

/**
 * Groups, flat (paged by id) or as a tree. The tree pages its top level (or a group's sub-groups,
 * `parentId`) and holds at most `limit` groups in all. With filters, the tree shows each match
 * under its ancestors (so it shows where it sits) with its sub-groups; pages are of matches.
 * Headcounts are the stored ones (src/store/group-headcounts.ts): nothing is counted per request.
 */
export async function listGroupsFor(ctx: AppContext, tenantId: string, query: GroupListQueryT): Promise<z.infer<typeof GroupListPage>> {
  const integrations = await integrationsOf(ctx, tenantId);
  const includeArchived = query.includeArchived === 'true';
  const after = cursorKey(query.cursor);
  const filter: GroupFilter = { includeArchived, ...(query.integrationId ? { integrationId: query.integrationId } : {}), ...(query.origin ? { origin: query.origin } : {}), ...(after ? { afterId: after } : {}) };
  const test = (g: Group) => (!query.q || fold(g.name).includes(fold(query.q))) && (!query.type || fold(g.type) === fold(query.type));
  const filtered = query.q || query.type || query.integrationId || query.origin;
  const pageOf = <D>(rows: readonly { id: string }[], data: D[]) => ({ data, nextCursor: rows.length > query.limit ? encodeCursor(rows[query.limit - 1]!.id) : null });

  if (query.view === 'flat') {
    const rows = await matchingPage(ctx, tenantId, { ...filter, ...(query.parentId ? { parentId: query.parentId } : {}) }, test, query.limit + 1);
    return pageOf(rows, await withLinks(ctx, tenantId, rows.slice(0, query.limit).map((g): PresentedGroup & { alsoIn?: { id: string; name: string }[] } => presentGroup(g, integrations)), false));
  }
  if (!filtered) {
    const rows = await groupsPage(ctx.store.db, tenantId, { ...filter, parentId: query.parentId ?? null }, query.limit + 1);
    return pageOf(rows, await withLinks(ctx, tenantId, await subtrees(ctx, tenantId, rows.slice(0, query.limit), query.limit, includeArchived, integrations), true));
  }
  // Matches with their ancestors, each match with its sub-groups.
  const rows = await matchingPage(ctx, tenantId, filter, test, query.limit + 1);
  const matches = rows.slice(0, query.limit);
  const below = await subtrees(ctx, tenantId, matches, Math.max(query.limit, matches.length), includeArchived, integrations);
  const roots: TreeNode[] = [];
  const placed = new Map<string, TreeNode>();
  const inTree = (n: TreeNode): void => {
    placed.set(n.id, n);
    n.children.forEach(inTree);
  };
  for (const n of below) inTree(n);
  for (const n of below) {
    let child = n;
    let attached = false;
    for (const a of await ancestorsOf(ctx.store.db, tenantId, n.id)) {
      if (!includeArchived && a.archived) break;
      const existing = placed.get(a.id);
      if (existing) {
        if (!existing.children.some((c) => c.id === child.id)) existing.children.push(child);
        attached = true;
        break;
      }
      const parent: TreeNode = { ...presentGroup(a, integrations), childCount: 0, children: [child] };
      placed.set(a.id, parent);
      child = parent;
    }
    if (!attached && !roots.includes(child)) roots.push(child);
  }
  roots.sort((a, b) => a.name.localeCompare(b.name, 'en'));
  return pageOf(rows, await withLinks(ctx, tenantId, roots, true));
}

async function requireGroup(ctx: AppContext, tenantId: string, id: string): Promise<Group> {
  const g = await getGroup(ctx.store.db, tenantId, id);
  if (!g) throw notFound('group', id);
  return g;
}

function nameOf(fieldsJson: string): string | null {
  const f = parseJson<Record<string, string>>(fieldsJson, {});
  return f['displayName'] ?? ([f['firstName'], f['lastName']].filter(Boolean).join(' ') || null);
}

async function membersPage(ctx: AppContext, tenantId: string, groupId: string, opts: { limit: number; cursor?: string | undefined; origin?: GroupOrigin | undefined }) {
  const after = cursorKey(opts.cursor);
  // Cursor: the last employee id; a person with two memberships (synced and manual) is never split.
  const rows = await groupMembers(ctx.store.db, tenantId, groupId, { limit: opts.limit * 2 + 2, ...(after ? { afterEmployeeId: after } : {}), ...(opts.origin ? { origin: opts.origin } : {}) });
  const people: string[] = [];
  for (const r of rows) if (people[people.length - 1] !== r.employeeId) people.push(r.employeeId);
  const shownPeople = new Set(people.slice(0, opts.limit));
  const data = rows
    .filter((r) => shownPeople.has(r.employeeId))
    .map((r) => {
      const f = parseJson<Record<string, string>>(r.fields, {});
      return { employeeId: r.employeeId, displayName: nameOf(r.fields), email: f['email'] ?? null, status: r.status, origin: r.origin, integrationId: r.integrationId, since: r.since };
    });
  const last = people[opts.limit - 1];
  return { data, nextCursor: people.length > opts.limit && last ? encodeCursor(last) : null };
}

/** Sub-groups shown on a group's page; `childCount` says how many there are (the rest: `GET /groups?view=tree&parentId=`). */
const DETAIL_CHILDREN = 200;

export async function groupDetail(ctx: AppContext, tenantId: string, id: string) {
  const g = await requireGroup(ctx, tenantId, id);
  // Independent reads, at once (on PostgreSQL their round trips overlap; SQLite takes them in turn).
  const [integrations, children, counts, ancestorList, members, others, linked] = await Promise.all([
    integrationsOf(ctx, tenantId),
    groupsPage(ctx.store.db, tenantId, { parentId: g.id }, DETAIL_CHILDREN),
    childCounts(ctx.store.db, tenantId, [g.id], false),
    ancestorsOf(ctx.store.db, tenantId, g.id),
    membersPage(ctx, tenantId, g.id, { limit: 100 }),
    otherParentsOf(ctx.store.db, tenantId, [g.id]),
    linkedChildrenOf(ctx.store.db, tenantId, [g.id]),
  ]);
  const childCount = counts.get(g.id) ?? 0;
  const ancestors = ancestorList.reverse().map((a) => ({ id: a.id, name: a.name }));
  const alsoIn = others.get(g.id);
  const alsoHere = (linked.get(g.id) ?? []).map((c) => ({ id: c.id, name: c.name, type: c.type, headcount: c.headcount }));
  return {
    ...presentGroup(g, integrations),
    ...(alsoIn ? { alsoIn } : {}),
    alsoHere,
    path: ancestors,
    childCount,
    children: children.map((c) => presentGroup(c, integrations)).sort((a, b) => a.name.localeCompare(b.name, 'en')),
    members: members.data,
    membersNextCursor: members.nextCursor,
  };
}

export async function listMembers(ctx: AppContext, tenantId: string, id: string, query: z.infer<typeof MemberListQuery>) {
  const g = await requireGroup(ctx, tenantId, id);
  return membersPage(ctx, tenantId, g.id, query);
}

async function checkParent(ctx: AppContext, tenantId: string, groupId: string | null, parentId: string): Promise<Group> {
  const parent = await getGroup(ctx.store.db, tenantId, parentId);
  if (!parent) throw new ApiError(400, 'invalid_request', `parentId: group ${parentId} does not exist`, { field: 'parentId' });
  if (parent.archived) throw new ApiError(400, 'invalid_request', `parentId: ${parent.name} is archived; pick an active group`, { field: 'parentId' });
  if (groupId !== null) {
    if (parentId === groupId) throw new ApiError(400, 'invalid_request', 'parentId: a group cannot be its own parent', { field: 'parentId' });
    if ((await ancestorsOf(ctx.store.db, tenantId, parentId)).some((a) => a.id === groupId)) {
      const self = (await getGroup(ctx.store.db, tenantId, groupId))!;
      throw new ApiError(400, 'invalid_request', `parentId: ${parent.name} is inside ${self.name}; nesting ${self.name} under it would make a cycle`, { field: 'parentId' });
    }
  }
  return parent;
}

export async function createManualGroup(ctx: AppContext, tenantId: string, body: unknown) {
  const input = validateBody(CreateGroupBody, body);
  if (input.parentId) await checkParent(ctx, tenantId, null, input.parentId);
  // Each audit entry commits in the transaction of the change it describes.
  const id = await ctx.store.db.transaction().execute(async (trx) => {
    const [made] = await insertGroups(trx, tenantId, [{ name: input.name, type: input.type, parentId: input.parentId ?? null, origin: 'manual', integrationId: null, attribute: null, sourceKey: null }]);
    await audit(trx, tenantId, 'group.created', made!, null, { name: input.name, type: input.type, parentId: input.parentId ?? null, origin: 'manual' });
    return made!;
  });
  return groupDetail(ctx, tenantId, id);
}

export async function patchGroup(ctx: AppContext, tenantId: string, id: string, body: unknown) {
  const patch = validateBody(PatchGroupBody, body);
  const g = await requireGroup(ctx, tenantId, id);
  const integrations = await integrationsOf(ctx, tenantId);
  const locker = lockerOf(g, integrations);
  if (locker) {
    const source = providerDisplayName(locker.provider);
    const what = (['name', 'type', 'parentId', 'archived'] as const).find((k) => patch[k] !== undefined && patch[k] !== ({ name: g.name, type: g.type, parentId: g.parentId, archived: g.archived } as const)[k]);
    if (what) {
      const messages: Record<typeof what, string> = {
        name: `${g.name} is managed by ${source}; rename it there.`,
        type: `${g.name}'s type comes from ${locker.name}'s Group Sync mapping; change the type there.`,
        parentId: `${g.name}'s place in the tree follows ${source} (Group Sync nesting); change it there or in ${locker.name}'s group mapping.`,
        archived: `${g.name} is managed by ${source}; it is archived when the unit disappears there.`,
      };
      throw new ApiError(409, 'group_locked', messages[what], { field: what, integrationId: locker.id, provider: locker.provider });
    }
  }
  if (patch.parentId) await checkParent(ctx, tenantId, g.id, patch.parentId);
  await ctx.store.db.transaction().execute(async (trx) => {
    await updateGroup(trx, tenantId, g.id, {
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.type !== undefined && { type: patch.type }),
      ...(patch.parentId !== undefined && { parentId: patch.parentId }),
      ...(patch.archived !== undefined && patch.archived !== g.archived && { archived: patch.archived }),
    });
    // Moving or archiving a group changes its ancestors' headcounts.
    if ((patch.parentId !== undefined && patch.parentId !== g.parentId) || (patch.archived !== undefined && patch.archived !== g.archived)) await refreshHeadcounts(trx, tenantId);
    await audit(trx, tenantId, 'group.updated', g.id, { name: g.name, type: g.type, parentId: g.parentId, archived: g.archived }, patch);
  });
  return groupDetail(ctx, tenantId, g.id);
}

function idsOf(body: z.infer<typeof MembersBody>): string[] {
  return [...new Set([...(body.employeeIds ?? []), ...(body.employeeId ? [body.employeeId] : [])])];
}

export async function addManualMembers(ctx: AppContext, tenantId: string, id: string, body: unknown) {
  const input = validateBody(MembersBody, body);
  const g = await requireGroup(ctx, tenantId, id);
  if (g.archived) throw new ApiError(409, 'group_archived', `${g.name} is archived; people cannot be added to it.`);
  const ids = idsOf(input);
  const found = await employeesByIds(ctx.store.db, tenantId, ids);
  const missing = ids.filter((e) => !found.has(e));
  if (missing.length > 0) throw new ApiError(400, 'invalid_request', `employeeIds: no employee ${missing.slice(0, 5).join(', ')}`, { field: 'employeeIds', missing });
  await ctx.store.db.transaction().execute(async (trx) => {
    await addMemberships(trx, tenantId, ids.map((employeeId) => ({ groupId: g.id, employeeId, origin: 'manual' as const, integrationId: null })));
    await refreshHeadcounts(trx, tenantId);
    for (const employeeId of ids) await audit(trx, tenantId, 'group.membership_added', g.id, null, { employeeId, origin: 'manual' });
  });
  return { added: ids.length, groupId: g.id };
}

/** Removes manual memberships. A synced membership cannot be removed here: the HRIS decides it. */
export async function removeManualMembers(ctx: AppContext, tenantId: string, id: string, body: unknown) {
  const input = validateBody(MembersBody, body);
  const g = await requireGroup(ctx, tenantId, id);
  const ids = idsOf(input);
  const integrations = await integrationsOf(ctx, tenantId);
  const removable: string[] = [];
  for (const employeeId of ids) {
    const memberships = await membershipsOf(ctx.store.db, tenantId, g.id, employeeId);
    if (memberships.some((m) => m.origin === 'manual')) {
      removable.push(employeeId);
      continue;
    }
    const synced = memberships.find((m) => m.origin === 'synced');
    if (synced) {
      const employee = (await employeesByIds(ctx.store.db, tenantId, [employeeId])).get(employeeId);
      const who = (employee && nameOf(employee.fields)) ?? employeeId;
      const source = integrations.get(synced.integrationId ?? '');
      const sourceName = source ? providerDisplayName(source.provider) : 'the HRIS';
      throw new ApiError(409, 'membership_synced', `${who} is in ${g.name} because ${sourceName} says so (Group Sync); change their ${g.attribute ?? 'attribute'} in ${sourceName} and the next sync moves them.`, {
        employeeId,
        integrationId: synced.integrationId,
      });
    }
    throw new ApiError(404, 'not_member', `employee ${employeeId} is not a member of ${g.name}`, { employeeId });
  }
  await ctx.store.db.transaction().execute(async (trx) => {
    await removeMemberships(trx, tenantId, 'manual', removable.map((employeeId) => ({ groupId: g.id, employeeId })));
    await refreshHeadcounts(trx, tenantId);
    for (const employeeId of removable) await audit(trx, tenantId, 'group.membership_removed', g.id, { employeeId, origin: 'manual' }, null);
  });
  const stillSynced: string[] = [];
  for (const employeeId of removable) if ((await membershipsOf(ctx.store.db, tenantId, g.id, employeeId)).length > 0) stillSynced.push(employeeId);
  return { removed: removable.length, groupId: g.id, ...(stillSynced.length > 0 ? { stillMemberThroughSync: stillSynced } : {}) };
}

/** Groups a preview shows unless asked for more (`limit`). */
const PREVIEW_GROUPS = 200;

/**
 * The nodes of a forest an answer of `budget` nodes shows: the first roots (by the forest's order)
 * up to the budget, then level by level whole families (a node's children all, or none: its
 * `childCount` tells); how many there are in all the answer says apart (`groupsTotal`).
 */
export function keepFamilies<T extends { children: T[] }>(roots: readonly T[], budget: number): Set<T> {
  // The roots too: a mapping without nesting makes thousands of top-level groups.
  const top = roots.slice(0, Math.max(1, budget));
  const kept = new Set<T>(top);
  let room = budget - top.length;
  for (let level: readonly T[] = top; level.length > 0 && room > 0; ) {
    const next: T[] = [];
    for (const node of level) {
      if (node.children.length === 0) continue;
      if (node.children.length > room) break;
      room -= node.children.length;
      for (const child of node.children) kept.add(child);
      next.push(...node.children);
    }
    level = next;
  }
  return kept;
}

/**
 * What a mapping would produce from the last fetched data (the integration's links), without
 * saving anything: the groups as a tree with headcounts, and what the next run would change.
 * Keys come from the groups synced before (the provider's lists are not called here), so a
 * renamed unit only shows as renamed once a run has seen it.
 */
export async function previewGroupSync(ctx: AppContext, tenantId: string, integrationId: string, body: unknown): Promise<z.infer<typeof GroupSyncPreview>> {
  const input = validateBody(GroupPreviewBody, body);
  // Read before anything the answer is made of (see sharedPreview).
  const revision = await ctx.store.readRevision(tenantId);
  const integration = await getIntegration(ctx.store.db, tenantId, integrationId);
  if (!integration) throw notFound('integration', integrationId);
  const mapping = (input.mapping ?? integration.groupSync.mapping) as readonly GroupMappingEntry[];
  requireValidGroupMapping(mapping, 'mapping', { available: importedAttributes(integration.userSync), sourceName: providerDisplayName(integration.provider) });
  const limit = input.limit ?? PREVIEW_GROUPS;
  return sharedPreview(ctx, revision, `${tenantId}\u0000${integration.id}\u0000${limit}\u0000${JSON.stringify(mapping)}`, () => computePreview(ctx, tenantId, integration, mapping, limit));
}

/** Previews kept per store: the same preview asked again (or while it is worked out) at the same read revision. */
const PREVIEWS_KEPT = 16;
const previews = new WeakMap<object, Map<string, { revision: string; value: Promise<z.infer<typeof GroupSyncPreview>> }>>();

/**
 * A preview plans every group from every synced person: seconds of one core at 100,000 people.
 * Admins (and a console's several tabs) asking for the same preview at once share one planning,
 * and ask again for nothing while no write moved the store's read revision (Store.readRevision,
 * read before the request reads anything, as the read cache does): the answer is never older
 * than what the request could read. A failed planning is not kept.
 */
async function sharedPreview(ctx: AppContext, revision: string, key: string, compute: () => Promise<z.infer<typeof GroupSyncPreview>>): Promise<z.infer<typeof GroupSyncPreview>> {
  const store = ctx.store;
  let kept = previews.get(store);
  if (!kept) previews.set(store, (kept = new Map()));
  const prior = kept.get(key);
  if (prior?.revision === revision) return prior.value;
  const value = compute();
  kept.delete(key);
  kept.set(key, { revision, value });
  if (kept.size > PREVIEWS_KEPT) kept.delete(kept.keys().next().value!);
  value.catch(() => {
    if (kept.get(key)?.value === value) kept.delete(key);
  });
  return value;
}

async function computePreview(ctx: AppContext, tenantId: string, integration: Integration, mapping: readonly GroupMappingEntry[], limit: number): Promise<z.infer<typeof GroupSyncPreview>> {
  const people = await groupPeople(ctx.store.db, tenantId, integration.id, mappedAttributes(mapping));
  const existing = await syncedGroupsOf(ctx.store.db, tenantId, integration.id);
  const memberships = await syncedMembershipsOf(ctx.store.db, tenantId, integration.id);
  // Existing keys by name stand in for the provider's keys.
  // (only where the group name is the unit's name, i.e. no name template).
  const orgUnits = existing
    .filter((g) => g.key.startsWith('id:') && !mapping.find((m) => m.attribute === g.attribute)?.nameTemplate)
    .map((g) => ({ attribute: g.attribute, key: g.key.slice(3), name: g.name }));
  let n = 0;
  const plan = planGroups({ mapping, people, orgUnits, existing, memberships, newId: () => `new-${++n}` });
  const members = new Map(plan.groups.map((g) => [g.id, g.members]));
  const counts = subtreeHeadcounts(plan.groups, members);
  const tree = toTree(
    plan.groups.map((g) => ({ id: g.id, name: g.name, type: g.type, attribute: g.attribute, parentId: g.parentId, status: g.status, headcount: counts.get(g.id) ?? 0, members: g.members.size })),
  );
  type Planned = (typeof tree)[number] & { children: Planned[] };
  const shown = keepFamilies(tree as Planned[], limit);
  type PreviewNode = Omit<Planned, 'id' | 'children'> & { id: string | null; childCount: number; children: PreviewNode[] };
  const strip = (nodes: readonly Planned[]): PreviewNode[] =>
    nodes.filter((node) => shown.has(node)).map((node) => ({ ...node, id: node.id.startsWith('new-') ? null : node.id, childCount: node.children.length, children: strip(node.children) }));
  const last = await lastFinishedRun(ctx.store.db, tenantId, integration.id);
  return {
    mapping: asContract<z.infer<typeof GroupSyncPreview>['mapping']>(mapping),
    basedOn: { people: people.length, lastRunId: last?.id ?? null, lastRunFinishedAt: last?.finishedAt ?? null },
    groups: strip(tree as Planned[]),
    groupsTotal: plan.groups.length,
    changes: {
      ...planCounts(plan),
      // At most the preview's limit of them (`archive` counts them all).
      archived: plan.archived.slice(0, limit).map((a) => ({ id: a.id, name: a.name, reason: a.reason })),
    },
    ...(people.length === 0 ? { note: `No people from ${integration.name} yet: run a sync first; the preview uses the last fetched data.` } : {}),
  };
}

/** The groups of each employee, for the employee API. */
export { groupsForEmployees } from '../store/groups.ts';

/**
 * Diagnostics for one person's groups ("user exists but in the wrong group"): each group with why,
 * and, per linked source, what Group Sync does or does not do for them, in words.
 */
export async function explainGroups(ctx: AppContext, tenantId: string, employeeId: string) {
  const { db } = ctx.store;
  const integrations = await integrationsOf(ctx, tenantId);
  const links = await db.selectFrom('employee_links').selectAll().where('tenant_id', '=', tenantId).where('employee_id', '=', employeeId).execute();
  const rows = await db
    .selectFrom('group_memberships as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['g.id', 'g.name', 'g.type', 'g.attribute', 'g.archived', 'm.origin', 'm.integration_id'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.employee_id', '=', employeeId)
    .execute();
  const groups = rows.map((r) => {
    const source = r.integration_id ? integrations.get(r.integration_id) : undefined;
    const why =
      r.origin === 'manual'
        ? 'added by hand; sync never removes it'
        : `${source ? providerDisplayName(source.provider) : 'the source'} gives ${r.attribute} = ${r.name} (Group Sync of ${source?.name ?? 'a removed integration'})`;
    return { id: r.id, name: r.name, type: r.type, origin: r.origin, archived: r.archived === 1, why };
  });
  const summary: string[] = [];
  for (const link of links) {
    const i = integrations.get(link.integration_id);
    if (!i) continue;
    const source = providerDisplayName(i.provider);
    if (!i.groupSync.enabled) {
      summary.push(`${i.name}: Group Sync is off, so ${source}'s org structure (departments, divisions, locations) does not put this person in groups; turn it on and map the attributes under Group Sync.`);
      continue;
    }
    const values = parseJson<Record<string, string>>(link.field_values, {});
    if (link.present !== 1 || link.in_scope !== 1 || link.source_status !== 'active') {
      summary.push(`${i.name}: this person is ${link.present !== 1 ? 'no longer in the source' : link.in_scope !== 1 ? 'out of scope' : 'not active in the source'}, so ${source} puts them in no group.`);
      continue;
    }
    const mapped = new Set(i.groupSync.mapping.map((m) => m.attribute));
    for (const m of i.groupSync.mapping) {
      if (!values[m.attribute]) summary.push(`${i.name}: ${source} has no ${m.attribute} for this person, so they are in no ${m.type} group.`);
    }
    for (const attribute of ['department', 'division', 'location'] as const) {
      if (values[attribute] && !mapped.has(attribute)) summary.push(`${i.name}: ${attribute} "${values[attribute]}" is not a group because the group mapping does not include ${attribute}; add it under Group Sync.`);
    }
  }
  return { groups, summary };
}
