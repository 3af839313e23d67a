import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, client, data, errorMessage, type Body, type Schema } from '../api/client.ts';
import { Alert, Card, ErrorState, Field, PageHeader, ProviderLogo, Spinner } from '../components/ui.tsx';
import { useTitle } from '../hooks.ts';
import { checkValue, connectChoices, formFields, fromKeyFile, ownAppFields, useProvider, useProviders, valueOf, type ConnectChoice, type FormField, type Provider } from '../providers.ts';
import { Link, useNavigate, useSearchParams } from '../router.tsx';

type Integration = Schema<'Integration'>;
type Values = Record<string, string>;
type Errors = Record<string, string>;

/** Form ids: settings, credentials and the own OAuth app live side by side in one form. */
const settingId = (key: string) => `setting-${key}`;
const credentialId = (key: string) => `credential-${key}`;
const appId = (key: string) => `app-${key}`;

/**
 * Sends the browser to the provider's consent page (with the organization's own OAuth app when
 * given); the callback comes back to /settings/integrations/{id}?connected=1.
 */
export async function startOAuth(integrationId: string, oauthClient?: { clientId: string; clientSecret: string }): Promise<void> {
  const res = await data(client.POST('/api/v1/integrations/{id}/connect', { params: { path: { id: integrationId } }, body: oauthClient ? { oauthClient } : {} }));
  if ('authorizeUrl' in res) window.location.assign(res.authorizeUrl);
}

/**
 * Creates the integration; the credentials are tried first and a refusal is an error (nothing is
 * saved). One Idempotency-Key per form: sending it again, after a lost answer or a double click,
 * answers the integration already created rather than a second one.
 */
function createIntegration(formKey: string, body: Body<'/api/v1/integrations', 'post'>): Promise<Integration> {
  return data(client.POST('/api/v1/integrations', { params: { header: { 'idempotency-key': formKey } }, body }));
}

/** The form input the API's `details.field` ("credentials.apiKey", "settings.baseUrl") is about. */
function inputOf(error: unknown, settings: FormField[], choice: ConnectChoice): string | null {
  const field = error instanceof ApiError ? String(error.details.field ?? '') : '';
  if (!field) return null;
  const [area, key] = field.split('.', 2) as [string, string | undefined];
  if (area === 'credentials') {
    // Credentials the provider refused: the secret is the input to fix.
    const f = choice.fields.find((x) => x.key === key) ?? choice.fields.find((x) => x.kind === 'secret');
    return f ? credentialId(f.key) : null;
  }
  if (area === 'settings') {
    const f = settings.find((x) => x.key === key) ?? settings.find((x) => !x.advanced);
    return f ? settingId(f.key) : null;
  }
  return area === 'name' ? 'connect-name' : null;
}

/** Checks the inputs the chosen way of connecting needs; errors keyed by input id. */
function checkInputs(provider: Provider, choice: ConnectChoice, values: Values, settings: FormField[]): Errors {
  const errors: Errors = {};
  for (const f of settings) {
    const e = checkValue(f, values[settingId(f.key)] ?? '');
    if (e) errors[settingId(f.key)] = e;
  }
  for (const f of choice.fields) {
    const e = checkValue(f, values[credentialId(f.key)] ?? '');
    if (e) errors[credentialId(f.key)] = e;
  }
  if (choice.browser) {
    const [id, secret] = ownAppFields(provider);
    const given = (values[appId(id!.key)] ?? '').trim() || (values[appId(secret!.key)] ?? '').trim();
    // Both or neither, unless this ReFresh has no app of its own for the provider: then both.
    if (given || !provider.oauth?.appConfigured) {
      for (const f of [id!, secret!]) if (!(values[appId(f.key)] ?? '').trim()) errors[appId(f.key)] = `Enter the ${f.label.replace(/^OAuth app /, 'OAuth app’s ')}.`;
    }
  }
  return errors;
}

function credentialsOf(choice: ConnectChoice, values: Values): Record<string, string> {
  return Object.fromEntries(choice.fields.map((f) => [f.key, String(valueOf(f, values[credentialId(f.key)] ?? ''))]));
}

