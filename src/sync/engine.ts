import type { Logger } from 'pino';
import type { Transaction } from 'kysely';
import type { Vault } from '../auth/vault.ts';
import { markAuthFailure } from '../auth/oauth/credentials.ts';
import { emptyCounts, FINISHED_STATUSES, type RunCounts, type RunStatus } from '../core/run-states.ts';
import { isProviderError, providerDisplayName as providerName } from '../connectors/errors.ts';
import type { Metrics } from '../metrics.ts';
import type { HttpPolicy, RetryInfo } from '../connectors/types.ts';
import type { Store } from '../store/db.ts';
import { saveCursor } from '../store/cursors.ts';
import { nowIso, parseJson } from '../store/ids.ts';
import { getIntegration, updateIntegration, type Integration } from '../store/integrations.ts';
import { deleteUnappliedChanges } from '../store/run-changes.ts';
import { LeaseLostError, type RunLease } from '../store/run-lease.ts';
import { getRunRow, saveRunRetry, toRun, transitionRun, type Run, type RunError } from '../store/runs.ts';
import type { Database, RunRow } from '../store/schema.ts';
import { getTenant } from '../store/tenants.ts';
import { refreshHeadcounts } from '../store/group-headcounts.ts';
import { ANALYZE_AFTER_WRITES, refreshPlannerStatistics } from '../store/planner-statistics.ts';
import { applyChanges, reresolveShared } from './apply.ts';
import { connectorFor } from './connector.ts';
import { configHash } from './evaluate.ts';
import { FencedRun } from './fenced-run.ts';
import { fetchAndPlan, safeguardSummary } from './fetch-plan.ts';
import { runGroupStep, type GroupStepDeps, type GroupStepResult } from './group-step.ts';
import { groupFingerprint, type PlanBasis } from './plan-basis.ts';
import { classifyRunError, RunFailure } from './run-errors.ts';
import { nextRunAt } from './schedule.ts';

export interface EngineDeps {
  readonly store: Store;
  readonly vault: Vault;
  readonly logger: Logger;
  /** Shorter retry policies in tests. */
  readonly httpPolicy?: Partial<HttpPolicy>;
  readonly now?: () => Date;
  /** Called after each applied batch (tests use it to simulate a crash mid-apply). */
  readonly onApplyBatch?: (runId: string, appliedSeq: number) => void | Promise<void>;
  /**
   * Fault injection for tests: called at each named point of a run; what it throws ends the run
   * there as a crash would (a LeaseLostError: the worker stops without another write). Points
   * inside a write ('stage', 'apply', 'groups') throw before that transaction commits.
   */
  readonly crashAt?: (point: CrashPoint, runId: string) => void | Promise<void>;
  readonly providerPageSize?: number;
  /** Run durations, outcomes, people written and provider errors (src/metrics.ts). */
  readonly metrics?: Metrics;
}

/** What a run's steps share: its row as claimed, its fenced writer, its integration and log. */
/** Where a test may make a run crash (EngineDeps.crashAt). */
export type CrashPoint = 'fetch' | 'stage' | 'apply' | 'groups';

interface RunScope {
  readonly deps: EngineDeps;
  readonly row: RunRow;
  readonly run: FencedRun;
  readonly integration: Integration;
  readonly counts: RunCounts;
  readonly log: Logger;
  readonly groups: GroupStepDeps;
}

/**
 * Executes a claimed run from wherever it stands: fetch and plan (restarted from scratch if a
 * previous worker died mid-fetch, since nothing was applied), safeguard, then apply in batched
 * transactions that move the run's watermark, so a resumed apply continues where it stopped.
 *
 * Every write goes through the run's lease (FencedRun): a worker that lost the run to another
 * stops at its next write without writing, and answers null.
 */
