import { q } from '../api/queries.ts';
import { Badge, EmptyState, ErrorState, GoToIntegrations, PageHeader, ProviderMark, Spinner } from '../components/ui.tsx';
import { CADENCE_LABEL, CONNECTION, HEALTH, relativeTime } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

export function UserSyncListPage() {
  useTitle('User Auto-Sync');
  const list = useApiQuery(q.integrations());
  const integrations = list.data?.data ?? [];
  return (
    <>
      <PageHeader title="User Auto-Sync" subtitle="Keeps ReFresh's people in step with your HR system: new hires are added, changes follow, leavers are deactivated." actions={<GoToIntegrations primary={integrations.length === 0} />} />
      {list.loading && !list.data ? (
        <Spinner label="Loading integrations…" />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : integrations.length === 0 ? (
        <EmptyState title="No HR system connected">
          Connect an integration first; then turn on User Auto-Sync for it here.
        </EmptyState>
      ) : (
        <ul className="sync-cards">
          {integrations.map((i) => {
            const h = HEALTH[i.health.state] ?? { label: i.health.state, tone: 'neutral' as const };
            const conn = CONNECTION[i.connection.status];
            return (
              <li key={i.id} className="card sync-card">
                <div className="sync-card-head">
                  <ProviderMark provider={i.provider} />
                  <div>
                    <h2>
                      <Link to={`/settings/user-sync/${i.id}`}>{i.name}</Link>
                    </h2>
                    <p className="muted small">
                      {conn?.label ?? i.connection.status} · {i.userSync.enabled ? CADENCE_LABEL[i.userSync.cadence] : 'Off'}
                    </p>
                  </div>
                  <Badge tone={h.tone}>{h.label}</Badge>
                </div>
                <p>{i.health.message}</p>
                <dl className="inline-facts">
                  <div>
                    <dt>Last run</dt>
                    <dd>{relativeTime(i.userSync.lastRun?.finishedAt ?? null)}</dd>
                  </div>
                  <div>
                    <dt>Next run</dt>
                    <dd>{i.userSync.enabled ? relativeTime(i.userSync.nextRunAt) : '—'}</dd>
                  </div>
                </dl>
                <Link to={`/settings/user-sync/${i.id}`} className="btn btn-secondary btn-small" aria-label={`Open User Auto-Sync for ${i.name}`}>
                  Open
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
