import { useState, type FormEvent } from 'react';
import { client, data, errorMessage, type Schema } from '../api/client.ts';
import { Alert, Badge, Card } from './ui.tsx';
import { Tree } from './Tree.tsx';

type Integration = Schema<'Integration'>;
type Preview = Schema<'DirectoryGroupsPreview'>;
type Selection = NonNullable<Integration['groupSync']['directoryGroups']>;
type Mode = 'none' | 'all' | 'include';

const modeOf = (s: Integration['groupSync']['directoryGroups']): Mode => (!s ? 'none' : s === 'all' ? 'all' : 'include');
const patternsOf = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * An identity provider's own groups (the directoryGroups capability of its descriptor) in Group Sync: none, all, or those
 * whose names or e-mails match patterns; Preview asks the provider which groups that picks, nested,
 * with people and headcounts, before anything is saved.
 */
export function DirectoryGroupsCard({ integration: i, source, onSaved }: { integration: Integration; source: string; onSaved: (updated: Integration) => void }) {
  const [mode, setMode] = useState<Mode>(modeOf(i.groupSync.directoryGroups));
  const saved = i.groupSync.directoryGroups;
  const [text, setText] = useState(saved && saved !== 'all' ? saved.include.join('\n') : '');
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'preview' | null>(null);
  const [preview, setPreview] = useState<{ data: Preview; for: string } | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);

  const selection = (): Selection | null | undefined => {
    if (mode === 'none') return null;
    if (mode === 'all') return 'all';
    const include = patternsOf(text);
    if (include.length === 0) {
      setError('Enter at least one group name or e-mail, one a line; * matches anything, e.g. Abt. *');
      document.getElementById('dg-patterns')?.focus();
      return undefined;
    }
    return { include };
  };
  const current = JSON.stringify([mode, mode === 'include' ? patternsOf(text) : null]);

  const runPreview = async () => {
    setError(null);
    const s = selection();
    if (s === undefined) return;
    if (s === null) {
      setPreview(null);
      setPreviewError(`Choose all groups or some to preview them; with this choice no ${source} group is synced.`);
      return;
    }
    setBusy('preview');
    setPreviewError(null);
    try {
      const p = await data(client.POST('/api/v1/integrations/{id}/group-sync/directory-preview', { params: { path: { id: i.id } }, body: { directoryGroups: s } }));
      setPreview({ data: p, for: current });
    } catch (err) {
      setPreview(null);
      setPreviewError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    setError(null);
    setNotice(null);
    const s = selection();
    if (s === undefined) return;
    setBusy('save');
    try {
      // Picking groups turns Group Sync on; choosing none leaves it as it is.
      const body = s === null ? { groupSync: { directoryGroups: null } } : { groupSync: { enabled: true, directoryGroups: s } };
      const updated = await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id: i.id } }, body }));
      onSaved(updated);
      setNotice(s === null ? `Saved: no ${source} groups are synced.` : `Saved: a sync is building the ${source} groups now.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  };

  const p = preview?.data;
  const stale = preview !== null && preview.for !== current;
  const unmatched = p?.patterns.filter((x) => x.matches === 0) ?? [];
  return (
    <Card title={`${source} groups`}>
      <form className="form" onSubmit={(e) => void save(e)} noValidate aria-label={`${source} groups`}>
        <p className="muted small">Groups from {source} itself, nested as they are there. A picked group brings the groups nested in it.</p>
        {notice && <Alert tone="good">{notice}</Alert>}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <fieldset className="radio-group">
          <legend className="setting-label">Which groups</legend>
          {(
            [
              ['none', `No ${source} groups`],
              ['all', `All ${source} groups`],
              ['include', 'Only groups matching'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="radio">
              <input type="radio" name="dg-mode" value={value} checked={mode === value} onChange={() => setMode(value)} /> {label}
            </label>
          ))}
        </fieldset>
        {mode === 'include' && (
          <div className="field">
            <label htmlFor="dg-patterns">Group names or e-mails, one a line</label>
            <textarea id="dg-patterns" rows={4} value={text} onChange={(e) => setText(e.target.value)} placeholder={'Abt. *\nleaders@acme.example'} aria-describedby="dg-patterns-hint" />
            <p className="field-hint" id="dg-patterns-hint">
              * matches any characters; case does not matter.
            </p>
          </div>
        )}
        <div className="form-actions wrap">
          <button type="button" className="btn btn-secondary" onClick={() => void runPreview()} disabled={busy !== null}>
            {busy === 'preview' ? 'Previewing…' : 'Preview groups'}
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy !== null}>
            {busy === 'save' ? 'Saving…' : 'Save groups'}
          </button>
        </div>
      </form>
      <section aria-label={`Preview of the ${source} groups`} aria-busy={busy === 'preview'} data-testid="directory-preview">
        {previewError && <Alert tone="bad">{previewError}</Alert>}
        {p && (
          <div data-stale={stale ? 'true' : 'false'}>
            {stale && <Alert tone="info">The choice changed since this preview: preview again to see what it picks.</Alert>}
            <p className="small" data-testid="directory-preview-summary">
              {p.selected === 0 ? `Picks none of the ${p.total} groups in ${source}.` : `Picks ${p.selected} of the ${p.total} groups in ${source}.`} Read from {source} just now; nothing is saved until you
              click Save groups.{' '}
              {p.changes.create + p.changes.archive + p.changes.rename > 0 && `The next sync would create ${p.changes.create}, rename ${p.changes.rename} and archive ${p.changes.archive}.`}
            </p>
            {unmatched.length > 0 && (
              <Alert tone="warn">
                {unmatched.length === 1 ? 'This pattern names' : 'These patterns name'} no group: {unmatched.map((x) => `“${x.pattern}”`).join(', ')}.
              </Alert>
            )}
            {p.groups.length > 0 && (
              <Tree
                nodes={p.groups}
                label={`${source} groups the choice picks`}
                testId="directory-preview-tree"
                keyOf={(g) => g.key}
                render={(g) => (
                  <>
                    <strong>{g.name}</strong> <Badge tone="info">{g.kind}</Badge>{' '}
                    <span className="muted small headcount">
                      {g.people === 1 ? '1 person' : `${g.people.toLocaleString()} people`} in {source} · {g.headcount.toLocaleString()} in ReFresh
                      {g.skipped > 0 && ` · ${g.skipped} not synced (not ReFresh employees)`}
                      {g.alsoIn.length > 0 && ` · also in ${g.alsoIn.join(', ')}`}
                    </span>{' '}
                    {g.id === null && <Badge tone="good">new</Badge>}
                  </>
                )}
              />
            )}
            {p.leftTotal > 0 && (
              <details>
                <summary>
                  {p.leftTotal} {p.leftTotal === 1 ? 'group' : 'groups'} left out
                </summary>
                <ul className="plain-list" data-testid="directory-preview-left">
                  {p.left.map((g) => (
                    <li key={g.key}>
                      {g.name} <span className="muted small">{g.email ?? ''}</span> <span className="muted small">{g.people === 1 ? '1 person' : `${g.people} people`}</span>
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </div>
        )}
      </section>
    </Card>
  );
}
