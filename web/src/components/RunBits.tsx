import type { Schema } from '../api/client.ts';

type Run = Schema<'Run'>;
import { RUN_STATUS, duration, formatDateTime, relativeTime } from '../format.ts';
import { Link } from '../router.tsx';
import { Badge } from './ui.tsx';

export const isActive = (r: Run | null | undefined) => !!r && (r.status === 'queued' || r.status === 'running');

export function RunStatusBadge({ run }: { run: Run }) {
  const s = RUN_STATUS[run.status] ?? { label: run.status, tone: 'neutral' as const };
  return <Badge tone={s.tone}>{run.dryRun ? `${s.label} (dry run)` : s.label}</Badge>;
}

const PHASE: Record<string, string> = {
  queued: 'Waiting for a worker',
  fetching: 'Fetching people from the provider',
  planned: 'Working out the changes',
  applying: 'Applying changes',
  done: 'Finishing',
};

/** Live progress of a queued or running run. */
export function RunProgressBar({ run }: { run: Run }) {
  const p = run.progress;
  const applying = p.phase === 'applying' && p.toApply > 0;
  const fetching = p.phase === 'fetching' && p.total;
  const pct = applying ? Math.round((p.applied / p.toApply) * 100) : fetching ? Math.round((p.fetched / (p.total ?? 1)) * 100) : null;
  return (
    <div className="progress" aria-live="polite" data-testid="run-progress">
      <div className="progress-label">
        <strong>{PHASE[p.phase] ?? p.phase}</strong>
        <span className="muted small">
          {p.fetched.toLocaleString()} fetched{p.total ? ` of ${p.total.toLocaleString()}` : ''}
          {p.toApply > 0 ? ` · ${p.applied.toLocaleString()} of ${p.toApply.toLocaleString()} changes applied` : ''}
        </span>
      </div>
      <div
        className={`progress-track${pct === null ? ' progress-indeterminate' : ''}`}
        role="progressbar"
        aria-label="Sync progress"
        aria-valuemin={0}
        aria-valuemax={100}
        {...(pct !== null ? { 'aria-valuenow': pct } : {})}
      >
        <div className="progress-fill" style={pct !== null ? { width: `${Math.max(3, Math.min(100, pct))}%` } : undefined} />
      </div>
      {p.message && <p className="muted small">{p.message}</p>}
    </div>
  );
}

export function RunSummaryLine({ run }: { run: Run }) {
  const c = run.counts;
  const parts: string[] = [];
  if (c.created) parts.push(`${c.created} created`);
  if (c.updated) parts.push(`${c.updated} updated`);
  if (c.deactivated) parts.push(`${c.deactivated} deactivated`);
  if (c.reactivated) parts.push(`${c.reactivated} reactivated`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (parts.length === 0) parts.push(run.status === 'succeeded' || run.status === 'partial' ? 'no changes' : run.status === 'queued' || run.status === 'running' ? 'in progress' : 'nothing applied');
  return <span>{parts.join(', ')}</span>;
}

export function RunHistory({ runs, integrationId }: { runs: Run[]; integrationId: string }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">Run history, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Changes</th>
            <th scope="col">Duration</th>
            <th scope="col">
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-testid="run-row" data-status={r.status}>
              <td title={formatDateTime(r.startedAt ?? r.createdAt)}>{relativeTime(r.startedAt ?? r.createdAt)}</td>
              <td>
                <RunStatusBadge run={r} />
              </td>
              <td>
                {r.trigger} · {r.mode}
              </td>
              <td>
                <RunSummaryLine run={r} />
              </td>
              <td>{duration(r.startedAt, r.finishedAt)}</td>
              <td>
                <Link to={`/settings/user-sync/${integrationId}/runs/${r.id}`} aria-label={`View run from ${formatDateTime(r.startedAt ?? r.createdAt)}`}>
                  {r.status === 'blocked' ? 'Review' : 'View changes'}
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
