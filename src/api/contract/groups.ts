import { z } from 'zod';
import { DirectoryGroupsSchema, GroupMappingSchema } from '../../app/group-sync-settings.ts';
import { Id, QueryBoolean, Timestamp, pageOf, paging } from './common.ts';
import { GroupMappingEntryOut } from './integrations.ts';

// ---- requests ----

export const GroupListQuery = z.strictObject({
  view: z.enum(['tree', 'flat']).default('flat'),
  type: z.string().max(60).optional(),
  q: z.string().max(200).optional(),
  integrationId: z.string().max(100).optional(),
  origin: z.enum(['synced', 'manual']).optional(),
  includeArchived: QueryBoolean.optional(),
  parentId: z.string().max(100).optional().describe('Tree view: the sub-groups of this group (default: the top level)'),
  ...paging,
});
export type GroupListQueryT = z.infer<typeof GroupListQuery>;

export const CreateGroupBody = z.strictObject({
  name: z.string().trim().min(1, 'name is required').max(200),
  type: z.string().trim().min(1).max(60).default('Group'),
  parentId: z.string().min(1).max(100).nullable().optional(),
});

export const PatchGroupBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    type: z.string().trim().min(1).max(60),
    parentId: z.string().min(1).max(100).nullable(),
    archived: z.boolean(),
  })
  .partial();

export const MembersBody = z
  .strictObject({ employeeIds: z.array(z.string().min(1).max(100)).min(1).max(1000).optional(), employeeId: z.string().min(1).max(100).optional() })
  .refine((b) => b.employeeIds || b.employeeId, { message: 'give employeeIds (a list) or employeeId', path: ['employeeIds'] });

export const MemberListQuery = z.strictObject({ origin: z.enum(['synced', 'manual']).optional(), ...paging });
export const MemberParams = z.strictObject({ id: Id, employeeId: Id });
export const RemoveMemberQuery = z.strictObject({ employeeId: Id.optional() });

export const GroupPreviewBody = z.strictObject({ mapping: GroupMappingSchema.optional(), limit: z.number().int().min(1).max(1000).optional().describe('How many groups the tree shows at most (default 200); childCount tells what each has') });

export const DirectoryPreviewBody = z.strictObject({
  directoryGroups: DirectoryGroupsSchema.optional().describe('The selection to preview (default: the saved one, else "all")'),
  limit: z.number().int().min(1).max(1000).optional().describe('How many groups the tree and the list of groups left out show at most (default 200)'),
});

// ---- responses ----

