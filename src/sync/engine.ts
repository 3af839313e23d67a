import type { Logger } from 'pino';
import type { Vault } from '../auth/vault.ts';
import { decideStatus, todayIn, type PersonStatus } from '../core/lifecycle.ts';
import { checkSafeguard } from '../core/safeguard.ts';
import type { Lifecycle } from '../core/source-record.ts';
import { isProviderError, providerDisplayName as providerName } from '../connectors/errors.ts';
import { createConnector } from '../providers/registry.ts';
import type { HttpPolicy, HrisConnector } from '../connectors/types.ts';
import type { Store } from '../store/db.ts';
import { searchText } from '../store/employees.ts';
import { writeApplyBatch, writeChanges } from '../store/bulk.ts';
import { encodeProvenance } from '../store/provenance.ts';
import { decodePayload } from './change-payload.ts';
import { newId, nowIso, parseJson } from '../store/ids.ts';
import { getIntegration, listIntegrations, readCredentials, updateIntegration, type Integration } from '../store/integrations.ts';
import { countActiveLinked, dueReviews, LinkIndex, linksByExternalIds } from '../store/links.ts';
import { deleteChanges, unappliedChanges } from '../store/run-changes.ts';
import { getRunRow, saveRunProgress, toRun, transitionRun, type Run, type RunError } from '../store/runs.ts';
import { getCursor, saveCursor } from '../store/cursors.ts';
import { getTenant } from '../store/tenants.ts';
import type { RunRow } from '../store/schema.ts';
import { CADENCE_MS, sourceFieldsOf } from '../core/integration-settings.ts';
import { configHash, evaluateRecord, type Evaluated } from './evaluate.ts';
import { Planner, type Disappearance } from './planner.ts';
import { readAhead } from './read-ahead.ts';
import { isOwningSource } from './source-view.ts';
import { reresolveEmployees, sharedEmployees } from './reresolve.ts';
import { runGroupStep } from './group-step.ts';
import { freshCredentials, markAuthFailure } from '../auth/oauth/credentials.ts';
import { emptyCounts, type RunCounts, type RunPhase } from '../core/run-states.ts';

export interface EngineDeps {
  readonly store: Store;
  readonly vault: Vault;
  readonly logger: Logger;
  /** Shorter retry policies in tests. */
  readonly httpPolicy?: Partial<HttpPolicy>;
  readonly now?: () => Date;
  /** Called after each applied batch (tests use it to simulate a crash mid-apply). */
  readonly onApplyBatch?: (runId: string, appliedSeq: number) => void | Promise<void>;
  readonly providerPageSize?: number;
}

const APPLY_BATCH = 1000;

/**
 * Executes a claimed run from wherever it stands: fetch and plan (restarted from scratch if a
 * previous worker died mid-fetch, since nothing was applied), safeguard, then apply in batched
 * transactions that mark their changes applied, so a resumed apply continues where it stopped.
 */
