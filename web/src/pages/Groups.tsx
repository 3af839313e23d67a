import { useState, type FormEvent } from 'react';
import { ApiError, client, data, errorMessage, type Body, type Schema } from '../api/client.ts';
import { q as queries } from '../api/queries.ts';
import { Alert, Badge, Card, ConfirmDialog, EmptyState, ErrorState, Field, LockIcon, PageHeader, Spinner } from '../components/ui.tsx';
import { Headcount, Tree } from '../components/Tree.tsx';
import { formatDateTime, personName, type Tone } from '../format.ts';
import { useApiQuery, useDebounced, useTitle } from '../hooks.ts';

type Group = Schema<'Group'>;
type GroupNode = Schema<'GroupNode'>;
type GroupDetail = Schema<'GroupDetail'>;
type Employee = Schema<'Employee'>;
type GroupPatch = Body<'/api/v1/groups/{id}', 'patch'>;
import { Link, useNavigate } from '../router.tsx';

function flatten(nodes: GroupNode[], depth = 0, out: { group: Group; depth: number }[] = []): { group: Group; depth: number }[] {
  for (const n of nodes) {
    out.push({ group: n, depth });
    flatten(n.children, depth + 1, out);
  }
  return out;
}

function GroupBadges({ g }: { g: Group }) {
  return (
    <>
      <Badge tone="info">{g.type}</Badge> <Headcount n={g.headcount} />{' '}
      {g.locked ? (
        <span className="locked-by" title={`Synced structure follows ${g.lockedBy}: change it there.`}>
          <LockIcon />
          <span>Managed by {g.lockedBy}</span>
        </span>
      ) : g.origin === 'manual' ? (
        <Badge tone="neutral">Manual</Badge>
      ) : (
        <Badge tone="neutral">Synced (unlocked)</Badge>
      )}
      {g.archived && <Badge tone="neutral">Archived</Badge>}
      {g.alsoIn && g.alsoIn.length > 0 && <span className="muted small">also in {g.alsoIn.map((p) => p.name).join(', ')}</span>}
    </>
  );
}

type Linked = NonNullable<GroupDetail['alsoHere']>[number];

/** A group nested here as a further parent: named with a link to it (it sits in the tree elsewhere). */
function LinkedGroup({ g }: { g: Linked }) {
  return (
    <>
      <span aria-hidden="true">↳</span> <Link to={`/settings/groups/${g.id}`}>{g.name}</Link> <Badge tone="info">{g.type}</Badge> <Headcount n={g.headcount} />{' '}
      <span className="muted small">nested here too; listed in full under its own parent</span>
    </>
  );
}

/** A select of every group as an indented list, for "parent". */
function ParentSelect({ id, value, onChange, groups, exclude }: { id: string; value: string; onChange: (v: string) => void; groups: GroupNode[]; exclude?: string }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">None (top level)</option>
      {flatten(groups)
        .filter(({ group }) => group.id !== exclude)
        .map(({ group, depth }) => (
          <option key={group.id} value={group.id}>
            {'\u00a0\u00a0'.repeat(depth)}
            {group.name} ({group.type})
          </option>
        ))}
    </select>
  );
}

