import { useState } from 'react';
import { errorMessage, patch, post } from '../api/client.ts';
import type { Integration, Page } from '../api/types.ts';
import { useCapabilities } from '../capabilities.tsx';
import { Alert, Badge, Card, ConfirmDialog, EmptyState, ErrorState, PageHeader, ProviderLogo, Spinner } from '../components/ui.tsx';
import { CONNECTION, PROVIDERS, providerInitials, providerName } from '../format.ts';
import { useApi, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

export function IntegrationsPage() {
  useTitle('Integrations');
  const list = useApi<Page<Integration>>('/integrations');
  const caps = useCapabilities();
  const [confirm, setConfirm] = useState<Integration | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);

  const integrations = list.data?.data ?? [];
  const canDisconnect = caps.has('post', '/integrations/{id}/disconnect');
  const canReorder = caps.bodyHas('patch', '/integrations/{id}', 'priority');

  const disconnect = async (i: Integration) => {
    setBusy(true);
    try {
      await post(`/integrations/${i.id}/disconnect`);
      setMessage({ tone: 'good', text: `${i.name} is disconnected and its credentials are deleted. The last synced values stay in ReFresh, unlocked.` });
      list.reload();
    } catch (error) {
      setMessage({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
      setConfirm(null);
    }
  };

  const move = async (i: Integration, delta: -1 | 1) => {
    try {
      await patch(`/integrations/${i.id}`, { priority: i.priority + delta });
      list.reload();
    } catch (error) {
      setMessage({ tone: 'bad', text: errorMessage(error) });
    }
  };

  return (
    <>
      <PageHeader title="Integrations" subtitle="Connect your HR system. A connected integration syncs nothing until you enable User Auto-Sync or Group Sync for it." />
      {message && <Alert tone={message.tone}>{message.text}</Alert>}

      <Card title="Your integrations">
        {list.loading && !list.data ? (
          <Spinner label="Loading integrations…" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : integrations.length === 0 ? (
          <EmptyState title="No integrations yet">Connect BambooHR below to start syncing people into ReFresh.</EmptyState>
        ) : (
          <>
            {integrations.length > 1 && (
              <p className="muted small">
                Priority decides which source wins when several provide the same field: 1 is the highest.
              </p>
            )}
            <ul className="integration-list">
              {integrations.map((i, index) => {
                const conn = CONNECTION[i.connection.status] ?? { label: i.connection.status, tone: 'neutral' as const };
                const needsReconnect = i.connection.status !== 'connected';
                return (
                  <li key={i.id} className="integration-item" data-testid="integration">
                    <ProviderLogo initials={providerInitials(i.provider)} />
                    <div className="integration-main">
                      <div className="integration-title">
                        <h3>{i.name}</h3>
                        <Badge tone={conn.tone}>{conn.label}</Badge>
                      </div>
                      <p className="muted small">
                        {providerName(i.provider)} · Priority {i.priority}
                        {i.userSync.enabled ? ' · User Auto-Sync on' : ' · User Auto-Sync off'}
                      </p>
                      {i.connection.detail && <p className={`small ${needsReconnect ? 'text-bad' : 'muted'}`}>{i.connection.detail}</p>}
                      <div className="link-row">
                        <Link to={`/settings/user-sync/${i.id}`} className="btn btn-secondary btn-small">
                          User Auto-Sync
                        </Link>
                        <Link to="/settings/group-sync" className="btn btn-ghost btn-small">
                          Group Sync
                        </Link>
                        {needsReconnect && (
                          <Link to={`/settings/integrations/connect/${i.provider}?reconnect=${i.id}`} className="btn btn-primary btn-small">
                            Reconnect
                          </Link>
                        )}
                        {canDisconnect && i.connection.status !== 'disconnected' && (
                          <button type="button" className="btn btn-ghost-danger btn-small" onClick={() => setConfirm(i)}>
                            Disconnect
                          </button>
                        )}
                      </div>
                    </div>
                    {canReorder && integrations.length > 1 && (
                      <div className="priority-buttons" role="group" aria-label={`Priority of ${i.name}`}>
                        <button type="button" className="btn btn-ghost btn-small" disabled={index === 0} onClick={() => void move(i, -1)} aria-label={`Move ${i.name} up`}>
                          ↑
                        </button>
                        <button type="button" className="btn btn-ghost btn-small" disabled={index === integrations.length - 1} onClick={() => void move(i, 1)} aria-label={`Move ${i.name} down`}>
                          ↓
                        </button>
                      </div>
                    )}
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </Card>

      <Card title="Add an integration">
        <ul className="catalogue">
          {PROVIDERS.map((p) => (
            <li key={p.id} className={`catalogue-item${p.available ? '' : ' catalogue-soon'}`}>
              <ProviderLogo initials={p.initials} size={44} />
              <div>
                <h3>{p.name}</h3>
                <p className="muted small">{p.blurb}</p>
                <p className="muted small">Connects with: {p.auth}</p>
              </div>
              {p.available ? (
                <Link to={`/settings/integrations/connect/${p.id}`} className="btn btn-primary btn-small" aria-label={`Connect ${p.name}`}>
                  Connect
                </Link>
              ) : (
                <Badge tone="neutral">Coming soon</Badge>
              )}
            </li>
          ))}
        </ul>
      </Card>

      <ConfirmDialog
        open={confirm !== null}
        title={`Disconnect ${confirm?.name ?? ''}?`}
        confirmLabel="Disconnect"
        busy={busy}
        onCancel={() => setConfirm(null)}
        onConfirm={() => confirm && void disconnect(confirm)}
      >
        <p>ReFresh revokes and deletes the stored credentials and stops syncing from it. People and their last synced values stay; fields it managed become editable.</p>
        <p>You can connect it again later.</p>
      </ConfirmDialog>
    </>
  );
}
