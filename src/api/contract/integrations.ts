import { z } from 'zod';
import { CADENCES, FieldMappingSchema, SafeguardPatchSchema, ScopeSchema } from '../../core/integration-settings.ts';
import { GroupSyncPatch } from '../../app/group-sync-settings.ts';
import { PROVIDER_IDS as PROVIDERS, type ProviderId } from '../../providers/descriptors.ts';
import { Id, Timestamp, pageOf } from './common.ts';
import { Run } from './runs.ts';

// ---- requests ----

export const CreateIntegrationBody = z.strictObject({
  provider: z.enum(PROVIDERS as [ProviderId, ...ProviderId[]], { message: `provider must be one of: ${PROVIDERS.join(', ')}` }),
  name: z.string().trim().min(1).max(100).optional(),
  settings: z.record(z.string().max(100), z.unknown()).default({}).describe("The provider's settings (its descriptor's settings schema, GET /providers), e.g. companyDomain and baseUrl"),
  credentials: z.record(z.string().max(100), z.string().max(10_000)).optional().describe("The provider's credentials (its descriptor's credentials schema); tried before anything is stored"),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().describe('Any unique string per create (e.g. a UUID per form): the same request sent again with it answers the integration it created instead of a second one'),
});

export const UserSyncPatch = z
  .strictObject({
    enabled: z.boolean(),
    cadence: z.enum(CADENCES),
    scope: ScopeSchema,
    fieldMapping: FieldMappingSchema,
    outOfScopeAction: z.enum(['deactivate', 'ignore']),
    safeguard: SafeguardPatchSchema,
  })
  .partial();

export const PatchIntegrationBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    settings: z.record(z.string().max(100), z.unknown()),
    userSync: UserSyncPatch,
    groupSync: GroupSyncPatch,
    priority: z.number().int().min(1, 'priority is a rank: 1 is the highest'),
  })
  .partial();

export const SyncBody = z.strictObject({ mode: z.enum(['full', 'incremental']).default('incremental'), dryRun: z.boolean().default(false) });

export const ConnectBody = z.strictObject({
  credentials: z.record(z.string().max(100), z.string().max(10_000)).optional().describe('Reconnect with new credentials (same integration, links and settings)'),
  oauthClient: z.strictObject({ clientId: z.string().min(1).max(500), clientSecret: z.string().min(1).max(500) }).optional().describe("Bring-your-own OAuth app; otherwise ReFresh's app for the provider"),
});

export const ScopePreviewBody = z.strictObject({ scope: ScopeSchema, outOfScopeAction: z.enum(['deactivate', 'ignore']).optional() });

// ---- responses ----

const ScopeOut = z.object({
  groups: z.array(
    z.object({
      name: z.string().optional(),
      conditions: z.array(z.object({ field: z.string(), operator: z.enum(['in', 'notIn', 'empty', 'notEmpty']), values: z.array(z.string()).optional() })),
    }),
  ),
});

export const GroupMappingEntryOut = z.object({ attribute: z.string(), type: z.string(), parent: z.string().optional(), nameTemplate: z.string().optional() });

export const HEALTH_STATES = ['healthy', 'never_run', 'running', 'disabled', 'authorisation_expired', 'provider_unavailable', 'failing', 'blocked_by_safeguard', 'disconnected'] as const;
export const CONNECTION_STATUSES = ['connected', 'disconnected', 'expired', 'revoked', 'error'] as const;

export const Health = z
  .object({
    state: z.enum(HEALTH_STATES),
    message: z.string().describe('One sentence about the integration, for an admin'),
    statusPageUrl: z.string().nullable().describe("The provider's status page"),
    nextAttemptAt: Timestamp.nullable().describe('When a failing integration is tried again (shown in the viewer\'s time zone)'),
  })
  .meta({ id: 'Health' });

export const Integration = z
  .object({
    id: Id,
    provider: z.string(),
    name: z.string(),
    priority: z.number().int(),
    settings: z.record(z.string(), z.unknown()),
    connection: z.object({ status: z.enum(CONNECTION_STATUSES), detail: z.string().nullable(), changedAt: Timestamp }),
    userSync: z.object({
      enabled: z.boolean(),
      cadence: z.enum(CADENCES),
      scope: ScopeOut,
      fieldMapping: z.record(z.string(), z.string()),
      outOfScopeAction: z.enum(['deactivate', 'ignore']),
      safeguard: z.object({ maxDeactivationPercent: z.number(), minPopulation: z.number().int(), maxDeactivations: z.number().int().nullable() }),
      lastRun: Run.nullable(),
      nextRunAt: Timestamp.nullable(),
    }),
    groupSync: z.object({ enabled: z.boolean(), mapping: z.array(GroupMappingEntryOut), directoryGroups: z.union([z.literal('all'), z.object({ include: z.array(z.string()) })]).nullable().optional().describe('Identity providers only (Google Workspace, Entra ID): which of their own groups sync ("all" or include patterns); null: none') }),
    health: Health,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Integration' });
export type IntegrationT = z.infer<typeof Integration>;

export const IntegrationPage = pageOf(Integration);
export const Disconnected = Integration.extend({ revoked: z.boolean().describe('Whether the provider confirmed the grant was revoked') });
export const SyncAccepted = z.object({ runId: Id });
export const OAuthStart = z.object({ authorizeUrl: z.string(), expiresAt: Timestamp, redirectUri: z.string() }).meta({ id: 'OAuthStart' });

const PreviewPerson = z.object({
  externalId: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  department: z.string().nullable(),
  location: z.string().nullable(),
  reason: z.string().describe('Why they are in (the rule group they match) or out (the conditions they miss)'),
  linked: z.boolean(),
});

export const ScopePreview = z
  .object({
    basis: z.enum(['last fetched data', 'live from the provider']),
    total: z.number().int(),
    inScope: z.number().int(),
    outOfScope: z.number().int(),
    wouldDeactivate: z.number().int(),
    wouldAdd: z.number().int(),
    byRule: z.record(z.string(), z.number().int()),
    sampleIn: z.array(PreviewPerson),
    sampleOut: z.array(PreviewPerson),
  })
  .meta({ id: 'ScopePreview' });
