/**
 * Settings and credentials of a request, checked against the provider's descriptor, with 400s that
 * name the field at fault (`credentials.apiKey: credentials.apiKey is required`).
 */
import type { AuthMethod, ProviderDescriptor } from '../providers/types.ts';
import { OAuthFlowError, type OAuthApp } from '../auth/oauth/client.ts';
import { redeemImportedGrant } from '../auth/oauth/grant-import.ts';
import { OAuthGrantImport, SettingsError } from '../providers/settings.ts';
import { ApiError, validateBody } from './errors.ts';
import { describeIssue } from '../api/contract/validation.ts';
import { refusedSettingAddress } from '../net/settings-addresses.ts';

/** The settings, checked by the descriptor's schema and, for addresses, by the outbound-request policy; `given`, the request's part (a PATCH's), may name no setting the provider lacks. */
export function validateSettings(descriptor: ProviderDescriptor, settings: unknown, given: unknown = settings): Record<string, unknown> {
  refuseUnknownSettings(descriptor, given);
  const checked = validateBody(descriptor.settings, settings, 'settings');
  const refused = refusedSettingAddress(descriptor.id, checked);
  if (refused) throw new ApiError(400, 'invalid_request', `${refused.field}: ${refused.message}`, { field: refused.field });
  return checked;
}

/**
 * Settings the provider does not have are refused by name, as unknown fields are everywhere else
 * in the API (the descriptors' schemas would otherwise drop them without a word).
 */
function refuseUnknownSettings(descriptor: ProviderDescriptor, settings: unknown): void {
  const shape = (descriptor.settings as { shape?: Record<string, unknown> }).shape;
  if (!shape || !settings || typeof settings !== 'object') return;
  const unknown = Object.keys(settings).filter((key) => !Object.hasOwn(shape, key));
  if (unknown.length === 0) return;
  const problems = describeIssue({ path: [], code: 'unrecognized_keys', keys: unknown, message: '' }, 'settings');
  throw new ApiError(400, 'invalid_request', problems[0]!.message, { field: problems[0]!.field, problems });
}

export interface CheckedCredentials {
  readonly method: AuthMethod;
  readonly credentials: Record<string, string>;
}

/**
 * The auth method these credentials are for, and the credentials as its schema reads them. When
 * none fits, the error is the one of the method whose fields the request names most (ties: the
 * first method), so an admin who sent `{apiKey: ""}` hears about the API key, not the OAuth import.
 */
export function validateCredentials(descriptor: ProviderDescriptor, credentials: unknown): CheckedCredentials {
  const given = credentials && typeof credentials === 'object' ? Object.keys(credentials) : [];
  let best: { method: AuthMethod; overlap: number } | undefined;
  for (const method of descriptor.auth) {
    const parsed = method.credentials.safeParse(credentials ?? {});
    if (parsed.success) return { method, credentials: parsed.data };
    const shape = (method.credentials as { shape?: Record<string, unknown> }).shape ?? {};
    const overlap = given.filter((k) => k in shape).length;
    if (!best || overlap > best.overlap) best = { method, overlap };
  }
  if (!best) throw new ApiError(400, 'invalid_request', `credentials: ${descriptor.name} takes no credentials here`, { field: 'credentials' });
  return { method: best.method, credentials: validateBody(best.method.credentials, credentials, 'credentials') };
}

/** The auth methods the admin types credentials for (everything but the browser OAuth flow). */
export function typedMethods(descriptor: ProviderDescriptor): AuthMethod[] {
  return descriptor.auth.filter((m) => m.kind !== 'oauth2_authorization_code');
}

export interface ResolvedCredentials {
  /** What to store as the integration's credentials. */
  readonly credentials: Record<string, string>;
  /** The OAuth client an imported grant belongs to (kept with the integration to refresh it). */
  readonly app?: OAuthApp;
  readonly method: AuthMethod;
}

/**
 * Credentials as they will be stored: typed ones as given; an imported OAuth grant redeemed at
 * once (400 when the provider refuses it, 502 when it cannot be reached; nothing is stored).
 */
export async function resolveCredentials(descriptor: ProviderDescriptor, settings: Readonly<Record<string, unknown>>, credentials: unknown): Promise<ResolvedCredentials> {
  const checked = validateCredentials(descriptor, credentials);
  if (checked.method.kind !== 'oauth2_authorization_code') return checked;
  try {
    const redeemed = await redeemImportedGrant(descriptor.id, settings, OAuthGrantImport.parse(checked.credentials));
    return { ...redeemed, method: checked.method };
  } catch (error) {
    if (error instanceof SettingsError) throw new ApiError(400, 'invalid_request', `settings: ${error.message}`, { field: 'settings' });
    if (error instanceof OAuthFlowError) {
      const status = error.failure === 'unavailable' ? 502 : 400;
      throw new ApiError(status, `oauth_${error.failure}`, `${error.message} The grant was not imported; nothing was stored.`, { field: 'credentials.refreshToken' });
    }
    throw error;
  }
}
