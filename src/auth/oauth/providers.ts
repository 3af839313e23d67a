/**
 * OAuth 2.0 metadata per provider: where to send the admin, where to exchange codes, which
 * scopes to ask for. Built per integration because BambooHR's authorization server lives on the
 * customer's own host, and because a `baseUrl` setting (sandbox, regional host) overrides it.
 *
 * BambooHR (https://documentation.bamboohr.com/docs/getting-started, "OAuth flow"; the OpenAPI's
 * `securitySchemes.oauth`: `authorizationUrl: /authorize.php`, `tokenUrl: /token.php`):
 *   authorize  https://{companyDomain}.bamboohr.com/authorize.php?request=authorize&response_type=code&…
 *   token      POST https://{companyDomain}.bamboohr.com/token.php?request=token
 *   refresh tokens only when the `offline_access` scope is granted ("Miscellaneous → offline_access"
 *   in the developer portal; see also nango.dev/docs/api-integrations/bamboohr/how-to-register-your-own-bamboohr-oauth-app).
 * Scopes: the ones the endpoints the connector calls require per the OpenAPI document
 * (`report` for datasets, `employee`/`employee_directory`, `field` for meta lists,
 * `public.integration` for /employees/changed, `webhooks` to register webhooks).
 *
 * BambooHR documents no RFC 7009 revocation endpoint; `/revoke.php` is tried on disconnect (the
 * sandbox serves it) and a refusal is harmless: the tokens are deleted either way.
 *
 * The `request=authorize|token` query parameters are BambooHR's own and only added for the real
 * `*.bamboohr.com` host: on a standard authorization server, `request` is RFC 9101's request object.
 */
import type { AuthorizationServer } from 'oauth4webapi';
import { resolveBambooBaseUrl } from '../../providers/bamboohr/connector/client.ts';

export interface OAuthProviderConfig {
  readonly provider: string;
  readonly as: AuthorizationServer;
  /** Extra query parameters the authorization endpoint needs. */
  readonly authorizeParams: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  /** Plain http allowed (sandbox / local test servers only). */
  readonly allowHttp: boolean;
}

export const BAMBOOHR_SCOPES = ['offline_access', 'employee', 'employee_directory', 'field', 'report', 'public.integration', 'webhooks'] as const;

export const OAUTH_PROVIDERS = ['bamboohr'] as const;

export function supportsOAuth(provider: string): boolean {
  return (OAUTH_PROVIDERS as readonly string[]).includes(provider);
}

export function oauthProviderConfig(provider: string, settings: Readonly<Record<string, unknown>>): OAuthProviderConfig {
  if (provider !== 'bamboohr') throw new Error(`${provider} does not connect by OAuth`);
  const base = resolveBambooBaseUrl({ baseUrl: typeof settings['baseUrl'] === 'string' ? settings['baseUrl'] : undefined, settings });
  const real = /\.bamboohr\.com$/i.test(new URL(base).hostname);
  return {
    provider,
    as: {
      // RFC 9207: an `iss` in the authorization response must name this server.
      issuer: base,
      authorization_endpoint: `${base}/authorize.php${real ? '?request=authorize' : ''}`,
      token_endpoint: `${base}/token.php${real ? '?request=token' : ''}`,
      revocation_endpoint: `${base}/revoke.php`,
    },
    authorizeParams: {},
    scopes: BAMBOOHR_SCOPES,
    allowHttp: new URL(base).protocol === 'http:',
  };
}
