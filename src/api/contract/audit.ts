import { z } from 'zod';
import { Id, Timestamp, pageOf, paging } from './common.ts';

export const AuditQuery = z.strictObject({
  employeeId: Id.optional(),
  integrationId: Id.optional(),
  actor: z.enum(['admin', 'system', 'run', 'operator']).optional(),
  ...paging,
});

export const AuditEntry = z
  .object({
    id: z.string(),
    at: Timestamp,
    actor: z.object({ type: z.enum(['admin', 'system', 'run', 'operator']).describe('operator: someone at the refresh CLI on a server'), id: z.string().nullable(), integrationId: z.string().nullable().optional() }),
    action: z.string().describe('e.g. employee.updated, integration.removed'),
    entity: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable().optional() }),
    before: z.unknown(),
    after: z.unknown(),
    reason: z.string().nullable().optional(),
  })
  .meta({ id: 'AuditEntry' });
export const AuditPage = pageOf(AuditEntry);

export const CorrelationCaseQuery = z.strictObject({ status: z.enum(['open', 'resolved']).optional(), ...paging });

export const ResolveCaseBody = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('link'), employeeId: Id }),
  z.strictObject({ action: z.literal('create') }),
]);

export const CorrelationCase = z
  .object({
    id: Id,
    integrationId: z.string(),
    externalId: z.string(),
    displayName: z.string().nullable(),
    email: z.string().nullable(),
    reason: z.string(),
    candidates: z.array(z.string()).describe('Employee ids the record could be'),
    status: z.enum(['open', 'resolved']),
    resolution: z.object({ action: z.enum(['link', 'create']), employeeId: z.string() }).nullable(),
    suggestedEmployeeId: z.string().nullable().describe('The candidate "Link all suggested" links an open case to: its only candidate, or the one whose work e-mail is the record\'s; null when the candidates are equally likely'),
    createdAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
  })
  .meta({ id: 'CorrelationCase' });
export const BulkResolveBody = z.strictObject({
  action: z.enum(['link-suggested', 'create']).describe('link-suggested: link each case to its suggested employee; create: a new employee for each'),
  caseIds: z.array(Id).max(500).optional().describe('Only these cases; every open case when absent (at most 500 a request)'),
});

export const BulkResolveResult = z
  .object({
    action: z.enum(['link-suggested', 'create']),
    succeeded: z.number().int().describe('Cases decided'),
    failed: z.array(z.object({ caseId: z.string(), name: z.string().describe('Who the case is about'), reason: z.string().describe('Why it was not decided, in words') })).describe('Cases left open, each with why'),
    remaining: z.number().int().describe('Open cases this request did not reach (it decides at most 500): send it again'),
  })
  .meta({ id: 'BulkResolveResult' });

export const CorrelationCasePage = pageOf(CorrelationCase).extend({ total: z.number().int().describe('Every case matching the filter, across pages') });