function ownAppOf(provider: Provider, values: Values): { clientId: string; clientSecret: string } | undefined {
  const [id, secret] = ownAppFields(provider);
  const clientId = (values[appId(id!.key)] ?? '').trim();
  const clientSecret = values[appId(secret!.key)] ?? '';
  return clientId && clientSecret ? { clientId, clientSecret } : undefined;
}

function focusFirst(errors: Errors): void {
  const first = Object.keys(errors)[0];
  if (first) document.getElementById(first)?.focus();
}

export function ConnectPage({ provider: id }: { provider: string }) {
  const providers = useProviders();
  const provider = providers.data?.data.find((p) => p.id === id);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  useTitle(provider ? `Connect ${provider.name}` : 'Connect');
  const back = <Link to="/settings/integrations">← Integrations</Link>;
  const reconnect = params.get('reconnect');
  // Reconnecting keeps the same integration: that happens on its page.
  useEffect(() => {
    if (reconnect) navigate(`/settings/integrations/${encodeURIComponent(reconnect)}`, { replace: true });
  }, [reconnect, navigate]);
  if (reconnect) return null;
  if (providers.loading && !providers.data) return <Spinner label="Loading the connect form…" />;
  if (providers.error) {
    return (
      <>
        <PageHeader title="Connect" back={back} />
        <ErrorState error={providers.error} onRetry={providers.reload} />
      </>
    );
  }
  if (!provider) {
    return (
      <>
        <PageHeader title="Unknown provider" back={back} />
        <Alert tone="bad">There is no provider called “{id}”.</Alert>
      </>
    );
  }
  return <ConnectForm provider={provider} back={back} />;
}

/** The connect form of one provider, built from its descriptor: settings, then how to connect and its credentials. */
function ConnectForm({ provider, back }: { provider: Provider; back: ReactNode }) {
  const navigate = useNavigate();
  const choices = connectChoices(provider);
  const settings = formFields(provider.settings);
  const [choiceId, setChoiceId] = useState(choices[0]!.id);
  const choice = choices.find((c) => c.id === choiceId) ?? choices[0]!;
  const [name, setName] = useState(provider.name);
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<Errors>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey] = useState(() => crypto.randomUUID());
  // A browser sign-in saves the integration first; a retry (any way) reuses it rather than adding another.
  const [savedId, setSavedId] = useState<string | null>(null);
  const set = (id: string, v: string) => setValues((vs) => ({ ...vs, [id]: v }));

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e = checkInputs(provider, choice, values, settings);
    if (!name.trim()) e['connect-name'] = 'Give the integration a name.';
    setErrors(e);
    setApiError(null);
    if (Object.keys(e).length) return focusFirst(e);
    const settingsBody: Record<string, unknown> = {};
    for (const f of settings) {
      const raw = values[settingId(f.key)] ?? '';
      if (raw.trim() && (f.kind !== 'boolean' || raw === 'true')) settingsBody[f.key] = valueOf(f, raw);
    }
    setBusy(true);
    try {
      if (choice.browser) {
        let id = savedId;
        if (!id) {
          id = (await createIntegration(formKey, { provider: provider.id as Body<'/api/v1/integrations', 'post'>['provider'], name: name.trim(), settings: settingsBody })).id;
          setSavedId(id);
        }
        await startOAuth(id, ownAppOf(provider, values));
        return;
      }
      const credentials = credentialsOf(choice, values);
      const integration = savedId
        ? await data(client.POST('/api/v1/integrations/{id}/connect', { params: { path: { id: savedId } }, body: { credentials } }))
        : await createIntegration(formKey, { provider: provider.id as Body<'/api/v1/integrations', 'post'>['provider'], name: name.trim(), settings: settingsBody, credentials });
      // Secrets leave the form once used.
      setValues((vs) => Object.fromEntries(Object.entries(vs).filter(([k]) => !choice.fields.some((f) => f.kind === 'secret' && credentialId(f.key) === k))));
      if (!('id' in integration)) throw new Error('The server answered with a sign-in address where it should have checked the credentials.');
      navigate(`/settings/user-sync/${integration.id}?connected=1`);
    } catch (error) {
      const input = inputOf(error, settings, choice);
      if (input) setErrors({ [input]: errorMessage(error) });
      setApiError(savedId && choice.browser ? `${errorMessage(error)} The integration is saved as not connected; you can try again here or from Integrations.` : errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  const main = settings.filter((f) => !f.advanced);
  const advanced = settings.filter((f) => f.advanced);
  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="title-with-logo">
            <ProviderLogo initials={provider.initials} size={36} /> Connect {provider.name}
          </span>
        }
        subtitle={`${provider.blurb} ReFresh tries the connection with ${provider.name} before saving anything; nothing syncs until you enable User Auto-Sync.`}
      />
      {apiError && <Alert tone="bad">{apiError}</Alert>}
      <Card title="Connection">
        <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label={`Connect ${provider.name}`}>
          <Field label="Name" htmlFor="connect-name" hint={`Shown in Settings; for example “${provider.name}” or “${provider.name} (EU)”.`} error={errors['connect-name'] ?? null}>
            <input id="connect-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!errors['connect-name']} aria-describedby={describedBy('connect-name', errors)} maxLength={100} />
          </Field>
          {main.map((f) => (
            <FieldInput key={f.key} id={settingId(f.key)} field={f} values={values} set={set} errors={errors} />
          ))}
          <CredentialInputs provider={provider} choices={choices} choice={choice} onChoose={setChoiceId} values={values} set={set} errors={errors} setErrors={setErrors} radioName="connect-method" />
          {advanced.length > 0 && (
            <details className="advanced" open={advanced.some((f) => !!values[settingId(f.key)] || !!errors[settingId(f.key)])}>
              <summary>Advanced</summary>
              {advanced.map((f) => (
                <FieldInput key={f.key} id={settingId(f.key)} field={f} values={values} set={set} errors={errors} />
              ))}
            </details>
          )}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? (choice.browser ? `Opening ${provider.name}…` : 'Checking the connection…') : choice.browser ? `Continue to ${provider.name}` : 'Connect'}
            </button>
            <Link to="/settings/integrations" className="btn btn-ghost">
              Cancel
            </Link>
          </div>
        </form>
      </Card>
    </>
  );
}