export function GroupsPage() {
  useTitle('Groups');
  const navigate = useNavigate();
  const [q, setQ] = useState('');
  const debounced = useDebounced(q.trim(), 250);
  const list = useApiQuery(queries.groupTree({ limit: 1000, ...(debounced ? { q: debounced } : {}) }));
  const all = useApiQuery(queries.groupTree({ limit: 1000 }));
  const [creating, setCreating] = useState(false);
  const groups = list.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Groups"
        subtitle="Departments, locations, teams and your own groups. Synced structure follows the HR system; manual groups and members are yours to edit."
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setCreating((c) => !c)} aria-expanded={creating}>
            New group
          </button>
        }
      />
      {creating && <NewGroup groups={all.data?.data ?? []} onCancel={() => setCreating(false)} onCreated={(g) => navigate(`/settings/groups/${g.id}?created=1`)} />}
      <Card>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <div className="field field-grow">
            <label htmlFor="group-search">Search groups</label>
            <input id="group-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Group name" autoComplete="off" />
          </div>
        </form>
        {list.loading && !list.data ? (
          <Spinner label="Loading groups…" />
        ) : list.error ? (
          <ErrorState error={list.error} onRetry={list.reload} />
        ) : groups.length === 0 ? (
          debounced ? (
            <EmptyState title="No group matches">Try another name.</EmptyState>
          ) : (
            <EmptyState title="No groups yet" action={<Link to="/settings/group-sync" className="btn btn-secondary">Set up Group Sync</Link>}>
              Turn on Group Sync for an integration, or create a manual group.
            </EmptyState>
          )
        ) : (
          <Tree
            nodes={groups}
            label="Groups"
            testId="group-tree"
            keyOf={(g) => g.id}
            links={(g) => (g.alsoHere ?? []).map((l) => ({ key: `link:${l.id}`, content: <LinkedGroup g={l} /> }))}
            render={(g) => (
              <>
                <Link to={`/settings/groups/${g.id}`}>
                  <strong>{g.name}</strong>
                </Link>{' '}
                <GroupBadges g={g} />
              </>
            )}
          />
        )}
        <p className="muted small">Headcounts count active people in the group and its sub-groups, each once.</p>
      </Card>
    </>
  );
}

