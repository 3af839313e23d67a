import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, client, data, errorMessage, type Body, type Schema } from '../api/client.ts';
import { Alert, Card, Field, PageHeader, Placeholder, ProviderLogo } from '../components/ui.tsx';
import { PROVIDERS } from '../format.ts';
import { useTitle } from '../hooks.ts';
import { Link, useNavigate, useSearchParams } from '../router.tsx';

type Integration = Schema<'Integration'>;

const DOMAIN = /^[A-Za-z0-9-]{1,63}$/;

/** Sends the browser to the provider's consent page; the callback comes back to /settings/integrations/{id}?connected=1. */
export async function startOAuth(integrationId: string): Promise<void> {
  const res = await data(client.POST('/api/v1/integrations/{id}/connect', { params: { path: { id: integrationId } }, body: {} }));
  if ('authorizeUrl' in res) window.location.assign(res.authorizeUrl);
}

function checkUrl(value: string): string | null {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'The base URL must start with http:// or https://.';
  } catch {
    return 'Enter a full URL, like https://api.bamboohr.com or http://127.0.0.1:9101.';
  }
}

/**
 * Creates the integration; the credentials are tried first and a refusal is an error (nothing is
 * saved). One Idempotency-Key per form: sending it again, after a lost answer or a double click,
 * answers the integration already created rather than a second one.
 */
function createIntegration(formKey: string, body: Body<'/api/v1/integrations', 'post'>): Promise<Integration> {
  return data(client.POST('/api/v1/integrations', { params: { header: { 'idempotency-key': formKey } }, body }));
}

function newFormKey(): string {
  return crypto.randomUUID();
}

/** Maps the API's `details.field` (e.g. "credentials.apiKey") to the form field it is about. */
function fieldOf(error: unknown, known: string[]): string | null {
  const field = error instanceof ApiError ? String(error.details.field ?? '') : '';
  if (!field) return null;
  // Credentials the provider refused: the secret is the field to fix.
  if (field === 'credentials') return known.find((k) => k === 'apiKey' || k === 'token') ?? null;
  if (field === 'settings' || field.includes('companyDomain')) return known.includes('domain') ? 'domain' : null;
  return known.find((k) => field.endsWith(k)) ?? null;
}

export function ConnectPage({ provider }: { provider: string }) {
  const info = PROVIDERS.find((p) => p.id === provider);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  useTitle(`Connect ${info?.name ?? provider}`);
  const back = <Link to="/settings/integrations">← Integrations</Link>;
  const reconnect = params.get('reconnect');
  // Reconnecting keeps the same integration: that happens on its page.
  useEffect(() => {
    if (reconnect) navigate(`/settings/integrations/${encodeURIComponent(reconnect)}`, { replace: true });
  }, [reconnect, navigate]);
  if (reconnect) return null;
  if (!info) {
    return (
      <>
        <PageHeader title="Unknown provider" back={back} />
        <Alert tone="bad">There is no provider called “{provider}”.</Alert>
      </>
    );
  }
  if (!info.available) {
    return (
      <>
        <PageHeader title={`Connect ${info.name}`} back={back} />
        <Placeholder title={`${info.name} is coming soon`}>
          <p>The {info.name} connector is being built. Until then you can connect BambooHR or HiBob.</p>
        </Placeholder>
      </>
    );
  }
  return provider === 'hibob' ? <HibobConnect back={back} /> : <BambooConnect back={back} />;
}

