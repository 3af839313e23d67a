/**
 * OAuth 2.0 metadata per integration, from the provider's descriptor: where to send the admin,
 * where to exchange codes, which scopes to ask for. Built per integration because the
 * authorization server may live on the customer's own host (BambooHR) and because
 * `settings.authBaseUrl` (a sandbox, a test authorization server) overrides the official one.
 */
import type { AuthorizationServer } from 'oauth4webapi';
import { descriptorOf } from '../../providers/descriptors.ts';
import { isOfficialEndpoint } from '../../providers/settings.ts';
import type { OAuthSpec } from '../../providers/types.ts';

export interface OAuthProviderConfig {
  readonly provider: string;
  readonly as: AuthorizationServer;
  /** Extra query parameters the authorization endpoint needs. */
  readonly authorizeParams: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  /** Plain http allowed (sandbox / local test servers only). */
  readonly allowHttp: boolean;
  readonly clientAuth: OAuthSpec['clientAuth'];
  /** Whether the token endpoint is the provider's official one (the platform's client secret goes nowhere else). */
  readonly officialTokenEndpoint: boolean;
}

export function oauthSpecOf(provider: string): OAuthSpec | undefined {
  return descriptorOf(provider)?.oauth ?? undefined;
}

export function supportsOAuth(provider: string): boolean {
  return oauthSpecOf(provider) !== undefined;
}

function withParams(url: string, params: Readonly<Record<string, string>> | undefined): string {
  if (!params) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Throws a plain Error (or the descriptor's SettingsError) when the provider has no OAuth or the settings are unusable. */
export function oauthProviderConfig(provider: string, settings: Readonly<Record<string, unknown>>): OAuthProviderConfig {
  const spec = oauthSpecOf(provider);
  if (!spec) throw new Error(`${provider} does not connect by OAuth`);
  const base = spec.authBaseUrl(settings);
  const tokenUrl = `${spec.tokenBaseUrl?.(settings) ?? base}${spec.tokenPath}`;
  const official = isOfficialEndpoint(tokenUrl, spec.officialTokenEndpoint);
  return {
    provider,
    as: {
      // RFC 9207: an `iss` in the authorization response must name this server.
      issuer: base,
      authorization_endpoint: withParams(`${base}${spec.authorizePath}`, official ? spec.officialParams?.authorize : undefined),
      token_endpoint: withParams(tokenUrl, official ? spec.officialParams?.token : undefined),
      ...(spec.revokePath ? { revocation_endpoint: `${base}${spec.revokePath}` } : {}),
    },
    authorizeParams: {},
    scopes: spec.scopes,
    allowHttp: new URL(base).protocol === 'http:',
    clientAuth: spec.clientAuth,
    officialTokenEndpoint: official,
  };
}