export async function executeRun(parent: EngineDeps, claimed: RunRow, lease: RunLease, opts: { signal?: AbortSignal; clock?: () => Date } = {}): Promise<Run | null> {
  const log = parent.logger.child({ runId: claimed.id, integrationId: claimed.integration_id, lease: lease.lease });
  // Every line the run writes, through any step (connector, OAuth refresh, groups), names the run and its integration.
  const deps: EngineDeps = { ...parent, logger: log };
  const run = new FencedRun(deps.store, lease, opts.clock ?? (() => new Date()), opts.signal);
  const counts: RunCounts = { ...emptyCounts(), ...parseJson<Partial<RunCounts>>(claimed.counts, {}) };
  let integration: Integration | undefined;
  let failure: unknown;
  try {
    integration = await getIntegration(deps.store.db, claimed.tenant_id, claimed.integration_id);
    if (!integration) throw new RunFailure('integration_missing', 'The integration was removed before the run started.');
    const found = integration;
    // One connector (one credential refresh) serves the fetch and the group step.
    // A provider call that waits to retry (a 429's Retry-After) shows on the run: "retrying after 429 in 7 s".
    const onRetry = (info: RetryInfo) => {
      const until = new Date((deps.now?.() ?? new Date()).getTime() + info.delayMs).toISOString();
      const retry = { reason: info.reason === 'bad_body' ? ('provider_unavailable' as const) : info.reason, status: info.status ?? null, attempt: info.attempt, until };
      run.write((trx) => saveRunRetry(trx, claimed.id, retry)).catch((error: unknown) => log.debug({ err: error }, 'could not record the retry on the run'));
    };
    const connector = once(() => connectorFor(deps, found, onRetry));
    const scope: RunScope = { deps, row: claimed, run, integration, counts, log, groups: { store: deps.store, run, connector, log, ...(deps.crashAt && { crashAt: () => deps.crashAt!('groups', claimed.id) }) } };
    if (claimed.phase === 'groups') {
      // An approved hold on group archives: people were applied before; archive the groups the
      // admin approved. An archive the plan has now beyond those is held again, never applied unseen.
      const approved = new Set(parseJson<PlanBasis | null>(claimed.plan_basis, null)?.heldArchives?.groups ?? []);
      const groups = await runGroupStep(scope.groups, claimed, integration, { approvedArchives: approved });
      await refreshHeadcountsIfChanged(scope, groups.changes);
      if (groups.heldReason) await holdGroupArchives(scope, groups);
      else await finishRun(scope, 'succeeded', null);
    } else {
      const next = await planIfNeeded(scope, connector);
      if (next !== 'done') await applyAndFinish(scope, next === 'apply');
    }
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn({ err: error }, "lost the run's lease to another worker: stopped without writing");
      return null;
    }
    failure = error;
    await failRun(deps, run, claimed, integration, counts, error, log);
  }
  const row = await getRunRow(deps.store.db, claimed.id);
  if (row && integration) recordRunMetrics(deps, integration.provider, row, failure);
  return row ? toRun(row) : null;
}

/** A run that ended here (not one handed to another worker) counts in this process's metrics. */
function recordRunMetrics(deps: EngineDeps, provider: string, row: RunRow, failure: unknown): void {
  const metrics = deps.metrics;
  if (!metrics || (row.status !== 'blocked' && !FINISHED_STATUSES.includes(row.status as RunStatus))) return;
  const started = Date.parse(row.started_at ?? row.created_at);
  const ended = row.finished_at ? Date.parse(row.finished_at) : Date.now();
  metrics.runFinished(provider, row.status, Math.max(0, (ended - started) / 1000));
  if (row.dry_run !== 1) metrics.peopleWritten(provider, parseJson<Partial<RunCounts>>(row.counts, {}));
  if (isProviderError(failure)) metrics.providerError(provider, failure.code);
}

/**
 * Fetches and plans unless the run is past that. Answers what comes next: `apply` its staged
 * changes, `applied` when the fetch applied everything it planned (nothing staged is left to
 * read back), or `done` (a dry run, a held run).
 */
