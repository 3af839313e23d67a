import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, errorMessage, post } from '../api/client.ts';
import type { Integration } from '../api/types.ts';
import { useCapabilities } from '../capabilities.tsx';
import { Alert, Badge, Card, Field, PageHeader, Placeholder, ProviderLogo } from '../components/ui.tsx';
import { CONNECTION, PROVIDERS } from '../format.ts';
import { useTitle } from '../hooks.ts';
import { Link, useNavigate, useSearchParams } from '../router.tsx';

const DOMAIN = /^[A-Za-z0-9-]{1,63}$/;

export function ConnectPage({ provider }: { provider: string }) {
  const info = PROVIDERS.find((p) => p.id === provider);
  useTitle(`Connect ${info?.name ?? provider}`);
  const back = <Link to="/settings/integrations">← Integrations</Link>;
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
          <p>The {info.name} connector is being built. Until then you can connect BambooHR.</p>
        </Placeholder>
      </>
    );
  }
  return <BambooConnect back={back} />;
}

function BambooConnect({ back }: { back: ReactNode }) {
  const navigate = useNavigate();
  const caps = useCapabilities();
  const [params] = useSearchParams();
  const reconnectId = params.get('reconnect');
  const canReconnect = !!reconnectId && caps.has('post', '/integrations/{id}/connect');
  const [name, setName] = useState('BambooHR');
  const [domain, setDomain] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Integration | null>(null);

  const validate = () => {
    const e: Record<string, string> = {};
    if (!domain.trim() && !baseUrl.trim()) e.domain = 'Enter your company domain (or a base URL under Advanced).';
    else if (domain.trim() && !DOMAIN.test(domain.trim())) e.domain = 'Use only the subdomain: acme for acme.bamboohr.com.';
    if (baseUrl.trim()) {
      try {
        const u = new URL(baseUrl.trim());
        if (u.protocol !== 'http:' && u.protocol !== 'https:') e.baseUrl = 'The base URL must start with http:// or https://.';
      } catch {
        e.baseUrl = 'Enter a full URL, like https://api.bamboohr.com or http://127.0.0.1:9101.';
      }
    }
    if (!apiKey.trim()) e.apiKey = 'Enter the API key (BambooHR → your name → API Keys).';
    if (!reconnectId && !name.trim()) e.name = 'Give the integration a name.';
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
      const integration = canReconnect
        ? await post<Integration>(`/integrations/${reconnectId}/connect`, { settings, credentials: { apiKey: apiKey.trim() } })
        : await post<Integration>('/integrations', { provider: 'bamboohr', name: name.trim(), settings, credentials: { apiKey: apiKey.trim() } });
      setApiKey('');
      if (integration?.connection?.status === 'connected') navigate(`/settings/user-sync/${integration.id}?connected=1`);
      else setResult(integration);
    } catch (error) {
      const field = error instanceof ApiError ? String(error.details.field ?? '') : '';
      const key = field.includes('apiKey') ? 'apiKey' : field.includes('baseUrl') ? 'baseUrl' : field.includes('companyDomain') || field === 'settings' ? 'domain' : field === 'name' ? 'name' : null;
      if (key) setErrors({ [key]: errorMessage(error) });
      setApiError(errorMessage(error));
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
            <ProviderLogo initials="BH" size={36} /> {reconnectId ? 'Reconnect BambooHR' : 'Connect BambooHR'}
          </span>
        }
        subtitle="ReFresh reads people from BambooHR with an API key. It checks the key as soon as you save; nothing syncs until you enable User Auto-Sync."
      />
      {reconnectId && !canReconnect && caps.ready && (
        <Alert tone="info">Reconnecting an existing integration in place is not available yet: saving creates a new BambooHR integration with the new key.</Alert>
      )}
      {result && (
        <Alert tone="bad" title={`Saved, but ${CONNECTION[result.connection.status]?.label.toLowerCase() ?? result.connection.status}`}>
          <p>{result.connection.detail ?? 'BambooHR did not accept the connection.'}</p>
          <p>
            Check the company domain and API key, then try again, or <Link to="/settings/integrations">go to Integrations</Link>.
          </p>
        </Alert>
      )}
      {apiError && <Alert tone="bad">{apiError}</Alert>}
      <Card title="API key">
        <form className="form" onSubmit={(e) => void submit(e)} noValidate>
          {!reconnectId && (
            <Field label="Name" htmlFor="connect-name" hint="Shown in Settings; for example “BambooHR” or “BambooHR (EU)”." error={errors.name ?? null}>
              <input id="connect-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={!!errors.name} aria-describedby={describedBy('name')} maxLength={100} />
            </Field>
          )}
          <Field label="Company domain" htmlFor="connect-domain" hint="The subdomain of your BambooHR address: acme for acme.bamboohr.com." error={errors.domain ?? null}>
            <div className="input-affix">
              <input id="connect-domain" value={domain} onChange={(e) => setDomain(e.target.value)} aria-invalid={!!errors.domain} aria-describedby={describedBy('domain')} placeholder="acme" autoComplete="off" />
              <span className="affix" aria-hidden="true">
                .bamboohr.com
              </span>
            </div>
          </Field>
          <Field label="API key" htmlFor="connect-apiKey" hint="Create one in BambooHR under your name → API Keys. It is stored encrypted and never shown again." error={errors.apiKey ?? null}>
            <input id="connect-apiKey" type="password" value={apiKey} onChange={(e) => setApiKey(e.target.value)} aria-invalid={!!errors.apiKey} aria-describedby={describedBy('apiKey')} autoComplete="off" />
          </Field>
          <details className="advanced" open={!!baseUrl || !!errors.baseUrl}>
            <summary>Advanced</summary>
            <Field label="Base URL" htmlFor="connect-baseUrl" hint="Only for a sandbox or a regional host, e.g. http://127.0.0.1:9101. Leave empty for BambooHR itself." error={errors.baseUrl ?? null}>
              <input id="connect-baseUrl" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} aria-invalid={!!errors.baseUrl} aria-describedby={describedBy('baseUrl')} placeholder="https://api.bamboohr.com" autoComplete="off" />
            </Field>
          </details>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Checking the connection…' : reconnectId ? 'Reconnect' : 'Connect'}
            </button>
            <Link to="/settings/integrations" className="btn btn-ghost">
              Cancel
            </Link>
          </div>
        </form>
      </Card>
      <Card title="OAuth">
        <p className="muted">
          <Badge tone="neutral">Coming soon</Badge> Sign in with BambooHR (OAuth 2.0) instead of an API key.
        </p>
      </Card>
    </>
  );
}