function NewGroup({ groups, onCancel, onCreated }: { groups: GroupNode[]; onCancel: () => void; onCreated: (g: GroupDetail) => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('Team');
  const [parentId, setParentId] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e: Record<string, string> = {};
    if (!name.trim()) e.name = 'Enter a name for the group.';
    if (!type.trim()) e.type = 'Enter a type, e.g. Team.';
    setErrors(e);
    setApiError(null);
    const first = Object.keys(e)[0];
    if (first) {
      document.getElementById(`newgroup-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      onCreated(await data(client.POST('/api/v1/groups', { body: { name: name.trim(), type: type.trim(), ...(parentId ? { parentId } : {}) } })));
    } catch (error) {
      const field = error instanceof ApiError ? String(error.details.field ?? '') : '';
      if (field === 'name' || field === 'type') setErrors({ [field]: errorMessage(error) });
      setApiError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="New manual group">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="New group">
        {apiError && <Alert tone="bad">{apiError}</Alert>}
        <div className="form-grid">
          <Field label="Name" htmlFor="newgroup-name" error={errors.name ?? null}>
            <input id="newgroup-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} aria-invalid={!!errors.name} aria-describedby={errors.name ? 'newgroup-name-error' : undefined} />
          </Field>
          <Field label="Type" htmlFor="newgroup-type" hint="A label such as Team, Project or Committee." error={errors.type ?? null}>
            <input id="newgroup-type" value={type} onChange={(e) => setType(e.target.value)} maxLength={60} aria-invalid={!!errors.type} aria-describedby={errors.type ? 'newgroup-type-error' : 'newgroup-type-hint'} />
          </Field>
          <Field label="Parent group" htmlFor="newgroup-parent">
            <ParentSelect id="newgroup-parent" value={parentId} onChange={setParentId} groups={groups} />
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create group'}
          </button>
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Card>
  );
}

export function GroupPage({ id }: { id: string }) {
  const group = useApiQuery(queries.group(id));
  const all = useApiQuery(queries.groupTree({ limit: 1000 }));
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(() => (new URLSearchParams(window.location.search).get('created') ? { tone: 'good', text: 'Group created. Add people below.' } : null));
  const [confirmArchive, setConfirmArchive] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const g = group.data;
  useTitle(g ? `${g.name} · Groups` : 'Group');
  const back = <Link to="/settings/groups">← Groups</Link>;
  if (group.loading && !g) return <Spinner label="Loading the group…" />;
  if (group.error || !g) {
    return (
      <>
        <PageHeader title="Group" back={back} />
        <ErrorState error={group.error ?? 'not found'} onRetry={group.reload} />
      </>
    );
  }

  const act = async (what: string, fn: () => Promise<unknown>, done: string) => {
    setBusy(what);
    try {
      await fn();
      setNotice({ tone: 'good', text: done });
      group.reload();
      all.reload();
      return true;
    } catch (error) {
      setNotice({ tone: 'bad', text: errorMessage(error) });
      return false;
    } finally {
      setBusy(null);
    }
  };

  const members = g.members;
  return (
    <>
      <PageHeader
        back={back}
        title={g.name}
        subtitle={
          <>
            {g.path.length > 0 && (
              <span className="breadcrumbs">
                {g.path.map((p) => (
                  <span key={p.id}>
                    <Link to={`/settings/groups/${p.id}`}>{p.name}</Link> ›{' '}
                  </span>
                ))}
              </span>
            )}
            <GroupBadges g={g} />
          </>
        }
        actions={
          g.origin === 'manual' && !g.archived ? (
            <button type="button" className="btn btn-ghost-danger" onClick={() => setConfirmArchive(true)}>
              Archive group
            </button>
          ) : undefined
        }
      />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {g.locked && (
        <Alert tone="info" title={`Managed by ${g.lockedBy}`}>
          This group comes from Group Sync: its name, type and place in the tree follow the HR system, and ReFresh refuses changes to them. You can still add people to it by hand.
        </Alert>
      )}
      <div className="grid-2 grid-wide-left">
        <Card title={`Members (${members.length}${g.membersNextCursor ? '+' : ''})`}>
          <AddMember groupId={g.id} disabled={g.archived} onAdded={(name) => void act('add', async () => {}, `${name} added to ${g.name}.`)} />
          {members.length === 0 ? (
            <EmptyState title="No members yet">Add people above{g.origin === 'synced' ? `, or they arrive with the next sync` : ''}.</EmptyState>
          ) : (
            <ul className="member-list" data-testid="members">
              {members.map((m) => (
                <li key={`${m.employeeId}:${m.origin}`} className="member" data-testid="member">
                  <div>
                    <Link to={`/settings/employees/${m.employeeId}`}>{m.displayName ?? m.email ?? m.employeeId}</Link>
                    <span className="muted small"> {m.email}</span>
                    {m.status !== 'active' && <Badge tone="neutral">Inactive</Badge>}
                  </div>
                  <div className="member-actions">
                    <Badge tone={m.origin === 'manual' ? 'neutral' : 'info'}>{m.origin === 'manual' ? 'Added by hand' : 'Synced'}</Badge>
                    <span className="muted small hide-sm">since {formatDateTime(m.since)}</span>
                    {m.origin === 'manual' && (
                      <button
                        type="button"
                        className="btn btn-ghost-danger btn-small"
                        disabled={busy !== null}
                        aria-label={`Remove ${m.displayName ?? m.email ?? m.employeeId} from ${g.name}`}
                        onClick={() => void act(`remove:${m.employeeId}`, () => data(client.DELETE('/api/v1/groups/{id}/members/{employeeId}', { params: { path: { id: g.id, employeeId: m.employeeId } } })), `${m.displayName ?? 'The person'} was removed from ${g.name}.`)}
                      >
                        Remove
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
          {g.membersNextCursor && <p className="muted small">Showing the first {members.length} members.</p>}
        </Card>
        <div>
          <Card title="Details">
            <EditGroup key={g.updatedAt} g={g} groups={all.data?.data ?? []} busy={busy !== null} onSave={(body, done) => act('edit', () => data(client.PATCH('/api/v1/groups/{id}', { params: { path: { id: g.id } }, body })), done)} />
          </Card>
          <Card title="Sub-groups">
            {g.children.length === 0 && g.alsoHere.length === 0 ? (
              <p className="muted">No sub-groups.</p>
            ) : (
              <ul className="plain-list">
                {g.children.map((c) => (
                  <li key={c.id}>
                    <Link to={`/settings/groups/${c.id}`}>{c.name}</Link> <GroupBadges g={c} />
                  </li>
                ))}
                {g.alsoHere.map((c) => (
                  <li key={`link:${c.id}`}>
                    <LinkedGroup g={c} />
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
      <ConfirmDialog
        open={confirmArchive}
        title={`Archive ${g.name}?`}
        confirmLabel="Archive"
        busy={busy === 'archive'}
        onCancel={() => setConfirmArchive(false)}
        onConfirm={() => void act('archive', () => data(client.PATCH('/api/v1/groups/{id}', { params: { path: { id: g.id } }, body: { archived: true } })), `${g.name} is archived.`).then(() => setConfirmArchive(false))}
      >
        <p>The group disappears from the tree; its history is kept.</p>
      </ConfirmDialog>
    </>
  );
}

function EditGroup({ g, groups, busy, onSave }: { g: GroupDetail; groups: GroupNode[]; busy: boolean; onSave: (body: GroupPatch, done: string) => Promise<boolean> }) {
  const [name, setName] = useState(g.name);
  const [type, setType] = useState(g.type);
  const [parentId, setParentId] = useState(g.parentId ?? '');
  const [error, setError] = useState<string | null>(null);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    if (!name.trim()) return setError('Enter a name for the group.');
    if (!type.trim()) return setError('Enter a type.');
    setError(null);
    const body: GroupPatch = {};
    if (name.trim() !== g.name) body.name = name.trim();
    if (type.trim() !== g.type) body.type = type.trim();
    if ((parentId || null) !== g.parentId) body.parentId = parentId || null;
    if (Object.keys(body).length === 0) return setError('Nothing changed.');
    void onSave(body, `${name.trim()} saved.`);
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-label="Edit group">
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <Field label="Group name" htmlFor="group-name" hint={g.locked ? `Managed by ${g.lockedBy}: rename it there.` : undefined}>
        <input id="group-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} aria-describedby={g.locked ? 'group-name-hint' : undefined} />
      </Field>
      <Field label="Group type" htmlFor="group-type">
        <input id="group-type" value={type} onChange={(e) => setType(e.target.value)} maxLength={60} />
      </Field>
      <Field label="Parent group" htmlFor="group-parent">
        <ParentSelect id="group-parent" value={parentId} onChange={setParentId} groups={groups} exclude={g.id} />
      </Field>
      <p className="muted small">
        {g.origin === 'synced' ? `Synced from ${g.source?.provider ?? 'an HR system'} (${g.source?.attribute ?? 'attribute'}).` : 'Manual group: created in ReFresh.'} Updated {formatDateTime(g.updatedAt)}.
      </p>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save changes
        </button>
      </div>
    </form>
  );
}

/** Find a person by name or email and add them as a manual member (sync never removes them). */
function AddMember({ groupId, disabled, onAdded }: { groupId: string; disabled: boolean; onAdded: (name: string) => void }) {
  const [q, setQ] = useState('');
  const debounced = useDebounced(q.trim(), 250);
  const results = useApiQuery({ ...queries.employees({ q: debounced, limit: 6, status: 'active' }), enabled: debounced !== '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const add = async (e: Employee) => {
    setBusy(true);
    setError(null);
    try {
      await data(client.POST('/api/v1/groups/{id}/members', { params: { path: { id: groupId } }, body: { employeeIds: [e.id] } }));
      setQ('');
      onAdded(personName(e.fields));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  if (disabled) return <p className="muted small">This group is archived: people cannot be added.</p>;
  return (
    <div className="add-member">
      <div className="field">
        <label htmlFor="add-member">Add a person</label>
        <input id="add-member" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name or email" autoComplete="off" aria-describedby="add-member-hint" />
        <p className="field-hint" id="add-member-hint">
          People added by hand stay until you remove them; sync never removes them.
        </p>
      </div>
      {error && <Alert tone="bad">{error}</Alert>}
      {debounced &&
        (results.loading && !results.data ? (
          <Spinner label="Searching…" />
        ) : results.error ? (
          <ErrorState error={results.error} onRetry={results.reload} />
        ) : (results.data?.data.length ?? 0) === 0 ? (
          <p className="muted small">Nobody matches “{debounced}”.</p>
        ) : (
          <ul className="plain-list search-results" aria-label="Matching people">
            {results.data!.data.map((e) => (
              <li key={e.id} className="member">
                <span>
                  {personName(e.fields)} <span className="muted small">{e.fields.email?.value}</span>
                </span>
                <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => void add(e)} aria-label={`Add ${personName(e.fields)}`}>
                  Add
                </button>
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}
