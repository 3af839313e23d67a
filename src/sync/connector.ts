import { freshCredentials } from '../auth/oauth/credentials.ts';
import { createConnector } from '../providers/registry.ts';
import { sourceFieldsOf } from '../core/integration-settings.ts';
import type { HrisConnector, RetryInfo } from '../connectors/types.ts';
import { readCredentials, type Integration } from '../store/integrations.ts';
import type { EngineDeps } from './engine.ts';
import { RunFailure } from './run-errors.ts';

/** The integration's connector with credentials ready: API keys as stored, OAuth tokens refreshed ahead of expiry. */
export async function connectorFor(deps: Pick<EngineDeps, 'store' | 'vault' | 'logger' | 'httpPolicy' | 'providerPageSize' | 'now'>, integration: Integration, onRetry?: (info: RetryInfo) => void): Promise<HrisConnector> {
  // invalid_grant on refresh → connection expired, auth_failed.
  if (!(await readCredentials(deps.store.db, deps.vault, integration.tenantId, integration.id))) {
    throw new RunFailure('not_connected', `${integration.name} is not connected: connect it again on the Integrations page.`);
  }
  const credentials = await freshCredentials(deps, integration);
  const settings = { ...integration.settings, ...(deps.providerPageSize ? { pageSize: deps.providerPageSize } : {}) };
  return createConnector(integration.provider, {
    baseUrl: String(integration.settings.baseUrl ?? ''),
    settings,
    credentials,
    fields: sourceFieldsOf(integration.userSync),
    ...(deps.httpPolicy ? { http: deps.httpPolicy } : {}),
    ...(onRetry ? { onRetry } : {}),
  });
}
