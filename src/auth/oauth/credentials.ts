/**
 * Credentials for a run: API keys as stored; OAuth access tokens refreshed ahead of expiry.
 *
 * Refresh-token rotation (RFC 9700 §4.14.2): each refresh answers a new refresh token and the used
 * one dies; presenting it again may revoke the whole grant. So a refresh token is sent once:
 * - One refresh at a time per integration across workers: a worker takes the integration's refresh
 *   lease (a row in `oauth_refresh_locks`, an atomic conditional upsert on both dialects) before
 *   calling the token endpoint. Others wait for the new tokens to appear in the store and use those
 *   (within a process, a single-flight promise spares them the wait).
 * - Inside the lease the stored credentials are read again: the token sent is always the newest.
 * - The new tokens are stored (compare-and-set on the stored ciphertext: every vault write has a
 *   fresh IV, so the ciphertext is a version; a reconnect or disconnect meanwhile wins) before the
 *   access token is handed to anyone.
 * - A refusal (`invalid_grant`) inside the lease is therefore the grant's own end: the connection
 *   becomes `expired`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Vault } from '../vault.ts';
import type { Store } from '../../store/db.ts';
import { getIntegration, updateIntegration, type Integration } from '../../store/integrations.ts';
import { acquireRefreshLock, compareAndSetCredentials, getIntegrationSecret, readCredentialsCiphertext, releaseRefreshLock } from '../../store/oauth.ts';
import { AuthFailedError, ProviderUnavailableError, providerDisplayName } from '../../connectors/errors.ts';
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

export function credentialsFromTokens(tokens: TokenSet, previous?: Credentials, now?: Date): Credentials {
  const refreshToken = tokens.refreshToken ?? previous?.['refreshToken'];
  return {
    authType: 'oauth',
    accessToken: tokens.accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    ...(tokens.expiresAt ? { expiresAt: tokens.expiresAt } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
    obtainedAt: (now ?? new Date()).toISOString(),
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
  /** Refresh even when the access token is not near expiry, unless someone refreshed meanwhile. */
  readonly force?: boolean;
  /** The access token a provider just refused (401): refresh unless the stored one is already another. */
  readonly rejectedAccessToken?: string;
  /** Default true; false only lets tests act as two separate workers in one process. */
  readonly singleFlight?: boolean;
}

export async function freshCredentials(deps: CredentialDeps, integration: Integration, opts: FreshOptions = {}): Promise<Credentials> {
  const ciphertext = await readCredentialsCiphertext(deps.store.db, integration.tenantId, integration.id);
  if (!ciphertext) throw notConnected(integration);
  const current = deps.vault.decryptJson<Credentials>(ciphertext);
  if (!isOAuthCredentials(current)) return current;
  if (usable(deps, current, opts, false)) return current;
  if (opts.singleFlight === false) return refreshUnderLease(deps, integration, ciphertext, opts);
  const key = `${integration.tenantId}/${integration.id}`;
  const running = inFlight.get(key);
  if (running) return running;
  const job = refreshUnderLease(deps, integration, ciphertext, opts).finally(() => inFlight.delete(key));
  inFlight.set(key, job);
  return job;
}

function nowMs(deps: CredentialDeps): number {
  return (deps.now?.() ?? new Date()).getTime();
}

function needsRefresh(deps: CredentialDeps, creds: Credentials): boolean {
  const expiresAt = creds['expiresAt'] ? Date.parse(creds['expiresAt']) : Number.POSITIVE_INFINITY;
  return expiresAt - nowMs(deps) <= REFRESH_AHEAD_MS;
}

/**
 * Whether these credentials can be used as they are: an OAuth access token that is not near expiry,
 * not the one the caller saw refused, and (when a refresh is forced) newer than what the caller
 * decided from (`changed`): of several workers forcing a refresh at once, one refreshes.
 */
function usable(deps: CredentialDeps, creds: Credentials, opts: FreshOptions, changed: boolean): boolean {
  if (!isOAuthCredentials(creds)) return true;
  if (needsRefresh(deps, creds)) return false;
  if (opts.rejectedAccessToken !== undefined) return creds['accessToken'] !== opts.rejectedAccessToken;
  return !opts.force || changed;
}

/** How long a refresh lease lasts: longer than a token call may take (15 s), short enough that a crashed holder is soon forgotten. */
export const REFRESH_LEASE_MS = 45_000;
const WAIT_STEP_MS = 100;

/**
 * Refreshes holding the integration's refresh lease, or, when another worker holds it, waits for
 * the tokens that worker stores. `seen` is the ciphertext the caller decided from: when the stored
 * one differs, someone refreshed meanwhile and theirs are used.
 */