async function planIfNeeded(scope: RunScope, connector: () => ReturnType<typeof connectorFor>): Promise<'apply' | 'applied' | 'done'> {
  const { deps, row, run, counts, log, integration } = scope;
  if (row.phase !== 'queued' && row.phase !== 'fetching' && row.phase !== 'planned') return 'apply';
  if (row.phase !== 'queued') {
    // Staged changes are planned again from a new fetch; what a streaming run applied with its
    // pages stays applied, and the new fetch carries on after it (see fetchAndPlan).
    log.warn('resuming a run that stopped mid-fetch: fetching again, keeping what it applied');
    Object.assign(counts, emptyCounts());
    await run.write((trx) => deleteUnappliedChanges(trx, row.id));
  }
  const started = performance.now();
  const planned = emptyCounts();
  const outcome = await fetchAndPlan(deps, run, row, integration, await connector(), planned, counts, log);
  log.info({ ms: Math.round(performance.now() - started) }, 'fetched and planned');
  const safeguard = safeguardSummary(outcome.verdict);
  if (row.dry_run === 1) {
    // Never held, never applied: it ends with what it would have done and the safeguard's verdict.
    Object.assign(counts, planned);
    await run.write((trx) => transitionRun(trx, row.id, 'running', 'succeeded', { phase: 'done', counts, planned, safeguard, finished: true }));
    return 'done';
  }
  if (outcome.verdict.blocked) {
    // Only a held run can be acted on; a dry run's verdict says what would happen, not what to do.
    const message = `${outcome.verdict.reason} Review the staged changes, then approve or reject the run.`;
    await run.write((trx) => transitionRun(trx, row.id, 'running', 'blocked', { phase: 'planned', counts, planned, safeguard: { ...safeguard, reason: message }, error: { code: 'safeguard_blocked', message }, cursorAfter: outcome.watermark, planBasis: outcome.basis }));
    log.warn({ deactivations: outcome.deactivations }, 'run blocked by the safeguard');
    return 'done';
  }
  await run.write((trx) =>
    trx
      .updateTable('runs')
      .set({ cursor_after: outcome.watermark, phase: 'applying', planned: JSON.stringify(planned), safeguard: JSON.stringify(safeguard), counts: JSON.stringify(counts), plan_basis: JSON.stringify(outcome.basis) })
      .where('id', '=', row.id)
      .execute(),
  );
  return outcome.staged > 0 ? 'apply' : 'applied';
}

/**
 * `staged`: changes may wait in the run's change rows. A run whose fetch applied all it planned
 * skips reading them back: at 100,000 people two reads of every change row (~0.1 s) for none.
 */
async function applyAndFinish(scope: RunScope, staged: boolean): Promise<void> {
  const { deps, row, run, counts, log, integration } = scope;
  const started = performance.now();
  if (staged) await applyChanges(deps, run, row.id, row.tenant_id, counts);
  await reresolveShared(deps, run, row.id, row.tenant_id, row.integration_id);
  log.info({ ms: Math.round(performance.now() - started) }, 'applied');
  if (integration.groupSync.enabled) {
    const groups = await runGroupStep(scope.groups, row, integration);
    await refreshHeadcountsIfChanged(scope, groups.changes);
    if (groups.heldReason) {
      await holdGroupArchives(scope, groups);
      return;
    }
  }
  else await refreshHeadcountsIfChanged(scope, 0);
  const status = counts.failed > 0 ? 'partial' : 'succeeded';
  const error: RunError | null = status === 'partial' ? { code: 'records_failed', message: `${counts.failed} records could not be read from ${providerName(integration.provider)}; see the run's changes for each reason. Everyone else was synced.` } : null;
  await finishRun(scope, status, error);
  log.info({ counts, status }, 'run finished');
}

/**
 * People are synced; the group archives wait for an admin, like a held deactivation. The run
 * records which archives it holds and the settings they were planned from, so an approval can
 * check nothing moved (plan_stale) and applies those archives only.
 */
async function holdGroupArchives(scope: RunScope, groups: GroupStepResult): Promise<void> {
  const basis = parseJson<PlanBasis | null>((await getRunRow(scope.deps.store.db, scope.row.id))?.plan_basis ?? null, null);
  const heldArchives = { fingerprint: groupFingerprint(scope.integration), heldAt: nowIso(), groups: groups.heldGroups };
  await finishRun(scope, 'blocked', { code: 'safeguard_blocked', message: groups.heldReason! }, { ...basis, heldArchives });
}

/**
 * Group headcounts are stored (lists read them): a run that changed someone's status or any group
 * recounts them. A run that only changed fields, or nothing, leaves them as they are.
 */
