import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, client, data, errorMessage, type Body, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { isActive, RunHistory, RunProgressBar, RunStatusBadge, RunSummaryLine } from '../components/RunBits.tsx';
import { FieldMappingEditor, ScopeEditor } from '../components/SyncEditors.tsx';
import { SafeguardEditor } from '../components/SafeguardEditor.tsx';
import { Alert, Badge, Card, EmptyState, ErrorState, GoToIntegrations, PageHeader, ProviderMark, Spinner } from '../components/ui.tsx';
import { CADENCE_LABEL, CONNECTION, HEALTH, clockTime, formatDateTime, relativeTime } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';
import { Link, useSearchParams } from '../router.tsx';

type Integration = Schema<'Integration'>;
type Run = Schema<'Run'>;
type Cadence = Integration['userSync']['cadence'];
const CADENCES: readonly Cadence[] = ['1h', '4h', '12h', '24h'];

type Notice = { tone: 'good' | 'bad' | 'info' | 'warn'; text: ReactNode } | null;

export function UserSyncPage({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const integration = useApiQuery(q.integration(id));
  const runs = useApiQuery(q.runs({ integrationId: id, limit: 20 }));
  const [params] = useSearchParams();
  const [followId, setFollowId] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(params.get('connected') ? { tone: 'good', text: 'Connected. Turn on User Auto-Sync below to start syncing people.' } : null);
  const [busy, setBusy] = useState<string | null>(null);
  const i = integration.data;
  useTitle(i ? `User Auto-Sync · ${i.name}` : 'User Auto-Sync');

  // Follow whichever run is queued or running: the one we started, or one found in the history.
  const activeInHistory = runs.data?.data.find(isActive) ?? null;
  const following = followId ?? activeInHistory?.id ?? null;
  const followed = useApiQuery({ ...q.run(following ?? ''), enabled: following !== null, refetchInterval: (query) => (query.state.data && !isActive(query.state.data) ? false : 1000) });
  const live = following !== null && followed.data?.id === following ? followed.data : null;
  const reported = useRef(new Set<string>());
  useEffect(() => {
    if (!live || isActive(live) || reported.current.has(live.id)) return;
    reported.current.add(live.id);
    setFollowId(null);
    void queryClient.invalidateQueries({ queryKey: ['integrations'] });
    void queryClient.invalidateQueries({ queryKey: ['runs'] });
    const tone = live.status === 'succeeded' ? 'good' : live.status === 'blocked' || live.status === 'partial' ? 'warn' : 'bad';
    setNotice({
      tone,
      text: (
        <span data-testid="sync-finished">
          {runOutcome(live)}: <RunSummaryLine run={live} />.{' '}
          {live.error && <span>{live.error.message} </span>}
          <Link to={`/settings/user-sync/${id}/runs/${live.id}`}>{live.status === 'blocked' ? 'Review the blocked run' : 'See every change'}</Link>
        </span>
      ),
    });
  }, [live, id, queryClient]);

  if (integration.loading && !i) return <Spinner label="Loading User Auto-Sync…" />;
  if (integration.error || !i) {
    return (
      <>
        <PageHeader title="User Auto-Sync" back={<Link to="/settings/user-sync">← User Auto-Sync</Link>} actions={<GoToIntegrations />} />
        <ErrorState error={integration.error ?? 'not found'} onRetry={integration.reload} />
      </>
    );
  }

  const connected = i.connection.status === 'connected';
  const health = HEALTH[i.health.state] ?? { label: i.health.state, tone: 'neutral' as const };
  const blockedRun = runs.data?.data.find((r) => r.status === 'blocked') ?? null;

  const change = async (what: string, body: Body<'/api/v1/integrations/{id}', 'patch'>, done: string) => {
    setBusy(what);
    try {
      const updated = await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id } }, body }));
      integration.set(updated);
      setNotice({ tone: 'good', text: done });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      return true;
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
      return false;
    } finally {
      setBusy(null);
    }
  };

  const syncNow = async (mode: 'incremental' | 'full') => {
    setBusy('sync');
    setNotice(null);
    try {
      const res = await data(client.POST('/api/v1/integrations/{id}/sync', { params: { path: { id } }, body: { mode } }));
      setFollowId(res.runId);
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'run_in_progress' && typeof error.details.runId === 'string') {
        setFollowId(error.details.runId);
        setNotice({ tone: 'info', text: 'A sync was already running; showing its progress.' });
      } else if (error instanceof ApiError && error.code === 'run_blocked' && typeof error.details.runId === 'string') {
        setNotice({
          tone: 'warn',
          text: (
            <>
              {error.message} <Link to={`/settings/user-sync/${id}/runs/${error.details.runId}`}>Review it</Link>
            </>
          ),
        });
      } else {
        setNotice({ tone: 'bad', text: errorMessage(error) });
      }
    } finally {
      setBusy(null);
    }
  };

  const syncDisabledReason = !connected
    ? `${i.name} is not connected.`
    : !i.userSync.enabled
      ? 'Turn on User Auto-Sync first.'
      : blockedRun
        ? 'A run is waiting for approval.'
        : null;

  return (
    <>
      <PageHeader
        back={<Link to="/settings/user-sync">← User Auto-Sync</Link>}
        title={
          <span className="title-with-logo">
            <ProviderMark provider={i.provider} size={36} /> {i.name}
          </span>
        }
        subtitle={
          <>
            <Badge tone={CONNECTION[i.connection.status]?.tone ?? 'neutral'}>{CONNECTION[i.connection.status]?.label ?? i.connection.status}</Badge> · Priority {i.priority}
          </>
        }
        actions={
          <>
            <GoToIntegrations />
            <button type="button" className="btn btn-secondary" onClick={() => void syncNow('full')} disabled={!!syncDisabledReason || busy === 'sync' || following !== null} title="Fetch everyone, not only changes">
              Full sync
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void syncNow('incremental')} disabled={!!syncDisabledReason || busy === 'sync' || following !== null} aria-describedby={syncDisabledReason ? 'sync-disabled-reason' : undefined}>
              {following ? 'Syncing…' : 'Sync now'}
            </button>
          </>
        }
      />
      {syncDisabledReason && (
        <p className="muted small right" id="sync-disabled-reason">
          Sync now is unavailable: {syncDisabledReason}
        </p>
      )}
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}

      <div className="grid-2">
        <Card title="Status">
          <div className="health" data-testid="health" data-state={i.health.state}>
            <Badge tone={health.tone}>{health.label}</Badge>
            <p>{i.health.message}</p>
            {i.health.nextAttemptAt && <p className="small" data-testid="next-attempt">Next attempt at {clockTime(i.health.nextAttemptAt)}.</p>}
            <NextAction integration={i} blockedRun={blockedRun} />
          </div>
          {live && isActive(live) && <RunProgressBar run={live} />}
          {followed.error !== null && following !== null && <Alert tone="bad">Cannot follow the sync: {errorMessage(followed.error)}</Alert>}
          <dl className="facts">
            <div>
              <dt>Last run</dt>
              <dd>
                {i.userSync.lastRun ? (
                  <>
                    <RunStatusBadge run={i.userSync.lastRun} /> {relativeTime(i.userSync.lastRun.finishedAt ?? i.userSync.lastRun.createdAt)} ·{' '}
                    <Link to={`/settings/user-sync/${id}/runs/${i.userSync.lastRun.id}`}>details</Link>
                  </>
                ) : (
                  'Never'
                )}
              </dd>
            </div>
            <div>
              <dt>Next run</dt>
              <dd title={formatDateTime(i.userSync.nextRunAt)}>{i.userSync.enabled ? (i.userSync.nextRunAt ? relativeTime(i.userSync.nextRunAt) : 'Soon') : 'Not scheduled (off)'}</dd>
            </div>
          </dl>
        </Card>

        <Card title="Settings">
          <div className="setting-row">
            <div>
              <label htmlFor="usersync-enabled" className="setting-label">
                User Auto-Sync
              </label>
              <p className="muted small" id="usersync-enabled-hint">
                {connected ? (i.userSync.enabled ? 'On: people are synced on the schedule below.' : 'Off: nothing is synced from this integration.') : `Unavailable: ${i.name} is ${CONNECTION[i.connection.status]?.label.toLowerCase() ?? i.connection.status}. Connect it on Integrations first.`}
              </p>
            </div>
            <input
              id="usersync-enabled"
              type="checkbox"
              role="switch"
              className="switch"
              checked={i.userSync.enabled}
              disabled={(!connected && !i.userSync.enabled) || busy === 'enabled'}
              aria-describedby="usersync-enabled-hint"
              onChange={(e) => void change('enabled', { userSync: { enabled: e.target.checked } }, e.target.checked ? 'User Auto-Sync is on; the first sync starts now.' : 'User Auto-Sync is off.')}
            />
          </div>
          <div className="setting-row">
            <div>
              <label htmlFor="usersync-cadence" className="setting-label">
                Sync every
              </label>
              <p className="muted small">How often ReFresh checks {i.name} for changes.</p>
            </div>
            <select
              id="usersync-cadence"
              value={i.userSync.cadence}
              disabled={busy === 'cadence'}
              onChange={(e) => void change('cadence', { userSync: { cadence: e.target.value as Cadence } }, `Syncs ${CADENCE_LABEL[e.target.value]?.toLowerCase()}.`)}
            >
              {CADENCES.map((c) => (
                <option key={c} value={c}>
                  {CADENCE_LABEL[c]}
                </option>
              ))}
            </select>
          </div>
          {i.userSync.safeguard && (
            <div className="setting-block">
              <h3 className="setting-label">Safeguard</h3>
              <SafeguardEditor integrationId={id} safeguard={i.userSync.safeguard} onSaved={(updated) => integration.set(updated)} />
            </div>
          )}
        </Card>
      </div>

      <Card title="Run history" actions={<button type="button" className="btn btn-ghost btn-small" onClick={runs.reload}>Refresh</button>}>
        {runs.loading && !runs.data ? (
          <Spinner label="Loading runs…" />
        ) : runs.error ? (
          <ErrorState error={runs.error} onRetry={runs.reload} />
        ) : (runs.data?.data.length ?? 0) === 0 ? (
          <EmptyState title="No runs yet">{i.userSync.enabled ? 'Click Sync now to run the first sync.' : 'Turn on User Auto-Sync to run the first sync.'}</EmptyState>
        ) : (
          <RunHistory runs={runs.data!.data} integrationId={id} />
        )}
      </Card>

      <ScopeEditor integration={i} onSaved={(u) => integration.set(u)} />
      <FieldMappingEditor integration={i} onSaved={(u) => integration.set(u)} />
    </>
  );
}

