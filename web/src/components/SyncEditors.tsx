import { useId, useState, type FormEvent } from 'react';
import { ApiError, client, data, errorMessage, type Schema } from '../api/client.ts';
import { STANDARD_FIELDS, fieldLabel } from '../format.ts';
import { sourceLabel, useProvider, useProviders } from '../providers.ts';
import { Alert, Card, Spinner } from './ui.tsx';

type Integration = Schema<'Integration'>;
type Scope = Integration['userSync']['scope'];
type ScopeOperator = Scope['groups'][number]['conditions'][number]['operator'];
type ScopePreview = Schema<'ScopePreview'>;
type ScopePreviewPerson = ScopePreview['sampleIn'][number];

interface ConditionDraft {
  key: number;
  field: string;
  operator: ScopeOperator;
  values: string;
}
interface GroupDraft {
  key: number;
  name: string;
  conditions: ConditionDraft[];
}

const OPERATORS: { value: ScopeOperator; label: string }[] = [
  { value: 'in', label: 'is one of' },
  { value: 'notIn', label: 'is not one of' },
  { value: 'empty', label: 'is empty' },
  { value: 'notEmpty', label: 'is not empty' },
];

let seq = 1;
const nextKey = () => seq++;

function draftsOf(i: Integration): GroupDraft[] {
  return i.userSync.scope.groups.map((g) => ({
    key: nextKey(),
    name: g.name ?? '',
    conditions: g.conditions.map((c) => ({ key: nextKey(), field: c.field, operator: c.operator, values: (c.values ?? []).join(', ') })),
  }));
}

const splitValues = (text: string) =>
  text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

type OutOfScopeAction = Integration['userSync']['outOfScopeAction'];

/** The drafts as the API's scope (values split on commas; empty names dropped). */
function scopeOf(groups: GroupDraft[]): Scope {
  return {
    groups: groups.map((g) => ({
      ...(g.name.trim() ? { name: g.name.trim() } : {}),
      conditions: g.conditions.map((c) => ({ field: c.field.trim(), operator: c.operator, ...(c.operator === 'in' || c.operator === 'notIn' ? { values: splitValues(c.values) } : {}) })),
    })),
  };
}

/** The same checks the API makes, shown next to the control at fault. */
function validateDrafts(groups: GroupDraft[]): Record<string, string> {
  const errs: Record<string, string> = {};
  for (const g of groups) {
    if (g.conditions.length === 0) errs[`g${g.key}`] = 'Add a condition, or remove this rule group.';
    for (const c of g.conditions) {
      if (!c.field.trim()) errs[`c${c.key}-field`] = 'Choose a field.';
      if ((c.operator === 'in' || c.operator === 'notIn') && splitValues(c.values).length === 0) errs[`c${c.key}-values`] = 'Enter at least one value, separated by commas.';
    }
  }
  return errs;
}

