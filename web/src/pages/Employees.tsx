import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage, post, qs } from '../api/client.ts';
import type { Employee, Page } from '../api/types.ts';
import { useCapabilities } from '../capabilities.tsx';
import { Alert, Badge, Card, EmptyState, ErrorState, Field, PageHeader, Spinner } from '../components/ui.tsx';
import { personName, ROLE_LABEL } from '../format.ts';
import { useApi, useDebounced, useTitle } from '../hooks.ts';
import { Link, useNavigate, useSearchParams } from '../router.tsx';

const PAGE_SIZE = 50;

/** Keyset-paged: each page asks for `cursor`, so page 2,000 of 100,000 people is as fast as page 1. */
export function EmployeesPage() {
  useTitle('Employees');
  const caps = useCapabilities();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const [q, setQ] = useState(params.get('q') ?? '');
  const debounced = useDebounced(q.trim(), 250);
  // Cursors of the pages before the current one, for "Previous".
  const [trail, setTrail] = useState<(string | null)[]>([]);
  const cursor = params.get('cursor');
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    if ((params.get('q') ?? '') !== debounced) {
      setTrail([]);
      setParams({ q: debounced, cursor: null });
    }
  }, [debounced]);

  const list = useApi<Page<Employee>>(`/employees${qs({ q: params.get('q'), status: status || undefined, cursor, limit: PAGE_SIZE })}`);
  const rows = list.data?.data ?? [];
  const pageNo = trail.length + 1;

  return (
    <>
      <PageHeader
        title="Employees"
        subtitle="Everyone in your ReFresh directory. People synced from an HR system show which fields it manages."
        actions={
          caps.has('post', '/employees') ? (
            <button type="button" className="btn btn-primary" onClick={() => setAdding((a) => !a)} aria-expanded={adding}>
              Add employee
            </button>
          ) : undefined
        }
      />
      {adding && <AddEmployee onDone={() => setAdding(false)} />}
      <Card>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <div className="field field-grow">
            <label htmlFor="employee-search">Search</label>
            <input id="employee-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name, email, employee number or job title" autoComplete="off" />
          </div>
          <div className="field">
            <label htmlFor="employee-status">Status</label>
            <select
              id="employee-status"
              value={status}
              onChange={(e) => {
                setTrail([]);
                setParams({ status: e.target.value, cursor: null });
              }}
            >
              <option value="">All</option>
              <option value="active">Active</option>
              <option value="inactive">Inactive</option>
            </select>
          </div>
        </form>
        {list.loading && !list.data ? (
          <Spinner label="Loading employees…" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : rows.length === 0 ? (
          params.get('q') || status ? (
            <EmptyState title="Nobody matches">Try another name or email, or clear the filters.</EmptyState>
          ) : (
            <EmptyState title="No employees yet" action={<Link to="/settings/user-sync" className="btn btn-primary">Go to User Auto-Sync</Link>}>
              Connect an HR system and turn on User Auto-Sync to bring people in.
            </EmptyState>
          )
        ) : (
          <>
            <div className="table-wrap" aria-busy={list.loading}>
              <table className="table employees-table">
                <caption className="sr-only">Employees, page {pageNo}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col" className="hide-sm">
                      Job title
                    </th>
                    <th scope="col" className="hide-sm">
                      Department
                    </th>
                    <th scope="col" className="hide-sm">
                      Role
                    </th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <tr key={e.id} data-testid="employee-row">
                      <td>
                        <Link to={`/settings/employees/${e.id}`}>{personName(e.fields)}</Link>
                      </td>
                      <td className="truncate">{e.fields.email?.value ?? '—'}</td>
                      <td className="hide-sm">{e.fields.jobTitle?.value ?? '—'}</td>
                      <td className="hide-sm">{e.fields.department?.value ?? '—'}</td>
                      <td className="hide-sm">{ROLE_LABEL[e.role] ?? e.role}</td>
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
                Page {pageNo} · {rows.length} shown
              </span>
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
      const created = await post<Employee>('/employees', { fields });
      onDone();
      navigate(`/settings/employees/${created.id}`);
    } catch (error) {
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
