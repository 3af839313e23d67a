import { useEffect, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { ApiError, client, data, errorMessage, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { isActive, RunProgressBar, RunStatusBadge } from '../components/RunBits.tsx';
import { Alert, Badge, Card, ConfirmDialog, Counts, EmptyState, ErrorState, PageHeader, Spinner } from '../components/ui.tsx';
import { duration, fieldLabel, formatDateTime, runErrorTitle, type Tone } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';
import { Link, useNavigate } from '../router.tsx';

type ChangeKind = Schema<'RunChange'>['kind'];

const KINDS: { value: ChangeKind | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'created', label: 'Created' },
  { value: 'updated', label: 'Updated' },
  { value: 'deactivated', label: 'Deactivated' },
  { value: 'reactivated', label: 'Reactivated' },
  { value: 'skipped', label: 'Skipped' },
  { value: 'failed', label: 'Failed' },
];

const KIND_TONE: Partial<Record<ChangeKind, Tone>> = { created: 'good', updated: 'info', deactivated: 'bad', reactivated: 'good', skipped: 'neutral', failed: 'bad' };

export function RunPage({ integrationId, runId }: { integrationId: string; runId: string }) {
  useTitle('Run');
  // Polled every second while the run is queued or running.
  const run = useApiQuery({ ...q.run(runId), refetchInterval: (query) => (isActive(query.state.data) ? 1000 : false) });
  const integration = useApiQuery(q.integration(integrationId));
  const [kind, setKind] = useState<ChangeKind | ''>('');
  const [decision, setDecision] = useState<'approve' | 'reject' | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [changesVersion, setChangesVersion] = useState(0);
  const navigate = useNavigate();
  const r = run.data;

  // When the run finishes, its change list is read again (what was staged is now applied).
  const active = isActive(r);
  const [wasActive, setWasActive] = useState(active);
  useEffect(() => {
    if (wasActive && !active) setChangesVersion((v) => v + 1);
    setWasActive(active);
  }, [active, wasActive]);

  const decide = async (what: 'approve' | 'reject') => {
    setBusy(true);
    try {
      const next = await data(what === 'approve' ? client.POST('/api/v1/runs/{id}/approve', { params: { path: { id: runId } } }) : client.POST('/api/v1/runs/{id}/reject', { params: { path: { id: runId } } }));
      run.set(next);
      setNotice(
        what === 'approve'
          ? { tone: 'good', text: 'Approved: the staged changes are being applied now (exactly once).' }
          : { tone: 'info', text: 'Rejected: nothing from this run was applied. Fix the cause in the HR system or the scope, then sync again.' },
      );
    } catch (error) {
      // A stale plan is set aside by the server; the run's own error then offers a fresh sync.
      if (!(error instanceof ApiError && error.code === 'plan_stale')) setNotice({ tone: 'bad', text: errorMessage(error) });
      run.reload();
    } finally {
      setBusy(false);
      setDecision(null);
    }
  };

  const freshSync = async () => {
    setBusy(true);
    try {
      const res = await data(client.POST('/api/v1/integrations/{id}/sync', { params: { path: { id: integrationId } }, body: { mode: r?.mode ?? 'incremental' } }));
      navigate(`/settings/user-sync/${integrationId}/runs/${res.runId}`);
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  const back = <Link to={`/settings/user-sync/${integrationId}`}>← {integration.data?.name ?? 'User Auto-Sync'}</Link>;
  if (run.loading && !r) return <Spinner label="Loading the run…" />;
  if (run.error || !r) {
    return (
      <>
        <PageHeader title="Run" back={back} />
        <ErrorState error={run.error ?? 'not found'} onRetry={run.reload} />
      </>
    );
  }

  // A held run has applied nothing yet: its summary and the approval dialog show what it plans.
  const held = r.status === 'blocked' && r.planned !== null;
  const c = held && r.planned ? r.planned : r.counts;
  return (
    <>
      <PageHeader
        back={back}
        title={
          <>
            {r.mode === 'full' ? 'Full' : 'Incremental'} sync <RunStatusBadge run={r} />
          </>
        }
        subtitle={`Started ${formatDateTime(r.startedAt ?? r.createdAt)} by ${r.trigger} · ${r.finishedAt ? `took ${duration(r.startedAt, r.finishedAt)}` : r.status === 'blocked' ? 'waiting for approval' : 'in progress'}`}
      />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {r.status === 'blocked' && (
        <div className="alert alert-warn blocked-banner" role="status">
          <strong className="alert-title">Held by the safeguard — nothing has been applied</strong>
          <p>{r.error?.message ?? `This run would deactivate ${c.deactivated} people. Review the changes below, then approve to apply them exactly once, or reject to discard them.`}</p>
          <div className="link-row">
            <button type="button" className="btn btn-primary" onClick={() => setDecision('approve')}>
              Approve and apply
            </button>
            <button type="button" className="btn btn-ghost-danger" onClick={() => setDecision('reject')}>
              Reject
            </button>
          </div>
        </div>
      )}
      {r.error?.code === 'plan_stale' && (
        <div className="alert alert-warn" role="status">
          <strong className="alert-title">Not applied: the data moved since this run was planned</strong>
          <p>{r.error.message}</p>
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void freshSync()}>
            Run a fresh sync
          </button>
        </div>
      )}
      {r.error && r.status !== 'blocked' && r.error.code !== 'plan_stale' && <Alert tone="bad" title={runErrorTitle(r.error.code)}>{r.error.message}</Alert>}
      {isActive(r) && (
        <Card>
          <RunProgressBar run={r} />
        </Card>
      )}
      <Card title={held ? 'Summary (planned, not yet applied)' : 'Summary'}>
        <Counts
          items={[
            ['Fetched', c.fetched],
            ['In scope', c.inScope],
            ['Created', c.created],
            ['Updated', c.updated],
            ['Deactivated', c.deactivated],
            ['Reactivated', c.reactivated],
            ['Unchanged', c.unchanged],
            ['Skipped', c.skipped],
            ['Failed', c.failed],
          ]}
        />
      </Card>
      <Card title="Changes">
        <div className="tabs" role="group" aria-label="Show changes of kind">
          {KINDS.map((k) => (
            <button key={k.value || 'all'} type="button" className={`tab${kind === k.value ? ' tab-active' : ''}`} aria-pressed={kind === k.value} onClick={() => setKind(k.value)}>
              {k.label}
            </button>
          ))}
        </div>
        <ChangeList runId={runId} kind={kind} version={changesVersion} staged={r.status === 'blocked'} status={r.status} />
      </Card>
      <ConfirmDialog
        open={decision !== null}
        title={decision === 'approve' ? 'Apply this run?' : 'Reject this run?'}
        confirmLabel={decision === 'approve' ? 'Approve and apply' : 'Reject run'}
        tone={decision === 'approve' ? 'primary' : 'danger'}
        busy={busy}
        onCancel={() => setDecision(null)}
        onConfirm={() => decision && void decide(decision)}
      >
        {decision === 'approve' ? (
          <p>
            {c.deactivated} people will be deactivated, together with the run's other changes. This cannot be undone by rejecting later; a rehire in the HR system reactivates a person.
          </p>
        ) : (
          <p>Nothing from this run will be applied. The next sync plans again from the HR system's current data.</p>
        )}
      </ConfirmDialog>
    </>
  );
}

function ChangeList({ runId, kind, version, staged, status }: { runId: string; kind: ChangeKind | ''; version: number; staged: boolean; status: string }) {
  const changes = useInfiniteQuery({
    queryKey: ['run', runId, 'changes', kind, version],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => data(client.GET('/api/v1/runs/{id}/changes', { params: { path: { id: runId }, query: { limit: 100, ...(kind ? { kind } : {}), ...(pageParam ? { cursor: pageParam } : {}) } }, signal })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = changes.data?.pages.flatMap((p) => p.data) ?? [];
  const error = changes.error;
  const loading = changes.isFetching;
  const cursor = changes.hasNextPage;

  if (error && items.length === 0) return <ErrorState error={error} onRetry={() => void changes.refetch()} />;
  if (loading && items.length === 0) return <Spinner label="Loading changes…" />;
  // A run that failed or has not finished says so: "up to date" is only what a finished run found.
  const none = status === 'failed' ? 'The run stopped before it changed anyone.' : status === 'succeeded' || status === 'partial' ? 'Everyone was already up to date.' : 'Nothing has changed yet.';
  if (items.length === 0) return <EmptyState title="No changes">{kind ? `This run has no ${kind} changes.` : none}</EmptyState>;
  return (
    <>
      {staged && <p className="muted small">These changes are staged: none is applied until you approve.</p>}
      <ul className="change-list" data-testid="change-list">
        {items.map((ch) => (
          <li key={ch.seq} className="change" data-kind={ch.kind}>
            <div className="change-head">
              <Badge tone={KIND_TONE[ch.kind] ?? 'neutral'}>{ch.kind}</Badge>
              {ch.employeeId ? <Link to={`/settings/employees/${ch.employeeId}`}>{ch.displayName ?? ch.employeeId}</Link> : <span>{ch.displayName ?? 'Unknown person'}</span>}
              {ch.externalId && <span className="muted small">id {ch.externalId}</span>}
            </div>
            {ch.reason && <p className="change-reason">{ch.reason}</p>}
            {ch.kind === 'updated' && <Diff before={ch.before} after={ch.after} />}
          </li>
        ))}
      </ul>
      {error !== null && <Alert tone="bad">{errorMessage(error)}</Alert>}
      {cursor && (
        <button type="button" className="btn btn-secondary" onClick={() => void changes.fetchNextPage()} disabled={loading}>
          {loading ? 'Loading…' : 'Load more changes'}
        </button>
      )}
    </>
  );
}

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '(empty)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function Diff({ before, after }: { before: Record<string, unknown> | null; after: Record<string, unknown> | null }) {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
  if (keys.length === 0) return null;
  return (
    <table className="diff">
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th scope="row">{fieldLabel(k)}</th>
            <td>
              <del>{show(before?.[k])}</del> <span aria-label="changed to">→</span> <ins>{show(after?.[k])}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