/** An API error's `details.field` (e.g. `scope.groups.0.conditions.1.values`) as the draft control it names. */
function errorKeyOf(groups: GroupDraft[], field: unknown): string | null {
  if (typeof field !== 'string') return null;
  const m = /^scope\.groups\.(\d+)(?:\.conditions\.(\d+)(?:\.(field|values|operator))?)?/.exec(field);
  const g = m ? groups[Number(m[1])] : undefined;
  if (!m || !g) return null;
  if (m[2] === undefined) return `g${g.key}`;
  const c = g.conditions[Number(m[2])];
  if (!c) return `g${g.key}`;
  return `c${c.key}-${m[3] === 'values' ? 'values' : 'field'}`;
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** Who is synced: OR across rule groups, AND within one; plus what happens to people who leave scope. */
export function ScopeEditor({ integration, onSaved }: { integration: Integration; onSaved: (i: Integration) => void }) {
  const provider = useProvider(integration.provider);
  const [groups, setGroups] = useState<GroupDraft[]>(() => draftsOf(integration));
  const [outOfScope, setOutOfScope] = useState<OutOfScopeAction>(integration.userSync.outOfScopeAction);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  const [busy, setBusy] = useState<'save' | 'preview' | null>(null);
  const [preview, setPreview] = useState<{ data: ScopePreview; body: string; action: OutOfScopeAction } | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const listId = useId();
  const previewId = useId();

  const update = (gk: number, fn: (g: GroupDraft) => GroupDraft) => setGroups((gs) => gs.map((g) => (g.key === gk ? fn(g) : g)));
  const updateCond = (gk: number, ck: number, changes: Partial<ConditionDraft>) =>
    update(gk, (g) => ({ ...g, conditions: g.conditions.map((c) => (c.key === ck ? { ...c, ...changes } : c)) }));

  const currentBody = JSON.stringify({ scope: scopeOf(groups), outOfScopeAction: outOfScope });
  const stale = preview !== null && preview.body !== currentBody;

  /** Validates the drafts; the scope to send, or null with the errors shown. */
  const checked = (): Scope | null => {
    const errs = validateDrafts(groups);
    setErrors(errs);
    setResult(null);
    const first = Object.keys(errs)[0];
    if (first) {
      document.getElementById(first.startsWith('g') ? `${first}-name` : first)?.focus();
      return null;
    }
    return scopeOf(groups);
  };

  const showApiError = (error: unknown) => {
    const key = error instanceof ApiError && error.status === 400 ? errorKeyOf(groups, error.details.field) : null;
    if (key) setErrors((e) => ({ ...e, [key]: error instanceof Error ? error.message : String(error) }));
  };

  const runPreview = async () => {
    const scope = checked();
    if (!scope) return;
    setBusy('preview');
    setPreviewError(null);
    const body = { scope, outOfScopeAction: outOfScope };
    try {
      const answer = await data(client.POST('/api/v1/integrations/{id}/user-sync/preview', { params: { path: { id: integration.id } }, body }));
      setPreview({ data: answer, body: JSON.stringify(body), action: outOfScope });
    } catch (error) {
      setPreview(null);
      setPreviewError(errorMessage(error));
      showApiError(error);
    } finally {
      setBusy(null);
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const scope = checked();
    if (!scope) return;
    setBusy('save');
    try {
      const updated = await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id: integration.id } }, body: { userSync: { scope, outOfScopeAction: outOfScope } } }));
      onSaved(updated);
      setResult({ tone: 'good', text: 'Scope saved. The next sync applies it to everyone.' });
    } catch (error) {
      setResult({ tone: 'bad', text: errorMessage(error) });
      showApiError(error);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title="Sync scope">
      <form className="form" onSubmit={(e) => void save(e)} noValidate aria-label="Sync scope">
        <p className="muted">
          {groups.length === 0 ? 'Everyone in the HR system is synced. Add a rule group to sync only some people.' : 'A person is synced when they match any rule group; within a group, every condition must match.'}
        </p>
        <datalist id={listId}>
          {STANDARD_FIELDS.map((f) => (
            <option key={f} value={f}>
              {fieldLabel(f)}
            </option>
          ))}
          {/* The provider's own attributes ("Location in <provider>"), from its descriptor. */}
          {provider?.fields.map((f) => (
            <option key={f.key} value={`source.${f.key}`}>
              {sourceLabel(provider, f.key)}
            </option>
          ))}
        </datalist>
        {groups.map((g, gi) => (
          <fieldset key={g.key} className="rule-group">
            <legend>{gi === 0 ? 'Sync people who match' : 'Or who match'}</legend>
            <div className="field">
              <label htmlFor={`g${g.key}-name`}>Rule group name (optional)</label>
              <input id={`g${g.key}-name`} value={g.name} onChange={(e) => update(g.key, (x) => ({ ...x, name: e.target.value }))} placeholder="e.g. Full-time staff" />
            </div>
            {g.conditions.map((c, ci) => (
              <div key={c.key} className="condition">
                <span className="condition-join" aria-hidden="true">
                  {ci === 0 ? 'Where' : 'and'}
                </span>
                <div className="field">
                  <label htmlFor={`c${c.key}-field`}>Field</label>
                  <input
                    id={`c${c.key}-field`}
                    list={listId}
                    value={c.field}
                    onChange={(e) => updateCond(g.key, c.key, { field: e.target.value })}
                    aria-invalid={!!errors[`c${c.key}-field`]}
                    aria-describedby={errors[`c${c.key}-field`] ? `c${c.key}-field-error` : undefined}
                    placeholder="department"
                  />
                  {errors[`c${c.key}-field`] && (
                    <p className="field-error" id={`c${c.key}-field-error`}>
                      {errors[`c${c.key}-field`]}
                    </p>
                  )}
                </div>
                <div className="field">
                  <label htmlFor={`c${c.key}-op`}>Condition</label>
                  <select id={`c${c.key}-op`} value={c.operator} onChange={(e) => updateCond(g.key, c.key, { operator: e.target.value as ScopeOperator })}>
                    {OPERATORS.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                </div>
                {(c.operator === 'in' || c.operator === 'notIn') && (
                  <div className="field field-grow">
                    <label htmlFor={`c${c.key}-values`}>Values (comma-separated)</label>
                    <input
                      id={`c${c.key}-values`}
                      value={c.values}
                      onChange={(e) => updateCond(g.key, c.key, { values: e.target.value })}
                      aria-invalid={!!errors[`c${c.key}-values`]}
                      aria-describedby={errors[`c${c.key}-values`] ? `c${c.key}-values-error` : undefined}
                      placeholder="Engineering, Sales"
                    />
                    {errors[`c${c.key}-values`] && (
                      <p className="field-error" id={`c${c.key}-values-error`}>
                        {errors[`c${c.key}-values`]}
                      </p>
                    )}
                  </div>
                )}
                <button type="button" className="btn btn-ghost btn-small condition-remove" onClick={() => update(g.key, (x) => ({ ...x, conditions: x.conditions.filter((y) => y.key !== c.key) }))} aria-label={`Remove condition ${ci + 1} of rule group ${gi + 1}`}>
                  Remove
                </button>
              </div>
            ))}
            {errors[`g${g.key}`] && <p className="field-error">{errors[`g${g.key}`]}</p>}
            <div className="link-row">
              <button type="button" className="btn btn-secondary btn-small" onClick={() => update(g.key, (x) => ({ ...x, conditions: [...x.conditions, { key: nextKey(), field: '', operator: 'in', values: '' }] }))}>
                Add condition
              </button>
              <button type="button" className="btn btn-ghost-danger btn-small" onClick={() => setGroups((gs) => gs.filter((x) => x.key !== g.key))}>
                Remove rule group
              </button>
            </div>
          </fieldset>
        ))}
        <div className="link-row">
          <button type="button" className="btn btn-secondary btn-small" onClick={() => setGroups((gs) => [...gs, { key: nextKey(), name: '', conditions: [{ key: nextKey(), field: 'department', operator: 'in', values: '' }] }])}>
            Add rule group
          </button>
        </div>
        <fieldset className="radio-group">
          <legend>When someone leaves scope</legend>
          <label>
            <input type="radio" name="outOfScope" value="deactivate" checked={outOfScope === 'deactivate'} onChange={() => setOutOfScope('deactivate')} /> Deactivate them in ReFresh
          </label>
          <label>
            <input type="radio" name="outOfScope" value="ignore" checked={outOfScope === 'ignore'} onChange={() => setOutOfScope('ignore')} /> Leave them as they are
          </label>
        </fieldset>
        <p className="muted small" id={`${previewId}-hint`}>
          Preview shows who this scope keeps and drops, and what the next sync would change. Nothing is saved until you click Save scope.
        </p>
        {result && <Alert tone={result.tone}>{result.text}</Alert>}
        <div className="form-actions wrap">
          <button type="submit" className="btn btn-primary" disabled={busy !== null}>
            {busy === 'save' ? 'Saving…' : 'Save scope'}
          </button>
          <button type="button" className="btn btn-secondary" onClick={() => void runPreview()} disabled={busy !== null} aria-describedby={`${previewId}-hint`} aria-controls={previewId}>
            {busy === 'preview' ? 'Previewing…' : 'Preview'}
          </button>
        </div>
        <section id={previewId} className="scope-preview" aria-label="Scope preview" aria-busy={busy === 'preview'} data-testid="scope-preview">
          {busy === 'preview' ? (
            <Spinner label="Working out who is in and out…" />
          ) : previewError ? (
            <Alert tone="bad" title="Could not preview this scope">
              <span data-testid="scope-preview-error">{previewError}</span>
            </Alert>
          ) : preview ? (
            <ScopePreviewResult preview={preview.data} action={preview.action} stale={stale} integrationName={integration.name} />
          ) : null}
        </section>
      </form>
    </Card>
  );
}

