import type { Logger } from 'pino';
import { decideStatus, todayIn, type PersonStatus } from '../core/lifecycle.ts';
import { APPLIED_KINDS, emptyCounts, isAppliedKind, observedOnly, type RunCounts, type RunPhase } from '../core/run-states.ts';
import { checkSafeguard, type SafeguardVerdict } from '../core/safeguard.ts';
import type { Lifecycle, SourceRecord } from '../core/source-record.ts';
import { CursorExpiredError, providerDisplayName as providerName } from '../connectors/errors.ts';
import type { ChangeFetch, HrisConnector } from '../connectors/types.ts';
import { prepareWrite } from '../store/bulk.ts';
import { getCursor } from '../store/cursors.ts';
import { parseJson } from '../store/ids.ts';
import { listIntegrations, type Integration } from '../store/integrations.ts';
import { countActiveLinked, dueReviews, LinkIndex, linksByExternalIds } from '../store/links.ts';
import { saveRunProgress, type SafeguardOutcome } from '../store/runs.ts';
import type { NewRunChangeRow, RunRow } from '../store/schema.ts';
import { getTenant } from '../store/tenants.ts';
import { getFieldPriorities } from '../store/field-priorities.ts';
import { descriptorOf } from '../providers/descriptors.ts';
import type { EngineDeps } from './engine.ts';
import { configHash, evaluateRecord, type Evaluated } from './evaluate.ts';
import type { FencedRun } from './fenced-run.ts';
import { Planner, type Disappearance, type DrainedChanges, type PlannedChange } from './planner.ts';
import { readAhead } from './read-ahead.ts';
import { WriteQueue } from './write-queue.ts';
import { runTurns } from './yield-turns.ts';
import { APPLY_BATCH, planApply, writePlanned } from './apply.ts';
import { resolveContext, type ResolveContext } from './reresolve.ts';
import { appliedPeopleChanges } from '../store/run-changes.ts';
import { planFingerprint, type PlanBasis } from './plan-basis.ts';

const PROGRESS_EVERY_MS = 500;
/**
 * Changes a run that does not stream keeps in memory before it stages them: an incremental run's
 * few are applied straight from memory once the safeguard let the run through.
 */
const HOLD_IN_MEMORY = 5000;

export interface PlanOutcome {
  readonly watermark: string | null;
  readonly deactivations: number;
  readonly verdict: SafeguardVerdict;
  /** What the plan was made from, for an approval to tell whether it still holds. */
  readonly basis: PlanBasis;
  /** Change rows this fetch staged to be applied after it (0: it applied everything it planned). */
  readonly staged: number;
}

/**
 * Fetch → evaluate → plan, page by page, each page's writes and progress in one fenced
 * transaction: a run the safeguard cannot hold applies its changes with their pages; any other
 * stages them (or holds a few in memory) until the complete fetch and the safeguard's verdict.
 * `counts` is what the planner stages (the run's planned counts); `reported` follows it with
 * nothing applied, so a run that fails mid-fetch says how far it read and that it applied nothing.
 */
export async function fetchAndPlan(deps: EngineDeps, run: FencedRun, row: RunRow, integration: Integration, connector: HrisConnector, counts: RunCounts, reported: RunCounts, log: Logger): Promise<PlanOutcome> {
  const writes = new WriteQueue();
  try {
    return await planPages(writes, deps, run, row, integration, connector, counts, reported, log);
  } catch (error) {
    // A page's write may still be committing: the run records its failure only after it.
    await writes.idle();
    throw error;
  }
}

