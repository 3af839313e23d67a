/**
 * A grant made elsewhere, imported without a browser (`credentials: {clientId, clientSecret,
 * refreshToken}`): the refresh token is redeemed at once, which proves the grant and, with a
 * provider that rotates, makes the imported refresh token the last one anybody uses.
 */
import type { OAuthGrant } from '../../providers/settings.ts';
import { refreshTokens, type OAuthApp } from './client.ts';
import { credentialsFromTokens, type Credentials } from './credentials.ts';
import { oauthProviderConfig } from './providers.ts';

export async function redeemImportedGrant(provider: string, settings: Readonly<Record<string, unknown>>, grant: OAuthGrant): Promise<{ credentials: Credentials; app: OAuthApp }> {
  const app: OAuthApp = { clientId: grant.clientId, clientSecret: grant.clientSecret };
  const tokens = await refreshTokens(oauthProviderConfig(provider, settings), app, grant.refreshToken);
  return { credentials: credentialsFromTokens(tokens, { refreshToken: grant.refreshToken }), app };
}
