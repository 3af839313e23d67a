import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, client, data, errorMessage, type Schema } from '../api/client.ts';
import { q as queries, type Query } from '../api/queries.ts';
import { Alert, Badge, Card, EmptyState, ErrorState, Field, PageHeader, Spinner } from '../components/ui.tsx';
import { formatDateTime, personName, ROLE_LABEL } from '../format.ts';
import { useApiQuery, useDebounced, useTitle } from '../hooks.ts';

type ImportResult = Schema<'ImportResult'>;
import { Link, useNavigate, useSearchParams } from '../router.tsx';

const PAGE_SIZES = [25, 50, 100, 200] as const;
const DEFAULT_PAGE_SIZE = 50;

type SortKey = NonNullable<Query<'/api/v1/employees'>['sort']>;
const SORT_LABEL: Record<SortKey, string> = { name: 'Name', email: 'Email', department: 'Department', status: 'Status', source: 'Source', updated: 'Last updated' };
const SORT_KEYS = Object.keys(SORT_LABEL) as SortKey[];

/** Keyset-paged: each page asks for `cursor`, so page 2,000 of 100,000 people is as fast as page 1, in any sort order. */
export function EmployeesPage() {
  useTitle('Employees');
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const source = params.get('source') ?? '';
  const group = params.get('group') ?? '';
  const department = params.get('department') ?? '';
  const role = params.get('role') ?? '';
  const sort: SortKey = (SORT_KEYS as string[]).includes(params.get('sort') ?? '') ? (params.get('sort') as SortKey) : 'name';
  const order = params.get('order') === 'desc' ? 'desc' : 'asc';
  const sizeParam = Number(params.get('size'));
  const pageSize = (PAGE_SIZES as readonly number[]).includes(sizeParam) ? sizeParam : DEFAULT_PAGE_SIZE;
  const integrations = useApiQuery(queries.integrations());
  const groups = useApiQuery(queries.groupList({ limit: 1000 }));
  const departments = useApiQuery(queries.departments());
  const [q, setQ] = useState(params.get('q') ?? '');
  const debounced = useDebounced(q.trim(), 250);
  // Cursors of the pages before the current one, for "Previous".
  const [trail, setTrail] = useState<(string | null)[]>([]);
  const cursor = params.get('cursor');
  const [panel, setPanel] = useState<'add' | 'import' | null>(null);
  const cases = useApiQuery(queries.correlationCases({ status: 'open', limit: 100 }));
  const openCases = cases.data?.data.length ?? 0;
  /** A new filter, sort or page size starts again from page 1. */
  const refilter = (next: Record<string, string | null>) => {
    setTrail([]);
    setParams({ ...next, cursor: null });
  };

  useEffect(() => {
    if ((params.get('q') ?? '') !== debounced) refilter({ q: debounced });
  }, [debounced]);

  const list = useApiQuery(
    queries.employees({
      limit: pageSize,
      sort,
      order,
      ...(params.get('q') ? { q: params.get('q')! } : {}),
      ...(status === 'active' || status === 'inactive' ? { status } : {}),
      ...(source ? { integrationId: source } : {}),
      ...(group ? { groupId: group } : {}),
      ...(department ? { department } : {}),
      ...(role === 'member' || role === 'compliance_manager' || role === 'organization_admin' ? { role } : {}),
      ...(cursor ? { cursor } : {}),
    }),
  );
  const rows = list.data?.data ?? [];
  const total = list.data?.total ?? 0;
  const pageNo = trail.length + 1;
  const firstShown = (pageNo - 1) * pageSize + 1;
  const integrationName = new Map((integrations.data?.data ?? []).map((i) => [i.id, i.name]));
  const sourceOf = (e: Schema<'Employee'>) => [...new Set(e.links.map((l) => integrationName.get(l.integrationId)).filter(Boolean))].join(', ') || 'ReFresh only';
  const filtered = !!(params.get('q') || status || source || group || department || role);

  const sortHeader = (key: SortKey, className?: string) => (
    <th scope="col" className={className} aria-sort={sort === key ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        className="th-sort"
        onClick={() => refilter({ sort: key, order: sort === key && order === 'asc' ? 'desc' : 'asc' })}
        aria-label={`Sort by ${SORT_LABEL[key].toLowerCase()}${sort === key ? (order === 'asc' ? ', now A to Z' : ', now Z to A') : ''}`}
      >
        {SORT_LABEL[key]}
        <span aria-hidden="true">{sort === key ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  return (
    <>
      <PageHeader
        title="Employees"
        subtitle="Everyone in your ReFresh directory. People synced from an HR system show which fields it manages."
        actions={
          <>
            <button type="button" className="btn btn-secondary" onClick={() => setPanel((p) => (p === 'import' ? null : 'import'))} aria-expanded={panel === 'import'}>
              Import CSV
            </button>
            <button type="button" className="btn btn-primary" onClick={() => setPanel((p) => (p === 'add' ? null : 'add'))} aria-expanded={panel === 'add'}>
              Add employee
            </button>
          </>
        }
      />
      {openCases > 0 && (
        <Alert tone="warn" title={`${openCases}${cases.data?.nextCursor ? '+' : ''} ${openCases === 1 ? 'person needs' : 'people need'} a decision`}>
          An HR system sent {openCases === 1 ? 'a person who matches' : 'people who match'} more than one employee (or one ambiguously). ReFresh never merges them silently.{' '}
          <Link to="/settings/correlation-cases">Review matches</Link>
        </Alert>
      )}
      {panel === 'add' && <AddEmployee onDone={() => setPanel(null)} />}
      {panel === 'import' && <ImportCsv onDone={() => setPanel(null)} onImported={list.reload} />}
      <Card>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <div className="field field-grow">
            <label htmlFor="employee-search">Search</label>
            <input id="employee-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name, email, employee number or job title" autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="employee-status">Status</label>
            <select id="employee-status" value={status} onChange={(e) => refilter({ status: e.target.value })}>
              <option value="">All</option>
              <option value="active">Active</option>
              <option value="inactive">Inactive</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="employee-source">Source</label>
            <select id="employee-source" value={source} onChange={(e) => refilter({ source: e.target.value })}>
              <option value="">All sources</option>
              {(integrations.data?.data ?? []).map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
              <option value="none">Added in ReFresh only</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="employee-department">Department</label>
            <select id="employee-department" value={department} onChange={(e) => refilter({ department: e.target.value })}>
              <option value="">All departments</option>
              {(departments.data?.data ?? []).map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="employee-group">Group</label>
            <select id="employee-group" value={group} onChange={(e) => refilter({ group: e.target.value })}>
              <option value="">All groups</option>
              {(groups.data?.data ?? []).map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name} ({g.type})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="employee-role">Role</label>
            <select id="employee-role" value={role} onChange={(e) => refilter({ role: e.target.value })}>
              <option value="">All roles</option>
              {Object.entries(ROLE_LABEL).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="employee-sort">Sort by</label>
            <select id="employee-sort" value={`${sort}:${order}`} onChange={(e) => { const [by, dir] = e.target.value.split(':'); refilter({ sort: by ?? 'name', order: dir ?? 'asc' }); }}>
              {SORT_KEYS.flatMap((key) => [
                <option key={`${key}:asc`} value={`${key}:asc`}>
                  {SORT_LABEL[key]}, {key === 'updated' ? 'oldest first' : 'A to Z'}
                </option>,
                <option key={`${key}:desc`} value={`${key}:desc`}>
                  {SORT_LABEL[key]}, {key === 'updated' ? 'newest first' : 'Z to A'}
                </option>,
              ])}
            </select>
          </div>
        </form>
        {list.loading && !list.data ? (
          <Spinner label="Loading employees…" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : rows.length === 0 ? (
          filtered ? (
            <EmptyState title="Nobody matches">Try another name or email, or clear the filters.</EmptyState>
          ) : (
            <EmptyState title="No employees yet" action={<Link to="/settings/user-sync" className="btn btn-primary">Go to User Auto-Sync</Link>}>
              Connect an HR system and turn on User Auto-Sync to bring people in.
            </EmptyState>
          )
        ) : (
          <>
            <p className="muted small" data-testid="employee-total" aria-live="polite">
              {total.toLocaleString()} {total === 1 ? 'person' : 'people'}
              {filtered ? ' match' : ''} · showing {firstShown.toLocaleString()}–{(firstShown + rows.length - 1).toLocaleString()}
            </p>
            <div className="table-wrap" aria-busy={list.loading}>
              <table className="table employees-table">
                <caption className="sr-only">
                  Employees, page {pageNo}, sorted by {SORT_LABEL[sort].toLowerCase()}
                </caption>
                <thead>
                  <tr>
                    {sortHeader('name')}
                    {sortHeader('email')}
                    {sortHeader('department', 'hide-sm')}
                    <th scope="col" className="hide-sm">
                      Role
                    </th>
                    {sortHeader('source', 'hide-sm')}
                    {sortHeader('updated', 'hide-sm')}
                    {sortHeader('status')}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <tr key={e.id} data-testid="employee-row">
                      <td>
                        <Link to={`/settings/employees/${e.id}`}>{personName(e.fields)}</Link>
                      </td>
                      <td className="truncate">{e.fields.email?.value ?? '—'}</td>
                      <td className="hide-sm" data-testid="employee-department">
                        {e.fields.department?.value ?? '—'}
                      </td>
                      <td className="hide-sm">{ROLE_LABEL[e.role] ?? e.role}</td>
                      <td className="hide-sm">{sourceOf(e)}</td>
                      <td className="hide-sm">{formatDateTime(e.updatedAt)}</td>
                      <td>
                        <Badge tone={e.status === 'active' ? 'good' : 'neutral'}>{e.status === 'active' ? 'Active' : 'Inactive'}</Badge>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                className="btn btn-secondary btn-small"
                disabled={trail.length === 0 || list.loading}
                onClick={() => {
                  const prev = trail[trail.length - 1] ?? null;
                  setTrail((t) => t.slice(0, -1));
                  setParams({ cursor: prev });
                }}
              >
                ← Previous
              </button>
              <span className="muted small">
                Page {pageNo} of {Math.max(1, Math.ceil(total / pageSize)).toLocaleString()}
              </span>
              <label className="pager-size muted small">
                Per page{' '}
                <select value={pageSize} onChange={(e) => refilter({ size: e.target.value })} aria-label="People per page">
                  {PAGE_SIZES.map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="btn btn-secondary btn-small"
                disabled={!list.data?.nextCursor || list.loading}
                onClick={() => {
                  setTrail((t) => [...t, cursor]);
                  setParams({ cursor: list.data?.nextCursor ?? null });
                }}
              >
                Next →
              </button>
            </nav>
          </>
        )}
      </Card>
    </>
  );
}

const NEW_FIELDS: { name: string; label: string; type?: string; required?: boolean }[] = [
  { name: 'firstName', label: 'First name', required: true },
  { name: 'lastName', label: 'Last name', required: true },
  { name: 'email', label: 'Work email', type: 'email', required: true },
  { name: 'jobTitle', label: 'Job title' },
  { name: 'department', label: 'Department' },
];

/** Adds a person by hand (ReFresh-only until an HR system brings the same person). */
function AddEmployee({ onDone }: { onDone: () => void }) {
  const navigate = useNavigate();
  const [values, setValues] = useState<Record<string, string>>({});
  const [role, setRole] = useState<Schema<'Employee'>['role']>('member');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    for (const f of NEW_FIELDS) if (f.required && !values[f.name]?.trim()) errs[f.name] = `Enter the ${f.label.toLowerCase()}.`;
    if (!errs.email && values.email && !/^[^\s@]+@[^\s@]+$/.test(values.email.trim())) errs.email = 'Enter an email address like name@company.com.';
    setErrors(errs);
    setApiError(null);
    const first = Object.keys(errs)[0];
    if (first) {
      document.getElementById(`new-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const fields = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
      const created = await data(client.POST('/api/v1/employees', { body: { fields, role } }));
      onDone();
      navigate(`/settings/employees/${created.id}`);
    } catch (error) {
      const field = error instanceof ApiError ? String(error.details.field ?? '') : '';
      const name = field.startsWith('fields.') ? field.slice(7) : '';
      if (name && NEW_FIELDS.some((f) => f.name === name)) {
        setErrors({ [name]: errorMessage(error) });
        document.getElementById(`new-${name}`)?.focus();
      }
      setApiError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Add employee">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Add employee">
        {apiError && <Alert tone="bad">{apiError}</Alert>}
        <div className="form-grid">
          {NEW_FIELDS.map((f) => (
            <Field key={f.name} label={f.label} htmlFor={`new-${f.name}`} error={errors[f.name] ?? null}>
              <input
                id={`new-${f.name}`}
                type={f.type ?? 'text'}
                value={values[f.name] ?? ''}
                onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
                aria-invalid={!!errors[f.name]}
                aria-describedby={errors[f.name] ? `new-${f.name}-error` : undefined}
              />
            </Field>
          ))}
          <Field label="Role" htmlFor="new-role">
            <select id="new-role" value={role} onChange={(e) => setRole(e.target.value as Schema<'Employee'>['role'])}>
              {Object.entries(ROLE_LABEL).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <p className="muted small">People added here are ReFresh-only: every field stays editable until an HR system brings the same person.</p>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add employee'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onDone}>
            Cancel
          </button>
        </div>
      </form>
    </Card>
  );
}

const SAMPLE_CSV = 'email,firstName,lastName,jobTitle,department,role\nada@example.com,Ada,Lovelace,Engineer,Engineering,member\n';

/** CSV import: each row stands alone; bad rows come back with their line number and reason. */
function ImportCsv({ onDone, onImported }: { onDone: () => void; onImported: () => void }) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!text.trim()) {
      setError('Choose a CSV file or paste the rows: a header (e.g. email,firstName,lastName) and one row per person.');
      document.getElementById('import-file')?.focus();
      return;
    }
    setBusy(true);
    try {
      const r = await data(client.POST('/api/v1/employees/import', { body: text, bodySerializer: (csv: string) => csv, headers: { 'content-type': 'text/csv' } }));
      setResult(r);
      if (r.created > 0) onImported();
    } catch (err) {
      setResult(null);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Import employees from CSV">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Import CSV">
        <p className="muted small">
          The header names ReFresh fields: <code>email</code> (required), <code>firstName</code>, <code>lastName</code>, <code>jobTitle</code>, <code>department</code>, …, <code>custom.&lt;key&gt;</code>, plus{' '}
          <code>role</code> and <code>status</code>. Good rows are added even when others fail.
        </p>
        <Field label="CSV file" htmlFor="import-file" error={null}>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv,text/plain"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (!file) return;
              setFileName(file.name);
              void file.text().then(setText);
            }}
          />
        </Field>
        <Field label="Or paste CSV" htmlFor="import-text" hint={fileName ? `Loaded ${fileName}; you can edit it here.` : undefined}>
          <textarea id="import-text" rows={6} value={text} onChange={(e) => setText(e.target.value)} placeholder={SAMPLE_CSV} spellCheck={false} className="mono" />
        </Field>
        {error && <Alert tone="bad">{error}</Alert>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onDone}>
            Close
          </button>
        </div>
      </form>
      {result && (
        <div data-testid="import-result">
          <Alert tone={result.failed === 0 ? 'good' : result.created === 0 ? 'bad' : 'warn'} title="Import finished">
            {result.created} created, {result.failed} failed.{result.failed > 0 ? ' Fix the failed rows and import just those again.' : ''}
          </Alert>
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">Import results per row</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Result</th>
                  <th scope="col">Email</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr key={r.line} data-testid="import-row" data-status={r.status}>
                    <td>Line {r.line}</td>
                    <td>
                      <Badge tone={r.status === 'created' ? 'good' : 'bad'}>{r.status === 'created' ? 'Created' : 'Failed'}</Badge>
                    </td>
                    <td className="truncate">{r.email ?? '—'}</td>
                    <td>{r.status === 'created' && r.employeeId ? <Link to={`/settings/employees/${r.employeeId}`}>Open</Link> : <span className="text-bad">{r.error}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </Card>
  );
}
