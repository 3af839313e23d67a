/**
 * Settings and credential pieces every descriptor shares: the API and authorization-server hosts a
 * connector can be pointed at (a sandbox, a regional host), ReFresh's own sandbox marker, the
 * headless import of an OAuth grant, and host patterns.
 */
import { z } from 'zod';

/** `settings.baseUrl`: the API host; the official one when absent. */
export function baseUrlSetting(official: string) {
  return z
    .url({ protocol: /^https?$/, message: 'baseUrl must be an http(s) URL' })
    .meta({ title: 'API address', description: `Only for a sandbox, a proxy or a regional host, e.g. http://127.0.0.1:9101. Leave empty for ${official}.`, 'x-advanced': true })
    .optional();
}

/** `settings.authBaseUrl`: the OAuth authorization server; the official one when absent. */
export function authBaseUrlSetting(official: string) {
  return z
    .url({ protocol: /^https?$/, message: 'authBaseUrl must be an http(s) URL' })
    .meta({ title: 'Authorization server', description: `Only for a sandbox: where to sign in and get tokens. Leave empty for ${official}.`, 'x-advanced': true })
    .optional();
}

/** Set by `refresh start` on the integrations it creates against its own sandboxes. */
export const sandboxSettings = {
  sandbox: z.boolean().meta({ 'x-internal': true }).optional(),
  sandboxPort: z.number().int().min(0).max(65535).meta({ 'x-internal': true }).optional(),
};

/**
 * An OAuth grant made elsewhere, imported without a browser (`POST /integrations` with these
 * credentials): the client it was made with and its refresh token, which is refreshed at once.
 */
export const OAuthGrantImport = z
  .object({
    clientId: z.string().trim().min(1, 'credentials.clientId is required (the OAuth client the grant was made with)').meta({ title: 'Client ID', description: 'The OAuth app the grant was made with.' }),
    clientSecret: z.string().min(1, 'credentials.clientSecret is required').meta({ title: 'Client secret', description: "That app's secret. Stored encrypted and never shown again.", writeOnly: true }),
    refreshToken: z.string().min(1, 'credentials.refreshToken is required (the grant to import)').meta({ title: 'Refresh token', description: 'The grant to import; it is redeemed at once, so it cannot be used anywhere else afterwards.', writeOnly: true }),
  })
  .strict();

export type OAuthGrant = z.infer<typeof OAuthGrantImport>;

export function isOAuthGrantImport(credentials: Readonly<Record<string, unknown>>): boolean {
  return OAuthGrantImport.safeParse(credentials).success;
}

/** A setting's string value, trimmed; undefined when absent or blank. */
export function stringSetting(settings: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = settings[key];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** `https://host[:port][/path]` without a trailing slash. Throws a plain Error naming the setting. */
export function originOf(value: string, setting: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new SettingsError(`${setting} "${value}" is not a valid URL; fix it in the integration settings.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new SettingsError(`${setting} "${value}" must start with https://; fix it in the integration settings.`);
  if (u.username || u.password) throw new SettingsError(`${setting} must not contain credentials; enter them as the integration's credentials instead.`);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** Settings a connector or OAuth flow cannot use; connectors turn it into a `bad_request` ProviderError. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** `*.bamboohr.com` matches `acme.bamboohr.com` (not `bamboohr.com`); other patterns match exactly. Case-insensitive. */
export function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

/** Whether `url` is the official token endpoint `pattern` (same scheme, matching host, same path). */
export function isOfficialEndpoint(url: string, pattern: string): boolean {
  try {
    const u = new URL(url);
    const p = new URL(pattern.replace('://*.', '://wildcard.'));
    const hostPattern = pattern.includes('://*.') ? `*.${p.hostname.slice('wildcard.'.length)}` : p.hostname;
    return u.protocol === p.protocol && hostMatches(u.hostname, hostPattern) && u.pathname === p.pathname && (u.port || '') === (p.port || '');
  } catch {
    return false;
  }
}
