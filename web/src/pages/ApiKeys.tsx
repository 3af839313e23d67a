import { useState, type FormEvent } from 'react';
import { client, data, errorMessage, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { useAuth } from '../auth.tsx';
import { Alert, Card, ConfirmDialog, EmptyState, ErrorState, Field, PageHeader, Spinner } from '../components/ui.tsx';
import { formatDateTime, type Tone } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';

type ApiKeyInfo = Schema<'ApiKey'>;

/** The organization's API keys: when each was last used, create one (shown once), revoke. */
export function ApiKeysPage() {
  useTitle('API keys');
  const { user } = useAuth();
  const canEdit = user?.role === 'organization_admin';
  const keys = useApiQuery(q.apiKeys());
  const [name, setName] = useState('');
  const [created, setCreated] = useState<(ApiKeyInfo & { key: string }) | null>(null);
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setNotice(null);
    try {
      setCreated(await data(client.POST('/api/v1/api-keys', { body: { name } })));
      setName('');
      keys.reload();
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    try {
      await data(client.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: revoking.id } } }));
      setNotice({ tone: 'good', text: `Revoked "${revoking.name}": it stopped working at once.` });
      if (created?.id === revoking.id) setCreated(null);
      keys.reload();
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };

  const rows = keys.data?.data ?? [];
  return (
    <>
      <PageHeader title="API keys" subtitle="Keys let scripts and other systems use the ReFresh API as an Organization Admin. Revoke a key you no longer use or that may have leaked." />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {created && (
        <Alert tone="good" title={`Key "${created.name}" created`}>
          Copy it now: it is shown only once. <code data-testid="new-api-key">{created.key}</code>
        </Alert>
      )}
      {canEdit && (
        <Card title="Create a key">
          <form className="form" onSubmit={(e) => void create(e)} aria-label="Create an API key">
            <Field label="Name" htmlFor="api-key-name" hint="What uses the key, e.g. “HR reporting script”.">
              <input id="api-key-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
            </Field>
            <div className="form-actions">
              <button type="submit" className="btn btn-primary" disabled={busy || name.trim() === ''}>
                Create key
              </button>
            </div>
          </form>
        </Card>
      )}
      <Card title="Keys">
        {keys.loading && !keys.data ? (
          <Spinner label="Loading keys…" />
        ) : keys.error ? (
          <ErrorState error={keys.error} onRetry={keys.reload} />
        ) : rows.length === 0 ? (
          <EmptyState title="No API keys">Nothing can use the API with a key until you create one.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  {canEdit && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {rows.map((k) => (
                  <tr key={k.id} data-testid="api-key-row">
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{formatDateTime(k.createdAt)}</td>
                    <td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : 'Never'}</td>
                    {canEdit && (
                      <td>
                        <button type="button" className="btn btn-danger btn-small" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                          Revoke
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <ConfirmDialog open={revoking !== null} title={`Revoke "${revoking?.name ?? ''}"?`} confirmLabel="Revoke key" busy={busy} onConfirm={() => void revoke()} onCancel={() => setRevoking(null)}>
        Anything using this key is refused from now on. This cannot be undone; create a new key if it is needed again.
      </ConfirmDialog>
    </>
  );
}
