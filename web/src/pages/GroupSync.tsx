import type { Integration, Page } from '../api/types.ts';
import { useCapabilities } from '../capabilities.tsx';
import { Badge, Card, EmptyState, ErrorState, PageHeader, Placeholder, ProviderLogo, Spinner } from '../components/ui.tsx';
import { CONNECTION, providerInitials } from '../format.ts';
import { useApi, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

export function GroupSyncPage() {
  useTitle('Group Sync');
  const caps = useCapabilities();
  const list = useApi<Page<Integration>>('/integrations');
  const integrations = list.data?.data ?? [];
  const editable = caps.bodyHas('patch', '/integrations/{id}', 'groupSync');
  return (
    <>
      <PageHeader title="Group Sync" subtitle="Turns your HR system's org structure (divisions, departments, locations, teams) into ReFresh groups, nested and labelled." />
      {list.loading && !list.data ? (
        <Spinner label="Loading integrations…" />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : integrations.length === 0 ? (
        <EmptyState title="No HR system connected" action={<Link to="/settings/integrations" className="btn btn-primary">Go to Integrations</Link>}>
          Group Sync needs a connected integration.
        </EmptyState>
      ) : (
        <Card title="Integrations">
          <ul className="integration-list">
            {integrations.map((i) => (
              <li key={i.id} className="integration-item">
                <ProviderLogo initials={providerInitials(i.provider)} />
                <div className="integration-main">
                  <div className="integration-title">
                    <h3>{i.name}</h3>
                    <Badge tone={CONNECTION[i.connection.status]?.tone ?? 'neutral'}>{CONNECTION[i.connection.status]?.label ?? i.connection.status}</Badge>
                    <Badge tone={i.groupSync.enabled ? 'good' : 'neutral'}>{i.groupSync.enabled ? 'Group Sync on' : 'Group Sync off'}</Badge>
                  </div>
                  <p className="muted small">
                    {i.groupSync.mapping.length === 0 ? 'No attributes mapped to groups yet.' : `Groups from: ${i.groupSync.mapping.map((m) => `${m.attribute} → ${m.type}`).join(', ')}`}
                  </p>
                </div>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {!editable && caps.ready && (
        <Placeholder title="Group Sync settings are on their way">
          <p>
            Here you will choose which attributes become groups, their type labels and nesting, see a preview tree with headcounts, and turn Group Sync on per integration. Synced groups
            will then appear under <Link to="/settings/groups">Groups</Link>.
          </p>
        </Placeholder>
      )}
    </>
  );
}