/** "Sync finished", "Sync blocked"… never a bare status. */
function runOutcome(run: Run): string {
  switch (run.status) {
    case 'succeeded':
      return 'Sync finished';
    case 'partial':
      return 'Sync partly finished';
    case 'blocked':
      return 'Sync blocked';
    case 'rejected':
      return 'Sync rejected';
    default:
      return 'Sync failed';
  }
}

function NextAction({ integration: i, blockedRun }: { integration: Integration; blockedRun: Run | null }) {
  switch (i.health.state) {
    case 'authorisation_expired':
    case 'disconnected':
      return (
        <Link to="/settings/integrations" className="btn btn-primary btn-small">
          {i.health.state === 'disconnected' ? 'Connect on Integrations' : 'Reconnect on Integrations'}
        </Link>
      );
    case 'provider_unavailable':
      return i.health.statusPageUrl ? (
        <a href={i.health.statusPageUrl} target="_blank" rel="noreferrer noopener" className="btn btn-secondary btn-small">
          Open the provider's status page
        </a>
      ) : null;
    case 'blocked_by_safeguard':
      return blockedRun ? (
        <Link to={`/settings/user-sync/${i.id}/runs/${blockedRun.id}`} className="btn btn-primary btn-small">
          Review the blocked run
        </Link>
      ) : null;
    case 'failing':
      return i.userSync.lastRun ? (
        <Link to={`/settings/user-sync/${i.id}/runs/${i.userSync.lastRun.id}`} className="btn btn-secondary btn-small">
          See the failed run
        </Link>
      ) : (
        <Link to="/settings/integrations" className="btn btn-secondary btn-small">
          Check the connection
        </Link>
      );
    default:
      return null;
  }
}
