import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, client, data, errorMessage, type Schema } from '../api/client.ts';
import { q } from '../api/queries.ts';
import { Alert, Badge, Card, EmptyState, ErrorState, GoToIntegrations, LockIcon, PageHeader, ProviderMark, ProviderName, Spinner } from '../components/ui.tsx';
import { Headcount, Tree } from '../components/Tree.tsx';
import { DirectoryGroupsCard } from '../components/DirectoryGroups.tsx';
import { CONNECTION, fieldLabel, type Tone } from '../format.ts';
import { useApiQuery, useTitle } from '../hooks.ts';
import { useProvider } from '../providers.ts';

type GroupMappingEntry = Schema<'Integration'>['groupSync']['mapping'][number];
type GroupSyncPreview = Schema<'GroupSyncPreview'>;
import { Link } from '../router.tsx';

export function GroupSyncListPage() {
  useTitle('Group Sync');
  const list = useApiQuery(q.integrations());
  const integrations = list.data?.data ?? [];
  return (
    <>
      <PageHeader title="Group Sync" subtitle="Turns your HR system's org structure (divisions, departments, locations, teams) into ReFresh groups, nested and labelled." actions={<GoToIntegrations primary={integrations.length === 0} />} />
      {list.loading && !list.data ? (
        <Spinner label="Loading integrations…" />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : integrations.length === 0 ? (
        <EmptyState title="No HR system connected">
          Group Sync needs a connected integration.
        </EmptyState>
      ) : (
        <Card title="Integrations">
          <ul className="integration-list">
            {integrations.map((i) => (
              <li key={i.id} className="integration-item" data-testid="groupsync-integration">
                <ProviderMark provider={i.provider} />
                <div className="integration-main">
                  <div className="integration-title">
                    <h3>{i.name}</h3>
                    <Badge tone={CONNECTION[i.connection.status]?.tone ?? 'neutral'}>{CONNECTION[i.connection.status]?.label ?? i.connection.status}</Badge>
                    <Badge tone={i.groupSync.enabled ? 'good' : 'neutral'}>{i.groupSync.enabled ? 'Group Sync on' : 'Group Sync off'}</Badge>
                  </div>
                  <p className="muted small">
                    {i.groupSync.mapping.length === 0 ? 'No attributes mapped to groups yet.' : `Groups from: ${i.groupSync.mapping.map((m) => `${fieldLabel(m.attribute)} → ${m.type}`).join(', ')}`}
                    {i.groupSync.directoryGroups && (
                      <>
                        {' '}
                        <ProviderName provider={i.provider} /> groups: {i.groupSync.directoryGroups === 'all' ? 'all' : i.groupSync.directoryGroups.include.join(', ')}.
                      </>
                    )}
                  </p>
                  <div className="link-row">
                    <Link to={`/settings/group-sync/${i.id}`} className="btn btn-primary btn-small" aria-label={`Open Group Sync for ${i.name}`}>
                      {i.groupSync.enabled ? 'Edit mapping' : 'Set up Group Sync'}
                    </Link>
                  </div>
                </div>
              </li>
            ))}
          </ul>
        </Card>
      )}
    </>
  );
}

const DEFAULT_TYPE: Record<string, string> = { department: 'Department', division: 'Division', location: 'Location' };

interface Row extends GroupMappingEntry {
  key: number;
}

let nextKey = 1;
const toRows = (m: GroupMappingEntry[]): Row[] => m.map((e) => ({ ...e, key: nextKey++ }));
const toMapping = (rows: Row[]): GroupMappingEntry[] =>
  rows.map((r) => ({
    attribute: r.attribute.trim(),
    type: r.type.trim(),
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.nameTemplate?.trim() ? { nameTemplate: r.nameTemplate.trim() } : {}),
  }));

