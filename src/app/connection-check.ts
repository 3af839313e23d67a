/**
 * Credentials are tried against the provider before they are kept (issue 9 §5): Connect
 * (`POST /integrations`) and Reconnect (`POST /integrations/{id}/connect`) make one cheap call
 * (each connector's `checkConnection`: the first page of one person, or a metadata endpoint) and,
 * when the provider refuses, answer a 4xx that says why and store nothing.
 */
import { isProviderError, providerDisplayName, type ProviderError } from '../connectors/errors.ts';
import { createConnector } from '../providers/registry.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';

/** Makes the provider's cheapest authenticated call with these credentials; the provider's error when it refuses. */
export async function tryCredentials(ctx: AppContext, provider: string, settings: Readonly<Record<string, unknown>>, credentials: Record<string, string>): Promise<ProviderError | null> {
  try {
    const connector = createConnector(provider, { baseUrl: String(settings['baseUrl'] ?? ''), settings, credentials, http: { maxAttempts: 2, timeoutMs: 10_000, ...ctx.engine.httpPolicy } });
    await connector.checkConnection();
    return null;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
}

/**
 * Answers when the provider accepts the credentials, else throws the error the admin sees:
 * - refused or lacking a permission (401/403): 422 `credentials_rejected`, about the credentials;
 * - the settings lead nowhere (404, another 4xx, an answer that is not the provider's API, or no
 *   answer at all from a custom address): 422 `connection_failed`, about the settings;
 * - the provider is down or limiting us: 502 `provider_unavailable`, to try again later.
 * Nothing has been stored in any case.
 */
export async function requireAcceptedCredentials(ctx: AppContext, provider: string, settings: Readonly<Record<string, unknown>>, credentials: Record<string, string>): Promise<void> {
  const error = await tryCredentials(ctx, provider, settings, credentials);
  if (!error) return;
  const name = providerDisplayName(provider);
  const details = { provider, providerCode: error.code, ...(error.status !== undefined ? { providerStatus: error.status } : {}) };
  if (error.code === 'auth_failed' || error.code === 'missing_permission') {
    throw new ApiError(422, 'credentials_rejected', `${error.message} Nothing was saved.`, { ...details, field: 'credentials' });
  }
  const unreachable = error.code === 'provider_unavailable' && error.status === undefined;
  if (error.code === 'not_found' || error.code === 'bad_request' || error.code === 'bad_data' || (unreachable && settings['baseUrl'])) {
    const field = unreachable ? 'settings.baseUrl' : 'settings';
    throw new ApiError(422, 'connection_failed', `${error.message} Check ${unreachable ? 'the base URL' : 'the settings'}; nothing was saved.`, { ...details, field });
  }
  throw new ApiError(502, 'provider_unavailable', `${error.message} Nothing was saved: try again when ${name} answers.`, details);
}
