import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, client, data, errorMessage, type Schema } from '../api/client.ts';
import { Alert, Field } from './ui.tsx';

type Safeguard = Schema<'Integration'>['userSync']['safeguard'];
type Problems = { percent?: string; minimum?: string };

/** What is wrong with the two numbers, in words; {} when they can be saved. */
export function safeguardProblems(percent: string, minimum: string): Problems {
  const out: Problems = {};
  const p = Number(percent.trim());
  if (percent.trim() === '' || !Number.isFinite(p)) out.percent = 'Enter a percentage, for example 20.';
  else if (p < 0 || p > 100) out.percent = 'Enter a percentage from 0 to 100 (0 holds any run that deactivates someone).';
  const m = Number(minimum.trim());
  if (minimum.trim() === '' || !Number.isFinite(m)) out.minimum = 'Enter a number of people, for example 10.';
  else if (!Number.isInteger(m) || m < 0) out.minimum = 'Enter a whole number of people, 0 or more.';
  else if (m > 10_000_000) out.minimum = 'Enter at most 10,000,000 people.';
  return out;
}

/**
 * The safeguard of one integration: a run that would deactivate more than `percent` of the
 * source's active people (once it has at least `minimum`) waits for an admin's approval. The
 * numbers are checked here in words; a refusal from the API is shown at the field it names.
 */
export function SafeguardEditor({ integrationId, safeguard, disabled, onSaved }: { integrationId: string; safeguard: Safeguard; disabled?: boolean; onSaved: (updated: Schema<'Integration'>) => void }) {
  const [percent, setPercent] = useState(String(safeguard.maxDeactivationPercent));
  const [minimum, setMinimum] = useState(String(safeguard.minPopulation));
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setPercent(String(safeguard.maxDeactivationPercent));
    setMinimum(String(safeguard.minPopulation));
  }, [safeguard.maxDeactivationPercent, safeguard.minPopulation]);
  const changed = percent.trim() !== String(safeguard.maxDeactivationPercent) || minimum.trim() !== String(safeguard.minPopulation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    const found = safeguardProblems(percent, minimum);
    setProblems(found);
    if (found.percent || found.minimum) {
      document.getElementById(found.percent ? 'safeguard-percent' : 'safeguard-minimum')?.focus();
      return;
    }
    setBusy(true);
    try {
      const updated = await data(client.PATCH('/api/v1/integrations/{id}', { params: { path: { id: integrationId } }, body: { userSync: { safeguard: { maxDeactivationPercent: Number(percent), minPopulation: Number(minimum) } } } }));
      onSaved(updated);
      setSaved(`Saved: a run that would deactivate more than ${Number(percent)}% of the active people (once there are at least ${Number(minimum)}) waits for your approval.`);
    } catch (err) {
      const field = err instanceof ApiError ? String(err.details.field ?? '') : '';
      if (field.endsWith('maxDeactivationPercent')) setProblems({ percent: 'The percentage was refused: enter a number from 0 to 100.' });
      else if (field.endsWith('minPopulation')) setProblems({ minimum: 'The minimum was refused: enter a whole number of people, 0 or more.' });
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form safeguard-form" onSubmit={(e) => void submit(e)} noValidate aria-label="Safeguard">
      <p className="muted small">A run that would deactivate more than this share of the active people waits for your approval, so a mistake in the HR system cannot switch off half the company.</p>
      <div className="form-grid">
        <Field label="Hold a run above (% of active people)" htmlFor="safeguard-percent" error={problems.percent ?? null}>
          <input id="safeguard-percent" inputMode="decimal" value={percent} onChange={(e) => setPercent(e.target.value)} aria-invalid={!!problems.percent} aria-describedby={problems.percent ? 'safeguard-percent-error' : undefined} disabled={disabled} />
        </Field>
        <Field label="Only when a source has at least (people)" htmlFor="safeguard-minimum" error={problems.minimum ?? null}>
          <input id="safeguard-minimum" inputMode="numeric" value={minimum} onChange={(e) => setMinimum(e.target.value)} aria-invalid={!!problems.minimum} aria-describedby={problems.minimum ? 'safeguard-minimum-error' : undefined} disabled={disabled} />
        </Field>
      </div>
      {error && <Alert tone="bad">{error}</Alert>}
      {saved && !changed && (
        <p className="small text-good" role="status">
          {saved}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="btn btn-secondary btn-small" disabled={busy || disabled || !changed}>
          {busy ? 'Saving…' : 'Save safeguard'}
        </button>
      </div>
    </form>
  );
}
