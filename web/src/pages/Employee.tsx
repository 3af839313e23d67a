import { useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { ApiError, client, data, errorMessage, type Body, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { useAuth } from '../auth.tsx';
import { Alert, Badge, Card, EmptyState, ErrorState, Field, LockIcon, PageHeader, ProviderName, Spinner } from '../components/ui.tsx';
import { useProviders } from '../providers.ts';
import { fieldLabel, formatDateTime, personName, ROLE_LABEL, type Tone } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';

type Employee = Schema<'Employee'>;
type Explanation = Schema<'Explanation'>;
type Role = Employee['role'];
import { Link } from '../router.tsx';

const ROLES: Role[] = ['organization_admin', 'compliance_manager', 'member'];

/** What a 412 means to the admin; the page then shows the other change (their own edit stays in its form). */
const STALE_EDIT = 'Someone changed this employee after you opened it, so your change was not saved. Their change is shown now: check it, then save yours again if it is still needed.';

export function EmployeePage({ id }: { id: string }) {
  const employee = useApiQuery(q.employee(id));
  const explain = useApiQuery(q.explain(id));
  // Only an Organization Admin changes people (the API refuses anyone else).
  const canEdit = useAuth().user?.role === 'organization_admin';
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [historyVersion, setHistoryVersion] = useState(0);
  const e = employee.data;
  useTitle(e ? personName(e.fields) : 'Employee');
  const back = <Link to="/settings/employees">← Employees</Link>;

  if (employee.loading && !e) return <Spinner label="Loading the employee…" />;
  if (employee.error || !e) {
    return (
      <>
        <PageHeader title="Employee" back={back} />
        <ErrorState error={employee.error ?? 'not found'} onRetry={employee.reload} />
      </>
    );
  }

  /**
   * Saves, on condition that nobody changed the person since this page read them (If-Match with
   * the version read, which the API sends as the ETag). A refusal is shown where the edit was made
   * (inline) or at the top. Returns the error message, or null.
   */
  const save = async (body: Body<'/api/v1/employees/{id}', 'patch'>, done: string, inline = false): Promise<string | null> => {
    try {
      const updated = await data(client.PATCH('/api/v1/employees/{id}', { params: { path: { id }, header: { 'if-match': `"${e.version}"` } }, body }));
      employee.set(updated);
      setNotice({ tone: 'good', text: done });
      setHistoryVersion((v) => v + 1);
      return null;
    } catch (error) {
      // 412: the edit was not saved; show what they changed (the edit being made stays in its form).
      const stale = error instanceof ApiError && error.status === 412;
      const message = stale ? STALE_EDIT : errorMessage(error);
      if (stale) {
        employee.reload();
        setHistoryVersion((v) => v + 1);
      }
      if (inline) setNotice(null);
      else setNotice({ tone: 'bad', text: message });
      return message;
    }
  };

  const names = Object.keys(e.fields).sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return (
    <>
      <PageHeader
        back={back}
        title={personName(e.fields)}
        subtitle={
          <>
            <Badge tone={e.status === 'active' ? 'good' : 'neutral'}>{e.status === 'active' ? 'Active' : 'Inactive'}</Badge> · {ROLE_LABEL[e.role] ?? e.role} · {e.fields.email?.value ?? 'no email'}
          </>
        }
      />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      <div className="grid-2 grid-wide-left">
        <Card title="Fields">
          <dl className="field-list">
            {names.map((name) => (
              <FieldRow key={name} name={name} field={e.fields[name]!} canEdit={canEdit} onSave={(value) => save({ fields: { [name]: value } }, `${fieldLabel(name)} saved.`, true)} />
            ))}
          </dl>
        </Card>
        <div>
          <Card title="Role">
            <RoleEditor role={e.role} canEdit={canEdit} onSave={async (role) => (await save({ role }, `Role changed to ${ROLE_LABEL[role]}.`)) === null} />
          </Card>
          <Card title="Custom configuration">
            <CustomConfigEditor config={e.customConfig} canEdit={canEdit} onSave={(customConfig) => save({ customConfig }, 'Custom configuration saved.', true)} />
          </Card>
          <Card title="Groups">
            {e.groups.length === 0 ? (
              <p className="muted">Not in any group yet.</p>
            ) : (
              <ul className="plain-list">
                {e.groups.map((g) => (
                  <li key={g.id}>
                    {g.name} <span className="muted small">{g.type}</span> <Badge tone={g.origin === 'manual' ? 'neutral' : 'info'}>{g.origin === 'manual' ? 'Added in ReFresh' : `Synced (${g.origin})`}</Badge>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Sources">
            {(e.links ?? []).length === 0 ? (
              <p className="muted">Added in ReFresh; no HR system is linked.</p>
            ) : (
              <ul className="plain-list">
                {(e.links ?? []).map((l) => (
                  <li key={`${l.integrationId}:${l.externalId}`}>
                    {l.provider ? <ProviderName provider={l.provider} /> : 'Source'} id <code>{l.externalId}</code> {l.present ? '' : <Badge tone="warn">no longer in the source</Badge>}
                  </li>
                ))}
              </ul>
            )}
            <p className="muted small">Created {formatDateTime(e.createdAt)} · updated {formatDateTime(e.updatedAt)}</p>
          </Card>
        </div>
      </div>
      <Card title="History">
        <History employeeId={id} version={historyVersion} />
      </Card>
      <Card title="Diagnostics">
        {explain.loading && !explain.data ? (
          <Spinner label="Asking the sync engine…" />
        ) : explain.error ? (
          <ErrorState error={explain.error} onRetry={explain.reload} />
        ) : explain.data ? (
          <Diagnostics x={explain.data} />
        ) : null}
      </Card>
    </>
  );
}

const ORDER = ['displayName', 'firstName', 'preferredName', 'lastName', 'email', 'jobTitle', 'department', 'division', 'location', 'managerId', 'employeeNumber', 'phone', 'employmentStatus', 'employmentType', 'startDate', 'endDate'];
const order = (name: string) => {
  const i = ORDER.indexOf(name);
  return i < 0 ? 100 : i;
};

/**
 * One field: its value and either an Edit control or, when an HR system manages it, a lock naming
 * that system by its descriptor's name ("Managed by <provider> — change it there"): ReFresh refuses
 * edits of it anyway.
 */
function FieldRow({ name, field, canEdit, onSave }: { name: string; field: Employee['fields'][string]; canEdit: boolean; onSave: (value: string | null) => Promise<string | null> }) {
  const providers = useProviders();
  // The provider's display name from its descriptor (the integration's own name while loading).
  const owner = providers.data?.data.find((p) => p.id === field.lockedByProvider)?.name ?? field.lockedBy ?? 'an HR system';
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(field.value ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputId = `field-${name}`;
  return (
    <div className={`field-row${field.locked ? ' field-locked' : ''}`} data-field={name}>
      <dt>{fieldLabel(name)}</dt>
      <dd>
        {editing ? (
          <form
            className="inline-edit"
            onSubmit={(ev) => {
              ev.preventDefault();
              setBusy(true);
              setError(null);
              void onSave(value.trim() === '' ? null : value.trim()).then((err) => {
                setBusy(false);
                setError(err);
                if (!err) setEditing(false);
              });
            }}
          >
            <label className="sr-only" htmlFor={inputId}>
              {fieldLabel(name)}
            </label>
            <input
              id={inputId}
              value={value}
              onChange={(ev) => setValue(ev.target.value)}
              autoFocus
              aria-invalid={!!error}
              aria-describedby={error ? `${inputId}-error` : undefined}
            />
            <button type="submit" className="btn btn-primary btn-small" disabled={busy}>
              Save
            </button>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => {
                setEditing(false);
                setError(null);
                setValue(field.value ?? '');
              }}
            >
              Cancel
            </button>
            {error && (
              <p className="field-error" id={`${inputId}-error`} role="alert">
                {error}
              </p>
            )}
          </form>
        ) : (
          <>
            {name === 'managerId' && field.value ? (
              <Link to={`/settings/employees/${field.value}`} className="field-value">
                View manager
              </Link>
            ) : (
              <span className={field.value ? 'field-value' : 'field-value muted'}>{field.value ?? '—'}</span>
            )}
            {field.locked ? (
              <span className="locked-by" data-testid="field-lock" aria-label={`${fieldLabel(name)}: managed by ${owner} — change it there`}>
                <LockIcon />
                <span>Managed by {owner} — change it there</span>
              </span>
            ) : field.source ? (
              <span className="muted small">
                from <ProviderName provider={field.source.provider} />
              </span>
            ) : null}
            {canEdit && !field.locked && (
              <button type="button" className="btn btn-ghost btn-small" onClick={() => {
                  // From the value shown now (a reload may have changed it since this row was made).
                  setValue(field.value ?? '');
                  setEditing(true);
                }} aria-label={`Edit ${fieldLabel(name)}`}>
                Edit
              </button>
            )}
          </>
        )}
      </dd>
    </div>
  );
}

function RoleEditor({ role, canEdit, onSave }: { role: Role; canEdit: boolean; onSave: (role: Role) => Promise<boolean> }) {
  const [value, setValue] = useState<Role>(role);
  const [busy, setBusy] = useState(false);
  if (!canEdit) {
    return (
      <>
        <p>{ROLE_LABEL[role] ?? role}</p>
        <p className="muted small">
          <Badge tone="neutral">Coming soon</Badge> Changing roles here. Roles are ReFresh-only: sync never changes them.
        </p>
      </>
    );
  }
  return (
    <form
      className="inline-edit"
      onSubmit={(ev) => {
        ev.preventDefault();
        setBusy(true);
        void onSave(value).finally(() => setBusy(false));
      }}
    >
      <label htmlFor="employee-role">Role</label>
      <select id="employee-role" value={value} onChange={(ev) => setValue(ev.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABEL[r]}
          </option>
        ))}
      </select>
      <button type="submit" className="btn btn-primary btn-small" disabled={busy || value === role}>
        Save role
      </button>
    </form>
  );
}

function Diagnostics({ x }: { x: Explanation }) {
  return (
    <>
      <ul className="summary-lines" data-testid="diagnostics">
        {x.summary.map((line, i) => (
          <li key={i}>{line}</li>
        ))}
      </ul>
      {x.sources.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption>Found in</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Id there</th>
                <th scope="col">Scope</th>
                <th scope="col">Status</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {x.sources.map((s) => (
                <tr key={`${s.integrationId}:${s.externalId}`}>
                  <td>
                    <Link to={`/settings/user-sync/${s.integrationId}`}>{s.integration}</Link>
                  </td>
                  <td>{s.externalId}</td>
                  <td>
                    <Badge tone={s.inScope ? 'good' : 'neutral'}>{s.inScope ? 'In scope' : 'Out of scope'}</Badge> <span className="small muted">{s.scopeReason}</span>
                  </td>
                  <td>
                    {s.status ?? 'left alone'} <span className="small muted">{s.statusReason}</span>
                  </td>
                  <td>{formatDateTime(s.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {x.fields.length > 0 && (
        <details className="advanced">
          <summary>Which source won each field</summary>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Value</th>
                  <th scope="col">Source</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {x.fields.map((f) => (
                  <tr key={f.field}>
                    <td>{fieldLabel(f.field)}</td>
                    <td>{f.value}</td>
                    <td>{f.source}</td>
                    <td className="small">{f.why}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      {x.lastChange ? (
        <p className="small">
          Last change: {x.lastChange.kind}
          {x.lastChange.reason ? ` (${x.lastChange.reason})` : ''} in{' '}
          {x.sources[0] ? <Link to={`/settings/user-sync/${x.sources[0].integrationId}/runs/${x.lastChange.runId}`}>this run</Link> : <code>run {x.lastChange.runId.slice(0, 8)}</code>}
        </p>
      ) : (
        x.sources.length === 0 && <EmptyState title="No sync history">Nothing has synced this person yet.</EmptyState>
      )}
    </>
  );
}

const ACTION_LABEL: Record<string, string> = {
  'employee.created': 'Created',
  'employee.updated': 'Updated',
  'employee.deactivated': 'Deactivated',
  'employee.reactivated': 'Reactivated',
  'employee.resolved': 'Re-resolved',
};

function actionLabel(action: string): string {
  if (ACTION_LABEL[action]) return ACTION_LABEL[action];
  const last = action.split('.').pop() ?? action;
  return last.charAt(0).toUpperCase() + last.slice(1).replace(/_/g, ' ');
}

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '(empty)';
  if (typeof v === 'string') return ROLE_LABEL[v] ?? v;
  return JSON.stringify(v);
}

/** Flattens `{fields: {…}, role}` into one level so created entries read like field lists. */
function flat(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'fields' && val && typeof val === 'object') Object.assign(out, val);
    else out[k] = val;
  }
  return out;
}

/** The person's history: every change by a sync run or an admin, newest first (`GET /audit?employeeId=`). */
function History({ employeeId, version }: { employeeId: string; version: number }) {
  const history = useInfiniteQuery({
    queryKey: ['employee', employeeId, 'history', version],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => data(client.GET('/api/v1/audit', { params: { query: { employeeId, limit: 20, ...(pageParam ? { cursor: pageParam } : {}) } }, signal })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const entries = history.data?.pages.flatMap((p) => p.data) ?? [];
  const state = { loading: history.isFetching, error: history.error };
  const cursor = history.hasNextPage;
  const integrations = useApiQuery(q.integrations());
  const names = new Map((integrations.data?.data ?? []).map((i) => [i.id, i.name]));

  if (state.loading && entries.length === 0) return <Spinner label="Loading the history…" />;
  if (state.error && entries.length === 0) return <ErrorState error={state.error} onRetry={() => void history.refetch()} />;
  if (entries.length === 0) return <EmptyState title="No history yet">Changes by sync runs and by admins will be listed here.</EmptyState>;
  return (
    <>
      <ol className="history" data-testid="history">
        {entries.map((a) => {
          const before = flat(a.before);
          const after = flat(a.after);
          const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => k !== 'customConfig' || a.action !== 'employee.created');
          const integrationId = a.actor.integrationId ?? null;
          return (
            <li key={a.id} className="history-entry" data-testid="history-entry" data-actor={a.actor.type}>
              <div className="history-head">
                <strong>{actionLabel(a.action)}</strong>
                <span className="muted small">
                  {' '}
                  by{' '}
                  {a.actor.type === 'run' ? (
                    <>
                      sync from {integrationId ? (names.get(integrationId) ?? 'an integration') : 'an integration'}
                      {integrationId && a.actor.id && (
                        <>
                          {' '}
                          (<Link to={`/settings/user-sync/${integrationId}/runs/${a.actor.id}`}>see run</Link>)
                        </>
                      )}
                    </>
                  ) : a.actor.type === 'admin' ? (
                    'an admin'
                  ) : (
                    'ReFresh'
                  )}{' '}
                  · <time dateTime={a.at}>{formatDateTime(a.at)}</time>
                </span>
              </div>
              {a.reason && <p className="small muted">{a.reason}</p>}
              {keys.length > 0 && (
                <table className="diff">
                  <tbody>
                    {keys.slice(0, 12).map((k) => (
                      <tr key={k}>
                        <th scope="row">{k === 'role' ? 'Role' : k === 'status' ? 'Status' : fieldLabel(k)}</th>
                        <td>
                          {a.before !== null && (
                            <>
                              <del>{k === 'managerId' && before[k] ? 'the previous manager' : show(before[k])}</del> <span aria-label="changed to">→</span>{' '}
                            </>
                          )}
                          <ins>{k === 'managerId' && typeof after[k] === 'string' && after[k] ? <Link to={`/settings/employees/${String(after[k])}`}>view manager</Link> : show(after[k])}</ins>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </li>
          );
        })}
      </ol>
      {cursor && (
        <button type="button" className="btn btn-secondary btn-small" disabled={state.loading} onClick={() => void history.fetchNextPage()}>
          {state.loading ? 'Loading…' : 'Show older changes'}
        </button>
      )}
      {state.error !== null && entries.length > 0 && <Alert tone="bad">{errorMessage(state.error)}</Alert>}
    </>
  );
}

/** The API's bounds on custom configuration (src/api/contract/employees.ts). */
const CONFIG_MAX_CHARS = 20_000;
const CONFIG_KEY_MAX = 100;

/** What is wrong with the JSON an admin typed, in words; or the object to save. */
export function readCustomConfig(text: string): { config: Record<string, unknown> } | { problem: string } {
  if (text.trim() === '') return { config: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(String((error as Error).message));
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : null;
    return { problem: `This is not valid JSON${line ? ` (see line ${line})` : ''}: write an object such as {"badge": "gold", "desk": 12}.` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { problem: 'Write an object in braces, such as {"badge": "gold"}: a list or a single value cannot hold named settings.' };
  const long = Object.keys(parsed).find((k) => k.length > CONFIG_KEY_MAX);
  if (long) return { problem: `The name “${long.slice(0, 30)}…” is longer than ${CONFIG_KEY_MAX} characters.` };
  if (JSON.stringify(parsed).length > CONFIG_MAX_CHARS) return { problem: `The configuration is longer than ${CONFIG_MAX_CHARS.toLocaleString()} characters; keep it shorter.` };
  return { config: parsed as Record<string, unknown> };
}

/**
 * ReFresh-only configuration (never read or written by a sync): shown as named values, edited as
 * JSON, checked in words before saving. Names removed from the text are removed from the person.
 */
function CustomConfigEditor({ config, canEdit, onSave }: { config: Record<string, unknown>; canEdit: boolean; onSave: (config: Record<string, unknown>) => Promise<string | null> }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const entries = Object.entries(config);
  if (!editing) {
    return (
      <div data-testid="custom-config">
        <p className="muted small">Settings that live only in ReFresh: no HR system reads or changes them.</p>
        {entries.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <dl className="field-list">
            {entries.map(([k, v]) => (
              <div key={k} className="field-row">
                <dt>{k}</dt>
                <dd>
                  <span className="field-value">{typeof v === 'string' ? v : JSON.stringify(v)}</span>
                </dd>
              </div>
            ))}
          </dl>
        )}
        {canEdit && (
          <button
            type="button"
            className="btn btn-secondary btn-small"
            onClick={() => {
              setText(entries.length === 0 ? '{\n  \n}' : JSON.stringify(config, null, 2));
              setProblem(null);
              setEditing(true);
            }}
          >
            Edit custom configuration
          </button>
        )}
      </div>
    );
  }
  return (
    <form
      className="form"
      aria-label="Custom configuration"
      noValidate
      onSubmit={(ev) => {
        ev.preventDefault();
        const read = readCustomConfig(text);
        if ('problem' in read) {
          setProblem(read.problem);
          document.getElementById('custom-config-text')?.focus();
          return;
        }
        // Names taken out are removed (null removes a name: JSON Merge Patch, RFC 7396).
        const removed = Object.fromEntries(Object.keys(config).filter((k) => !(k in read.config)).map((k) => [k, null]));
        setBusy(true);
        setProblem(null);
        void onSave({ ...removed, ...read.config }).then((err) => {
          setBusy(false);
          if (err) setProblem(err);
          else setEditing(false);
        });
      }}
    >
      <Field label="Custom configuration (JSON)" htmlFor="custom-config-text" error={problem} hint={`An object of named values, up to ${CONFIG_MAX_CHARS.toLocaleString()} characters.`}>
        <textarea id="custom-config-text" className="mono" rows={6} value={text} onChange={(ev) => setText(ev.target.value)} spellCheck={false} aria-invalid={!!problem} aria-describedby={problem ? 'custom-config-text-error' : undefined} />
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary btn-small" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

