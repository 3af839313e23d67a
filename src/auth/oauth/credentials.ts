/**
 * Credentials for a run: API keys as stored; OAuth access tokens refreshed ahead of expiry.
 *
 * Refresh-token rotation and concurrency: refreshes of one integration are single-flight within
 * a process, and across processes the new tokens are written with a compare-and-set on the
 * stored ciphertext (every vault write has a fresh IV, so the ciphertext is a version). A worker
 * whose write loses reads the winner's tokens and uses those: a newer refresh token is never
 * overwritten by an older one. A refusal (`invalid_grant`) is re-checked against the store first,
 * since another worker may have just rotated the token we used.
 */
import type { Logger } from 'pino';
import type { Vault } from '../vault.ts';
import type { Store } from '../../store/db.ts';
import { getIntegration, updateIntegration, type Integration } from '../../store/integrations.ts';
import { compareAndSetCredentials, getIntegrationSecret, readCredentialsCiphertext } from '../../store/oauth.ts';
import { AuthFailedError, providerDisplayName } from '../../connectors/errors.ts';
import { OAuthFlowError, refreshTokens, type OAuthApp, type TokenSet } from './client.ts';
import { oauthProviderConfig } from './providers.ts';

export interface CredentialDeps {
  readonly store: Store;
  readonly vault: Vault;
  readonly logger?: Logger;
  readonly now?: () => Date;
}

/** Refresh when the access token expires within this window. */
export const REFRESH_AHEAD_MS = 5 * 60_000;

export type Credentials = Record<string, string>;

export function isOAuthCredentials(c: Credentials | null | undefined): boolean {
  return !!c && c['authType'] === 'oauth';
}

export function credentialsFromTokens(tokens: TokenSet, previous?: Credentials): Credentials {
  const refreshToken = tokens.refreshToken ?? previous?.['refreshToken'];
  return {
    authType: 'oauth',
    accessToken: tokens.accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
    obtainedAt: new Date().toISOString(),
  };
}

const inFlight = new Map<string, Promise<Credentials>>();

function notConnected(integration: Integration): AuthFailedError {
  return new AuthFailedError(`${integration.name} is not connected: connect it again on the Integrations page.`, { provider: integration.provider });
}

function expiredMessage(integration: Integration, why: string): string {
  return `Authorisation expired — reconnect ${providerDisplayName(integration.provider)}. ${why}`;
}

/**
 * The credentials a connector should use now. For OAuth, refreshes when the access token expires
 * within REFRESH_AHEAD_MS (or when `force`); on `invalid_grant` marks the connection `expired`
 * and throws an `auth_failed` error.
 */
export interface FreshOptions {
  /** Refresh even when the access token is not near expiry (after a 401). */
  readonly force?: boolean;
  /** Default true; false only lets tests act as two separate workers in one process. */
  readonly singleFlight?: boolean;
}

export async function freshCredentials(deps: CredentialDeps, integration: Integration, opts: FreshOptions = {}): Promise<Credentials> {
  const { db } = deps.store;
  const ciphertext = await readCredentialsCiphertext(db, integration.tenantId, integration.id);
  if (!ciphertext) throw notConnected(integration);
  const current = deps.vault.decryptJson<Credentials>(ciphertext);
  if (!isOAuthCredentials(current)) return current;
  const now = (deps.now?.() ?? new Date()).getTime();
  const expiresAt = current['expiresAt'] ? Date.parse(current['expiresAt']) : Number.POSITIVE_INFINITY;
  if (!opts.force && expiresAt - now > REFRESH_AHEAD_MS) return current;
  if (!current['refreshToken']) {
    if (expiresAt > now && !opts.force) return current;
    await markConnection(deps, integration, 'expired', expiredMessage(integration, `The access token expired and ${providerDisplayName(integration.provider)} gave no refresh token.`));
    throw new AuthFailedError(expiredMessage(integration, 'The access token expired and there is no refresh token.'), { provider: integration.provider });
  }
  if (opts.singleFlight === false) return refreshOnce(deps, integration, ciphertext, current);
  const key = `${integration.tenantId}/${integration.id}`;
  const running = inFlight.get(key);
  if (running) return running;
  const job = refreshOnce(deps, integration, ciphertext, current).finally(() => inFlight.delete(key));
  inFlight.set(key, job);
  return job;
}