function BambooConnect({ back }: { back: ReactNode }) {
  const navigate = useNavigate();
  const [method, setMethod] = useState<'apiKey' | 'oauth'>('apiKey');
  const [name, setName] = useState('BambooHR');
  const [domain, setDomain] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey] = useState(newFormKey);
  // An OAuth attempt saves the integration first; a retry (OAuth or API key) reuses it rather than adding another.
  const [savedId, setSavedId] = useState<string | null>(null);

  const validate = () => {
    const e: Record<string, string> = {};
    if (!domain.trim() && !baseUrl.trim()) e.domain = 'Enter your company domain (or a base URL under Advanced).';
    else if (domain.trim() && !DOMAIN.test(domain.trim())) e.domain = 'Use only the subdomain: acme for acme.bamboohr.com.';
    const urlError = baseUrl.trim() ? checkUrl(baseUrl.trim()) : null;
    if (urlError) e.baseUrl = urlError;
    if (method === 'apiKey' && !apiKey.trim()) e.apiKey = 'Enter the API key (BambooHR → your name → API Keys).';
    if (!name.trim()) e.name = 'Give the integration a name.';
    return e;
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e = validate();
    setErrors(e);
    setApiError(null);
    const first = Object.keys(e)[0];
    if (first) {
      document.getElementById(`connect-${first}`)?.focus();
      return;
    }
    const settings: Record<string, string> = {};
    if (domain.trim()) settings.companyDomain = domain.trim();
    if (baseUrl.trim()) settings.baseUrl = baseUrl.trim();
    setBusy(true);
    try {
      if (method === 'oauth') {
        let id = savedId;
        if (!id) {
          const created = await createIntegration(formKey, { provider: 'bamboohr', name: name.trim(), settings });
          id = created.id;
          setSavedId(id);
        }
        await startOAuth(id);
        return;
      }
      const credentials = { apiKey: apiKey.trim() };
      const integration = savedId
        ? await data(client.POST('/api/v1/integrations/{id}/connect', { params: { path: { id: savedId } }, body: { credentials } }))
        : await createIntegration(formKey, { provider: 'bamboohr', name: name.trim(), settings, credentials });
      setApiKey('');
      if (!('id' in integration)) throw new Error('The server answered with a sign-in address where it should have checked the API key.');
      navigate(`/settings/user-sync/${integration.id}?connected=1`);
    } catch (error) {
      const key = fieldOf(error, ['apiKey', 'baseUrl', 'domain', 'name']);
      if (key) setErrors({ [key]: errorMessage(error) });
      setApiError(savedId && method === 'oauth' ? `${errorMessage(error)} The integration is saved as not connected; you can try again here or from Integrations.` : errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  const describedBy = (id: string) => (errors[id] ? `connect-${id}-error` : `connect-${id}-hint`);

  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="title-with-logo">
            <ProviderLogo initials="BH" size={36} /> Connect BambooHR
          </span>
        }
        subtitle="ReFresh reads people from BambooHR with an API key or by signing in with BambooHR (OAuth). It tries the connection with BambooHR before saving anything; nothing syncs until you enable User Auto-Sync."
      />
      {apiError && <Alert tone="bad">{apiError}</Alert>}
      <Card title="Connection">
        <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Connect BambooHR">
          <Field label="Name" htmlFor="connect-name" hint="Shown in Settings; for example “BambooHR” or “BambooHR (EU)”." error={errors.name ?? null}>
            <input id="connect-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!errors.name} aria-describedby={describedBy('name')} maxLength={100} />
          </Field>
          <Field label="Company domain" htmlFor="connect-domain" hint="The subdomain of your BambooHR address: acme for acme.bamboohr.com." error={errors.domain ?? null}>
            <div className="input-affix">
              <input id="connect-domain" value={domain} onChange={(e) => setDomain(e.target.value)} aria-invalid={!!errors.domain} aria-describedby={describedBy('domain')} placeholder="acme" autoComplete="off" />
              <span className="affix" aria-hidden="true">
                .bamboohr.com
              </span>
            </div>
          </Field>
          <fieldset className="radio-group">
            <legend>How to connect</legend>
            <label>
              <input type="radio" name="connect-method" value="apiKey" checked={method === 'apiKey'} onChange={() => setMethod('apiKey')} /> With an API key
            </label>
            <label>
              <input type="radio" name="connect-method" value="oauth" checked={method === 'oauth'} onChange={() => setMethod('oauth')} /> Sign in with BambooHR (OAuth 2.0)
            </label>
          </fieldset>
          {method === 'apiKey' ? (
            <Field label="API key" htmlFor="connect-apiKey" hint="Create one in BambooHR under your name → API Keys. It is stored encrypted and never shown again." error={errors.apiKey ?? null}>
              <input id="connect-apiKey" type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} aria-invalid={!!errors.apiKey} aria-describedby={describedBy('apiKey')} autoComplete="off" />
            </Field>
          ) : (
            <p className="muted small">You will be sent to BambooHR to approve read access, then brought back here.</p>
          )}
          <details className="advanced" open={!!baseUrl || !!errors.baseUrl}>
            <summary>Advanced</summary>
            <Field label="Base URL" htmlFor="connect-baseUrl" hint="Only for a sandbox or a regional host, e.g. http://127.0.0.1:9101. Leave empty for BambooHR itself." error={errors.baseUrl ?? null}>
              <input id="connect-baseUrl" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} aria-invalid={!!errors.baseUrl} aria-describedby={describedBy('baseUrl')} placeholder="https://api.bamboohr.com" autoComplete="off" />
            </Field>
          </details>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? (method === 'oauth' ? 'Opening BambooHR…' : 'Checking the connection…') : method === 'oauth' ? 'Continue to BambooHR' : 'Connect'}
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

