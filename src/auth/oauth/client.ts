/**
 * The OAuth 2.0 client (RFC 6749 + RFC 9700 practices) on oauth4webapi: authorization code with
 * PKCE S256, `iss` checked when the server sends it (RFC 9207), refresh, revocation (RFC 7009).
 * Tokens and secrets never leave these functions except as the returned TokenSet.
 */
import * as oauth from 'oauth4webapi';
import { providerName } from '../../providers/descriptors.ts';
import type { OAuthProviderConfig } from './providers.ts';
import { outboundPolicy, outboundRefusal } from '../../net/outbound-policy.ts';

export interface OAuthApp {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  /** ISO time the access token expires; undefined when the server did not say. */
  readonly expiresAt: string | undefined;
  readonly scope: string | undefined;
}

export type OAuthFailure = 'invalid_grant' | 'access_denied' | 'mix_up' | 'invalid_response' | 'unavailable' | 'refused';

/** A failed OAuth step, with a sentence for the admin; never carries a token. */
export class OAuthFlowError extends Error {
  constructor(
    readonly failure: OAuthFailure,
    message: string,
    readonly providerError?: string,
  ) {
    super(message);
    this.name = 'OAuthFlowError';
  }
}

const TIMEOUT_MS = 15_000;

function requestOptions(cfg: OAuthProviderConfig): { [oauth.allowInsecureRequests]?: boolean; [oauth.customFetch]: typeof fetch; signal: AbortSignal } {
  // The outbound-request policy (src/net): allowed hosts, checked addresses, and the platform's client secret only to the official token endpoint.
  return { ...(cfg.allowHttp ? { [oauth.allowInsecureRequests]: true } : {}), [oauth.customFetch]: outboundPolicy().oauthFetch(cfg.provider), signal: AbortSignal.timeout(TIMEOUT_MS) };
}

export function generatePkce(): { verifier: string; challenge: Promise<string> } {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: oauth.calculatePKCECodeChallenge(verifier) };
}

export function generateState(): string {
  return oauth.generateRandomState();
}

export async function authorizeUrl(cfg: OAuthProviderConfig, app: OAuthApp, p: { state: string; codeVerifier: string; redirectUri: string }): Promise<URL> {
  const url = new URL(cfg.as.authorization_endpoint!);
  for (const [k, v] of Object.entries(cfg.authorizeParams)) url.searchParams.set(k, v);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', app.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('scope', cfg.scopes.join(' '));
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(p.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url;
}

function toTokenSet(r: oauth.TokenEndpointResponse, now: number): TokenSet {
  return {
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    expiresAt: typeof r.expires_in === 'number' ? new Date(now + r.expires_in * 1000).toISOString() : undefined,
    scope: r.scope,
  };
}

function name(cfg: OAuthProviderConfig): string {
  return providerName(cfg.provider);
}

/** RFC 6749 §2.3.1: the descriptor says which of the two the provider's token endpoint takes. */
function clientAuth(cfg: OAuthProviderConfig, app: OAuthApp): oauth.ClientAuth {
  return cfg.clientAuth === 'client_secret_basic' ? oauth.ClientSecretBasic(app.clientSecret) : oauth.ClientSecretPost(app.clientSecret);
}

function translate(cfg: OAuthProviderConfig, error: unknown, step: string): OAuthFlowError {
  const who = name(cfg);
  if (error instanceof OAuthFlowError) return error;
  const refused = outboundRefusal(error);
  if (refused) return new OAuthFlowError('refused', `${refused.message} (${step})`);
  if (error instanceof oauth.AuthorizationResponseError) {
    const failure = error.error === 'access_denied' ? 'access_denied' : 'refused';
    return new OAuthFlowError(failure, `${who} did not authorise the connection (${error.error}${error.error_description ? `: ${error.error_description}` : ''}). Start Connect again.`, error.error);
  }
  if (error instanceof oauth.ResponseBodyError) {
    if (error.error === 'invalid_grant') {
      return new OAuthFlowError('invalid_grant', `${who} refused the ${step} (invalid_grant${error.error_description ? `: ${error.error_description}` : ''}).`, error.error);
    }
    const failure = error.status >= 500 ? 'unavailable' : 'refused';
    return new OAuthFlowError(failure, `${who} refused the ${step} (${error.status} ${error.error}${error.error_description ? `: ${error.error_description}` : ''}).`, error.error);
  }
  if (error instanceof oauth.OperationProcessingError) {
    if (/"iss"|issuer/i.test(error.message)) {
      return new OAuthFlowError('mix_up', `The authorization response came from a different server than ${who} (issuer mismatch); it was refused. Start Connect again.`);
    }
    if (error.code === oauth.RESPONSE_IS_NOT_CONFORM && /status/i.test(error.message)) {
      return new OAuthFlowError('unavailable', `${who} answered the ${step} with an unexpected status; try again later.`);
    }
    return new OAuthFlowError('invalid_response', `${who} sent an unusable response to the ${step} (${error.message}).`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new OAuthFlowError('unavailable', `${who} could not be reached for the ${step} (${message}); try again later.`);
}

/**
 * Validates the authorization response (state, error, `iss`) and exchanges the code, once.
 */
export async function exchangeCode(cfg: OAuthProviderConfig, app: OAuthApp, callback: URLSearchParams, expectedState: string, redirectUri: string, codeVerifier: string): Promise<TokenSet> {
  const client: oauth.Client = { client_id: app.clientId };
  try {
    const params = oauth.validateAuthResponse(cfg.as, client, callback, expectedState);
    const response = await oauth.authorizationCodeGrantRequest(cfg.as, client, clientAuth(cfg, app), params, redirectUri, codeVerifier, requestOptions(cfg));
    const now = Date.now();
    return toTokenSet(await oauth.processAuthorizationCodeResponse(cfg.as, client, response), now);
  } catch (error) {
    throw translate(cfg, error, 'authorization code');
  }
}

export async function refreshTokens(cfg: OAuthProviderConfig, app: OAuthApp, refreshToken: string): Promise<TokenSet> {
  const client: oauth.Client = { client_id: app.clientId };
  try {
    const response = await oauth.refreshTokenGrantRequest(cfg.as, client, clientAuth(cfg, app), refreshToken, requestOptions(cfg));
    const now = Date.now();
    return toTokenSet(await oauth.processRefreshTokenResponse(cfg.as, client, response), now);
  } catch (error) {
    throw translate(cfg, error, 'token refresh');
  }
}

/** RFC 7009 revocation; resolves false when the server does not support or refuses it. */
export async function revokeToken(cfg: OAuthProviderConfig, app: OAuthApp, token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean> {
  if (!cfg.as.revocation_endpoint) return false;
  const client: oauth.Client = { client_id: app.clientId };
  try {
    const response = await oauth.revocationRequest(cfg.as, client, clientAuth(cfg, app), token, { ...requestOptions(cfg), additionalParameters: { token_type_hint: hint } });
    await oauth.processRevocationResponse(response);
    return true;
  } catch {
    return false;
  }
}
