import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import {
  CreateGroupBody,
  GroupListQuery,
  MemberListQuery,
  PatchGroupBody,
  PreviewBody,
  addManualMembers,
  createManualGroup,
  groupDetail,
  listGroupsFor,
  listMembers,
  patchGroup,
  previewGroupSync,
  removeManualMembers,
} from '../../app/groups-service.ts';

const IdParams = z.object({ id: z.string().min(1) });
const MemberParams = z.object({ id: z.string().min(1), employeeId: z.string().min(1) });

/** Groups (DESIGN.md §4) and the Group Sync preview. Bodies are validated by the service, with messages naming the field at fault. */
export function groupRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['groups'];

    app.get('/groups', { schema: { tags, summary: 'Groups, flat (paged by id) or as a tree; headcount counts distinct active people in the group and its sub-groups', querystring: GroupListQuery } }, async (request) => {
      return listGroupsFor(ctx, request.tenantId, request.query);
    });

    app.post('/groups', { schema: { tags, summary: 'Create a manual group', body: CreateGroupBody.partial().passthrough() } }, async (request, reply) => {
      return reply.status(201).send(await createManualGroup(ctx, request.tenantId, request.body));
    });

    app.get('/groups/:id', { schema: { tags, summary: 'One group with its path, sub-groups and members (each membership with its origin)', params: IdParams } }, async (request) => {
      return groupDetail(ctx, request.tenantId, request.params.id);
    });

    app.patch('/groups/:id', { schema: { tags, summary: "Rename, retype, re-nest or archive a manual group; a synced group's name, type and parent are locked (409 group_locked)", params: IdParams, body: PatchGroupBody.passthrough() } }, async (request) => {
      return patchGroup(ctx, request.tenantId, request.params.id, request.body);
    });

    app.get('/groups/:id/members', { schema: { tags, summary: 'Direct members with the origin of each membership (synced or manual)', params: IdParams, querystring: MemberListQuery } }, async (request) => {
      return listMembers(ctx, request.tenantId, request.params.id, request.query);
    });

    app.post('/groups/:id/members', { schema: { tags, summary: 'Add manual members ({"employeeIds": [...]}); sync never removes them', params: IdParams, body: z.object({ employeeIds: z.array(z.string()).optional(), employeeId: z.string().optional() }).passthrough() } }, async (request, reply) => {
      return reply.status(201).send(await addManualMembers(ctx, request.tenantId, request.params.id, request.body));
    });

    app.delete('/groups/:id/members', { schema: { tags, summary: 'Remove manual members ({"employeeIds": [...]} or ?employeeId=); a synced membership answers 409', params: IdParams, querystring: z.object({ employeeId: z.string().optional() }) } }, async (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const fromQuery = request.query.employeeId ? { employeeId: request.query.employeeId } : {};
      return removeManualMembers(ctx, request.tenantId, request.params.id, { ...body, ...fromQuery });
    });

    app.delete('/groups/:id/members/:employeeId', { schema: { tags, summary: 'Remove one manual member; a synced membership answers 409', params: MemberParams } }, async (request) => {
      return removeManualMembers(ctx, request.tenantId, request.params.id, { employeeId: request.params.employeeId });
    });

    app.post('/integrations/:id/group-sync/preview', { schema: { tags: ['integrations', 'groups'], summary: 'The groups (tree) and headcounts a group mapping would produce from the last fetched data, without saving', params: IdParams, body: PreviewBody.partial().passthrough().optional() } }, async (request) => {
      return previewGroupSync(ctx, request.tenantId, request.params.id, request.body ?? {});
    });
  };
}
