import { createHash } from 'node:crypto';
import { CompiledQuery, sql, SqliteAdapter, type Kysely, type Transaction } from 'kysely';
import type { ExistingMembership, ExistingSyncedGroup } from '../core/group-plan.ts';
import type { GroupLink } from '../core/directory-groups.ts';
import type SQLite from 'better-sqlite3';
import type { Store } from './db.ts';
import type { Database, GroupRow } from './schema.ts';
import { pgArray } from './pg-arrays.ts';
import { PREPARED } from './pg-prepared.ts';
import { chunks } from './employees.ts';
import { newId, nowIso } from './ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type GroupOrigin = 'synced' | 'manual';

export interface Group {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly type: string;
  readonly parentId: string | null;
  readonly origin: GroupOrigin;
  readonly integrationId: string | null;
  readonly attribute: string | null;
  readonly sourceKey: string | null;
  readonly archived: boolean;
  readonly archivedAt: string | null;
  /** Distinct active people in the group and its non-archived sub-groups, as last refreshed. */
  readonly headcount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toGroup(row: GroupRow): Group {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    type: row.type,
    parentId: row.parent_id,
    origin: row.origin as GroupOrigin,
    integrationId: row.integration_id,
    attribute: row.attribute,
    sourceKey: row.source_key,
    archived: row.archived === 1,
    archivedAt: row.archived_at,
    headcount: row.headcount,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function getGroup(db: Db, tenantId: string, id: string): Promise<Group | undefined> {
  const row = await db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toGroup(row) : undefined;
}

/** Every group of a tenant: for checks and tools, never for a request (a tenant may have thousands). */
export async function allGroups(db: Db, tenantId: string): Promise<Group[]> {
  const rows = await db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
  return rows.map(toGroup);
}

export interface GroupFilter {
  readonly includeArchived?: boolean;
  readonly integrationId?: string;
  readonly origin?: GroupOrigin;
  /** Only the children of this group; null: only top-level groups; undefined: any level. */
  readonly parentId?: string | null;
  /** Keyset: ids after this one. */
  readonly afterId?: string;
}

/** A page of groups in id order (the database does the filtering; nothing else is read). */
export async function groupsPage(db: Db, tenantId: string, filter: GroupFilter, limit: number): Promise<Group[]> {
  let q = db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId);
  if (!filter.includeArchived) q = q.where('archived', '=', 0);
  if (filter.integrationId) q = q.where('integration_id', '=', filter.integrationId);
  if (filter.origin) q = q.where('origin', '=', filter.origin);
  if (filter.parentId === null) q = q.where('parent_id', 'is', null);
  else if (filter.parentId !== undefined) q = q.where('parent_id', '=', filter.parentId);
  if (filter.afterId) q = q.where('id', '>', filter.afterId);
  return (await q.orderBy('id').limit(limit).execute()).map(toGroup);
}

/** The children of these groups (archived ones only when asked), in id order. */
export async function childrenOf(db: Db, tenantId: string, parentIds: readonly string[], includeArchived: boolean): Promise<Group[]> {
  const out: Group[] = [];
  for (const chunk of chunks(parentIds, 500)) {
    let q = db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('parent_id', 'in', chunk);
    if (!includeArchived) q = q.where('archived', '=', 0);
    out.push(...(await q.orderBy('id').execute()).map(toGroup));
  }
  return out;
}

/** How many (non-archived, unless asked) children each of these groups has. */
export async function childCounts(db: Db, tenantId: string, parentIds: readonly string[], includeArchived: boolean): Promise<Map<string, number>> {
  const out = new Map<string, number>(parentIds.map((id) => [id, 0]));
  for (const chunk of chunks(parentIds, 500)) {
    let q = db.selectFrom('groups').select(['parent_id', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant_id', '=', tenantId).where('parent_id', 'in', chunk);
    if (!includeArchived) q = q.where('archived', '=', 0);
    for (const r of await q.groupBy('parent_id').execute()) out.set(r.parent_id!, Number(r.n));
  }
  return out;
}

/** A group's ancestors, nearest first (a corrupt loop ends where it repeats). */
export async function ancestorsOf(db: Db, tenantId: string, groupId: string): Promise<Group[]> {
  const out: Group[] = [];
  const seen = new Set([groupId]);
  let parentId = (await getGroup(db, tenantId, groupId))?.parentId ?? null;
  while (parentId && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = await getGroup(db, tenantId, parentId);
    if (!parent) break;
    out.push(parent);
    parentId = parent.parentId;
  }
  return out;
}

/** The groups an integration synced, archived ones included (they may be revived). */
export async function syncedGroupsOf(db: Db, tenantId: string, integrationId: string): Promise<ExistingSyncedGroup[]> {
  const rows = await db
    .selectFrom('groups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('origin', '=', 'synced')
    .execute();
  return rows.map((r) => ({ id: r.id, attribute: r.attribute ?? '', key: r.source_key ?? '', name: r.name, type: r.type, parentId: r.parent_id, archived: r.archived === 1 }));
}

export async function syncedMembershipsOf(db: Db, tenantId: string, integrationId: string): Promise<ExistingMembership[]> {
  const rows = await db
    .selectFrom('group_memberships')
    .select(['group_id', 'employee_id'])
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('origin', '=', 'synced')
    .execute();
  return rows.map((r) => ({ groupId: r.group_id, employeeId: r.employee_id }));
}

/** Whether the integration has any synced membership (a first sync has none: nothing to compare with). */
export async function hasSyncedMemberships(db: Db, tenantId: string, integrationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('group_memberships')
    .select('group_id')
    .where('integration_id', '=', integrationId)
    .where('origin', '=', 'synced')
    .where('tenant_id', '=', tenantId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The integration's synced memberships of people with an employee id in (after, upTo] (null: no
 * bound), by the index by employee: the group step reads them a run of people at a time, the
 * runs' bounds taken from the people's own keyset (the database's order on both sides).
 */
export async function syncedMembershipsBetween(db: Db, tenantId: string, integrationId: string, after: string | null, upTo: string | null): Promise<ExistingMembership[]> {
  let q = db.selectFrom('group_memberships').select(['group_id', 'employee_id']).where('tenant_id', '=', tenantId);
  if (after !== null) q = q.where('employee_id', '>', after);
  if (upTo !== null) q = q.where('employee_id', '<=', upTo);
  const rows = await q.where('integration_id', '=', integrationId).where('origin', '=', 'synced').orderBy('employee_id').execute();
  return rows.map((r) => ({ groupId: r.group_id, employeeId: r.employee_id }));
}

/** The integration's synced memberships of these groups (its directory groups). */
export async function syncedMembershipsOfGroups(db: Db, tenantId: string, integrationId: string, groupIds: readonly string[]): Promise<ExistingMembership[]> {
  const out: ExistingMembership[] = [];
  for (const chunk of chunks(groupIds, 500)) {
    const rows = await db
      .selectFrom('group_memberships')
      .select(['group_id', 'employee_id'])
      .where('tenant_id', '=', tenantId)
      .where('group_id', 'in', chunk)
      .where('integration_id', '=', integrationId)
      .where('origin', '=', 'synced')
      .execute();
    for (const r of rows) out.push({ groupId: r.group_id, employeeId: r.employee_id });
  }
  return out;
}

export interface NewGroup {
  readonly id?: string;
  readonly name: string;
  readonly type: string;
  readonly parentId: string | null;
  readonly origin: GroupOrigin;
  readonly integrationId: string | null;
  readonly attribute: string | null;
  readonly sourceKey: string | null;
}

export async function insertGroups(db: Db, tenantId: string, groups: readonly NewGroup[], now = nowIso()): Promise<string[]> {
  const rows = groups.map((g) => ({
    id: g.id ?? newId(),
    tenant_id: tenantId,
    name: g.name,
    type: g.type,
    parent_id: g.parentId,
    origin: g.origin,
    integration_id: g.integrationId,
    attribute: g.attribute,
    source_key: g.sourceKey,
    archived: 0,
    archived_at: null,
    created_at: now,
    updated_at: now,
  }));
  for (const chunk of chunks(rows, 200)) await db.insertInto('groups').values(chunk).execute();
  return rows.map((r) => r.id);
}

export interface GroupPatch {
  name?: string;
  type?: string;
  parentId?: string | null;
  archived?: boolean;
}

export async function updateGroup(db: Db, tenantId: string, id: string, patch: GroupPatch, now = nowIso()): Promise<void> {
  await db
    .updateTable('groups')
    .set({
      updated_at: now,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.type !== undefined && { type: patch.type }),
      ...(patch.parentId !== undefined && { parent_id: patch.parentId }),
      ...(patch.archived !== undefined && { archived: patch.archived ? 1 : 0, archived_at: patch.archived ? now : null }),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export interface MembershipWrite {
  readonly groupId: string;
  readonly employeeId: string;
  readonly origin: GroupOrigin;
  readonly integrationId: string | null;
}

/** The further parents an integration's sync gave its groups (group_parents). */
export async function groupLinksOf(db: Db, tenantId: string, integrationId: string): Promise<GroupLink[]> {
  const rows = await db.selectFrom('group_parents').select(['group_id', 'parent_id']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).execute();
  return rows.map((r) => ({ groupId: r.group_id, parentId: r.parent_id }));
}

export async function addGroupLinks(db: Db, tenantId: string, integrationId: string | null, links: readonly GroupLink[], now = nowIso()): Promise<void> {
  const values = links.map((l) => ({ tenant_id: tenantId, group_id: l.groupId, parent_id: l.parentId, integration_id: integrationId, created_at: now }));
  for (const chunk of chunks(values, 200)) await db.insertInto('group_parents').values(chunk).onConflict((oc) => oc.columns(['tenant_id', 'group_id', 'parent_id']).doNothing()).execute();
}

export async function removeGroupLinks(db: Db, tenantId: string, links: readonly GroupLink[]): Promise<void> {
  for (const l of links) await db.deleteFrom('group_parents').where('tenant_id', '=', tenantId).where('group_id', '=', l.groupId).where('parent_id', '=', l.parentId).execute();
}

/**
 * Each group's further parents (not archived), by name. Two look-ups by key (the links of these
 * groups, then their parents): joined in one query, SQLite's planner walked every group of the
 * tenant for each request, though most tenants have no such link at all.
 */
export async function otherParentsOf(db: Db, tenantId: string, groupIds: readonly string[]): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>();
  for (const chunk of chunks(groupIds, 500)) {
    const links = await db.selectFrom('group_parents').select(['group_id', 'parent_id']).where('tenant_id', '=', tenantId).where('group_id', 'in', chunk).execute();
    if (links.length === 0) continue;
    const parents = new Map<string, string>();
    for (const ids of chunks([...new Set(links.map((l) => l.parent_id))], 500)) {
      for (const p of await db.selectFrom('groups').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', 'in', ids).where('archived', '=', 0).execute()) parents.set(p.id, p.name);
    }
    for (const l of links) {
      const name = parents.get(l.parent_id);
      if (name !== undefined) appendTo(out, l.group_id, { id: l.parent_id, name });
    }
  }
  return sortedByName(out);
}

/** The groups nested in each of these groups as a further parent (not archived), by name (two look-ups by key, as otherParentsOf). */
export async function linkedChildrenOf(db: Db, tenantId: string, parentIds: readonly string[]): Promise<Map<string, Group[]>> {
  const out = new Map<string, Group[]>();
  for (const chunk of chunks(parentIds, 500)) {
    const links = await db.selectFrom('group_parents').select(['group_id', 'parent_id']).where('tenant_id', '=', tenantId).where('parent_id', 'in', chunk).execute();
    if (links.length === 0) continue;
    const children = new Map<string, Group>();
    for (const ids of chunks([...new Set(links.map((l) => l.group_id))], 500)) {
      for (const g of await db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).where('archived', '=', 0).execute()) children.set(g.id, toGroup(g));
    }
    for (const l of links) {
      const child = children.get(l.group_id);
      if (child) appendTo(out, l.parent_id, child);
    }
  }
  return sortedByName(out);
}

function appendTo<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

function sortedByName<T extends { readonly name: string }>(map: Map<string, T[]>): Map<string, T[]> {
  for (const list of map.values()) list.sort((a, b) => a.name.localeCompare(b.name, 'en'));
  return map;
}

/** Adds memberships; one that already exists (same group, person and origin) is left as it is. */
export async function addMemberships(db: Db, tenantId: string, rows: readonly MembershipWrite[], now = nowIso()): Promise<void> {
  const values = rows.map((m) => ({ tenant_id: tenantId, group_id: m.groupId, employee_id: m.employeeId, origin: m.origin, integration_id: m.integrationId, created_at: now }));
  for (const chunk of chunks(values, 200)) {
    await db.insertInto('group_memberships').values(chunk).onConflict((oc) => oc.columns(['group_id', 'employee_id', 'origin']).doNothing()).execute();
  }
}

const membershipStatements = new WeakMap<SQLite.Database, { add: SQLite.Statement; addMany: SQLite.Statement; remove: SQLite.Statement }>();

function membershipStatementsOf(sqlite: SQLite.Database) {
  let s = membershipStatements.get(sqlite);
  if (!s) {
    s = {
      add: sqlite.prepare(
        `insert into group_memberships (tenant_id, group_id, employee_id, origin, integration_id, created_at) values (?, ?, ?, ?, ?, ?)
         on conflict (group_id, employee_id, origin) do nothing`,
      ),
      // (`where true`: an upsert's SELECT needs a WHERE, or SQLite reads ON CONFLICT as a join's ON.)
      addMany: sqlite.prepare(
        `insert into group_memberships (tenant_id, group_id, employee_id, origin, integration_id, created_at)
         select ?, j.value ->> 0, j.value ->> 1, ?, ?, ? from json_each(?) as j where true
         on conflict (group_id, employee_id, origin) do nothing`,
      ),
      remove: sqlite.prepare(`delete from group_memberships where group_id = ? and employee_id = ? and origin = ? and tenant_id = ?`),
    };
    membershipStatements.set(sqlite, s);
  }
  return s;
}

/**
 * Adds many memberships of one origin inside the caller's transaction (a run's group step): on
 * SQLite a cached prepared statement on the raw handle (the Kysely transaction holds the single
 * connection), on PostgreSQL one prepared statement per PG_ARRAY_ROWS rows, their groups and
 * people as two text arrays (see pgPairs). One that already exists is left as it is, as
 * addMemberships does.
 */
export async function bulkAddMemberships(store: Store, trx: Transaction<Database>, tenantId: string, origin: GroupOrigin, integrationId: string | null, rows: readonly ExistingMembership[], now = nowIso()): Promise<void> {
  if (rows.length === 0) return;
  if (store.sqlite) {
    const { add, addMany } = membershipStatementsOf(store.sqlite);
    for (let i = 0; i < rows.length; i += SQLITE_JSON_ROWS) {
      const chunk = rows.slice(i, i + SQLITE_JSON_ROWS);
      if (chunk.length < 16 || chunk.some((m) => UNFAITHFUL_IN_JSON.test(m.groupId) || UNFAITHFUL_IN_JSON.test(m.employeeId))) {
        for (const m of chunk) add.run(tenantId, m.groupId, m.employeeId, origin, integrationId, now);
      } else addMany.run(tenantId, origin, integrationId, now, JSON.stringify(chunk.map((m) => [m.groupId, m.employeeId])));
    }
    return;
  }
  await pgPairs(
    trx,
    rows,
    `insert into group_memberships (tenant_id, group_id, employee_id, origin, integration_id, created_at)
     select $3::text, t.group_id, t.employee_id, $4::text, $5::text, $6::text from unnest($1::text[], $2::text[]) as t(group_id, employee_id)
     on conflict (group_id, employee_id, origin) do nothing`,
    [tenantId, origin, integrationId, now],
  );
}

/**
 * Memberships per SQLite statement in the group step's writes: their ids as one JSON array of
 * pairs, read by json_each, rather than a call of the prepared statement per membership, whose
 * crossing from JavaScript into SQLite cost more than the row's insert (56,760 memberships:
 * ~200 → ~160 ms). Ids JSON cannot carry faithfully (a NUL, a lone surrogate) go one by one.
 */
const SQLITE_JSON_ROWS = 5_000;
const UNFAITHFUL_IN_JSON = /[\0\p{Cs}]/u;

/**
 * Memberships per PostgreSQL statement in the group step's writes. Two arrays of ids are one
 * statement text whatever their length (prepared once, planned generically), sent in binary
 * (pg-arrays.ts), so the server reads each id's bytes and parses nothing: against prepared VALUES
 * lists of 128 rows the same 56,760 memberships cost ~10 % less server CPU and a fifth of Node's.
 */
const PG_ARRAY_ROWS = 5_000;

/** Runs `statement` (its $1 and $2 the groups' and people's ids, then `extra`) over `rows`, PG_ARRAY_ROWS at a time. */
async function pgPairs(trx: Transaction<Database>, rows: readonly ExistingMembership[], statement: string, extra: readonly unknown[]): Promise<void> {
  const compiled = `${PREPARED} ${statement}`;
  for (let i = 0; i < rows.length; i += PG_ARRAY_ROWS) {
    const end = Math.min(rows.length, i + PG_ARRAY_ROWS);
    const groupIds = new Array<string>(end - i);
    const employeeIds = new Array<string>(end - i);
    for (let r = i; r < end; r += 1) {
      groupIds[r - i] = rows[r]!.groupId;
      employeeIds[r - i] = rows[r]!.employeeId;
    }
    await trx.executeQuery(CompiledQuery.raw(compiled, [pgArray(groupIds, 'text'), pgArray(employeeIds, 'text'), ...extra]));
  }
}

/** Removes many memberships of one origin inside the caller's transaction (see bulkAddMemberships). */
export async function bulkRemoveMemberships(store: Store, trx: Transaction<Database>, tenantId: string, origin: GroupOrigin, rows: readonly ExistingMembership[]): Promise<void> {
  if (rows.length === 0) return;
  if (store.sqlite) {
    const remove = membershipStatementsOf(store.sqlite).remove;
    for (const m of rows) remove.run(m.groupId, m.employeeId, origin, tenantId);
    return;
  }
  await pgPairs(
    trx,
    rows,
    `delete from group_memberships m using unnest($1::text[], $2::text[]) as t(group_id, employee_id)
     where m.tenant_id = $3::text and m.origin = $4::text and m.group_id = t.group_id and m.employee_id = t.employee_id`,
    [tenantId, origin],
  );
}

export async function removeMemberships(db: Db, tenantId: string, origin: GroupOrigin, rows: readonly { groupId: string; employeeId: string }[]): Promise<number> {
  let removed = 0;
  const byGroup = new Map<string, string[]>();
  for (const r of rows) appendTo(byGroup, r.groupId, r.employeeId);
  for (const [groupId, employees] of byGroup) {
    for (const chunk of chunks(employees, 500)) {
      const result = await db
        .deleteFrom('group_memberships')
        .where('tenant_id', '=', tenantId)
        .where('group_id', '=', groupId)
        .where('origin', '=', origin)
        .where('employee_id', 'in', chunk)
        .executeTakeFirst();
      removed += Number(result.numDeletedRows);
    }
  }
  return removed;
}

/**
 * Distinct ACTIVE employees in each group and its non-archived descendants (through `parent_id`
 * and the further parents of group_parents), counted from scratch
 * by a recursive query (UNION, so even a corrupt parent loop terminates). Requests read the stored
 * figure instead (group-headcounts.ts, seconds cheaper at scale); this is its independent check.
 */
export async function headcounts(db: Db, tenantId: string, groupIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>(groupIds.map((id) => [id, 0]));
  for (const chunk of chunks(groupIds, 500)) {
    const result = await sql<{ id: string; n: number | string }>`
      WITH RECURSIVE edges(parent_id, child_id) AS (
        SELECT parent_id, id FROM groups WHERE tenant_id = ${tenantId} AND archived = 0 AND parent_id IS NOT NULL
        UNION ALL
        SELECT l.parent_id, l.group_id FROM group_parents l JOIN groups g ON g.id = l.group_id AND g.tenant_id = l.tenant_id AND g.archived = 0 WHERE l.tenant_id = ${tenantId}
      ),
      tree(root_id, group_id) AS (
        SELECT id, id FROM groups WHERE tenant_id = ${tenantId} AND id IN (${sql.join(chunk)})
        UNION
        SELECT tree.root_id, e.child_id FROM tree JOIN edges e ON e.parent_id = tree.group_id
      )
      SELECT tree.root_id AS id, COUNT(DISTINCT m.employee_id) AS n
      FROM tree
      JOIN group_memberships m ON m.group_id = tree.group_id AND m.tenant_id = ${tenantId}
      JOIN employees e ON e.id = m.employee_id AND e.tenant_id = ${tenantId} AND e.status = 'active'
      GROUP BY tree.root_id`.execute(db);
    for (const r of result.rows) out.set(r.id, Number(r.n));
  }
  return out;
}

export interface MemberRow {
  readonly employeeId: string;
  readonly origin: GroupOrigin;
  readonly integrationId: string | null;
  readonly since: string;
  readonly status: string;
  readonly fields: string;
}

/** Direct memberships of a group (one row per person and origin), by employee id. */
export async function groupMembers(db: Db, tenantId: string, groupId: string, opts: { limit: number; afterEmployeeId?: string; origin?: GroupOrigin }): Promise<MemberRow[]> {
  let q = db
    .selectFrom('group_memberships as m')
    .innerJoin('employees as e', (j) => j.onRef('e.id', '=', 'm.employee_id').onRef('e.tenant_id', '=', 'm.tenant_id'))
    .select(['m.employee_id', 'm.origin', 'm.integration_id', 'm.created_at', 'e.status', 'e.fields'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.group_id', '=', groupId);
  if (opts.origin) q = q.where('m.origin', '=', opts.origin);
  if (opts.afterEmployeeId) q = q.where('m.employee_id', '>', opts.afterEmployeeId);
  const rows = await q.orderBy('m.employee_id').orderBy('m.origin').limit(opts.limit).execute();
  return rows.map((r) => ({ employeeId: r.employee_id, origin: r.origin as GroupOrigin, integrationId: r.integration_id, since: r.created_at, status: r.status, fields: r.fields }));
}

export async function membershipsOf(db: Db, tenantId: string, groupId: string, employeeId: string): Promise<{ origin: GroupOrigin; integrationId: string | null }[]> {
  const rows = await db
    .selectFrom('group_memberships')
    .select(['origin', 'integration_id'])
    .where('tenant_id', '=', tenantId)
    .where('group_id', '=', groupId)
    .where('employee_id', '=', employeeId)
    .execute();
  return rows.map((r) => ({ origin: r.origin as GroupOrigin, integrationId: r.integration_id }));
}

export interface EmployeeGroup {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  /** 'synced' when any membership is synced (then the HRIS decides it), else 'manual'. */
  readonly origin: GroupOrigin;
  readonly origins: GroupOrigin[];
}

type EmployeeGroupRow = { employee_id: string; origin: string; id: string; name: string; type: string };

function employeeGroupRows(db: Db, tenantId: string, employeeIds: readonly string[]): Promise<EmployeeGroupRow[]> {
  return db
    .selectFrom('group_memberships as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select(['m.employee_id', 'm.origin', 'g.id', 'g.name', 'g.type'])
    .where('m.tenant_id', '=', tenantId)
    .where('g.tenant_id', '=', tenantId)
    .where('g.archived', '=', 0)
    .where('m.employee_id', 'in', employeeIds)
    .execute();
}

/**
 * PostgreSQL: the page's memberships first, then their groups by key. Joined directly, the
 * planner costs a page's ~300 look-ups of groups above one pass over all of them and hashes every
 * group of the tenant for each page (4 ms a page of 100 people at 5,000 groups; 2 ms this way).
 */
async function employeeGroupRowsPostgres(db: Db, tenantId: string, employeeIds: readonly string[]): Promise<EmployeeGroupRow[]> {
  const { rows } = await sql<EmployeeGroupRow>`
    with m as materialized (
      select employee_id, origin, group_id from group_memberships where tenant_id = ${tenantId} and employee_id = any(${[...employeeIds]}::text[])
    )
    select m.employee_id, m.origin, g.id, g.name, g.type
    from m join groups g on g.id = m.group_id
    where g.tenant_id = ${tenantId} and g.archived = 0 and g.id = any(array(select group_id from m))`.execute(db);
  return rows;
}

/** The non-archived groups each employee is a direct member of, by name. */
export async function groupsForEmployees(db: Db, tenantId: string, employeeIds: readonly string[]): Promise<Map<string, EmployeeGroup[]>> {
  const out = new Map<string, EmployeeGroup[]>(employeeIds.map((id) => [id, []]));
  for (const chunk of chunks(employeeIds, 500)) {
    const rows = db.getExecutor().adapter instanceof SqliteAdapter ? await employeeGroupRows(db, tenantId, chunk) : await employeeGroupRowsPostgres(db, tenantId, chunk);
    const byKey = new Map<string, { employeeId: string; group: EmployeeGroup }>();
    for (const r of rows) {
      const key = `${r.employee_id}\u0000${r.id}`;
      const prior = byKey.get(key);
      const origins = [...new Set([...(prior?.group.origins ?? []), r.origin as GroupOrigin])].sort() as GroupOrigin[];
      byKey.set(key, { employeeId: r.employee_id, group: { id: r.id, name: r.name, type: r.type, origin: origins.includes('synced') ? 'synced' : 'manual', origins } });
    }
    for (const { employeeId, group } of byKey.values()) out.get(employeeId)?.push(group);
  }
  for (const list of out.values()) list.sort((a, b) => a.type.localeCompare(b.type, 'en') || a.name.localeCompare(b.name, 'en'));
  return out;
}

export async function nextSeq(db: Db, runId: string): Promise<number> {
  const row = await db.selectFrom('run_changes').select((eb) => eb.fn.max('seq').as('max')).where('run_id', '=', runId).executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}

/** What the integration's last group step left in step (see src/sync/group-step.ts), if anything. */
export async function groupSyncState(db: Db, tenantId: string, integrationId: string): Promise<{ linksDigest: string | null; peopleDigest: string | null } | undefined> {
  const row = await db.selectFrom('group_sync_state').select(['links_digest', 'people_digest']).where('tenant_id', '=', tenantId).where('integration_id', '=', integrationId).executeTakeFirst();
  return row ? { linksDigest: row.links_digest, peopleDigest: row.people_digest } : undefined;
}

/** Records (or, with null digests, forgets) what the group step left in step, in the caller's transaction. */
export async function saveGroupSyncState(db: Db, tenantId: string, integrationId: string, runId: string, digests: { linksDigest: string | null; peopleDigest: string | null }, now = nowIso()): Promise<void> {
  await db
    .insertInto('group_sync_state')
    .values({ integration_id: integrationId, tenant_id: tenantId, links_digest: digests.linksDigest, people_digest: digests.peopleDigest, run_id: runId, updated_at: now })
    .onConflict((oc) => oc.column('integration_id').doUpdateSet({ links_digest: digests.linksDigest, people_digest: digests.peopleDigest, run_id: runId, updated_at: now }).where('group_sync_state.tenant_id', '=', tenantId))
    .execute();
}

/**
 * A digest of every link of the integration as far as it can bear on groups: who it is linked to,
 * whether it is present, its status in the source, and its record hash (which covers the mapped
 * values, the lifecycle and whether the person is in scope). Read from the index the run's own
 * link index reads (0019), so no person's values are read: ~0.1 s at 100,000 people where reading
 * their mapped values costs four times that. Any difference in any link changes it.
 */
export async function linksDigest(db: Db, tenantId: string, integrationId: string): Promise<string> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    const rows = await db
      .selectFrom('employee_links')
      .select(sql<string>`external_id || '|' || coalesce(employee_id, '') || '|' || record_hash || '|' || present || '|' || source_status`.as('r'))
      .where('integration_id', '=', integrationId)
      .where('tenant_id', '=', tenantId)
      .orderBy('present')
      .orderBy('source_status')
      .orderBy('employee_id')
      .orderBy('external_id')
      .execute();
    const hash = createHash('sha256');
    for (const row of rows) hash.update(row.r).update('\n');
    return `${rows.length}:${hash.digest('base64url')}`;
  }
  const row = await sql<{ n: string; d: string | null }>`
    select count(*) as n, md5(string_agg(concat(external_id, '|', coalesce(employee_id, ''), '|', record_hash, '|', present, '|', source_status), E'\\n' order by external_id)) as d
    from employee_links where integration_id = ${integrationId} and tenant_id = ${tenantId}`.execute(db);
  return `${row.rows[0]?.n ?? 0}:${row.rows[0]?.d ?? ''}`;
}
