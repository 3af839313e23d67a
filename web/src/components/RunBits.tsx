import { useEffect, useState } from 'react';
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

const STEPS: { phase: string; label: string }[] = [
  { phase: 'fetching', label: 'Fetching' },
  { phase: 'planned', label: 'Planning' },
  { phase: 'applying', label: 'Applying' },
  { phase: 'groups', label: 'Groups' },
];

const PHASE: Record<string, string> = {
  queued: 'Waiting to start',
  fetching: 'Fetching people from the provider',
  planned: 'Working out the changes',
  applying: 'Applying changes',
  groups: 'Updating groups',
  done: 'Finishing',
};

/** The current time, ticking every second while `active` (for countdowns). */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, [active]);
  return now;
}

/** "Retrying after 429 in 7 s": why the run waits and for how long, counting down. */
export function retryText(retry: NonNullable<Run['progress']['retry']>, now: number): string {
  const seconds = Math.max(0, Math.ceil((Date.parse(retry.until) - now) / 1000));
  const why = retry.status ? String(retry.status) : retry.reason === 'rate_limited' ? 'the provider limited requests' : retry.reason === 'provider_unavailable' ? 'the provider did not answer' : 'a network error';
  return seconds > 0 ? `Retrying after ${why} in ${seconds} s` : `Retrying after ${why} now`;
}

/** Live progress of a queued or running run: its phase, people fetched of the total, a percentage, and any wait. */
export function RunProgressBar({ run }: { run: Run }) {
  const p = run.progress;
  const now = useNow(p.retry !== null);
  const pct = p.percent;
  const current = STEPS.findIndex((s) => s.phase === p.phase);
  const people = p.total !== null ? `${p.fetched.toLocaleString()} of ${p.total.toLocaleString()} people fetched` : `${p.fetched.toLocaleString()} people fetched`;
  return (
    <div className="progress" aria-live="polite" data-testid="run-progress" data-phase={p.phase}>
      <ol className="progress-steps" aria-label="Sync steps">
        {STEPS.map((s, n) => (
          <li key={s.phase} className={n < current ? 'step-done' : n === current ? 'step-current' : 'step-todo'} {...(n === current ? { 'aria-current': 'step' as const } : {})}>
            {s.label}
          </li>
        ))}
      </ol>
      <div className="progress-label">
        <strong>{PHASE[p.phase] ?? 'Working'}</strong>
        <span className="muted small" data-testid="run-progress-counts">
          {people}
          {p.toApply > 0 ? ` · ${p.applied.toLocaleString()} of ${p.toApply.toLocaleString()} changes applied` : ''}
          {pct !== null ? ` · ${pct}%` : ''}
        </span>
      </div>
      <div
        className={`progress-track${pct === null ? ' progress-indeterminate' : ''}`}
        role="progressbar"
        aria-label="Sync progress"
        aria-valuemin={0}
        aria-valuemax={100}
        {...(pct !== null ? { 'aria-valuenow': pct, 'aria-valuetext': `${pct}%` } : {})}
      >
        <div className="progress-fill" style={pct !== null ? { width: `${Math.max(3, Math.min(100, pct))}%` } : undefined} />
      </div>
      {p.retry && (
        <p className="small text-warn" data-testid="run-retry">
          {retryText(p.retry, now)}
        </p>
      )}
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

const TRIGGER: Record<string, string> = { manual: 'Sync now', schedule: 'Scheduled', webhook: 'Webhook', start: 'At start-up', cli: 'Command line', config: 'Settings changed' };

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
                {TRIGGER[r.trigger] ?? 'Started'} · {r.mode === 'full' ? 'everyone' : 'changes only'}
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
