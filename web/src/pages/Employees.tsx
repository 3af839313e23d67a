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

const SAMPLE_CSV = 'Work Email,First Name,Last Name,Job Title,Department,Employee Number,Manager Email\nada@example.com,Ada,Lovelace,Engineer,Engineering,E-1,grace@example.com\n';

const IMPORT_STATUS: Record<ImportResult['rows'][number]['status'], { done: string; planned: string; tone: 'good' | 'info' | 'neutral' | 'bad' }> = {
  created: { done: 'Created', planned: 'Will be created', tone: 'good' },
  updated: { done: 'Updated', planned: 'Will be updated', tone: 'info' },
  unchanged: { done: 'Unchanged', planned: 'No change', tone: 'neutral' },
  failed: { done: 'Failed', planned: 'Cannot import', tone: 'bad' },
};

/** "2 created, 1 updated, 3 unchanged, 1 failed" (or what would happen), leaving out the zeros. */
function importSummary(r: ImportResult): string {
  const parts = (
    r.dryRun
      ? [
          [r.created, 'to create'],
          [r.updated, 'to update'],
          [r.unchanged, 'unchanged'],
          [r.failed, 'cannot be imported'],
        ]
      : [
          [r.created, 'created'],
          [r.updated, 'updated'],
          [r.unchanged, 'unchanged'],
          [r.failed, 'failed'],
        ]
  ) as [number, string][];
  const shown = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return shown.length > 0 ? `${shown.join(', ')}.` : 'The file has no people in it.';
}

/** CSV import: Preview (a dry run) shows what each line would do; Apply imports it. Bad rows come back with their line number and reason. */
function ImportCsv({ onDone, onImported }: { onDone: () => void; onImported: () => void }) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'preview' | 'apply' | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const run = async (dryRun: boolean) => {
    setError(null);
    if (!text.trim()) {
      setError('Choose a CSV file or paste the rows: a header (for example Work Email, First Name, Last Name) and one row per person.');
      document.getElementById('import-file')?.focus();
      return;
    }
    setBusy(dryRun ? 'preview' : 'apply');
    try {
      const r = await data(client.POST('/api/v1/employees/import', { params: { query: dryRun ? { dryRun: 'true' } : {} }, body: text, bodySerializer: (csv: string) => csv, headers: { 'content-type': 'text/csv' } }));
      setResult(r);
      if (!dryRun && r.created + r.updated > 0) onImported();
    } catch (err) {
      setResult(null);
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };
  const edit = (next: string) => {
    setText(next);
    // A preview describes the file as it was: a changed file needs a new one.
    setResult(null);
  };
  const canApply = result?.dryRun === true && result.created + result.updated > 0;
  return (
    <Card title="Import employees from CSV">
      <form className="form" onSubmit={(e) => { e.preventDefault(); void run(true); }} noValidate aria-label="Import CSV">
        <p className="muted small">
          Use your HR system&apos;s export as it is: columns such as Work Email (required), First Name, Last Name, Job Title, Department, Employee Number and Manager Email are recognised in any case or spacing, plus Role and Status. People whose work email is already in ReFresh are updated (empty cells
          leave a value as it is); everyone else is added. Preview first: nothing changes until you apply.
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
              void file.text().then(edit);
            }}
          />
        </Field>
        <Field label="Or paste CSV" htmlFor="import-text" hint={fileName ? `Loaded ${fileName}; you can edit it here.` : undefined}>
          <textarea id="import-text" rows={6} value={text} onChange={(e) => edit(e.target.value)} placeholder={SAMPLE_CSV} spellCheck={false} className="mono" />
        </Field>
        {error && <Alert tone="bad">{error}</Alert>}
        <div className="form-actions">
          <button type="submit" className={canApply ? 'btn btn-secondary' : 'btn btn-primary'} disabled={busy !== null}>
            {busy === 'preview' ? 'Checking…' : 'Preview'}
          </button>
          {canApply && (
            <button type="button" className="btn btn-primary" disabled={busy !== null} onClick={() => void run(false)}>
              {busy === 'apply' ? 'Importing…' : `Apply: ${importSummary({ ...result, failed: 0, unchanged: 0 }).replace(/\.$/, '')}`}
            </button>
          )}
          <button type="button" className="btn btn-ghost" onClick={onDone}>
            Close
          </button>
        </div>
      </form>
      {result && (
        <div data-testid="import-result" data-dry-run={result.dryRun}>
          <Alert tone={result.failed === 0 ? 'good' : result.created + result.updated + result.unchanged === 0 ? 'bad' : 'warn'} title={result.dryRun ? 'Preview: nothing has changed yet' : 'Import finished'}>
            {importSummary(result)}
            {result.failed > 0 ? (result.dryRun ? ' Lines that cannot be imported are skipped when you apply; fix them in the file and preview again.' : ' Fix the failed lines and import just those again.') : ''}
          </Alert>
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">{result.dryRun ? 'What each line would do' : 'What each line did'}</caption>
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
                      <Badge tone={IMPORT_STATUS[r.status].tone}>{result.dryRun ? IMPORT_STATUS[r.status].planned : IMPORT_STATUS[r.status].done}</Badge>
                    </td>
                    <td className="truncate">{r.email ?? '—'}</td>
                    <td>
                      {r.error ? (
                        <span className="text-bad">{r.error.charAt(0).toUpperCase() + r.error.slice(1)}</span>
                      ) : r.changes && r.changes.length > 0 ? (
                        <ul className="plain-list small">
                          {r.changes.map((c) => (
                            <li key={c.field}>
                              {c.label}: {r.status === 'created' || c.from === null ? <strong>{c.to ?? '—'}</strong> : <>{c.from} → <strong>{c.to ?? '—'}</strong></>}
                            </li>
                          ))}
                        </ul>
                      ) : r.status === 'unchanged' ? (
                        <span className="muted">Already as in the file</span>
                      ) : null}
                      {!result.dryRun && r.employeeId && r.status !== 'failed' ? (
                        <>
                          {' '}
                          <Link to={`/settings/employees/${r.employeeId}`}>Open</Link>
                        </>
                      ) : null}
                    </td>
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