async function refreshOnce(deps: CredentialDeps, integration: Integration, ciphertext: string, current: Credentials): Promise<Credentials> {
  const { db } = deps.store;
  const usedRefreshToken = current['refreshToken']!;
  const app = await getIntegrationSecret<OAuthApp>(db, deps.vault, integration.tenantId, integration.id, 'oauth_client');
  if (!app) {
    const why = 'The OAuth client it was connected with is no longer configured.';
    await markConnection(deps, integration, 'expired', expiredMessage(integration, why));
    throw new AuthFailedError(expiredMessage(integration, why), { provider: integration.provider });
  }
  const cfg = oauthProviderConfig(integration.provider, integration.settings);
  let tokens: TokenSet;
  try {
    tokens = await refreshTokens(cfg, app, usedRefreshToken);
  } catch (error) {
    if (error instanceof OAuthFlowError && error.failure === 'invalid_grant') {
      // Another worker may have rotated the refresh token a moment ago: use its tokens if so.
      for (let attempt = 0; attempt < 4; attempt++) {
        const stored = await readCredentialsCiphertext(db, integration.tenantId, integration.id);
        if (!stored) throw notConnected(integration);
        const creds = deps.vault.decryptJson<Credentials>(stored);
        if (creds['refreshToken'] !== usedRefreshToken) return creds;
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
      const why = `${providerDisplayName(integration.provider)} refused to refresh the authorisation (invalid_grant): it was revoked or has lapsed.`;
      await markConnection(deps, integration, 'expired', expiredMessage(integration, why));
      deps.logger?.warn({ integrationId: integration.id }, 'oauth refresh refused: connection expired');
      throw new AuthFailedError(expiredMessage(integration, why), { provider: integration.provider, providerMessage: error.providerError });
    }
    // Unreachable or 5xx: not the admin's problem yet; the run fails as provider_unavailable-ish.
    throw new AuthFailedError(error instanceof Error ? error.message : String(error), { provider: integration.provider, cause: error });
  }
  const next = credentialsFromTokens(tokens, current);
  let expected = ciphertext;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await compareAndSetCredentials(db, deps.vault, integration.tenantId, integration.id, expected, next)) {
      deps.logger?.info({ integrationId: integration.id, expiresAt: next['expiresAt'] }, 'oauth tokens refreshed');
      return next;
    }
    const stored = await readCredentialsCiphertext(db, integration.tenantId, integration.id);
    if (!stored) throw notConnected(integration); // disconnected meanwhile: do not resurrect tokens
    const creds = deps.vault.decryptJson<Credentials>(stored);
    // Someone stored tokens newer than the ones we refreshed from: theirs win.
    if (creds['refreshToken'] !== usedRefreshToken) return creds;
    expected = stored; // only re-encrypted (key rotation) or an unrelated write: ours are newer
  }
  throw new AuthFailedError('Could not save the refreshed authorisation (too much contention); the next run will try again.', { provider: integration.provider });
}

async function markConnection(deps: CredentialDeps, integration: Integration, status: 'expired' | 'revoked', detail: string): Promise<void> {
  await updateIntegration(deps.store.db, deps.vault, integration.tenantId, integration.id, { connection: { status, detail: `${detail} (${new Date().toISOString()})` } });
}

/**
 * After a run failed with `auth_failed` (401/403 from the provider): an OAuth integration whose
 * refresh still works stays connected (the token was merely stale); otherwise the connection
 * becomes `expired` (OAuth) or `revoked` (API key), with the time and the reason.
 */
export async function markAuthFailure(deps: CredentialDeps, integration: Integration, reason: string): Promise<void> {
  const ciphertext = await readCredentialsCiphertext(deps.store.db, integration.tenantId, integration.id);
  if (!ciphertext) return;
  const current = deps.vault.decryptJson<Credentials>(ciphertext);
  if (isOAuthCredentials(current)) {
    const fresh = await getIntegration(deps.store.db, integration.tenantId, integration.id);
    if (fresh && fresh.connection.status !== 'connected') return; // already marked (refresh refused)
    try {
      if (current['refreshToken']) {
        await freshCredentials(deps, integration, { force: true });
        return; // the grant is alive: the next run uses the new token
      }
    } catch {
      return; // freshCredentials marked it expired, or the provider is unreachable
    }
    await markConnection(deps, integration, 'expired', expiredMessage(integration, reason));
    return;
  }
  await markConnection(deps, integration, 'revoked', `${providerDisplayName(integration.provider)} refused the API key: it was revoked or changed — reconnect with a valid key. ${reason}`);
}