export const Group = z
  .object({
    id: Id,
    name: z.string(),
    type: z.string(),
    parentId: z.string().nullable(),
    origin: z.enum(['synced', 'manual']),
    archived: z.boolean(),
    archivedAt: Timestamp.nullable(),
    headcount: z.number().int().describe('Distinct active people in the group and its sub-groups'),
    integrationId: z.string().nullable(),
    source: z.object({ integrationId: z.string().nullable(), provider: z.string().nullable(), attribute: z.string().nullable(), key: z.string().nullable() }).nullable(),
    locked: z.boolean(),
    lockedBy: z.string().optional(),
    alsoIn: z
      .array(z.object({ id: z.string(), name: z.string() }))
      .optional()
      .describe('Further parents: groups it is nested in besides its place in the tree (parentId), as Google and Entra allow; each counts its people'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Group' });

const LinkedGroup = z.object({ id: z.string(), name: z.string(), type: z.string(), headcount: z.number().int() });

type GroupNodeT = z.infer<typeof Group> & { childCount: number; alsoHere?: z.infer<typeof LinkedGroup>[]; children: GroupNodeT[] };
export const GroupNode: z.ZodType<GroupNodeT> = Group.extend({
  alsoHere: z.array(LinkedGroup).optional().describe('Groups nested here as a further parent (their place in the tree is elsewhere); counted in this headcount'),
  childCount: z.number().int().describe('Sub-groups it has; `children` holds them when they fit in the page, else ask with parentId'),
  get children() {
    return z.array(GroupNode);
  },
}).meta({ id: 'GroupNode' });

export const GroupListPage = pageOf(z.union([GroupNode, Group]));

export const GroupMember = z.object({
  employeeId: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
  status: z.string(),
  origin: z.enum(['synced', 'manual']),
  integrationId: z.string().nullable(),
  since: Timestamp,
});
export const GroupMemberPage = pageOf(GroupMember);

export const GroupDetail = Group.extend({
  path: z.array(z.object({ id: z.string(), name: z.string() })),
  childCount: z.number().int().describe('Sub-groups it has (children lists the first 200 of them)'),
  children: z.array(Group),
  alsoHere: z.array(LinkedGroup).describe('Groups nested here as a further parent (their place in the tree is elsewhere)'),
  members: z.array(GroupMember),
  membersNextCursor: z.string().nullable(),
}).meta({ id: 'GroupDetail' });

export const MembersAdded = z.object({ added: z.number().int(), groupId: z.string() });
export const MembersRemoved = z.object({ removed: z.number().int(), groupId: z.string(), stillMemberThroughSync: z.array(z.string()).optional() });

type PreviewNodeT = { id: string | null; name: string; type: string; attribute: string; parentId: string | null; status: string; headcount: number; members: number; childCount: number; children: PreviewNodeT[] };
export const GroupPreviewNode: z.ZodType<PreviewNodeT> = z
  .object({
    id: z.string().nullable().describe('null for a group the mapping would create'),
    name: z.string(),
    type: z.string(),
    attribute: z.string(),
    parentId: z.string().nullable(),
    status: z.string(),
    headcount: z.number().int(),
    members: z.number().int(),
    childCount: z.number().int().describe('Sub-groups it would have; children holds those that fit in the answer'),
    get children() {
      return z.array(GroupPreviewNode);
    },
  })
  .meta({ id: 'GroupPreviewNode' });

export const GroupSyncPreview = z
  .object({
    mapping: z.array(GroupMappingEntryOut),
    basedOn: z.object({ people: z.number().int(), lastRunId: z.string().nullable(), lastRunFinishedAt: Timestamp.nullable() }),
    groups: z.array(GroupPreviewNode),
    groupsTotal: z.number().int().describe('Groups the mapping would make in all'),
    changes: z.object({
      create: z.number().int(),
      rename: z.number().int(),
      move: z.number().int(),
      archive: z.number().int(),
      revive: z.number().int(),
      membershipsAdded: z.number().int(),
      membershipsRemoved: z.number().int(),
      archived: z.array(z.object({ id: z.string(), name: z.string(), reason: z.string() })),
    }),
    note: z.string().optional(),
  })
  .meta({ id: 'GroupSyncPreview' });

type DirectoryPreviewNodeT = {
  id: string | null;
  key: string;
  name: string;
  email: string | null;
  kind: string;
  pickedBy: string;
  status: string;
  people: number;
  headcount: number;
  skipped: number;
  alsoIn: string[];
  childCount: number;
  children: DirectoryPreviewNodeT[];
};
export const DirectoryPreviewNode: z.ZodType<DirectoryPreviewNodeT> = z
  .object({
    id: z.string().nullable().describe('The ReFresh group it is synced as; null for a group the next sync would create'),
    key: z.string().describe("The provider's id of the group"),
    name: z.string(),
    email: z.string().nullable(),
    kind: z.string().describe('"Security group", "Microsoft 365 group", "Dynamic group", "Google group", …'),
    pickedBy: z.string().describe('Why it is picked: "all", the include pattern that names it, or "nested in <group>"'),
    status: z.enum(['new', 'existing', 'revived']),
    people: z.number().int().describe('Distinct people in the group and its nested groups in the source'),
    headcount: z.number().int().describe('Distinct ReFresh employees it would count, sub-groups included (what the Groups tree shows after the sync)'),
    skipped: z.number().int().describe('Direct members that would not be synced (not ReFresh employees: guests, people out of scope, service principals, …)'),
    alsoIn: z.array(z.string()).describe('The other picked groups it is nested in besides the one it shows under (it is not copied: those count its people too)'),
    childCount: z.number().int().describe('Nested groups it has; children holds those that fit in the answer'),
    get children() {
      return z.array(DirectoryPreviewNode);
    },
  })
  .meta({ id: 'DirectoryPreviewNode' });

export const DirectoryGroupsPreview = z
  .object({
    basis: z.literal('live from the provider'),
    type: z.string().describe('The type the groups get: "Google group" or "Entra group"'),
    directoryGroups: DirectoryGroupsSchema,
    total: z.number().int().describe('Groups in the source'),
    selected: z.number().int().describe('Groups the selection picks, nested ones included'),
    patterns: z.array(z.object({ pattern: z.string(), matches: z.number().int() })).describe('Each include pattern and how many groups it names itself (0: a typo?)'),
    groups: z.array(DirectoryPreviewNode).describe('The picked groups as they would nest'),
    left: z.array(z.object({ key: z.string(), name: z.string(), email: z.string().nullable(), kind: z.string(), people: z.number().int() })).describe('Groups the selection leaves out (the first ones by name)'),
    leftTotal: z.number().int(),
    changes: z.object({ create: z.number().int(), rename: z.number().int(), move: z.number().int(), archive: z.number().int(), revive: z.number().int(), membershipsAdded: z.number().int(), membershipsRemoved: z.number().int() }),
  })
  .meta({ id: 'DirectoryGroupsPreview' });
