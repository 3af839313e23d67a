import { useId, useState, type FormEvent } from 'react';
import { errorMessage, patch } from '../api/client.ts';
import { STANDARD_FIELDS, type Integration, type ScopeOperator } from '../api/types.ts';
import { fieldLabel } from '../format.ts';
import { Alert, Badge, Card } from './ui.tsx';

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

/** Who is synced: OR across rule groups, AND within one; plus what happens to people who leave scope. */
export function ScopeEditor({ integration, onSaved }: { integration: Integration; onSaved: (i: Integration) => void }) {
  const [groups, setGroups] = useState<GroupDraft[]>(() => draftsOf(integration));
  const [outOfScope, setOutOfScope] = useState(integration.userSync.outOfScopeAction);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const listId = useId();

  const update = (gk: number, fn: (g: GroupDraft) => GroupDraft) => setGroups((gs) => gs.map((g) => (g.key === gk ? fn(g) : g)));
  const updateCond = (gk: number, ck: number, changes: Partial<ConditionDraft>) =>
    update(gk, (g) => ({ ...g, conditions: g.conditions.map((c) => (c.key === ck ? { ...c, ...changes } : c)) }));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    for (const g of groups) {
      if (g.conditions.length === 0) errs[`g${g.key}`] = 'Add a condition, or remove this rule group.';
      for (const c of g.conditions) {
        if (!c.field.trim()) errs[`c${c.key}-field`] = 'Choose a field.';
        if ((c.operator === 'in' || c.operator === 'notIn') && splitValues(c.values).length === 0) errs[`c${c.key}-values`] = 'Enter at least one value, separated by commas.';
      }
    }
    setErrors(errs);
    setResult(null);
    if (Object.keys(errs).length) return;
    const scope = {
      groups: groups.map((g) => ({
        ...(g.name.trim() ? { name: g.name.trim() } : {}),
        conditions: g.conditions.map((c) => ({ field: c.field.trim(), operator: c.operator, ...(c.operator === 'in' || c.operator === 'notIn' ? { values: splitValues(c.values) } : {}) })),
      })),
    };
    setBusy(true);
    try {
      const updated = await patch<Integration>(`/integrations/${integration.id}`, { userSync: { scope, outOfScopeAction: outOfScope } });
      onSaved(updated);
      setResult({ tone: 'good', text: 'Scope saved. The next sync applies it to everyone.' });
    } catch (error) {
      setResult({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(false);
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
          <option value="source.employmentHistoryStatus">Employment status in BambooHR</option>
          <option value="source.location">Location in BambooHR</option>
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
                  <input id={`c${c.key}-field`} list={listId} value={c.field} onChange={(e) => updateCond(g.key, c.key, { field: e.target.value })} aria-invalid={!!errors[`c${c.key}-field`]} placeholder="department" />
                  {errors[`c${c.key}-field`] && <p className="field-error">{errors[`c${c.key}-field`]}</p>}
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
                    <input id={`c${c.key}-values`} value={c.values} onChange={(e) => updateCond(g.key, c.key, { values: e.target.value })} aria-invalid={!!errors[`c${c.key}-values`]} placeholder="Engineering, Sales" />
                    {errors[`c${c.key}-values`] && <p className="field-error">{errors[`c${c.key}-values`]}</p>}
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
        <p className="muted small">
          <Badge tone="neutral">Coming soon</Badge> A preview of who is in and out before saving.
        </p>
        {result && <Alert tone={result.tone}>{result.text}</Alert>}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save scope'}
          </button>
        </div>
      </form>
    </Card>
  );
}

interface MappingRow {
  key: number;
  source: string;
  target: string;
  custom: string;
}

const CUSTOM = '__custom__';

/** Provider field → ReFresh field. Only mapped fields are written (and locked). */
export function FieldMappingEditor({ integration, onSaved }: { integration: Integration; onSaved: (i: Integration) => void }) {
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
      if (!s) errs[`${r.key}-source`] = 'Enter the provider field.';
      else if (seenSource.has(s)) errs[`${r.key}-source`] = `“${s}” is mapped twice.`;
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
      const updated = await patch<Integration>(`/integrations/${integration.id}`, { userSync: { fieldMapping } });
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
                    <input id={`map-${r.key}-source`} value={r.source} onChange={(e) => set(r.key, { source: e.target.value })} aria-invalid={!!errors[`${r.key}-source`]} />
                    {errors[`${r.key}-source`] && <p className="field-error">{errors[`${r.key}-source`]}</p>}
                  </td>
                  <td className="arrow" aria-hidden="true">
                    →
                  </td>
                  <td>
                    <label className="sr-only" htmlFor={`map-${r.key}-target`}>
                      ReFresh field for {r.source || `row ${idx + 1}`}
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
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))} aria-label={`Remove mapping of ${r.source || `row ${idx + 1}`}`}>
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
