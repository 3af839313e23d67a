/**
 * Which identity-provider groups (Google groups, Entra groups) a directory-groups selection picks,
 * before saving it: the admin's "preview" of `groupSync.directoryGroups` (issue 12 §3). Like the
 * scope preview's live mode (scope-preview.ts) it asks the provider, since the groups that are not
 * synced yet are nowhere else; nothing is saved. Each picked group comes with how many people the
 * source holds in it and the headcount ReFresh would give it (its ReFresh employees, nested groups
 * included), nested as the sync would nest it; patterns that name no group are shown as such.
 */
import type { z } from 'zod';
import type { DirectoryGroupsPreview } from '../api/contract/groups.ts';
import { DirectoryPreviewBody } from '../api/contract/groups.ts';
import { isProviderError, providerDisplayName } from '../connectors/errors.ts';
import { DIRECTORY_GROUP_ATTRIBUTE, patternPicks, planDirectoryGroups, selectDirectoryGroups, sourcePeopleCounts, type DirectoryGroupSelection } from '../core/directory-groups.ts';
import { planCounts, subtreeHeadcounts, toTree } from '../core/group-plan.ts';
import { syncedGroupsOf, syncedMembershipsOf } from '../store/groups.ts';
import { connectorFor } from '../sync/connector.ts';
import { directoryGroupType, memberReasons } from '../sync/group-step.ts';
import { RunFailure } from '../sync/run-errors.ts';
import type { AppContext } from './context.ts';
import { ApiError, validateBody } from './errors.ts';
import { requireDirectoryGroups } from './group-sync-settings.ts';
import { keepFamilies } from './groups-service.ts';
import { requireIntegration } from './integrations-service.ts';

type Preview = z.infer<typeof DirectoryGroupsPreview>;
const SHOWN = 200;

export async function previewDirectoryGroups(ctx: AppContext, tenantId: string, id: string, body: unknown): Promise<Preview> {
  const input = validateBody(DirectoryPreviewBody, body);
  const integration = await requireIntegration(ctx, tenantId, id);
  requireDirectoryGroups(integration, 'directoryGroups');
  const selection: DirectoryGroupSelection = input.directoryGroups ?? integration.groupSync.directoryGroups ?? 'all';
  const source = providerDisplayName(integration.provider);
  if (integration.connection.status !== 'connected') {
    throw new ApiError(409, 'not_connected', `The preview reads ${source}'s groups, which needs a connected integration; ${integration.name} is ${integration.connection.status}. Connect it first.`, { connection: integration.connection.status });
  }
  let groups;
  try {
    const connector = await connectorFor(ctx.engine, integration);
    groups = connector.fetchDirectoryGroups ? await connector.fetchDirectoryGroups() : [];
  } catch (error) {
    if (error instanceof RunFailure) throw new ApiError(409, error.code, error.message);
    if (!isProviderError(error)) throw error;
    const refused = error.code === 'auth_failed' || error.code === 'missing_permission';
    throw new ApiError(refused ? 409 : 502, refused ? 'provider_refused' : 'provider_unavailable', `${source}'s groups could not be read for the preview: ${error.message}`, { provider: integration.provider, providerCode: error.code });
  }

  const db = ctx.store.db;
  const existing = (await syncedGroupsOf(db, tenantId, id)).filter((g) => g.attribute === DIRECTORY_GROUP_ATTRIBUTE);
  const existingIds = new Set(existing.map((g) => g.id));
  const memberships = (await syncedMembershipsOf(db, tenantId, id)).filter((m) => existingIds.has(m.groupId));
  const { employeeOf, whyNot } = await memberReasons(db, tenantId, id);
  let n = 0;
  const type = directoryGroupType(integration.provider);
  const plan = planDirectoryGroups({ groups, selection, type, employeeOf, whyNot, existing, memberships, newId: () => `new-${++n}` });

  const byKey = new Map(groups.map((g) => [g.key, g]));
  // A group holding the whole organisation (Google's CUSTOMER member) holds everyone the source listed.
  const listed = groups.some((g) => g.everyone) ? (await db.selectFrom('employee_links').select('external_id').where('tenant_id', '=', tenantId).where('integration_id', '=', id).where('present', '=', 1).execute()).map((r) => r.external_id) : [];
  const people = sourcePeopleCounts(groups, listed);
  const headcounts = subtreeHeadcounts(plan.groups, new Map(plan.groups.map((g) => [g.id, g.members])), undefined, plan.alsoIn);
  const skipped = new Map(plan.skips.map((s) => [s.groupKey, s.skipped.length]));
  const picks = selection === 'all' ? [] : selection.include.map((pattern) => ({ pattern, picks: patternPicks(pattern) }));
  const nameOfId = new Map(plan.groups.map((g) => [g.id, g.name]));
  const pickedBy = (key: string, parentId: string | null): string => {
    if (selection === 'all') return 'all';
    const g = byKey.get(key)!;
    const by = picks.find((p) => p.picks(g));
    return by ? by.pattern : `nested in ${parentId ? nameOfId.get(parentId) : 'a picked group'}`;
  };
  type Node = Omit<Preview['groups'][number], 'children' | 'childCount'> & { parentId: string | null; plannedId: string };
  const tree = toTree<Node & { id: string }>(
    plan.groups.map((g) => {
      const src = byKey.get(g.key)!;
      return {
        id: g.id,
        plannedId: g.id,
        parentId: g.parentId,
        key: g.key,
        name: g.name,
        email: src.email,
        kind: src.kind,
        pickedBy: pickedBy(g.key, g.parentId),
        status: g.status,
        people: people.get(g.key) ?? 0,
        headcount: headcounts.get(g.id) ?? 0,
        skipped: skipped.get(g.key) ?? 0,
        alsoIn: plan.alsoIn.filter((l) => l.groupId === g.id).map((l) => nameOfId.get(l.parentId)!).sort((a, b) => a.localeCompare(b, 'en')),
      };
    }),
  );
  type Planned = Node & { id: string; children: Planned[] };
  const shown = keepFamilies(tree as Planned[], input.limit ?? SHOWN);
  const strip = (nodes: readonly Planned[]): Preview['groups'] =>
    nodes
      .filter((node) => shown.has(node))
      .map(({ plannedId, parentId: _parent, children, ...node }) => ({ ...node, id: plannedId.startsWith('new-') ? null : plannedId, childCount: children.length, children: strip(children) }));

  const selected = selectDirectoryGroups(groups, selection);
  const left = groups.filter((g) => !selected.has(g.key)).sort((a, b) => a.name.localeCompare(b.name, 'en'));
  return {
    basis: 'live from the provider',
    type,
    directoryGroups: selection === 'all' ? 'all' : { include: [...selection.include] },
    total: groups.length,
    selected: plan.groups.length,
    patterns: picks.map((p) => ({ pattern: p.pattern, matches: groups.filter((g) => p.picks(g)).length })),
    groups: strip(tree as Planned[]),
    left: left.slice(0, input.limit ?? SHOWN).map((g) => ({ key: g.key, name: g.name, email: g.email, kind: g.kind, people: people.get(g.key) ?? 0 })),
    leftTotal: left.length,
    changes: planCounts(plan),
  };
}