async function refreshHeadcountsIfChanged(scope: RunScope, groupChanges: number): Promise<void> {
  const { counts, run, row } = scope;
  if (groupChanges + counts.deactivated + counts.reactivated === 0) return;
  await run.write((trx) => refreshHeadcounts(trx, row.tenant_id));
}

/**
 * A run that wrote many people leaves the database's planner statistics stale; the run refreshes
 * them before it ends (counted in its time), so the first reads after it are planned on what is
 * there. A failure to do so only costs speed: it is logged, and the run ends as it would have.
 */
async function refreshStatisticsAfterBigRun(scope: RunScope): Promise<void> {
  const { counts, deps, log } = scope;
  const written = counts.created + counts.updated + counts.deactivated + counts.reactivated;
  if (written < ANALYZE_AFTER_WRITES) return;
  try {
    await refreshPlannerStatistics(deps.store, written);
  } catch (error) {
    log.warn({ err: error }, 'could not refresh the database statistics after the run');
  }
}

/**
 * The end of an applied run, in one fenced transaction: the cursor advances (only when the run saw
 * everything it was asked about, or people were applied before group archives were held), the
 * next slot is set, and the run takes its final status, so whoever sees it finished sees both.
 */
async function finishRun(scope: RunScope, status: Extract<RunStatus, 'succeeded' | 'partial' | 'blocked'>, error: RunError | null, planBasis?: PlanBasis | Partial<PlanBasis>): Promise<void> {
  const { deps, row, run, counts, integration } = scope;
  await refreshStatisticsAfterBigRun(scope);
  const current = (await getRunRow(deps.store.db, row.id))!;
  const cursorHash = await currentConfigHash(deps, integration);
  const next = await nextRunAt(deps.store.db, integration, null, deps.now?.() ?? new Date());
  await run.write(async (trx) => {
    if (status !== 'partial' && current.cursor_after) await saveCursor(trx, row.tenant_id, row.integration_id, current.cursor_after, cursorHash);
    await setNextRun(deps, trx, integration, next);
    await transitionRun(trx, row.id, 'running', status, status === 'blocked' ? { phase: 'groups', counts, error, ...(planBasis && { planBasis }) } : { phase: 'done', counts, finished: true, error });
  });
}

/**
 * A run that stopped on an error: it applied nothing it had not finished planning, and nobody is
 * deactivated by it. Refused credentials also mark the connection (expired for OAuth, revoked for
 * an API key). A dry run writes nothing but its own record, so it touches neither.
 */
async function failRun(deps: EngineDeps, run: FencedRun, row: RunRow, integration: Integration | undefined, counts: RunCounts, error: unknown, log: Logger): Promise<void> {
  const classified = classifyRunError(error);
  log.error({ err: error, code: classified.code }, 'run failed');
  const dryRun = row.dry_run === 1;
  try {
    if (integration && !dryRun && classified.code === 'auth_failed') {
      // Checked just before rather than in one transaction: it may call the provider's token endpoint.
      run.check();
      await markAuthFailure(deps, integration, classified.message).catch((e: unknown) => log.warn({ err: e }, 'could not record the auth failure'));
    }
    const next = integration && !dryRun ? await nextRunAt(deps.store.db, integration, classified.code, deps.now?.() ?? new Date()) : undefined;
    await run.write(async (trx) => {
      if (integration && next !== undefined) await setNextRun(deps, trx, integration, next);
      await transitionRun(trx, row.id, 'running', 'failed', { counts, error: classified, finished: true });
    });
  } catch (e) {
    if (e instanceof LeaseLostError) log.warn("lost the run's lease while recording its failure: left to the new holder");
    else log.error({ err: e }, 'could not record the run failure');
  }
}

async function setNextRun(deps: EngineDeps, trx: Transaction<Database>, integration: Integration, next: string | null | undefined): Promise<void> {
  if (next === undefined) return;
  await updateIntegration(trx, deps.vault, integration.tenantId, integration.id, { nextRunAt: next });
}

async function currentConfigHash(deps: EngineDeps, integration: Integration): Promise<string> {
  const tenant = (await getTenant(deps.store.db, integration.tenantId))!;
  return configHash(integration.userSync, tenant.time_zone);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