async function refreshUnderLease(deps: CredentialDeps, integration: Integration, seen: string, opts: FreshOptions): Promise<Credentials> {
  const { db } = deps.store;
  const holder = randomUUID();
  const deadline = nowMs(deps) + REFRESH_LEASE_MS + 5_000;
  for (;;) {
    if (await acquireRefreshLock(db, integration.tenantId, integration.id, holder, REFRESH_LEASE_MS, Date.now())) {
      try {
        return await refreshHeld(deps, integration, seen, opts);
      } finally {
        await releaseRefreshLock(db, integration.tenantId, integration.id, holder);
      }
    }
    // Another worker is refreshing: its tokens are ours as soon as it has stored them.
    await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
    const stored = await readCredentialsCiphertext(db, integration.tenantId, integration.id);
    if (!stored) throw notConnected(integration);
    if (stored !== seen) {
      const creds = deps.vault.decryptJson<Credentials>(stored);
      if (usable(deps, creds, opts, true)) return creds;
      seen = stored;
    }
    if (Date.now() > deadline) throw new AuthFailedError(`Another worker has been refreshing the authorisation of ${integration.name} for too long; the next run will try again.`, { provider: integration.provider });
  }
}

async function refreshHeld(deps: CredentialDeps, integration: Integration, seen: string, opts: FreshOptions): Promise<Credentials> {
  const { db } = deps.store;
  // Read again inside the lease: the refresh token sent must be the newest one stored.
  const ciphertext = await readCredentialsCiphertext(db, integration.tenantId, integration.id);
  if (!ciphertext) throw notConnected(integration);
  const current = deps.vault.decryptJson<Credentials>(ciphertext);
  if (usable(deps, current, opts, ciphertext !== seen)) return current; // fresh, or refreshed by someone else meanwhile
  const refreshToken = current['refreshToken'];
  if (!refreshToken) {
    const expiresAt = current['expiresAt'] ? Date.parse(current['expiresAt']) : Number.POSITIVE_INFINITY;
    if (expiresAt > nowMs(deps) && !opts.force) return current;
    await markConnection(deps, integration, 'expired', expiredMessage(integration, `The access token expired and ${providerDisplayName(integration.provider)} gave no refresh token.`));
    throw new AuthFailedError(expiredMessage(integration, 'The access token expired and there is no refresh token.'), { provider: integration.provider });
  }
  const app = await getIntegrationSecret<OAuthApp>(db, deps.vault, integration.tenantId, integration.id, 'oauth_client');
  if (!app) {
    const why = 'The OAuth client it was connected with is no longer configured.';
    await markConnection(deps, integration, 'expired', expiredMessage(integration, why));
    throw new AuthFailedError(expiredMessage(integration, why), { provider: integration.provider });
  }
  let tokens: TokenSet;
  try {
    tokens = await refreshTokens(oauthProviderConfig(integration.provider, integration.settings), app, refreshToken);
  } catch (error) {
    if (error instanceof OAuthFlowError && error.failure === 'invalid_grant') {
      const why = `${providerDisplayName(integration.provider)} refused to refresh the authorisation (invalid_grant): it was revoked or has lapsed.`;
      await markConnection(deps, integration, 'expired', expiredMessage(integration, why));
      deps.logger?.warn({ integrationId: integration.id }, 'oauth refresh refused: connection expired');
      throw new AuthFailedError(expiredMessage(integration, why), { provider: integration.provider, providerMessage: error.providerError });
    }
    // Unreachable or 5xx: not the admin's problem yet; the run fails and the next one tries again.
    throw new ProviderUnavailableError(error instanceof Error ? error.message : String(error), { provider: integration.provider, cause: error });
  }
  const next = credentialsFromTokens(tokens, current, deps.now?.());
  // Stored before anyone uses the access token: the rotated refresh token must not be lost.
  if (await compareAndSetCredentials(db, deps.vault, integration.tenantId, integration.id, ciphertext, next)) {
    deps.logger?.info({ integrationId: integration.id, expiresAt: next['expiresAt'] }, 'oauth tokens refreshed');
    return next;
  }
  // Reconnected, disconnected or re-keyed while we held the lease: what is stored now wins.
  const stored = await readCredentialsCiphertext(db, integration.tenantId, integration.id);
  if (!stored) throw notConnected(integration);
  const creds = deps.vault.decryptJson<Credentials>(stored);
  if (creds['refreshToken'] === refreshToken) {
    // Only re-encrypted (key rotation): ours are the newer tokens.
    if (await compareAndSetCredentials(db, deps.vault, integration.tenantId, integration.id, stored, next)) return next;
  }
  return creds;
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
        await freshCredentials(deps, integration, { rejectedAccessToken: current['accessToken'] ?? '' });
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
