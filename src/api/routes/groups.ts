import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { addManualMembers, createManualGroup, groupDetail, listGroupsFor, listMembers, patchGroup, previewGroupSync, removeManualMembers } from '../../app/groups-service.ts';
import { previewDirectoryGroups } from '../../app/directory-preview.ts';
import { IdParams, optionalBody, responses } from '../contract/common.ts';
import {
  CreateGroupBody,
  DirectoryGroupsPreview,
  DirectoryPreviewBody,
  GroupDetail,
  GroupListPage,
  GroupListQuery,
  GroupMemberPage,
  GroupPreviewBody,
  GroupSyncPreview,
  MemberListQuery,
  MemberParams,
  MembersAdded,
  MembersBody,
  MembersRemoved,
  PatchGroupBody,
  RemoveMemberQuery,
} from '../contract/groups.ts';

/** Groups (DESIGN.md §4) and the Group Sync preview. */
export function groupRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['groups'];

    app.get(
      '/groups',
      { config: { readCache: true }, schema: { tags, summary: 'Groups, flat (paged by id) or as a tree (view=tree: each with its children); headcount counts distinct active people in the group and its sub-groups', querystring: GroupListQuery, response: responses({ 200: GroupListPage }, 400) } },
      async (request) => listGroupsFor(ctx, request.tenantId, request.query),
    );

    app.post('/groups', { schema: { tags, summary: 'Create a manual group', body: CreateGroupBody, response: responses({ 201: GroupDetail }, 400) } }, async (request, reply) => {
      return reply.status(201).send(await createManualGroup(ctx, request.tenantId, request.body));
    });

    app.get('/groups/:id', { config: { readCache: true }, schema: { tags, summary: 'One group with its path, sub-groups and members (each membership with its origin)', params: IdParams, response: responses({ 200: GroupDetail }, 404) } }, async (request) => {
      return groupDetail(ctx, request.tenantId, request.params.id);
    });

    app.patch(
      '/groups/:id',
      { schema: { tags, summary: "Rename, retype, re-nest or archive a manual group; a synced group's name, type and parent are locked (409 group_locked)", params: IdParams, body: PatchGroupBody, response: responses({ 200: GroupDetail }, 400, 404, 409) } },
      async (request) => patchGroup(ctx, request.tenantId, request.params.id, request.body),
    );

    app.get(
      '/groups/:id/members',
      { schema: { tags, summary: 'Direct members with the origin of each membership (synced or manual)', params: IdParams, querystring: MemberListQuery, response: responses({ 200: GroupMemberPage }, 400, 404) } },
      async (request) => listMembers(ctx, request.tenantId, request.params.id, request.query),
    );

    app.post(
      '/groups/:id/members',
      { schema: { tags, summary: 'Add manual members ({"employeeIds": [...]}); sync never removes them', params: IdParams, body: MembersBody, response: responses({ 201: MembersAdded }, 400, 404, 409) } },
      async (request, reply) => reply.status(201).send(await addManualMembers(ctx, request.tenantId, request.params.id, request.body)),
    );

    app.delete(
      '/groups/:id/members',
      { schema: { tags, summary: 'Remove manual members (?employeeId=, or {"employeeIds": [...]}); a synced membership answers 409', params: IdParams, querystring: RemoveMemberQuery, body: optionalBody(MembersBody), response: responses({ 200: MembersRemoved }, 400, 404, 409) } },
      async (request) => {
        const fromQuery = request.query.employeeId ? { employeeId: request.query.employeeId } : {};
        return removeManualMembers(ctx, request.tenantId, request.params.id, { ...(request.body ?? {}), ...fromQuery });
      },
    );

    app.delete(
      '/groups/:id/members/:employeeId',
      { schema: { tags, summary: 'Remove one manual member; a synced membership answers 409', params: MemberParams, response: responses({ 200: MembersRemoved }, 404, 409) } },
      async (request) => removeManualMembers(ctx, request.tenantId, request.params.id, { employeeId: request.params.employeeId }),
    );

    app.post(
      '/integrations/:id/group-sync/directory-preview',
      {
        schema: {
          tags: ['integrations', 'groups'],
          summary: 'Which Google or Entra groups a directoryGroups selection ("all" or include patterns) picks, nested, with people and headcounts, read live from the provider, without saving',
          params: IdParams,
          body: optionalBody(DirectoryPreviewBody),
          response: responses({ 200: DirectoryGroupsPreview }, 400, 404, 409, 502),
        },
      },
      async (request) => previewDirectoryGroups(ctx, request.tenantId, request.params.id, request.body ?? {}),
    );

    app.post(
      '/integrations/:id/group-sync/preview',
      { schema: { tags: ['integrations', 'groups'], summary: 'The groups (tree) and headcounts a group mapping would produce from the last fetched data, without saving', params: IdParams, body: optionalBody(GroupPreviewBody), response: responses({ 200: GroupSyncPreview }, 400, 404) } },
      async (request) => previewGroupSync(ctx, request.tenantId, request.params.id, request.body ?? {}),
    );
  };
}