export async function executeRun(deps: EngineDeps, claimed: RunRow): Promise<Run> {
  const { db } = deps.store;
  const log = deps.logger.child({ runId: claimed.id, integrationId: claimed.integration_id });
  const counts: RunCounts = { ...emptyCounts(), ...parseJson<Partial<RunCounts>>(claimed.counts, {}) };
  try {
    const integration = await getIntegration(db, claimed.tenant_id, claimed.integration_id);
    if (!integration) throw runError('integration_missing', 'The integration was deleted before the run started.');
    // One connector (one credential refresh) serves the fetch and the group step.
    const connector = once(() => connectorFor(deps, integration));
    const groupDeps = { store: deps.store, connector, log };
    if (claimed.phase === 'groups') {
      // An approved hold on group archives: people were applied before; archive now.
      await runGroupStep(groupDeps, claimed, integration, { approveArchives: true });
      await scheduleNext(deps, integration, null);
      await transitionRun(db, claimed.id, 'running', 'succeeded', { phase: 'done', counts, finished: true, error: null });
      return finish(deps, claimed);
    }
    if (claimed.phase === 'queued' || claimed.phase === 'fetching' || claimed.phase === 'planned') {
      if (claimed.phase !== 'queued') {
        log.warn('resuming a run that stopped mid-fetch: nothing was applied, fetching again');
        await deleteChanges(db, claimed.id);
        Object.assign(counts, emptyCounts());
      }
      const planStarted = performance.now();
      const outcome = await fetchAndPlan(deps, claimed, integration, await connector(), counts, log);
      log.info({ ms: Math.round(performance.now() - planStarted) }, 'fetched and planned');
      if (outcome.blockedReason) {
        await transitionRun(db, claimed.id, 'running', 'blocked', { phase: 'planned', counts, error: { code: 'safeguard_blocked', message: outcome.blockedReason }, cursorAfter: outcome.watermark });
        log.warn({ deactivations: outcome.deactivations }, 'run blocked by the safeguard');
        return finish(deps, claimed);
      }
      if (claimed.dry_run === 1) {
        await transitionRun(db, claimed.id, 'running', 'succeeded', { phase: 'done', counts, finished: true });
        return finish(deps, claimed);
      }
      await db.updateTable('runs').set({ cursor_after: outcome.watermark, phase: 'applying' }).where('id', '=', claimed.id).execute();
    }
    const applyStarted = performance.now();
    await applyChanges(deps, claimed.id, claimed.tenant_id, counts);
    await reresolveShared(deps, claimed.id, claimed.tenant_id);
    log.info({ ms: Math.round(performance.now() - applyStarted) }, 'applied');
    if (integration.groupSync.enabled) {
      const groups = await runGroupStep(groupDeps, claimed, integration);
      if (groups.heldReason) {
        // People are synced; the group archives wait for an admin, like a held deactivation.
        const row = (await getRunRow(db, claimed.id))!;
        if (row.cursor_after) await saveCursor(db, claimed.tenant_id, claimed.integration_id, row.cursor_after, await currentConfigHash(deps, integration));
        await scheduleNext(deps, integration, null);
        await transitionRun(db, claimed.id, 'running', 'blocked', { phase: 'groups', counts, error: { code: 'safeguard_blocked', message: groups.heldReason } });
        return finish(deps, claimed);
      }
    }
    const row = (await getRunRow(db, claimed.id))!;
    const status = counts.failed > 0 ? 'partial' : 'succeeded';
    // The cursor advances only when the run saw everything it was asked about.
    if (status === 'succeeded' && row.cursor_after) {
      await saveCursor(db, claimed.tenant_id, claimed.integration_id, row.cursor_after, await currentConfigHash(deps, integration));
    }
    const error: RunError | null = status === 'partial' ? { code: 'records_failed', message: `${counts.failed} records could not be read from ${providerName(integration.provider)}; see the run's changes for each reason. Everyone else was synced.` } : null;
    // The next slot is set before the run reads as finished, so whoever sees it finished sees it.
    await scheduleNext(deps, integration, null);
    await transitionRun(db, claimed.id, 'running', status, { phase: 'done', counts, finished: true, error });
    log.info({ counts, status }, 'run finished');
  } catch (error) {
    const classified = classify(error);
    log.error({ err: classified, code: classified.code }, 'run failed');
    const integration = await getIntegration(db, claimed.tenant_id, claimed.integration_id).catch(() => undefined);
    // Refused credentials: the connection says so (expired for OAuth, revoked for an API key), with time and reason.
    if (integration && classified.code === 'auth_failed') await markAuthFailure(deps, integration, classified.message).catch((e: unknown) => log.warn({ err: e }, 'could not record the auth failure'));
    // A failed run applied nothing it had not finished planning; nobody is deactivated by it.
    if (integration) await scheduleNext(deps, integration, classified.code).catch(() => undefined);
    await transitionRun(db, claimed.id, 'running', 'failed', { counts, error: classified, finished: true }).catch(() => false);
  }
  return finish(deps, claimed);
}

async function finish(deps: EngineDeps, claimed: RunRow): Promise<Run> {
  return toRun((await getRunRow(deps.store.db, claimed.id))!);
}

interface PlanOutcome {
  readonly watermark: string | null;
  readonly deactivations: number;
  readonly blockedReason: string | null;
}

