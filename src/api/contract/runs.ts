import { z } from 'zod';
import { RUN_STATUSES, type RunPhase } from '../../core/run-states.ts';
import { Id, IdParams, Timestamp, pageOf, paging } from './common.ts';

const PHASES = ['queued', 'fetching', 'planned', 'applying', 'groups', 'done'] as const satisfies readonly RunPhase[];
// Both ways: a phase added to the engine must be added here (else its runs could not be presented).
const _everyPhase: readonly (typeof PHASES)[number][] = [] as RunPhase[];

export const RunCounts = z
  .object({
    fetched: z.number().int(),
    inScope: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    deactivated: z.number().int(),
    reactivated: z.number().int(),
    unchanged: z.number().int().describe('Synced people the run found with nothing to change'),
    skipped: z.number().int().describe('People in the source the run did not sync (out of scope, or not creatable, e.g. no work e-mail), never counted unchanged; the run that first skips someone lists them among its changes with the reason'),
    failed: z.number().int(),
  })
  .meta({ id: 'RunCounts' });

export const RunRetry = z
  .object({
    reason: z.enum(['rate_limited', 'provider_unavailable', 'network']),
    status: z.number().int().nullable().describe('The HTTP status that asked to wait (429, 503), when there was one'),
    attempt: z.number().int().describe('The attempt that failed; the next starts at `until`'),
    until: Timestamp.describe('When the next attempt starts'),
  })
  .meta({ id: 'RunRetry', description: 'The run is waiting before retrying a provider call' });

export const RunProgress = z
  .object({
    phase: z.enum(PHASES).describe('queued → fetching → planned → applying → groups → done'),
    fetched: z.number().int().describe('People read from the provider so far'),
    total: z.number().int().nullable().describe('People the provider says it has (or that changed), when it tells'),
    applied: z.number().int(),
    toApply: z.number().int(),
    percent: z.number().int().min(0).max(100).nullable().describe('How far the whole run is, when it can be known'),
    message: z.string().nullable(),
    retry: RunRetry.nullable().describe('Set while the run waits to retry a provider call (e.g. after a 429)'),
  })
  .meta({ id: 'RunProgress' });

export const RunError = z.object({ code: z.string(), message: z.string() }).meta({ id: 'RunError' });

export const RunSafeguard = z
  .object({
    wouldHold: z.boolean().describe('Whether the safeguard held the run (for a dry run: would have held it)'),
    reason: z.string().describe('Why, in words: the deactivations against the limit'),
  })
  .meta({ id: 'RunSafeguard', description: "The safeguard's verdict on the run's plan" });

export const Run = z
  .object({
    id: Id,
    integrationId: Id,
    trigger: z.string().describe('manual, schedule, webhook, start, cli, config or reconnect (the verification run after a Reconnect)'),
    mode: z.enum(['full', 'incremental']),
    dryRun: z.boolean(),
    status: z.enum(RUN_STATUSES),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    counts: RunCounts.describe('What the run did: fetched, inScope, unchanged, skipped and failed as seen; created, updated, deactivated and reactivated as far as applied (a failed run counts only what it applied). A dry run applies nothing: its counts are what it would have done'),
    planned: RunCounts.nullable().describe('What the plan staged; null until planning ends'),
    safeguard: RunSafeguard.nullable().describe("The safeguard's verdict; null until planning ends"),
    progress: RunProgress,
    error: RunError.nullable(),
  })
  .meta({ id: 'Run' });
export type RunT = z.infer<typeof Run>;

export const CHANGE_KINDS = ['created', 'updated', 'deactivated', 'reactivated', 'skipped', 'failed', 'group_created', 'group_renamed', 'group_updated', 'group_moved', 'group_archived', 'group_revived', 'membership_added', 'membership_removed'] as const;

export const RunChange = z
  .object({
    seq: z.number().int(),
    kind: z.enum(CHANGE_KINDS),
    employeeId: z.string().nullable(),
    externalId: z.string().nullable(),
    displayName: z.string().nullable(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    reason: z.string().nullable(),
    applied: z.boolean(),
  })
  .meta({ id: 'RunChange' });

export const RunListQuery = z.strictObject({ integrationId: Id.optional(), ...paging });
export const RunChangesQuery = z.strictObject({ kind: z.enum(CHANGE_KINDS).optional(), ...paging });
export const RunPage = pageOf(Run);
export const RunChangePage = pageOf(RunChange);
export { IdParams };
