import cliProgress from 'cli-progress';
import { ApiError } from '../app/errors.ts';
import { requestSync } from '../app/integrations-service.ts';
import { presentRun } from '../app/presenters.ts';
import { listChanges } from '../store/run-changes.ts';
import type { Run } from '../store/runs.ts';
import { DEFAULT_TENANT_ID } from '../store/tenants.ts';
import { waitForRun } from '../jobs/worker.ts';
import { openRuntime, table } from './runtime.ts';

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

export async function syncCommand(integrationId: string, opts: { full?: boolean; dryRun?: boolean; json?: boolean }): Promise<void> {
  const { config, ctx } = await openRuntime(!process.env.DATABASE_URL);
  const tenantId = DEFAULT_TENANT_ID;
  let runId: string;
  try {
    runId = (await requestSync(ctx, tenantId, integrationId, { mode: opts.full ? 'full' : 'incremental', dryRun: opts.dryRun === true }, 'cli')).id;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'run_in_progress') {
      runId = String(error.details.runId);
      if (!opts.json) console.log(`A sync is already running (${runId}); following it.`);
    } else {
      await ctx.close();
      throw error;
    }
  }
  ctx.worker.start();
  const interactive = process.stdout.isTTY && !opts.json;
  const bar = interactive ? new cliProgress.SingleBar({ format: '{phase} [{bar}] {value}/{total} {message}', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(1, 0, { phase: 'queued', message: '' });
  const run = await waitForRun(ctx.engine, tenantId, runId, 3_600_000, (r) => {
    if (!bar) return;
    const p = r.progress;
    const total = p.phase === 'applying' ? Math.max(p.toApply, 1) : Math.max(p.total ?? p.fetched, 1);
    bar.setTotal(total);
    bar.update(p.phase === 'applying' ? p.applied : p.fetched, { phase: p.phase.padEnd(8), message: p.message ?? '' });
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