async function planPages(writes: WriteQueue, deps: EngineDeps, run: FencedRun, row: RunRow, integration: Integration, connector: HrisConnector, counts: RunCounts, reported: RunCounts, log: Logger): Promise<PlanOutcome> {
  const { db } = deps.store;
  const tenant = (await getTenant(db, row.tenant_id))!;
  const now = deps.now?.() ?? new Date();
  const today = todayIn(tenant.time_zone, now);
  const settings = integration.userSync;
  // The provider attribute holding a manager's id: the lazy index loads managers' links too.
  const managerAttribute = Object.entries(settings.fieldMapping).find(([, target]) => target === 'managerId')?.[0] ?? '';
  const hash = configHash(settings, tenant.time_zone);
  const aliasKeys = descriptorOf(integration.provider)?.correlationAliases ?? [];
  const cursor = await getCursor(db, row.tenant_id, integration.id);
  let full = row.mode === 'full' || !cursor || cursor.configHash !== hash;
  // The provider is asked first, and the store read while its first answer is on the way (on a
  // slow provider a quarter of a second a request): the changes since the cursor, or the full read.
  // A failure surfaces where it is awaited, before anyone is planned.
  const changesFetch = full ? undefined : connector.fetchChanges(cursor!.value);
  changesFetch?.catch(() => undefined);
  let fullFetch = full ? connector.fetchAll() : undefined;
  fullFetch?.catch(() => undefined);
  // Counted before anything changes: the safeguard's percentage is of today's active people.
  const activeLinked = await countActiveLinked(db, row.tenant_id, integration.id);
  // What this run applied before its worker died mid-fetch (a run that applies with its pages).
  const resumed = await appliedPeopleChanges(db, row.id);
  let changes: ChangeFetch | undefined;
  if (changesFetch) {
    try {
      changes = await changesFetch;
    } catch (error) {
      // The provider forgot the cursor (Graph's 410 syncStateNotFound): one full run, then deltas again.
      if (!(error instanceof CursorExpiredError)) throw error;
      log.info({ reason: error.message }, 'incremental cursor expired: reading everyone');
      full = true;
      fullFetch = connector.fetchAll();
      fullFetch.catch(() => undefined);
    }
  }
  // An incremental run without a valid cursor (first run, mapping/scope changed, cursor expired) runs full.
  if (row.mode === 'incremental' && full) await run.write((trx) => trx.updateTable('runs').set({ mode: 'full' }).where('id', '=', row.id).execute());
  // A run the safeguard cannot hold (no limit applies: a first sync, a source below its minimum
  // population without a cap) applies its pages as they come, so processing hides behind the
  // fetch and nothing is staged only to be read back. Any other run stages everything and
  // applies after the complete fetch and the safeguard's verdict: a held run has applied nothing.
  // Status changes wait for the complete fetch either way (Planner.drainApplicable).
  const streaming = row.dry_run !== 1 && (resumed.length > 0 || !checkSafeguard(settings.safeguard, activeLinked, Number.MAX_SAFE_INTEGER).blocked);
  const payloadContext = { tenantId: row.tenant_id, integrationId: integration.id, runId: row.id };
  const applied = emptyCounts();
  const alreadyApplied = new Set(resumed.flatMap((r) => (r.external_id ? [r.external_id] : [])));
  for (const r of resumed) {
    if (isAppliedKind(r.kind)) applied[r.kind] += 1;
    if (isAppliedKind(r.kind) || r.kind === 'skipped' || r.kind === 'failed') counts[r.kind] += 1;
  }
  /** The planner, once the store has been read for it (the link index): the first progress is written before. */
  const planning: { planner?: Planner } = {};
  let resolve: ResolveContext | undefined;
  /** How many people the provider says the fetch holds, once it tells. */
  let total: number | null = null;
  /**
   * Stages what the planner holds, with the run's progress, in one fenced transaction. The write
   * is queued behind the one before (at most one in flight) and not awaited: the next page is
   * fetched and planned while it commits, so on PostgreSQL the database's time hides behind
   * ours. What the planner reads meanwhile never depends on an uncommitted page (see Planner).
   */
  let flushedAt = 0;
  /** The applied counts including every batch queued so far (`applied` is what committed). */
  const queued = { ...applied };
  /** Change rows written to be applied after the fetch (a streaming run stages its status changes). */
  let staged = 0;
  /**
   * `hold`: a run that does not stream keeps its changes in memory until they are many (then
   * stages them, and every change after); `stage` stages what it holds; `apply` applies it.
   */
  const drain = (planner: Planner | undefined, how: 'hold' | 'stage' | 'apply'): DrainedChanges => {
    if (!planner) return { apply: [], stage: [] };
    if (streaming) return planner.drainApplicable();
    if (how === 'apply') return { apply: planner.drainAll(), stage: [] };
    if (how === 'hold' && staged === 0 && planner.pending < HOLD_IN_MEMORY) return { apply: [], stage: [] };
    return { apply: [], stage: planner.drain() };
  };
  const flush = async (phase: RunPhase, message: string, how: 'hold' | 'stage' | 'apply' = 'hold', verdict?: SafeguardVerdict) => {
    flushedAt = performance.now();
    const { apply, stage } = drain(planning.planner, how);
    if (how !== 'apply') return queueWrite(phase, message, apply, stage, false);
    // Applied from memory in the apply step's batches, each moving the run's watermark: the run
    // staged nothing before, so every change up to a batch's last is applied once it commits.
    // The first records what was planned and the safeguard's verdict, as the apply step's start
    // does; the phase stays 'planned', so a run that stops halfway fetches again and carries on
    // after what it applied (its changes were never staged to be applied from).
    const plan = { planned: { ...counts }, safeguard: safeguardSummary(verdict!) };
    for (let i = 0; i < Math.max(apply.length, 1); i += APPLY_BATCH) {
      const batch = apply.slice(i, i + APPLY_BATCH);
      await queueWrite(phase, `applied ${i + batch.length} of ${apply.length} changes`, batch, stage, true, i === 0 ? plan : undefined);
    }
  };
  /** The run's first progress write: the provider was asked before it, so a retry already recorded stays. */
  let firstWrite = true;
  const queueWrite = async (phase: RunPhase, message: string, apply: readonly PlannedChange[], stage: readonly NewRunChangeRow[], watermark: boolean, plan?: { planned: RunCounts; safeguard: SafeguardOutcome }) => {
    const keepRetry = firstWrite;
    firstWrite = false;
    for (const c of apply) if (isAppliedKind(c.row.kind)) queued[c.row.kind] += 1;
    staged += stage.length;
    const after = { ...queued };
    // The run's counts as they stand now: the page after this one moves them before this commits.
    const observed = observedOnly(counts);
    const progress = { fetched: counts.fetched, total, applied: 0, toApply: 0, message };
    if (apply.length > 0) resolve ??= await resolveContext(db, row.tenant_id, integration.id);
    const rc = resolve;
    // Made ready while the write before commits (see prepareWrite).
    const write = await prepareWrite(deps.store, [...apply.map((c) => c.row), ...stage], planApply(payloadContext, apply.map((c) => c.row), apply.map((c) => c.payload ?? {}), { watermark }));
    await writes.push(async () => {
      await run.write(async (trx) => {
        await writePlanned(trx, row.tenant_id, deps.store, write, rc);
        await saveRunProgress(trx, row.id, phase, progress, { ...observed, ...pick(after) }, { keepRetry });
        if (plan) await trx.updateTable('runs').set({ planned: JSON.stringify(plan.planned), safeguard: JSON.stringify(plan.safeguard) }).where('id', '=', row.id).execute();
        await deps.crashAt?.('stage', row.id);
      });
      Object.assign(applied, after);
      Object.assign(reported, observed, pick(applied));
      if (apply.length > 0) await deps.onApplyBatch?.(row.id, apply[apply.length - 1]!.row.seq);
    });
  };

  await flush('fetching', `fetching people from ${providerName(integration.provider)}`);
  // The store is read for planning (the link index of every person's hash, the tenant's sources)
  // while the full read's watermark and first pages are on their way.
  const index = full ? await LinkIndex.full(db, row.tenant_id, integration.id) : LinkIndex.lazy(db, row.tenant_id, integration.id);
  const all = await listIntegrations(db, row.tenant_id);
  const integrations = new Map(all.map((i) => [i.id, i]));
  const fieldPriorities = await getFieldPriorities(db, row.tenant_id);
  const basis: PlanBasis = { fingerprint: planFingerprint(integration, all, fieldPriorities, tenant.time_zone), plannedAt: new Date().toISOString() };
  const turns = runTurns(deps.store.dialect);
  const planner = new Planner({ db, tenantId: row.tenant_id, runId: row.id, integration, integrations, fieldPriorities, index, counts, now: now.toISOString(), turns });
  planner.restore(resumed);
  planning.planner = planner;
  const seen = new Set<string>();
  const fetch = changes ?? (await fullFetch!);
  const deletedIds = changes?.deletedIds ?? [];

  for await (const page of readAhead(fetch.pages)) {
    run.check();
    await deps.crashAt?.('fetch', row.id);
    if (page.total !== undefined) total = page.total;
    const changed: Evaluated[] = [];
    // Lazily listed: a full run's index is complete and reads none of them.
    await index.ensure(idsAndManagers(page.records, managerAttribute));
    for (const failure of page.failures) {
      counts.fetched += 1;
      if (failure.externalId) seen.add(failure.externalId);
      planner.failure(failure.externalId, failure.reason);
    }
    for (const record of page.records) {
      const turn = turns.turn();
      if (turn) await turn;
      counts.fetched += 1;
      if (seen.has(record.externalId)) continue;
      seen.add(record.externalId);
      const evaluated = evaluateRecord(record, settings, today, aliasKeys);
      if (evaluated.inScope) counts.inScope += 1;
      // Applied before this run's worker died: counted from its change, not planned again.
      if (alreadyApplied.has(record.externalId)) continue;
      const known = index.get(record.externalId);
      if (known && known.present && known.hash === evaluated.hash) {
        // Known but never linked (e.g. terminated before we first saw them): someone matching may
        // exist by now — from another source or added by hand — so in-scope ones correlate again.
        if (known.employeeId === null && evaluated.inScope) {
          planner.retries.add(record.externalId);
          changed.push(evaluated);
          continue;
        }
        // Known, never linked and still out of scope: skipped again (their reason is listed once,
        // in the run that first skipped them), not "unchanged", which is for synced people.
        if (known.employeeId === null) counts.skipped += 1;
        else counts.unchanged += 1;
        continue;
      }
      changed.push(evaluated);
    }
    await planner.planRecords(changed);
    // A page that changed nobody only moves the progress: written twice a second at most (the
    // console polls every second), not a transaction per page of a 100,000-person re-sync.
    if ((streaming && planner.pending > 0) || planner.pending >= HOLD_IN_MEMORY || performance.now() - flushedAt >= PROGRESS_EVERY_MS) await flush('fetching', `fetched ${counts.fetched} people`);
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
    const rows = await linksByExternalIds(db, row.tenant_id, integration.id, slice.map((g) => g.externalId));
    await planner.planDisappearances(slice, new Map(rows.map((r) => [r.external_id, r])));
    await flush('fetching', `fetched ${counts.fetched} people`);
  }

  // Dates reached since the last run (a termination date today) change a decision by themselves.
  const due = await dueReviews(db, row.tenant_id, integration.id, today);
  await planner.planReviews(due, (link) => {
    const d = decideStatus(parseJson<Lifecycle>(link.lifecycle, { active: false }), today);
    if (link.in_scope !== 1) return { status: link.source_status as PersonStatus | null, reason: link.status_reason, reviewOn: null };
    return { status: d.status, reason: d.reason, reviewOn: d.reviewOn ?? null };
  });
  // Guesses are fixed in staged change rows: whatever names one is staged and committed first.
  await flush('fetching', `fetched ${counts.fetched} people`, planner.guessedWrong ? 'stage' : 'hold');
  await writes.settled();

  await planner.settleManagerGuesses(
    async (seqs) => db.selectFrom('run_changes').selectAll().where('run_id', '=', row.id).where('seq', 'in', seqs).execute(),
    async (rows) =>
      run.write(async (trx) => {
        for (const r of rows) await trx.updateTable('run_changes').set({ after: r.after, payload: r.payload }).where('run_id', '=', row.id).where('seq', '=', r.seq).execute();
      }),
  );

  // A streaming run has applied people: it is not held (it could not be when it began; resumed,
  // the people it applied since are not the population the percentage is of).
  const verdict = checkSafeguard(settings.safeguard, resumed.length > 0 ? 0 : activeLinked, planner.deactivations);
  // A run that staged nothing and that the safeguard lets through applies what it holds now: its
  // changes are not written as staged only to be read back (a 1 % incremental: one page).
  const applyHeld = !streaming && staged === 0 && row.dry_run !== 1 && !verdict.blocked;
  await flush('planned', `planned ${planner.seq} changes`, applyHeld ? 'apply' : 'stage', verdict);
  await writes.settled();
  log.info({ full, streaming, fetched: counts.fetched, changes: planner.seq, applied: APPLIED_KINDS.reduce((n, k) => n + applied[k], 0), deactivations: planner.deactivations }, 'fetch complete');
  return { watermark: fetch.watermark, deactivations: planner.deactivations, verdict, basis, staged };
}

/** What a run records of the safeguard's verdict on its plan. */
export function safeguardSummary(verdict: SafeguardVerdict): SafeguardOutcome {
  return { wouldHold: verdict.blocked, reason: verdict.reason };
}

/** Each record's external id and its manager's, as the index is asked for them. */
function* idsAndManagers(records: readonly SourceRecord[], managerAttribute: string): Generator<string> {
  for (const r of records) {
    yield r.externalId;
    const manager = r.attributes[managerAttribute];
    if (manager) yield manager;
  }
}

/** The applied kinds of `counts` (what a run reports as done). */
function pick(counts: RunCounts): Pick<RunCounts, (typeof APPLIED_KINDS)[number]> {
  return Object.fromEntries(APPLIED_KINDS.map((k) => [k, counts[k]])) as Pick<RunCounts, (typeof APPLIED_KINDS)[number]>;
}