async function fetchAndPlan(deps: EngineDeps, run: RunRow, integration: Integration, connector: HrisConnector, counts: RunCounts, log: Logger): Promise<PlanOutcome> {
  const { db } = deps.store;
  const tenant = (await getTenant(db, run.tenant_id))!;
  const now = deps.now?.() ?? new Date();
  const today = todayIn(tenant.time_zone, now);
  const settings = integration.userSync;
  // The provider attribute holding a manager's id: the lazy index loads managers' links too.
  const managerAttribute = Object.entries(settings.fieldMapping).find(([, target]) => target === 'managerId')?.[0] ?? '';
  const hash = configHash(settings, tenant.time_zone);
  const cursor = await getCursor(db, run.tenant_id, integration.id);
  const full = run.mode === 'full' || !cursor || cursor.configHash !== hash;
  // An incremental run without a valid cursor (first run, or mapping/scope changed) runs full.
  if (run.mode === 'incremental' && full) await db.updateTable('runs').set({ mode: 'full' }).where('id', '=', run.id).execute();

  // Counted before anything changes: the safeguard's percentage is of today's active people.
  const activeLinked = await countActiveLinked(db, run.tenant_id, integration.id);
  const index = full ? await LinkIndex.full(db, run.tenant_id, integration.id) : LinkIndex.lazy(db, run.tenant_id, integration.id);
  const integrations = new Map((await listIntegrations(db, run.tenant_id)).map((i) => [i.id, i]));
  const planner = new Planner({ db, tenantId: run.tenant_id, runId: run.id, integration, integrations, index, counts, now: now.toISOString() });
  const progress = async (phase: RunPhase, message: string, total: number | null = null) => {
    await saveRunProgress(db, run.id, phase, { fetched: counts.fetched, total, applied: 0, toApply: 0, message }, counts);
  };
  const flush = async () => writeChanges(deps.store, planner.drain());

  await progress('fetching', `fetching people from ${providerName(integration.provider)}`);
  const seen = new Set<string>();
  const changes = full ? undefined : await connector.fetchChanges(cursor!.value);
  const fetch = changes ?? (await connector.fetchAll());
  const watermark = fetch.watermark;
  const deletedIds = changes?.deletedIds ?? [];

  for await (const page of readAhead(fetch.pages)) {
    const changed: Evaluated[] = [];
    await index.ensure(page.records.flatMap((r) => [r.externalId, ...(r.attributes[managerAttribute] ? [r.attributes[managerAttribute]!] : [])]));
    for (const failure of page.failures) {
      counts.fetched += 1;
      if (failure.externalId) seen.add(failure.externalId);
      planner.failure(failure.externalId, failure.reason);
    }
    for (const record of page.records) {
      counts.fetched += 1;
      if (seen.has(record.externalId)) continue;
      seen.add(record.externalId);
      const evaluated = evaluateRecord(record, settings, today);
      if (evaluated.inScope) counts.inScope += 1;
      const known = index.get(record.externalId);
      if (known && known.present && known.hash === evaluated.hash) {
        // Known but never linked (e.g. terminated before we first saw them): someone matching may
        // exist by now — from another source or added by hand — so in-scope ones correlate again.
        if (known.employeeId === null && evaluated.inScope) {
          planner.retries.add(record.externalId);
          changed.push(evaluated);
          continue;
        }
        counts.unchanged += 1;
        continue;
      }
      changed.push(evaluated);
    }
    await planner.planRecords(changed);
    await flush();
    await progress('fetching', `fetched ${counts.fetched} people`);
  }

  // Only a complete full fetch, or an explicit delete, makes a person disappear.
  const gone: Disappearance[] = [];
  const source = providerName(integration.provider);
  if (full) {
    for (const [externalId, entry] of index.entries()) {
      if (entry.present && !seen.has(externalId)) gone.push({ externalId, reason: `no longer in ${source}` });
    }
  } else {
    await index.ensure(deletedIds);
    for (const externalId of deletedIds) if (index.get(externalId)?.present) gone.push({ externalId, reason: `deleted in ${source}` });
  }
  for (let i = 0; i < gone.length; i += 500) {
    const slice = gone.slice(i, i + 500);
    const rows = await linksByExternalIds(db, run.tenant_id, integration.id, slice.map((g) => g.externalId));
    await planner.planDisappearances(slice, new Map(rows.map((r) => [r.external_id, r])));
    await flush();
  }

  // Dates reached since the last run (a termination date today) change a decision by themselves.
  const due = await dueReviews(db, run.tenant_id, integration.id, today);
  await planner.planReviews(due, (row) => {
    const d = decideStatus(parseJson<Lifecycle>(row.lifecycle, { active: false }), today);
    if (row.in_scope !== 1) return { status: row.source_status as PersonStatus | null, reason: row.status_reason, reviewOn: null };
    return { status: d.status, reason: d.reason, reviewOn: d.reviewOn ?? null };
  });
  await flush();

  await planner.settleManagerGuesses(
    async (seqs) => db.selectFrom('run_changes').selectAll().where('run_id', '=', run.id).where('seq', 'in', seqs).execute(),
    async (rows) => {
      for (const row of rows) await db.updateTable('run_changes').set({ after: row.after, payload: row.payload }).where('run_id', '=', run.id).where('seq', '=', row.seq).execute();
    },
  );

  const verdict = checkSafeguard(settings.safeguard, activeLinked, planner.deactivations);
  await progress('planned', `planned ${planner.seq} changes`);
  log.info({ full, fetched: counts.fetched, changes: planner.seq, deactivations: planner.deactivations }, 'fetch complete');
  return { watermark, deactivations: planner.deactivations, blockedReason: verdict.blocked ? verdict.reason : null };
}