function HibobConnect({ back }: { back: ReactNode }) {
  const navigate = useNavigate();
  const [name, setName] = useState('HiBob');
  const [serviceUserId, setServiceUserId] = useState('');
  const [token, setToken] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey] = useState(newFormKey);

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e: Record<string, string> = {};
    if (!name.trim()) e.name = 'Give the integration a name.';
    if (!serviceUserId.trim()) e.serviceUserId = 'Enter the service user ID (HiBob → Settings → Integrations → Service users).';
    if (!token.trim()) e.token = 'Enter the service user token.';
    const urlError = baseUrl.trim() ? checkUrl(baseUrl.trim()) : null;
    if (urlError) e.baseUrl = urlError;
    setErrors(e);
    setApiError(null);
    const first = Object.keys(e)[0];
    if (first) {
      document.getElementById(`hibob-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const integration = await createIntegration(formKey, {
        provider: 'hibob',
        name: name.trim(),
        settings: baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {},
        credentials: { serviceUserId: serviceUserId.trim(), token: token.trim() },
      });
      setToken('');
      navigate(`/settings/user-sync/${integration.id}?connected=1`);
    } catch (error) {
      const key = fieldOf(error, ['serviceUserId', 'token', 'baseUrl', 'name']);
      if (key) setErrors({ [key]: errorMessage(error) });
      setApiError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  const describedBy = (id: string) => (errors[id] ? `hibob-${id}-error` : `hibob-${id}-hint`);

  return (
    <>
      <PageHeader
        back={back}
        title={
          <span className="title-with-logo">
            <ProviderLogo initials="HB" size={36} /> Connect HiBob
          </span>
        }
        subtitle="ReFresh reads people from HiBob as an API service user. It tries the credentials with HiBob before saving anything; nothing syncs until you enable User Auto-Sync."
      />
      {apiError && <Alert tone="bad">{apiError}</Alert>}
      <Card title="Service user">
        <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label="Connect HiBob">
          <Field label="Name" htmlFor="hibob-name" hint="Shown in Settings." error={errors.name ?? null}>
            <input id="hibob-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!errors.name} aria-describedby={describedBy('name')} maxLength={100} />
          </Field>
          <HibobCredentialFields serviceUserId={serviceUserId} token={token} setServiceUserId={setServiceUserId} setToken={setToken} errors={errors} />
          <details className="advanced" open={!!baseUrl || !!errors.baseUrl}>
            <summary>Advanced</summary>
            <Field label="Base URL" htmlFor="hibob-baseUrl" hint="Only for a sandbox, e.g. http://127.0.0.1:9102. Leave empty for HiBob itself (api.hibob.com)." error={errors.baseUrl ?? null}>
              <input id="hibob-baseUrl" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} aria-invalid={!!errors.baseUrl} aria-describedby={describedBy('baseUrl')} placeholder="https://api.hibob.com" autoComplete="off" />
            </Field>
          </details>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Checking the connection…' : 'Connect'}
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

function HibobCredentialFields(props: { serviceUserId: string; token: string; setServiceUserId: (v: string) => void; setToken: (v: string) => void; errors: Record<string, string> }) {
  const { errors } = props;
  return (
    <>
      <Field label="Service user ID" htmlFor="hibob-serviceUserId" hint="HiBob → Settings → Integrations → Service users. Give it read access to People." error={errors.serviceUserId ?? null}>
        <input
          id="hibob-serviceUserId"
          value={props.serviceUserId}
          onChange={(e) => props.setServiceUserId(e.target.value)}
          aria-invalid={!!errors.serviceUserId}
          aria-describedby={errors.serviceUserId ? 'hibob-serviceUserId-error' : 'hibob-serviceUserId-hint'}
          autoComplete="off"
        />
      </Field>
      <Field label="Token" htmlFor="hibob-token" hint="Shown once when the service user is created. Stored encrypted and never shown again." error={errors.token ?? null}>
        <input
          id="hibob-token"
          type="password"
          value={props.token}
          onChange={(e) => props.setToken(e.target.value)}
          aria-invalid={!!errors.token}
          aria-describedby={errors.token ? 'hibob-token-error' : 'hibob-token-hint'}
          autoComplete="off"
        />
      </Field>
    </>
  );
}

/**
 * Reconnect in place (`POST /integrations/{id}/connect`): the same integration keeps its settings,
 * links and history. BambooHR: a new API key, or OAuth (sent to BambooHR and back).
 */
export function ReconnectForm({ integration, onReconnected }: { integration: Integration; onReconnected: (i: Integration) => void }) {
  const bamboo = integration.provider === 'bamboohr';
  const [method, setMethod] = useState<'apiKey' | 'oauth'>('apiKey');
  const [apiKey, setApiKey] = useState('');
  const [serviceUserId, setServiceUserId] = useState('');
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e: Record<string, string> = {};
    if (bamboo && method === 'apiKey' && !apiKey.trim()) e.apiKey = 'Enter the API key (BambooHR → your name → API Keys).';
    if (!bamboo && !serviceUserId.trim()) e.serviceUserId = 'Enter the service user ID.';
    if (!bamboo && !token.trim()) e.token = 'Enter the service user token.';
    setErrors(e);
    setApiError(null);
    const first = Object.keys(e)[0];
    if (first) {
      document.getElementById(bamboo ? 'reconnect-apiKey' : `hibob-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      if (bamboo && method === 'oauth') {
        await startOAuth(integration.id);
        return;
      }
      const credentials: Record<string, string> = bamboo ? { apiKey: apiKey.trim() } : { serviceUserId: serviceUserId.trim(), token: token.trim() };
      const answer = await data(client.POST('/api/v1/integrations/{id}/connect', { params: { path: { id: integration.id } }, body: { credentials } }));
      if (!('connection' in answer)) throw new Error('The server answered with a sign-in address where it should have checked the credentials.');
      const updated = answer;
      setApiKey('');
      setToken('');
      onReconnected(updated);
    } catch (error) {
      const key = fieldOf(error, ['apiKey', 'serviceUserId', 'token']);
      if (key) setErrors({ [key]: errorMessage(error) });
      setApiError(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label={`Reconnect ${integration.name}`}>
      {apiError && <Alert tone="bad">{apiError}</Alert>}
      {bamboo && (
        <fieldset className="radio-group">
          <legend>How to connect</legend>
          <label>
            <input type="radio" name="reconnect-method" value="apiKey" checked={method === 'apiKey'} onChange={() => setMethod('apiKey')} /> With an API key
          </label>
          <label>
            <input type="radio" name="reconnect-method" value="oauth" checked={method === 'oauth'} onChange={() => setMethod('oauth')} /> Sign in with BambooHR (OAuth 2.0)
          </label>
        </fieldset>
      )}
      {bamboo && method === 'apiKey' && (
        <Field label="API key" htmlFor="reconnect-apiKey" hint="A new or current BambooHR API key. Stored encrypted and never shown again." error={errors.apiKey ?? null}>
          <input
            id="reconnect-apiKey"
            type="password"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            aria-invalid={!!errors.apiKey}
            aria-describedby={errors.apiKey ? 'reconnect-apiKey-error' : 'reconnect-apiKey-hint'}
            autoComplete="off"
          />
        </Field>
      )}
      {bamboo && method === 'oauth' && <p className="muted small">You will be sent to BambooHR to approve read access, then brought back to this page.</p>}
      {!bamboo && <HibobCredentialFields serviceUserId={serviceUserId} token={token} setServiceUserId={setServiceUserId} setToken={setToken} errors={errors} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking the connection…' : bamboo && method === 'oauth' ? 'Continue to BambooHR' : integration.connection.status === 'connected' ? 'Replace credentials' : 'Reconnect'}
        </button>
      </div>
    </form>
  );
}
