import cliProgress from 'cli-progress';
import { ApiError } from '../app/errors.ts';
import { requestSync } from '../app/integrations-service.ts';
import { presentRun } from '../app/presenters.ts';
import type { RunT } from '../api/contract/runs.ts';
import { listChanges } from '../store/run-changes.ts';
import type { Run } from '../store/runs.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { waitForRun } from '../jobs/worker.ts';
import { listIntegrations } from '../store/integrations.ts';
import { describeDatabase } from './operator-store.ts';
import { openExistingRuntime, table } from './runtime.ts';

export function runSummary(run: Run): [string, string | number][] {
  const seconds = run.startedAt && run.finishedAt ? ((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1) : '–';
  const rows: [string, string | number][] = [
    ['status', run.status],
    ['mode', `${run.mode}${run.dryRun ? ' (dry run: nothing applied)' : ''}`],
    ['fetched', run.counts.fetched],
    ['in scope', run.counts.inScope],
    ['created', run.counts.created],
    ['updated', run.counts.updated],
    ['deactivated', run.counts.deactivated],
    ['reactivated', run.counts.reactivated],
    ['unchanged', run.counts.unchanged],
    ['skipped', run.counts.skipped],
    ['failed', run.counts.failed],
    ['duration', `${seconds} s`],
  ];
  if (run.dryRun && run.safeguard) rows.push(['safeguard', `${run.safeguard.wouldHold ? 'would hold this run' : 'would let it through'}: ${run.safeguard.reason}`]);
  if (run.error) rows.push(['error', `${run.error.code}: ${run.error.message}`]);
  return rows;
}

/** The bar's words: people fetched of the total, changes applied, and any wait before a retry. */
export function progressDetail(p: RunT['progress'], now = Date.now()): string {
  const parts = [p.total !== null ? `${p.fetched} of ${p.total} people fetched` : `${p.fetched} people fetched`];
  if (p.toApply > 0) parts.push(`${p.applied} of ${p.toApply} changes applied`);
  if (p.retry) {
    const seconds = Math.max(0, Math.ceil((Date.parse(p.retry.until) - now) / 1000));
    parts.push(`retrying after ${p.retry.status ?? p.retry.reason.replace('_', ' ')} in ${seconds} s`);
  }
  return parts.join(' · ');
}

async function unknownIntegration(id: string, ctx: Awaited<ReturnType<typeof openExistingRuntime>>['ctx'], config: Awaited<ReturnType<typeof openExistingRuntime>>['config']): Promise<Error> {
  const known = await listIntegrations(ctx.store.db, DEFAULT_TENANT_ID);
  const list = known.length > 0 ? `the integrations are ${known.map((i) => `${i.id} (${i.name})`).join(', ')}` : 'there are no integrations yet';
  return new Error(`No integration ${JSON.stringify(id.slice(0, 100))} in ${describeDatabase(config)}; ${list}.`);
}

export async function syncCommand(integrationId: string, opts: { full?: boolean; dryRun?: boolean; json?: boolean }): Promise<void> {
  const { config, ctx } = await openExistingRuntime();
  const tenantId = DEFAULT_TENANT_ID;
  let runId: string;
  try {
    runId = (await requestSync(ctx, tenantId, integrationId, { mode: opts.full ? 'full' : 'incremental', dryRun: opts.dryRun === true }, 'cli')).id;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'run_in_progress') {
      runId = String(error.details.runId);
      console.error(`A sync is already running (${runId}); following it.`);
    } else {
      // An id that names no integration: one line saying which there are, and where they were looked for.
      const unknown = error instanceof ApiError && error.status === 404 ? await unknownIntegration(integrationId, ctx, config) : null;
      await ctx.close();
      throw unknown ?? error;
    }
  }
  ctx.worker.start();
  const interactive = process.stdout.isTTY && !opts.json;
  // The bar is the whole run in percent (the API's own figure), with the phase and the people
  // fetched of the total the provider reported; while fetching from a provider that does not say
  // how many it has, it shows the count without pretending to know the end.
  const bar = interactive ? new cliProgress.SingleBar({ format: '{phase} [{bar}] {percentage}% {detail}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  bar?.start(100, 0, { phase: 'queued'.padEnd(8), detail: '' });
  const run = await waitForRun(ctx.engine, tenantId, runId, 3_600_000, (r) => {
    if (!bar) return;
    const p = presentRun(r).progress;
    bar.update(p.percent ?? 0, { phase: p.phase.padEnd(8), detail: progressDetail(p) });
  });
  bar?.stop();
  if (opts.json) {
    console.log(JSON.stringify(presentRun(run), null, 2));
  } else {
    console.log(`\nRun ${run.id} on ${config.databaseUrl ? 'PostgreSQL' : 'SQLite'}:`);
    console.log(table(runSummary(run)));
    if (run.status === 'blocked') console.log(`\nBlocked by the safeguard. Review with GET /api/v1/runs/${run.id}/changes, then POST …/approve or …/reject.`);
    const notable = await listChanges(ctx.store.db, tenantId, run.id, { limit: 10 });
    if (notable.length > 0) {
      console.log('\nFirst changes:');
      for (const c of notable) console.log(`  ${c.kind.padEnd(11)} ${c.displayName ?? c.externalId ?? ''}${c.reason ? ` — ${c.reason}` : ''}`);
    }
  }
  await ctx.close();
  process.exitCode = run.status === 'failed' ? 1 : 0;
}