export function GroupSyncPage({ id }: { id: string }) {
  const [pollUntil, setPollUntil] = useState(0);
  const integration = useApiQuery(q.integration(id));
  const provider = useProvider(integration.data?.provider ?? '');
  // After enabling or changing the mapping a run starts: the synced groups are read again while it works.
  const groups = useApiQuery({ ...q.groupTree({ integrationId: id, limit: 1000 }), refetchInterval: () => (Date.now() < pollUntil ? 1500 : false) });
  const i = integration.data;
  useTitle(i ? `Group Sync · ${i.name}` : 'Group Sync');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [enabled, setEnabled] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const [busy, setBusy] = useState<'save' | 'preview' | null>(null);
  const [preview, setPreview] = useState<GroupSyncPreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);

  useEffect(() => {
    if (i && rows === null) {
      setRows(toRows(i.groupSync.mapping));
      setEnabled(i.groupSync.enabled);
    }
  }, [i, rows]);

  const back = <Link to="/settings/group-sync">← Group Sync</Link>;
  if (integration.loading && !i) return <Spinner label="Loading Group Sync…" />;
  if (integration.error || !i || rows === null) {
    return (
      <>
        <PageHeader title="Group Sync" back={back} actions={<GoToIntegrations />} />
        {integration.error || !i ? <ErrorState error={integration.error ?? 'not found'} onRetry={integration.reload} /> : <Spinner />}
      </>
    );
  }

  // The provider's name from its descriptor; the integration's own name until it has arrived.
  const source = provider?.name ?? i.name;
  // Identity providers (the descriptor's directoryGroups capability) have groups of their own.
  const hasDirectoryGroups = provider?.capabilities.directoryGroups === true;
  const connected = i.connection.status === 'connected';
  // The attributes this integration imports (its field mapping's targets) can become groups.
  const available = [...new Set(Object.values(i.userSync.fieldMapping))].filter((a) => a !== 'email' && a !== 'managerId').sort((a, b) => fieldLabel(a).localeCompare(fieldLabel(b)));
  const unavailableReason = !connected
    ? `${i.name} is ${CONNECTION[i.connection.status]?.label.toLowerCase() ?? i.connection.status}: connect it on Integrations first.`
    : !i.userSync.enabled
      ? `Group Sync puts the people User Auto-Sync brings in into groups: turn on User Auto-Sync for ${i.name} first.`
      : null;

  const update = (key: number, change: Partial<GroupMappingEntry>) => setRows((rs) => (rs ?? []).map((r) => (r.key === key ? { ...r, ...change } : r)));

  const check = (): boolean => {
    const e: Record<string, string> = {};
    for (const r of rows) {
      if (!r.attribute.trim()) e[`attribute-${r.key}`] = 'Choose an attribute.';
      if (!r.type.trim()) e[`type-${r.key}`] = 'Enter a type label, e.g. Department.';
      if (r.nameTemplate?.trim() && !r.nameTemplate.includes('{value}')) e[`nameTemplate-${r.key}`] = 'The name template needs {value}.';
    }
    if (enabled && rows.length === 0 && !i.groupSync.directoryGroups) e.mapping = hasDirectoryGroups ? `Add at least one attribute, or pick ${source} groups below, to turn Group Sync on.` : 'Add at least one attribute to turn Group Sync on.';
    setErrors(e);
    const first = Object.keys(e)[0];
    if (first) document.getElementById(`gs-${first}`)?.focus();
    return !first;
  };

  const runPreview = async () => {
    if (!check()) return;
    setBusy('preview');
    setPreviewError(null);
    try {
      setPreview(await data(client.POST('/api/v1/integrations/{id}/group-sync/preview', { params: { path: { id: i.id } }, body: { mapping: toMapping(rows) } })));
    } catch (error) {
      setPreview(null);
      setPreviewError(errorMessage(error));
    } finally {
      setBusy(null);
    }
  };

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    setNotice(null);
    if (!check()) return;
    setBusy('save');
    try {
      const updated = await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id: i.id } }, body: { groupSync: { enabled, mapping: toMapping(rows) } } }));
      integration.set(updated);
      setRows(toRows(updated.groupSync.mapping));
      setEnabled(updated.groupSync.enabled);
      setNotice({ tone: 'good', text: updated.groupSync.enabled ? 'Group Sync saved and on: a sync is building the groups now.' : 'Group Sync saved. It is off: no groups are synced.' });
      if (updated.groupSync.enabled) setPollUntil(Date.now() + 20_000);
    } catch (error) {
      const problems = error instanceof ApiError && Array.isArray(error.details.problems) ? (error.details.problems as string[]) : [];
      setNotice({ tone: 'bad', text: problems.length > 1 ? `${errorMessage(error)} Also: ${problems.slice(1).join(' ')}` : errorMessage(error) });
    } finally {
      setBusy(null);
    }
  };

  const synced = groups.data?.data ?? [];
  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="title-with-logo">
            <ProviderMark provider={i.provider} size={36} /> Group Sync · {i.name}
          </span>
        }
        subtitle={`Choose which ${source} attributes become ReFresh groups, how they are labelled and nested. Synced groups follow ${source}: they are locked in ReFresh.`}
        actions={<GoToIntegrations />}
      />
      {notice && <Alert tone={notice.tone}>{notice.text}</Alert>}
      {unavailableReason && !i.groupSync.enabled && <Alert tone="info">{unavailableReason}</Alert>}

      <Card title="Mapping">
        <form className="form" onSubmit={(e) => void save(e)} noValidate aria-label="Group mapping">
          <div className="setting-row">
            <div>
              <label htmlFor="gs-enabled" className="setting-label">
                Group Sync
              </label>
              <p className="muted small" id="gs-enabled-hint">
                {enabled ? `On: ${source}'s org structure becomes groups on every sync.` : 'Off: no groups are synced from this integration.'} Saved with the mapping.
              </p>
            </div>
            <input id="gs-enabled" type="checkbox" role="switch" className="switch" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} aria-describedby="gs-enabled-hint" />
          </div>
          {errors.mapping && (
            <p className="field-error" role="alert">
              {errors.mapping}
            </p>
          )}
          {rows.length === 0 ? (
            <p className="muted">No attributes become groups yet. Add one below, e.g. Department.</p>
          ) : (
            <ol className="gs-rows">
              {rows.map((r, n) => (
                <li key={r.key} className="gs-row" data-testid="mapping-row">
                  <div className="field">
                    <label htmlFor={`gs-attribute-${r.key}`}>Attribute {n + 1}</label>
                    <select
                      id={`gs-attribute-${r.key}`}
                      value={r.attribute}
                      aria-invalid={!!errors[`attribute-${r.key}`]}
                      onChange={(e) => update(r.key, { attribute: e.target.value, ...(r.type ? {} : { type: DEFAULT_TYPE[e.target.value] ?? fieldLabel(e.target.value) }) })}
                    >
                      <option value="">Choose…</option>
                      {[...new Set([...available, ...(r.attribute ? [r.attribute] : [])])].map((a) => (
                        <option key={a} value={a}>
                          {fieldLabel(a)}
                        </option>
                      ))}
                    </select>
                    {errors[`attribute-${r.key}`] && <p className="field-error">{errors[`attribute-${r.key}`]}</p>}
                  </div>
                  <div className="field">
                    <label htmlFor={`gs-type-${r.key}`}>Type label</label>
                    <input id={`gs-type-${r.key}`} value={r.type} maxLength={60} placeholder="Department" aria-invalid={!!errors[`type-${r.key}`]} onChange={(e) => update(r.key, { type: e.target.value })} />
                    {errors[`type-${r.key}`] && <p className="field-error">{errors[`type-${r.key}`]}</p>}
                  </div>
                  <div className="field">
                    <label htmlFor={`gs-parent-${r.key}`}>Nest under</label>
                    <select id={`gs-parent-${r.key}`} value={r.parent ?? ''} onChange={(e) => update(r.key, { parent: e.target.value || undefined })}>
                      <option value="">Top level</option>
                      {rows
                        .filter((o) => o.key !== r.key && o.attribute)
                        .map((o) => (
                          <option key={o.key} value={o.attribute}>
                            {o.type || fieldLabel(o.attribute)} ({fieldLabel(o.attribute)})
                          </option>
                        ))}
                    </select>
                  </div>
                  <div className="field">
                    <label htmlFor={`gs-nameTemplate-${r.key}`}>Name template</label>
                    <input
                      id={`gs-nameTemplate-${r.key}`}
                      value={r.nameTemplate ?? ''}
                      placeholder="{value}"
                      maxLength={200}
                      aria-invalid={!!errors[`nameTemplate-${r.key}`]}
                      onChange={(e) => update(r.key, { nameTemplate: e.target.value })}
                    />
                    {errors[`nameTemplate-${r.key}`] && <p className="field-error">{errors[`nameTemplate-${r.key}`]}</p>}
                  </div>
                  <button type="button" className="btn btn-ghost-danger btn-small gs-remove" onClick={() => setRows(rows.filter((o) => o.key !== r.key))} aria-label={`Remove attribute ${n + 1}`}>
                    Remove
                  </button>
                </li>
              ))}
            </ol>
          )}
          <p className="muted small">
            Name template: <code>{'{value}'}</code> (required), <code>{'{type}'}</code>, <code>{'{attribute}'}</code>, e.g. <code>{'{value} ({type})'}</code>. “Nest under” puts each group under the
            parent group most of its members belong to.
          </p>
          <div className="form-actions wrap">
            <button type="button" className="btn btn-secondary" onClick={() => setRows([...rows, { key: nextKey++, attribute: '', type: '' }])} disabled={rows.length >= 20}>
              Add attribute
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => void runPreview()} disabled={busy !== null}>
              {busy === 'preview' ? 'Previewing…' : 'Preview'}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy !== null}>
              {busy === 'save' ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      </Card>

      {hasDirectoryGroups && (
        <DirectoryGroupsCard
          integration={i}
          source={source}
          onSaved={(updated) => {
            integration.set(updated);
            setEnabled(updated.groupSync.enabled);
            if (updated.groupSync.enabled) setPollUntil(Date.now() + 20_000);
          }}
        />
      )}

      <div className="grid-2">
        <Card title="Preview">
          {previewError ? (
            <Alert tone="bad">{previewError}</Alert>
          ) : !preview ? (
            <p className="muted">Click Preview to see the groups and headcounts this mapping would make from the last synced data. Nothing is saved.</p>
          ) : (
            <div data-testid="preview">
              {preview.note && <Alert tone="info">{preview.note}</Alert>}
              <p className="small">
                From {preview.basedOn.people.toLocaleString()} {preview.basedOn.people === 1 ? 'person' : 'people'}. The next sync would create {preview.changes.create}, rename {preview.changes.rename}, move{' '}
                {preview.changes.move} and archive {preview.changes.archive} groups.
              </p>
              {preview.groups.length === 0 ? (
                <p className="muted">No groups: nobody has a value for these attributes.</p>
              ) : (
                <Tree
                  nodes={preview.groups}
                  label="Preview of the groups"
                  testId="preview-tree"
                  keyOf={(g, n) => g.id ?? `${g.attribute}:${g.name}:${n}`}
                  render={(g) => (
                    <>
                      <strong>{g.name}</strong> <Badge tone="info">{g.type}</Badge> <Headcount n={g.headcount} />
                      {g.id === null && <Badge tone="good">new</Badge>}
                    </>
                  )}
                />
              )}
            </div>
          )}
        </Card>
        <Card title="Synced groups">
          {groups.loading && !groups.data ? (
            <Spinner label="Loading groups…" />
          ) : groups.error ? (
            <ErrorState error={groups.error} onRetry={groups.reload} />
          ) : synced.length === 0 ? (
            <EmptyState title="No synced groups yet">{i.groupSync.enabled ? 'The next sync creates them.' : 'Turn Group Sync on and save to create them.'}</EmptyState>
          ) : (
            <Tree
              nodes={synced}
              label="Synced groups"
              testId="synced-groups"
              keyOf={(g) => g.id}
              render={(g) => (
                <>
                  <Link to={`/settings/groups/${g.id}`}>{g.name}</Link> <Badge tone="info">{g.type}</Badge> <Headcount n={g.headcount} />
                  {g.locked && (
                    <span className="locked-by">
                      <LockIcon />
                      <span>Managed by {g.lockedBy}</span>
                    </span>
                  )}
                </>
              )}
            />
          )}
        </Card>
      </div>
    </>
  );
}
