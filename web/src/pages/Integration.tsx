import { useState } from 'react';
import { client, data, errorMessage } from '../api/client.ts';
import { q, queryClient } from '../api/queries.ts';
import { Alert, Badge, Card, ConfirmDialog, ErrorState, PageHeader, ProviderMark, Spinner } from '../components/ui.tsx';
import { CONNECTION, HEALTH, clockTime, formatDateTime, type Tone } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';
import { useProvider } from '../providers.ts';
import { Link, useNavigate, useSearchParams } from '../router.tsx';
import { ReconnectForm } from './Connect.tsx';

/** One integration: connection status with what to do next, reconnect in place, disconnect, remove. The OAuth callback lands here with ?connected=1. */
export function IntegrationPage({ id }: { id: string }) {
  const integration = useApiQuery(q.integration(id));
  const provider = useProvider(integration.data?.provider ?? '');
  const [params, setParams] = useSearchParams();
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [confirm, setConfirm] = useState<'disconnect' | 'remove' | null>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const i = integration.data;
  useTitle(i ? `${i.name} · Integrations` : 'Integration');
  const back = <Link to="/settings/integrations">← Integrations</Link>;
  const justConnected = params.get('connected') === '1';

  if (integration.loading && !i) return <Spinner label="Loading the integration…" />;
  if (integration.error || !i) {
    return (
      <>
        <PageHeader title="Integration" back={back} />
        <ErrorState error={integration.error ?? 'not found'} onRetry={integration.reload} />
      </>
    );
  }

  const conn = CONNECTION[i.connection.status] ?? { label: i.connection.status, tone: 'neutral' as const };
  const health = HEALTH[i.health.state] ?? { label: i.health.state, tone: 'neutral' as const };
  const connected = i.connection.status === 'connected';
  // The provider's status page, from its descriptor (GET /providers): shown whatever the health.
  const statusPage = provider?.statusPageUrl ?? i.health.statusPageUrl;
  const source = provider?.name ?? i.name;
  const nextAttempt = i.health.nextAttemptAt;

  const disconnect = async () => {
    setBusy(true);
    try {
      const updated = await data(client.POST('/api/v1/integrations/{id}/disconnect', { params: { path: { id: i.id } } }));
      integration.set(updated);
      setParams({ connected: null });
      setNotice({ tone: 'good', text: `${i.name} is disconnected and its credentials are deleted. Syncing is paused. Reconnect below to resume.` });
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
      setConfirm(null);
    }
  };

  // DELETE keeps the history: runs, changes and audit stay; people keep their last values, unlocked.
  const remove = async () => {
    setBusy(true);
    try {
      await data(client.DELETE('/api/v1/integrations/{id}', { params: { path: { id: i.id } } }));
      await queryClient.invalidateQueries({ queryKey: ['integrations'] });
      navigate('/settings/integrations');
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
      setBusy(false);
      setConfirm(null);
    }
  };

  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="title-with-logo">
            <ProviderMark provider={i.provider} size={36} /> {i.name}
          </span>
        }
        subtitle={
          <>
            {provider ? `${provider.name} · ` : ''}Priority {i.priority} · <Badge tone={conn.tone}>{conn.label}</Badge>
          </>
        }
        actions={
          <>
            {i.connection.status !== 'disconnected' && (
              <button type="button" className="btn btn-ghost-danger" onClick={() => setConfirm('disconnect')}>
                Disconnect
              </button>
            )}
            <button type="button" className="btn btn-ghost-danger" onClick={() => setConfirm('remove')}>
              Remove
            </button>
          </>
        }
      />
      {justConnected && connected && !notice && (
        <Alert tone="good" title={`${i.name} is connected`}>
          {i.userSync.enabled ? 'Syncing resumes on its schedule.' : 'Next: turn on User Auto-Sync to start bringing people in.'} <Link to={`/settings/user-sync/${i.id}`}>Open User Auto-Sync</Link>
        </Alert>
      )}
      {justConnected && !connected && !notice && <Alert tone="bad">The sign-in came back, but {i.name} is {conn.label.toLowerCase()}: {i.connection.detail ?? 'try again.'}</Alert>}
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}

      <div className="grid-2">
        <Card title="Status">
          <p data-testid="connection-status">
            <Badge tone={conn.tone}>{conn.label}</Badge> <Badge tone={health.tone}>{health.label}</Badge>
          </p>
          <p data-testid="health-message">{i.health.message}</p>
          {nextAttempt && <p className="small">Next attempt at {clockTime(nextAttempt)}.</p>}
          {i.connection.detail && <p className={`small ${connected ? 'muted' : 'text-bad'}`}>{i.connection.detail}</p>}
          {statusPage && (
            <p className="small" data-testid="status-page">
              Is {source} having trouble?{' '}
              <a href={statusPage} target="_blank" rel="noreferrer noopener">
                {source} status page
              </a>
            </p>
          )}
          <p className="muted small">Connection changed {formatDateTime(i.connection.changedAt)}</p>
          <div className="link-row">
            <Link to={`/settings/user-sync/${i.id}`} className="btn btn-secondary btn-small">
              User Auto-Sync
            </Link>
            <Link to={`/settings/group-sync/${i.id}`} className="btn btn-ghost btn-small">
              Group Sync
            </Link>
          </div>
        </Card>
        <Card title={connected ? 'Replace credentials' : 'Reconnect'}>
          <p className="muted small">
            {connected ? 'Use this when the key was rotated.' : 'Connect again to resume syncing.'} The same integration keeps its settings, links to people and history.
          </p>
          <ReconnectForm
            integration={i}
            onReconnected={(updated) => {
              integration.set(updated);
              setParams({ connected: null });
              setNotice(
                updated.connection.status === 'connected'
                  ? { tone: 'good', text: `${updated.name} is connected again.${updated.userSync.enabled ? ' A verification sync has started and syncing resumes on its schedule.' : ' Turn on User Auto-Sync to resume syncing.'}` }
                  : { tone: 'bad', text: `${updated.name} is ${CONNECTION[updated.connection.status]?.label.toLowerCase() ?? updated.connection.status}: ${updated.connection.detail ?? 'check the credentials.'}` },
              );
            }}
          />
        </Card>
      </div>

      <ConfirmDialog open={confirm === 'disconnect'} title={`Disconnect ${i.name}?`} confirmLabel="Disconnect" busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => void disconnect()}>
        <p>ReFresh revokes and deletes the stored credentials and stops syncing from it (User Auto-Sync and Group Sync are turned off). People and their last synced values stay; fields it managed become editable.</p>
        <p>You can connect it again later: the same integration keeps its settings and links.</p>
      </ConfirmDialog>
      <ConfirmDialog open={confirm === 'remove'} title={`Remove ${i.name}?`} confirmLabel="Remove integration" busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => void remove()}>
        <p>ReFresh disconnects it (revoking and deleting its credentials) and removes it from your integrations. People it synced stay, with their last values, which become editable; its groups stay as manual groups.</p>
        <p>Its run history and audit trail are kept. To sync from {source} again later, connect it as a new integration.</p>
      </ConfirmDialog>
    </>
  );
}
