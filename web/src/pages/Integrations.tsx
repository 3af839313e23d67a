import { useState } from 'react';
import { client, data, errorMessage, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { Alert, Badge, Card, ConfirmDialog, EmptyState, ErrorState, PageHeader, ProviderLogo, ProviderMark, Spinner } from '../components/ui.tsx';
import { CONNECTION } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';
import { useProviders, type Provider } from '../providers.ts';
import { Link, useSearchParams } from '../router.tsx';

type Integration = Schema<'Integration'>;

export function IntegrationsPage() {
  useTitle('Integrations');
  const list = useApiQuery(q.integrations());
  const providers = useProviders();
  const catalogue = providers.data?.data ?? [];
  const nameOf = (id: string) => catalogue.find((p) => p.id === id)?.name;
  const [confirm, setConfirm] = useState<Integration | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  // The OAuth callback sends the admin back here when the provider's answer was refused.
  const [params] = useSearchParams();
  const oauthError = params.get('oauthError') ? (params.get('message') ?? 'The connection was refused.') : null;

  const integrations = list.data?.data ?? [];

  const disconnect = async (i: Integration) => {
    setBusy(`disconnect:${i.id}`);
    try {
      await data(client.POST('/api/v1/integrations/{id}/disconnect', { params: { path: { id: i.id } } }));
      setMessage({ tone: 'good', text: `${i.name} is disconnected and its credentials are deleted. Syncing is paused; the last synced values stay in ReFresh, unlocked. Click Reconnect to resume.` });
      list.reload();
    } catch (error) {
      setMessage({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(null);
      setConfirm(null);
    }
  };

  /** Ranks are a permutation 1..n: moving to a position renumbers the others (the API does it). */
  const move = async (i: Integration, to: number) => {
    setBusy(`move:${i.id}`);
    try {
      await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id: i.id } }, body: { priority: to } }));
      setMessage({ tone: 'good', text: `${i.name} is now priority ${to}. People shared by several sources were re-resolved.` });
      list.reload();
    } catch (error) {
      setMessage({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <PageHeader title="Integrations" subtitle="Connect your HR system. A connected integration syncs nothing until you enable User Auto-Sync or Group Sync for it." />
      {oauthError && (
        <Alert tone="bad" title="The connection did not complete">
          {oauthError} Start the connection again from the integration.
        </Alert>
      )}
      {message && <Alert tone={message.tone}>{message.text}</Alert>}

      <Card title="Your integrations">
        {list.loading && !list.data ? (
          <Spinner label="Loading integrations…" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : integrations.length === 0 ? (
          <EmptyState title="No integrations yet">Connect your HR system below to start syncing people into ReFresh.</EmptyState>
        ) : (
          <>
            {integrations.length > 1 && <p className="muted small">Priority decides which source wins when several provide the same field: 1 is the highest.</p>}
            <ul className="integration-list">
              {integrations.map((i, index) => {
                const conn = CONNECTION[i.connection.status] ?? { label: i.connection.status, tone: 'neutral' as const };
                const needsReconnect = i.connection.status !== 'connected';
                return (
                  <li key={i.id} className="integration-item" data-testid="integration" data-integration-id={i.id}>
                    <ProviderMark provider={i.provider} />
                    <div className="integration-main">
                      <div className="integration-title">
                        <h3>
                          <Link to={`/settings/integrations/${i.id}`}>{i.name}</Link>
                        </h3>
                        <Badge tone={conn.tone}>{conn.label}</Badge>
                      </div>
                      <p className="muted small">
                        {nameOf(i.provider) ? `${nameOf(i.provider)} · ` : ''}<span data-testid="priority">Priority {i.priority}</span>
                        {i.userSync.enabled ? ' · User Auto-Sync on' : ' · User Auto-Sync off'}
                        {i.groupSync.enabled ? ' · Group Sync on' : ''}
                      </p>
                      {i.connection.detail && <p className={`small ${needsReconnect ? 'text-bad' : 'muted'}`}>{i.connection.detail}</p>}
                      <div className="link-row">
                        {needsReconnect && (
                          <Link to={`/settings/integrations/${i.id}`} className="btn btn-primary btn-small" aria-label={`Reconnect ${i.name}`}>
                            Reconnect
                          </Link>
                        )}
                        <Link to={`/settings/user-sync/${i.id}`} className="btn btn-secondary btn-small">
                          User Auto-Sync
                        </Link>
                        <Link to={`/settings/group-sync/${i.id}`} className="btn btn-ghost btn-small">
                          Group Sync
                        </Link>
                        {i.connection.status !== 'disconnected' && (
                          <button type="button" className="btn btn-ghost-danger btn-small" onClick={() => setConfirm(i)} aria-label={`Disconnect ${i.name}`}>
                            Disconnect
                          </button>
                        )}
                      </div>
                    </div>
                    {integrations.length > 1 && (
                      <div className="priority-buttons" role="group" aria-label={`Priority of ${i.name}`}>
                        <button type="button" className="btn btn-ghost btn-small" disabled={index === 0 || busy !== null} onClick={() => void move(i, index)} aria-label={`Move ${i.name} up`}>
                          ↑
                        </button>
                        <button
                          type="button"
                          className="btn btn-ghost btn-small"
                          disabled={index === integrations.length - 1 || busy !== null}
                          onClick={() => void move(i, index + 2)}
                          aria-label={`Move ${i.name} down`}
                        >
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
        {providers.loading && !providers.data ? (
          <Spinner label="Loading the providers…" />
        ) : providers.error ? (
          <ErrorState error={providers.error} onRetry={providers.reload} />
        ) : (
          <ul className="catalogue">
            {catalogue.map((p) => (
              <li key={p.id} className="catalogue-item" data-testid="catalogue-item">
                <ProviderLogo initials={p.initials} size={44} />
                <div>
                  <h3>{p.name}</h3>
                  <p className="muted small">{p.blurb}</p>
                  <p className="muted small">Connects with: {connectsWith(p)}</p>
                </div>
                <Link to={`/settings/integrations/connect/${p.id}`} className="btn btn-primary btn-small" aria-label={`Connect ${p.name}`}>
                  Connect
                </Link>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <ConfirmDialog
        open={confirm !== null}
        title={`Disconnect ${confirm?.name ?? ''}?`}
        confirmLabel="Disconnect"
        busy={busy?.startsWith('disconnect:') ?? false}
        onCancel={() => setConfirm(null)}
        onConfirm={() => confirm && void disconnect(confirm)}
      >
        <p>ReFresh revokes and deletes the stored credentials and stops syncing from it (User Auto-Sync and Group Sync are turned off). People and their last synced values stay; fields it managed become editable.</p>
        <p>You can connect it again later: the same integration keeps its settings and links.</p>
      </ConfirmDialog>
    </>
  );
}

/** "API key or Sign in with … (OAuth 2.0)": the provider's ways to connect, from its descriptor. */
function connectsWith(p: Provider): string {
  return p.auth.map((m) => m.label).join(' or ');
}