/** Applies a run's staged changes in batches; each batch commits with its changes marked applied. */
export async function applyChanges(deps: EngineDeps, runId: string, tenantId: string, counts: RunCounts): Promise<void> {
  const { db } = deps.store;
  const total = await db
    .selectFrom('run_changes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('run_id', '=', runId)
    .where('payload', 'is not', null)
    .executeTakeFirstOrThrow();
  const run = (await getRunRow(db, runId))!;
  const ctx = { tenantId, integrationId: run.integration_id, runId };
  let applied = 0;
  let afterSeq = 0;
  for (;;) {
    const batch = await unappliedChanges(db, runId, afterSeq, APPLY_BATCH);
    if (batch.length === 0) break;
    const payloads = batch.map((c) => decodePayload(c, ctx));
    const creates = payloads.filter((p) => p.employee?.create).map((p) => p.employee!);
    await writeApplyBatch(deps.store, {
      tenantId,
      runId,
      fromSeq: batch[0]!.seq,
      toSeq: batch[batch.length - 1]!.seq,
      creates: creates.map((e) => ({
        id: e.id,
        tenant_id: tenantId,
        status: e.status,
        role: 'member',
        email_norm: e.emailNorm,
        employee_number: e.employeeNumber,
        search_text: searchText(e.fields),
        fields: JSON.stringify(e.fields),
        provenance: e.storedProvenance ?? encodeProvenance(e.provenance),
        custom_config: '{}',
        created_at: e.updatedAt,
        updated_at: e.updatedAt,
      })),
      links: payloads.flatMap((p) => (p.link ? [p.link] : [])),
      updates: payloads.flatMap((p) => (p.employee && !p.employee.create ? [p.employee] : [])),
      cases: batch.flatMap((row, n) => {
        const c = payloads[n]!.correlationCase;
        if (!c) return [];
        return [{
          id: newId(),
          tenant_id: tenantId,
          integration_id: run.integration_id,
          external_id: row.external_id!,
          display_name: row.display_name,
          email: c.email,
          reason: c.reason,
          candidates: JSON.stringify(c.candidates),
          status: 'open',
          resolution: null,
          run_id: runId,
          created_at: nowIso(),
          resolved_at: null,
        }];
      }),
    });
    afterSeq = batch[batch.length - 1]!.seq;
    applied += batch.length;
    await saveRunProgress(db, runId, 'applying', { fetched: counts.fetched, total: null, applied, toApply: Number(total.n), message: `applied ${applied} of ${Number(total.n)} changes` }, counts);
    await deps.onApplyBatch?.(runId, afterSeq);
  }
}

export /**
 * People this run touched who are shared with other sources are resolved again from the stored
 * links: another source's value may now fill a field this run cleared, and a run approved after
 * being held applies against what the other sources say today.
 */
async function reresolveShared(deps: EngineDeps, runId: string, tenantId: string): Promise<void> {
  const touched = await deps.store.db.selectFrom('run_changes').select('employee_id').distinct().where('run_id', '=', runId).where('employee_id', 'is not', null).execute();
  if (touched.length === 0) return;
  const shared = await sharedEmployees(deps.store.db, tenantId, touched.map((t) => t.employee_id!));
  if (shared.length > 0) await reresolveEmployees(deps.store.db, tenantId, shared, 'resolved again after a sync of a shared person');
}

export async function connectorFor(deps: EngineDeps, integration: Integration): Promise<HrisConnector> {
  // API keys as stored; OAuth tokens refreshed ahead of expiry (invalid_grant → connection expired, auth_failed).
  if (!(await readCredentials(deps.store.db, deps.vault, integration.tenantId, integration.id))) throw runError('not_connected', `${integration.name} is not connected: connect it again on the Integrations page.`);
  const credentials = await freshCredentials(deps, integration);
  const settings = { ...integration.settings, ...(deps.providerPageSize ? { pageSize: deps.providerPageSize } : {}) };
  return createConnector(integration.provider, {
    baseUrl: String(integration.settings.baseUrl ?? ''),
    settings,
    credentials,
    fields: sourceFieldsOf(integration.userSync),
    ...(deps.httpPolicy ? { http: deps.httpPolicy } : {}),
  });
}

async function currentConfigHash(deps: EngineDeps, integration: Integration): Promise<string> {
  const tenant = (await getTenant(deps.store.db, integration.tenantId))!;
  return configHash(integration.userSync, tenant.time_zone);
}

/**
 * The next scheduled run: one cadence after a success; after failures of the provider
 * (unavailable, rate limited) sooner, backing off 2, 4, 8 … minutes up to the cadence. Runs that
 * failed for reasons a retry cannot fix (authorisation) wait for the admin to reconnect.
 */
async function scheduleNext(deps: EngineDeps, integration: Integration, failedCode: string | null): Promise<void> {
  const fresh = await getIntegration(deps.store.db, integration.tenantId, integration.id);
  if (!fresh) return;
  const now = (deps.now?.() ?? new Date()).getTime();
  const cadence = CADENCE_MS[fresh.userSync.cadence];
  let next: string | null = null;
  if (isOwningSource(fresh)) {
    // This run is still running: it counts through failedCode, the finished ones from the table.
    const before = failedCode === null ? { count: 0 } : await consecutiveFailures(deps, fresh);
    const failures = { count: failedCode === null ? 0 : before.count + 1, lastCode: failedCode };
    const retryable = failures.count > 0 && RETRYABLE.has(failures.lastCode ?? '');
    const delay = retryable ? Math.min(cadence, RETRY_BASE_MS * 2 ** Math.min(failures.count - 1, 10)) : cadence;
    next = new Date(now + delay).toISOString();
  }
  await updateIntegration(deps.store.db, deps.vault, fresh.tenantId, fresh.id, { nextRunAt: next });
}

const RETRY_BASE_MS = 2 * 60_000;
const RETRYABLE = new Set(['provider_unavailable', 'rate_limited', 'internal_error']);

/** Failed runs since the last run that was not a failure (dry runs aside). */
export async function consecutiveFailures(deps: Pick<EngineDeps, 'store'>, integration: Integration): Promise<{ count: number; lastCode: string | null }> {
  const recent = await deps.store.db
    .selectFrom('runs')
    .select(['status', 'error'])
    .where('tenant_id', '=', integration.tenantId)
    .where('integration_id', '=', integration.id)
    .where('dry_run', '=', 0)
    .where('status', 'in', ['succeeded', 'partial', 'failed'])
    .orderBy('id', 'desc')
    .limit(20)
    .execute();
  let count = 0;
  for (const r of recent) {
    if (r.status !== 'failed') break;
    count += 1;
  }
  const lastCode = count > 0 ? (parseJson<{ code?: string } | null>(recent[0]!.error, null)?.code ?? null) : null;
  return { count, lastCode };
}


function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function runError(code: string, message: string): CodedError {
  return new CodedError(code, message);
}

function classify(error: unknown): RunError {
  if (isProviderError(error)) return { code: error.code, message: error.message };
  if (error instanceof CodedError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: `The run stopped on an internal error: ${error instanceof Error ? error.message : String(error)}. Nothing was applied from the unfinished part; it is safe to run again.` };
}