function describedBy(id: string, errors: Errors): string {
  return errors[id] ? `${id}-error` : `${id}-hint`;
}

/** One input, by its kind: text, address, secret (never shown again), list (comma-separated) or yes/no. */
function FieldInput({ id, field, values, set, errors }: { id: string; field: FormField; values: Values; set: (id: string, v: string) => void; errors: Errors }) {
  const value = values[id] ?? '';
  const common = { id, 'aria-invalid': !!errors[id], 'aria-describedby': describedBy(id, errors), autoComplete: 'off' } as const;
  if (field.kind === 'boolean') {
    return (
      <Field label={field.label} htmlFor={id} hint={field.help} error={errors[id] ?? null}>
        <input {...common} type="checkbox" checked={value === 'true'} onChange={(e) => set(id, e.target.checked ? 'true' : '')} />
      </Field>
    );
  }
  const hint = field.kind === 'list' ? `${field.help ?? ''} Separate several with commas.`.trim() : field.help;
  const input =
    field.keyFile && field.kind === 'secret' ? (
      <textarea {...common} rows={4} value={value} onChange={(e) => set(id, e.target.value)} spellCheck={false} />
    ) : (
      <input {...common} type={field.kind === 'secret' ? 'password' : field.kind === 'url' ? 'url' : 'text'} value={value} onChange={(e) => set(id, e.target.value)} placeholder={field.placeholder ?? undefined} />
    );
  return (
    <Field label={field.label} htmlFor={id} hint={hint} error={errors[id] ?? null}>
      {field.suffix ? (
        <div className="input-affix">
          {input}
          <span className="affix" aria-hidden="true">
            {field.suffix}
          </span>
        </div>
      ) : (
        input
      )}
    </Field>
  );
}

