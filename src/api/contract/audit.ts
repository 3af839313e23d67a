import { z } from 'zod';
import { Id, Timestamp, pageOf, paging } from './common.ts';

export const AuditQuery = z.strictObject({
  employeeId: Id.optional(),
  integrationId: Id.optional(),
  actor: z.enum(['admin', 'system', 'run']).optional(),
  ...paging,
});

export const AuditEntry = z
  .object({
    id: z.string(),
    at: Timestamp,
    actor: z.object({ type: z.enum(['admin', 'system', 'run']), id: z.string().nullable(), integrationId: z.string().nullable().optional() }),
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
    createdAt: Timestamp,
    resolvedAt: Timestamp.nullable(),
  })
  .meta({ id: 'CorrelationCase' });
export const CorrelationCasePage = pageOf(CorrelationCase).extend({ total: z.number().int().describe('Every case matching the filter, across pages') });