function ScopePreviewResult({ preview: p, action, stale, integrationName }: { preview: ScopePreview; action: OutOfScopeAction; stale: boolean; integrationName: string }) {
  const counts: [string, string, number][] = [
    ['inScope', 'In scope', p.inScope],
    ['outOfScope', 'Out of scope', p.outOfScope],
    ['wouldDeactivate', 'Would deactivate', p.wouldDeactivate],
    ['wouldAdd', 'Would add', p.wouldAdd],
  ];
  const rules = Object.entries(p.byRule).sort((a, b) => b[1] - a[1]);
  return (
    <div data-testid="scope-preview-result" data-stale={stale ? 'true' : 'false'}>
      <h3 className="preview-heading">Preview</h3>
      {stale && <Alert tone="info">You changed the scope after this preview. Click Preview again to see the effect of your changes.</Alert>}
      <p className="muted small" data-testid="scope-preview-basis">
        Of {plural(p.total, 'person', 'people')} in {integrationName}, based on the {p.basis}.
      </p>
      <dl className="counts preview-counts">
        {counts.map(([key, label, n]) => (
          <div key={key} className={`count${key === 'wouldDeactivate' && n > 0 ? ' count-warn' : ''}`} data-count={key}>
            <dt>{label}</dt>
            <dd>{n.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {p.wouldDeactivate > 0 ? (
        <Alert tone="warn" title="People would be deactivated">
          <span data-testid="scope-preview-warning">
            Saving this scope would deactivate {plural(p.wouldDeactivate, 'person', 'people')} at the next sync; the safeguard may hold the run.
          </span>
        </Alert>
      ) : action === 'ignore' && p.outOfScope > 0 ? (
        <p className="muted small">People out of scope are left as they are (you chose not to deactivate them).</p>
      ) : null}
      {rules.length > 0 && (
        <div className="preview-block">
          <h4>In scope by rule</h4>
          <ul className="plain-list preview-rules" aria-label="In scope by rule">
            {rules.map(([reason, n]) => (
              <li key={reason}>
                <span>{reason}</span> <strong>{n.toLocaleString()}</strong>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="preview-lists">
        <PeopleSample title="In scope" people={p.sampleIn} total={p.inScope} testId="scope-preview-in" empty="Nobody matches this scope." />
        <PeopleSample title="Out of scope" people={p.sampleOut} total={p.outOfScope} testId="scope-preview-out" empty="Everyone is in scope." withReason />
      </div>
    </div>
  );
}

const SHORT_LIST = 10;

function PeopleSample({ title, people, total, testId, empty, withReason = false }: { title: string; people: ScopePreviewPerson[]; total: number; testId: string; empty: string; withReason?: boolean }) {
  const [all, setAll] = useState(false);
  const shown = all ? people : people.slice(0, SHORT_LIST);
  const listId = useId();
  return (
    <div className="preview-block" data-testid={testId}>
      <h4>
        {title} <span className="muted small">({total.toLocaleString()})</span>
      </h4>
      {people.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <>
          <ul className="plain-list preview-people" aria-label={title} id={listId}>
            {shown.map((person) => (
              <li key={person.externalId} data-testid="preview-person">
                <strong>{person.name ?? `No name (${person.externalId})`}</strong>
                <span className="muted small">{[person.email ?? 'no email', person.department ?? 'no department'].join(' · ')}</span>
                {withReason && <span className="small preview-reason">{person.reason}</span>}
              </li>
            ))}
          </ul>
          {(people.length > SHORT_LIST || people.length < total) && (
            <p className="small preview-more">
              {shown.length < total && (
                <span className="muted">
                  Showing {shown.length.toLocaleString()} of {total.toLocaleString()}.{' '}
                </span>
              )}
              {people.length > SHORT_LIST && (
                <button type="button" className="btn btn-ghost btn-small" aria-expanded={all} aria-controls={listId} onClick={() => setAll((a) => !a)}>
                  {all ? 'Show fewer' : `Show ${people.length === total ? 'all' : 'the first'} ${people.length.toLocaleString()} ${title.toLowerCase()}`}
                </button>
              )}
            </p>
          )}
        </>
      )}
    </div>
  );
}

interface MappingRow {
  key: number;
  source: string;
  target: string;
  custom: string;
}

const CUSTOM = '__custom__';
/** A provider field the catalogue does not list (a custom field in the HR system), typed by name. */
const OTHER = '__other__';

/** Provider field → ReFresh field. Only mapped fields are written (and locked). */
export function FieldMappingEditor({ integration, onSaved }: { integration: Integration; onSaved: (i: Integration) => void }) {
  // The provider's field catalogue (its descriptor, GET /providers): sources are picked by label.
  const providers = useProviders();
  const catalogue = providers.data?.data.find((p) => p.id === integration.provider)?.fields ?? [];
  const known = new Map(catalogue.map((f) => [f.key, f.label]));
  const sourceLabel = (key: string) => known.get(key) ?? key;
  const [otherRows, setOtherRows] = useState<Set<number>>(new Set());
  const [rows, setRows] = useState<MappingRow[]>(() =>
    Object.entries(integration.userSync.fieldMapping).map(([source, target]) => ({
      key: nextKey(),
      source,
      target: target.startsWith('custom.') ? CUSTOM : target,
      custom: target.startsWith('custom.') ? target.slice(7) : '',
    })),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (k: number, changes: Partial<MappingRow>) => setRows((rs) => rs.map((r) => (r.key === k ? { ...r, ...changes } : r)));
  const targetOf = (r: MappingRow) => (r.target === CUSTOM ? `custom.${r.custom.trim()}` : r.target);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const seenSource = new Map<string, number>();
    const seenTarget = new Map<string, number>();
    for (const r of rows) {
      const s = r.source.trim();
      if (!s) errs[`${r.key}-source`] = `Choose the ${integration.name} field.`;
      else if (seenSource.has(s)) errs[`${r.key}-source`] = `“${sourceLabel(s)}” is mapped twice.`;
      seenSource.set(s, r.key);
      if (!r.target) errs[`${r.key}-target`] = 'Choose a ReFresh field.';
      else if (r.target === CUSTOM && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(r.custom.trim())) errs[`${r.key}-target`] = 'Name the custom field with letters, digits, _ . or -.';
      else if (seenTarget.has(targetOf(r))) errs[`${r.key}-target`] = `${fieldLabel(targetOf(r))} is already mapped; map each ReFresh field once.`;
      seenTarget.set(targetOf(r), r.key);
    }
    setErrors(errs);
    setResult(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const fieldMapping = Object.fromEntries(rows.map((r) => [r.source.trim(), targetOf(r)]));
      const updated = await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id: integration.id } }, body: { userSync: { fieldMapping } } }));
      onSaved(updated);
      setResult({ tone: 'good', text: 'Field mapping saved. The next sync writes the mapped fields; unmapped fields are unlocked and keep their last value.' });
    } catch (error) {
      setResult({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Field mapping">
      <form className="form" onSubmit={(e) => void save(e)} noValidate aria-label="Field mapping">
        <p className="muted">Which {integration.name} field fills which ReFresh field. Mapped fields are managed by {integration.name} and locked in ReFresh.</p>
        <div className="table-wrap">
          <table className="table mapping-table">
            <thead>
              <tr>
                <th scope="col">{integration.name} field</th>
                <th scope="col" aria-hidden="true" />
                <th scope="col">ReFresh field</th>
                <th scope="col">
                  <span className="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, idx) => (
                <tr key={r.key}>
                  <td>
                    <label className="sr-only" htmlFor={`map-${r.key}-source`}>
                      Provider field {idx + 1}
                    </label>
                    {otherRows.has(r.key) || (catalogue.length > 0 && r.source !== '' && !known.has(r.source)) || (catalogue.length === 0 && !providers.loading) ? (
                      <input id={`map-${r.key}-source`} value={r.source} placeholder="The field's name in the HR system" onChange={(e) => set(r.key, { source: e.target.value })} aria-invalid={!!errors[`${r.key}-source`]} />
                    ) : (
                      <select
                        id={`map-${r.key}-source`}
                        value={r.source}
                        aria-invalid={!!errors[`${r.key}-source`]}
                        onChange={(e) => {
                          if (e.target.value === OTHER) {
                            setOtherRows((s) => new Set(s).add(r.key));
                            set(r.key, { source: '' });
                          } else set(r.key, { source: e.target.value });
                        }}
                      >
                        <option value="">Choose…</option>
                        {catalogue
                          .filter((f) => f.key === r.source || !rows.some((x) => x.source === f.key))
                          .map((f) => (
                            <option key={f.key} value={f.key}>
                              {f.label}
                              {f.personal ? ' (personal)' : ''}
                            </option>
                          ))}
                        <option value={OTHER}>Another field…</option>
                      </select>
                    )}
                    {errors[`${r.key}-source`] && <p className="field-error">{errors[`${r.key}-source`]}</p>}
                  </td>
                  <td className="arrow" aria-hidden="true">
                    →
                  </td>
                  <td>
                    <label className="sr-only" htmlFor={`map-${r.key}-target`}>
                      ReFresh field for {r.source ? sourceLabel(r.source) : `row ${idx + 1}`}
                    </label>
                    <div className="mapping-target">
                      <select id={`map-${r.key}-target`} value={r.target} onChange={(e) => set(r.key, { target: e.target.value })} aria-invalid={!!errors[`${r.key}-target`]}>
                        <option value="">Choose…</option>
                        {STANDARD_FIELDS.map((f) => (
                          <option key={f} value={f}>
                            {fieldLabel(f)}
                          </option>
                        ))}
                        <option value={CUSTOM}>Custom field…</option>
                      </select>
                      {r.target === CUSTOM && (
                        <>
                          <label className="sr-only" htmlFor={`map-${r.key}-custom`}>
                            Custom field name
                          </label>
                          <input id={`map-${r.key}-custom`} value={r.custom} onChange={(e) => set(r.key, { custom: e.target.value })} placeholder="shirtSize" />
                        </>
                      )}
                    </div>
                    {errors[`${r.key}-target`] && <p className="field-error">{errors[`${r.key}-target`]}</p>}
                  </td>
                  <td>
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))} aria-label={`Remove mapping of ${r.source ? sourceLabel(r.source) : `row ${idx + 1}`}`}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="link-row">
          <button type="button" className="btn btn-secondary btn-small" onClick={() => setRows((rs) => [...rs, { key: nextKey(), source: '', target: '', custom: '' }])}>
            Add field
          </button>
        </div>
        {result && <Alert tone={result.tone}>{result.text}</Alert>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save field mapping'}
          </button>
        </div>
      </form>
    </Card>
  );
}
