import { z } from 'zod';
import { groupMappingProblems, type GroupMappingEntry, type GroupMappingProblem } from '../core/group-plan.ts';
import type { GroupSyncSettings, UserSyncSettings } from '../core/integration-settings.ts';
import type { Integration } from '../store/integrations.ts';
import { ApiError } from './errors.ts';
import { providerDisplayName } from '../connectors/errors.ts';
import { DESCRIPTORS, descriptorOf } from '../providers/descriptors.ts';

export const GroupMappingEntrySchema = z
  .object({
    attribute: z.string().trim().min(1, 'attribute is required, e.g. "department"'),
    type: z.string().trim().min(1, 'type is required, e.g. "Department"').max(60),
    parent: z.string().trim().min(1).optional(),
    nameTemplate: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

/** Shape and self-consistency (groupable attributes, duplicates, parents, cycles, templates). */
export const GroupMappingSchema = z
  .array(GroupMappingEntrySchema)
  .max(20, 'at most 20 attributes can become groups')
  .superRefine((mapping, ctx) => {
    for (const problem of groupMappingProblems(mapping)) ctx.addIssue({ code: 'custom', path: problemPath(problem), message: problem.message });
  });

function problemPath(problem: GroupMappingProblem): (string | number)[] {
  return problem.index === undefined ? [] : [problem.index, ...(problem.part ? [problem.part] : [])];
}

/**
 * A 400 for a mapping's problems against the integration (`at`: where the request put the
 * mapping, e.g. `groupSync.mapping`), naming the entry and part at fault as schema errors do.
 */
export function requireValidGroupMapping(mapping: readonly GroupMappingEntry[], at: string, opts: { available: ReadonlySet<string>; sourceName: string }): void {
  const problems = groupMappingProblems(mapping, opts).map((p) => {
    const field = [at, ...problemPath(p)].join('.');
    return { field, message: `${field}: ${p.message}` };
  });
  const first = problems[0];
  if (first) throw new ApiError(400, 'invalid_request', first.message, { field: first.field, problems });
}

/**
 * Identity providers' own groups: `"all"`, or `{"include": [...]}` (names or e-mails, `*`
 * wildcards, case-insensitive; a picked group brings its nested groups); null turns them off.
 */
export const DirectoryGroupsSchema = z
  .union([
    z.literal('all'),
    z.strictObject({
      include: z
        .array(z.string().trim().min(1, 'an include pattern is empty').max(320))
        .min(1, 'include needs at least one group name or e-mail, e.g. ["Abt. *", "leaders@acme.example"]')
        .max(500),
    }),
  ])
  .describe('Directory groups to sync: "all", or {"include": ["Abt. *", "leaders@acme.example"]}');

export const GroupSyncPatch = z.object({ enabled: z.boolean(), mapping: GroupMappingSchema, directoryGroups: DirectoryGroupsSchema.nullable() }).partial().strict();
export type GroupSyncPatchBody = z.infer<typeof GroupSyncPatch>;

/** The ReFresh attributes an integration imports (its field mapping's targets). */
export function importedAttributes(userSync: UserSyncSettings): Set<string> {
  return new Set(Object.values(userSync.fieldMapping));
}

/**
 * The Group Sync settings a PATCH leads to, checked against the integration: every mapped
 * attribute must be imported (else its groups would stay empty: "group mapping not configured"),
 * and enabling needs a connected integration with User Auto-Sync on (group memberships are made
 * for the people User Auto-Sync brings in).
 */
export function resolveGroupSyncPatch(integration: Integration, patch: GroupSyncPatchBody, userSync: UserSyncSettings): GroupSyncSettings {
  const directoryGroups = patch.directoryGroups === undefined ? integration.groupSync.directoryGroups : (patch.directoryGroups ?? undefined);
  const next: GroupSyncSettings = {
    enabled: patch.enabled ?? integration.groupSync.enabled,
    mapping: patch.mapping ?? integration.groupSync.mapping,
    ...(directoryGroups ? { directoryGroups } : {}),
  };
  const source = providerDisplayName(integration.provider);
  if (patch.directoryGroups) requireDirectoryGroups(integration, 'groupSync.directoryGroups');
  if (patch.mapping) {
    requireValidGroupMapping(patch.mapping, 'groupSync.mapping', { available: importedAttributes(userSync), sourceName: source });
  }
  if (next.enabled && !integration.groupSync.enabled) {
    if (integration.connection.status !== 'connected') {
      throw new ApiError(409, 'not_connected', `Group Sync needs a connected integration; ${integration.name} is ${integration.connection.status}${integration.connection.detail ? ` (${integration.connection.detail})` : ''}. Connect it first.`, {
        connection: integration.connection.status,
      });
    }
    if (!userSync.enabled) {
      throw new ApiError(409, 'user_sync_disabled', `Group Sync puts the people User Auto-Sync brings in from ${source} into groups; turn on User Auto-Sync for ${integration.name} first (or in the same request).`);
    }
  }
  if (next.enabled && next.mapping.length === 0 && !next.directoryGroups) {
    const dir = descriptorOf(integration.provider)?.capabilities.directoryGroups ? ', or groupSync.directoryGroups: "all" for its own groups' : '';
    throw new ApiError(400, 'invalid_request', `groupSync.mapping: say which attributes become groups, e.g. [{"attribute": "department", "type": "Department"}]${dir}`, { field: 'groupSync.mapping' });
  }
  return next;
}

/** Refuses (400) an integration whose provider has no groups of its own (an HRIS). */
export function requireDirectoryGroups(integration: Integration, field: string): void {
  if (descriptorOf(integration.provider)?.capabilities.directoryGroups) return;
  const source = providerDisplayName(integration.provider);
  const idps = Object.values(DESCRIPTORS).filter((d) => d.capabilities.directoryGroups).map((d) => d.name).join(' and ');
  throw new ApiError(400, 'invalid_request', `${field}: ${source} has no groups of its own to sync; directory groups come from ${idps}. Use groupSync.mapping for ${source}'s departments, locations and the like.`, { field });
}

/** Whether a change of Group Sync settings should start a sync now. */
export function groupSyncNeedsRun(before: GroupSyncSettings, after: GroupSyncSettings): boolean {
  if (!after.enabled) return false;
  return !before.enabled || JSON.stringify(before.mapping) !== JSON.stringify(after.mapping) || JSON.stringify(before.directoryGroups ?? null) !== JSON.stringify(after.directoryGroups ?? null);
}