/** How to connect (when there is a choice), its help, and the inputs it needs. Shared by Connect and Reconnect. */
function CredentialInputs(props: {
  provider: Provider;
  choices: ConnectChoice[];
  choice: ConnectChoice;
  onChoose: (id: string) => void;
  values: Values;
  set: (id: string, v: string) => void;
  errors: Errors;
  setErrors: (e: Errors) => void;
  radioName: string;
}) {
  const { provider, choices, choice, values, set, errors } = props;
  const fromFile = choice.fields.filter((f) => f.keyFile);
  const app = ownAppFields(provider);
  const readKeyFile = (text: string) => {
    const got = fromKeyFile(choice.fields, text);
    if ('error' in got) return props.setErrors({ 'key-file': got.error });
    props.setErrors({});
    for (const [k, v] of Object.entries(got.values)) set(credentialId(k), v);
  };
  return (
    <>
      {choices.length > 1 && (
        <fieldset className="radio-group">
          <legend>How to connect</legend>
          {choices.map((c) => (
            <label key={c.id}>
              <input type="radio" name={props.radioName} value={c.id} checked={c.id === choice.id} onChange={() => props.onChoose(c.id)} /> {c.label}
            </label>
          ))}
        </fieldset>
      )}
      <p className="muted small" data-testid="method-help">
        {choice.browser ? `${choice.help} You will be sent to ${provider.name} and brought back here.` : choice.help}
      </p>
      {fromFile.length > 0 && (
        <Field label="JSON key file" htmlFor="key-file" hint={`Fills ${fromFile.map((f) => f.label.toLowerCase()).join(' and ')} from the key file you downloaded. The file is read here, in your browser.`} error={errors['key-file'] ?? null}>
          <input
            id="key-file"
            type="file"
            accept="application/json,.json"
            aria-describedby={describedBy('key-file', errors)}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then(readKeyFile);
            }}
          />
        </Field>
      )}
      {choice.fields.map((f) => (
        <FieldInput key={f.key} id={credentialId(f.key)} field={f} values={values} set={set} errors={errors} />
      ))}
      {choice.browser &&
        (app.every((f) => f.required) ? (
          app.map((f) => <FieldInput key={f.key} id={appId(f.key)} field={f} values={values} set={set} errors={errors} />)
        ) : (
          <details className="advanced" open={app.some((f) => !!values[appId(f.key)] || !!errors[appId(f.key)])}>
            <summary>Your own OAuth app</summary>
            {app.map((f) => (
              <FieldInput key={f.key} id={appId(f.key)} field={f} values={values} set={set} errors={errors} />
            ))}
          </details>
        ))}
    </>
  );
}

/**
 * Reconnect in place (`POST /integrations/{id}/connect`): the same integration keeps its settings,
 * links and history. Every way the provider connects, from its descriptor.
 */
export function ReconnectForm({ integration, onReconnected }: { integration: Integration; onReconnected: (i: Integration) => void }) {
  const provider = useProvider(integration.provider);
  if (!provider) return <Spinner label="Loading the form…" />;
  return <ReconnectWith provider={provider} integration={integration} onReconnected={onReconnected} />;
}

function ReconnectWith({ provider, integration, onReconnected }: { provider: Provider; integration: Integration; onReconnected: (i: Integration) => void }) {
  const choices = connectChoices(provider);
  const [choiceId, setChoiceId] = useState(choices[0]!.id);
  const choice = choices.find((c) => c.id === choiceId) ?? choices[0]!;
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<Errors>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (id: string, v: string) => setValues((vs) => ({ ...vs, [id]: v }));

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e = checkInputs(provider, choice, values, []);
    setErrors(e);
    setApiError(null);
    if (Object.keys(e).length) return focusFirst(e);
    setBusy(true);
    try {
      if (choice.browser) {
        await startOAuth(integration.id, ownAppOf(provider, values));
        return;
      }
      const answer = await data(client.POST('/api/v1/integrations/{id}/connect', { params: { path: { id: integration.id } }, body: { credentials: credentialsOf(choice, values) } }));
      if (!('connection' in answer)) throw new Error('The server answered with a sign-in address where it should have checked the credentials.');
      setValues({});
      onReconnected(answer);
    } catch (error) {
      const input = inputOf(error, [], choice);
      if (input) setErrors({ [input]: errorMessage(error) });
      setApiError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label={`Reconnect ${integration.name}`}>
      {apiError && <Alert tone="bad">{apiError}</Alert>}
      <CredentialInputs provider={provider} choices={choices} choice={choice} onChoose={setChoiceId} values={values} set={set} errors={errors} setErrors={setErrors} radioName="reconnect-method" />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking the connection…' : choice.browser ? `Continue to ${provider.name}` : integration.connection.status === 'connected' ? 'Replace credentials' : 'Reconnect'}
        </button>
      </div>
    </form>
  );
}
