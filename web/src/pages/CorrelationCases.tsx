import { useState } from 'react';
import { useQueries, useQueryClient } from '@tanstack/react-query';
import { client, data, errorMessage, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { Alert, Badge, Card, ConfirmDialog, EmptyState, ErrorState, PageHeader, Spinner } from '../components/ui.tsx';
import { formatDateTime, personName, type Tone } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';

type CorrelationCase = Schema<'CorrelationCase'>;
import { Link } from '../router.tsx';

/** Ambiguous matches held for an admin: link the HR record to one of the candidates, or create a new employee. */
export function CorrelationCasesPage() {
  useTitle('Match review');
  const [status, setStatus] = useState<'open' | 'resolved'>('open');
  const queryClient = useQueryClient();
  const cases = useApiQuery(q.correlationCases({ status, limit: 100 }));
  const integrations = useApiQuery(q.integrations());
  const names = new Map((integrations.data?.data ?? []).map((i) => [i.id, i.name]));
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<'link-suggested' | 'create' | null>(null);
  const [bulk, setBulk] = useState<Schema<'BulkResolveResult'> | null>(null);
  const rows = cases.data?.data ?? [];
  const total = cases.data?.total ?? rows.length;
  const suggested = rows.filter((c) => c.suggestedEmployeeId).length;
  const allLoaded = total <= rows.length;

  // Candidates are employee ids: each is read once (cached) to show who they are.
  const wanted = [...new Set(rows.flatMap((c) => [...c.candidates, ...(c.resolution ? [c.resolution.employeeId] : [])]))];
  const found = useQueries({ queries: wanted.map((id) => q.employee(id)) });
  const people = new Map(wanted.map((id, n) => [id, found[n]] as const));
  const who = (id: string) => {
    const p = people.get(id);
    if (p?.data) return personName(p.data.fields);
    return p?.error ? 'an employee who no longer exists' : '…';
  };

  const resolve = async (c: CorrelationCase, body: { action: 'link'; employeeId: string } | { action: 'create' }) => {
    setBusy(c.id);
    try {
      await data(client.POST('/api/v1/correlation-cases/{id}/resolve', { params: { path: { id: c.id } }, body }));
      void queryClient.invalidateQueries({ queryKey: ['employees'] });
      void queryClient.invalidateQueries({ queryKey: ['correlation-cases'] });
      setNotice({
        tone: 'good',
        text: body.action === 'link' ? `${c.displayName ?? c.externalId} is linked to ${who(body.employeeId)}. The next sync fills their fields.` : `A new employee was created for ${c.displayName ?? c.externalId}.`,
      });
      cases.reload();
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(null);
    }
  };

  const resolveAll = async (action: 'link-suggested' | 'create') => {
    setBusy('bulk');
    setNotice(null);
    try {
      const result = await data(client.POST('/api/v1/correlation-cases/bulk-resolve', { body: { action } }));
      setBulk(result);
      void queryClient.invalidateQueries({ queryKey: ['employees'] });
      void queryClient.invalidateQueries({ queryKey: ['correlation-cases'] });
      cases.reload();
    } catch (error) {
      setBulk(null);
      setNotice({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(null);
      setConfirming(null);
    }
  };
  const nPeople = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;

  return (
    <>
      <PageHeader
        back={<Link to="/settings/employees">← Employees</Link>}
        title="Match review"
        subtitle="People an HR system sent that could be more than one ReFresh employee. ReFresh never merges them silently: pick who they are, or create a new employee."
      />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {bulk && (
        <div data-testid="bulk-result">
          <Alert tone={bulk.failed.length === 0 ? 'good' : bulk.succeeded === 0 ? 'bad' : 'warn'} title={bulk.action === 'create' ? `Created ${nPeople(bulk.succeeded)} as new employees` : `Linked ${nPeople(bulk.succeeded)} to their suggested employee`}>
            {bulk.failed.length > 0 ? (
              <>
                {bulk.failed.length === 1 ? 'One case was left open:' : `${bulk.failed.length} cases were left open:`}
                <ul className="plain-list">
                  {bulk.failed.map((f) => (
                    <li key={f.caseId}>
                      {f.name} {f.reason}.
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              'Every case was decided. The next sync fills their fields.'
            )}
            {bulk.remaining > 0 ? ` ${bulk.remaining} more cases are waiting; run it again for them.` : ''}
          </Alert>
        </div>
      )}
      <div className="tabs" role="group" aria-label="Cases">
        {(['open', 'resolved'] as const).map((s) => (
          <button key={s} type="button" className={`tab${status === s ? ' tab-active' : ''}`} aria-pressed={status === s} onClick={() => setStatus(s)}>
            {s === 'open' ? 'Open' : 'Resolved'}
          </button>
        ))}
      </div>
      <Card
        actions={
          status === 'open' && rows.length > 0 ? (
            <div className="bulk-actions">
              <button type="button" className="btn btn-secondary btn-small" disabled={busy !== null || suggested === 0} onClick={() => setConfirming('link-suggested')}>
                Link all suggested{allLoaded ? ` (${suggested})` : ''}
              </button>
              <button type="button" className="btn btn-secondary btn-small" disabled={busy !== null} onClick={() => setConfirming('create')}>
                Create all as new{allLoaded ? ` (${total})` : ''}
              </button>
            </div>
          ) : undefined
        }
      >
        {cases.loading && !cases.data ? (
          <Spinner label="Loading cases…" />
        ) : cases.error ? (
          <ErrorState error={cases.error} onRetry={cases.reload} />
        ) : rows.length === 0 ? (
          <EmptyState title={status === 'open' ? 'Nothing to review' : 'No resolved cases yet'}>{status === 'open' ? 'Every person from your HR systems matched one employee or none.' : undefined}</EmptyState>
        ) : (
          <ul className="case-list">
            {rows.map((c) => (
              <li key={c.id} className="case" data-testid="correlation-case">
                <div className="case-head">
                  <strong>{c.displayName ?? c.externalId}</strong> <span className="muted small">{c.email ?? 'no email'}</span>
                  <Badge tone={c.status === 'open' ? 'warn' : 'good'}>{c.status === 'open' ? 'Needs a decision' : 'Resolved'}</Badge>
                </div>
                <p className="small">
                  From {names.get(c.integrationId) ?? 'an integration'} (id there <code>{c.externalId}</code>), {formatDateTime(c.createdAt)}: {c.reason}
                </p>
                {c.status === 'open' ? (
                  <div className="link-row">
                    {c.candidates.map((id) => (
                      <span key={id} className="candidate">
                        <button type="button" className="btn btn-secondary btn-small" disabled={busy !== null} onClick={() => void resolve(c, { action: 'link', employeeId: id })}>
                          Link to {who(id)}
                        </button>{' '}
                        {c.suggestedEmployeeId === id && <Badge tone="info">Suggested</Badge>}{' '}
                        <Link to={`/settings/employees/${id}`} className="small" aria-label={`View ${who(id)}`}>
                          view
                        </Link>
                      </span>
                    ))}
                    <button type="button" className="btn btn-primary btn-small" disabled={busy !== null} onClick={() => void resolve(c, { action: 'create' })}>
                      Create new employee
                    </button>
                  </div>
                ) : c.resolution ? (
                  <p className="small">
                    {c.resolution.action === 'link' ? 'Linked to' : 'Created'} <Link to={`/settings/employees/${c.resolution.employeeId}`}>{who(c.resolution.employeeId)}</Link> {formatDateTime(c.resolvedAt)}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <ConfirmDialog
        open={confirming !== null}
        tone="primary"
        busy={busy === 'bulk'}
        title={confirming === 'create' ? `Create ${allLoaded ? nPeople(total) : 'everyone waiting'} as new employees?` : `Link ${allLoaded ? nPeople(suggested) : 'everyone with a suggestion'} to their suggested employee?`}
        confirmLabel={confirming === 'create' ? 'Create all as new' : 'Link all suggested'}
        onConfirm={() => confirming && void resolveAll(confirming)}
        onCancel={() => setConfirming(null)}
      >
        {confirming === 'create' ? (
          <p>Each person from the HR system becomes a new ReFresh employee, even where a candidate might be the same person. A case whose work email another employee already has stays open for you to link.</p>
        ) : (
          <p>Each case is linked to the employee marked Suggested (the only candidate, or the one with the same work email). Cases without a suggestion stay open for you to decide.</p>
        )}
      </ConfirmDialog>
    </>
  );
}
