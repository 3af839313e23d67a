/**
 * Connect, callback, reconnect and disconnect (issue 5 §1–2).
 *
 * Connect (OAuth): a one-time `state` (stored hashed, expiring in 10 minutes, bound to the
 * initiator: the console session when there is one, else the API key's tenant) and a PKCE S256
 * verifier (stored encrypted). The redirect URI is exact and per provider:
 * `{publicUrl}/api/v1/oauth/callback/{provider}` (mix-up defence together with the `iss` check).
 * Callback: the state is claimed atomically before anything else, so a reused code or state is
 * refused with 400 and changes nothing; tokens go only to the vault.
 * Disconnect: revokes where the provider supports it, deletes the credentials, pauses syncs.
 */
import { ConnectBody } from '../api/contract/integrations.ts';
import type { AppContext } from './context.ts';
import { ApiError, validateBody } from './errors.ts';
import { outboundPolicy } from '../net/outbound-policy.ts';
import { requireIntegration, resumeAfterReconnect } from './integrations-service.ts';
import { requireAcceptedCredentials, tryCredentials } from './connection-check.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { audit } from '../store/audit.ts';
import { authorizeUrl, exchangeCode, generatePkce, generateState, OAuthFlowError, revokeToken, type OAuthApp } from '../auth/oauth/client.ts';
import { credentialsFromTokens, isOAuthCredentials, type Credentials } from '../auth/oauth/credentials.ts';
import { oauthProviderConfig, supportsOAuth } from '../auth/oauth/providers.ts';
import { providerDisplayName } from '../connectors/errors.ts';
import { descriptorOf } from '../providers/descriptors.ts';
import { resolveCredentials } from './provider-input.ts';
import { getIntegration, readCredentials, removeIntegration, updateIntegration, type Integration } from '../store/integrations.ts';
import { activeRun } from '../store/runs.ts';
import { claimOAuthState, getIntegrationSecret, putIntegrationSecret, saveOAuthState, sha256 } from '../store/oauth.ts';

export { freshCredentials, markAuthFailure } from '../auth/oauth/credentials.ts';

export const STATE_TTL_MS = 10 * 60_000;

export interface Initiator {
  /** The console session id (from its cookie) when the request came from the console. */
  readonly sessionId?: string | undefined;
}


export function publicBaseUrl(ctx: AppContext): string {
  return (ctx.config.publicUrl ?? `http://${ctx.config.host}:${ctx.config.port}`).replace(/\/+$/, '');
}

export function redirectUriFor(ctx: AppContext, provider: string): string {
  return `${publicBaseUrl(ctx)}/api/v1/oauth/callback/${encodeURIComponent(provider)}`;
}


export type ConnectResult = { kind: 'oauth'; authorizeUrl: string; expiresAt: string; redirectUri: string } | { kind: 'reconnected'; integration: Integration };

/** `POST /integrations/{id}/connect`. */
export async function startConnect(ctx: AppContext, tenantId: string, id: string, body: unknown, initiator: Initiator = {}): Promise<ConnectResult> {
  const input = validateBody(ConnectBody, body);
  const integration = await requireIntegration(ctx, tenantId, id);
  if (input.credentials) {
    const descriptor = descriptorOf(integration.provider);
    const resolved = descriptor ? await resolveCredentials(descriptor, integration.settings, input.credentials) : { credentials: input.credentials };
    const credentials = resolved.credentials;
    // Tried first: refused credentials are a 422 and the stored ones (and the schedule) stay as they were.
    await requireAcceptedCredentials(ctx, integration.provider, integration.settings, credentials);
    await ctx.store.db.transaction().execute(async (trx) => {
      if ('app' in resolved && resolved.app) await putIntegrationSecret(trx, ctx.vault, tenantId, id, 'oauth_client', resolved.app);
      await updateIntegration(trx, ctx.vault, tenantId, id, { credentials, connection: { status: 'connected', detail: null } });
      await audit(trx, tenantId, 'integration.reconnected', id, { connection: integration.connection.status }, { connection: 'connected', method: 'method' in resolved ? resolved.method.kind : 'credentials' });
    });
    return { kind: 'reconnected', integration: await resumeAfterReconnect(ctx, tenantId, id) };
  }
  if (!supportsOAuth(integration.provider)) {
    throw new ApiError(400, 'oauth_unsupported', `${providerDisplayName(integration.provider)} does not connect by OAuth here: send {"credentials": {…}} to reconnect it.`);
  }
  const app: OAuthApp | undefined =
    input.oauthClient ?? ctx.config.oauthClients?.[integration.provider] ?? (await getIntegrationSecret<OAuthApp>(ctx.store.db, ctx.vault, tenantId, id, 'oauth_client'));
  if (!app) {
    const env = `${integration.provider.toUpperCase()}_OAUTH_CLIENT_ID and ${integration.provider.toUpperCase()}_OAUTH_CLIENT_SECRET`;
    const others = descriptorOf(integration.provider)?.auth.filter((m) => m.kind !== 'oauth2_authorization_code').map((m) => m.label) ?? [];
    throw new ApiError(409, 'oauth_not_configured', `No OAuth app is configured for ${providerDisplayName(integration.provider)}: set ${env}, send {"oauthClient": {"clientId", "clientSecret"}}${others.length ? `, or connect with ${others.join(' or ')}` : ''}.`);
  }
  let cfg;
  try {
    cfg = oauthProviderConfig(integration.provider, integration.settings);
  } catch (error) {
    throw new ApiError(400, 'invalid_settings', error instanceof Error ? error.message : String(error));
  }
  // DESIGN.md §2 rule 7: ReFresh's own client secret goes to the official token endpoint only.
  if (app.clientSecret === ctx.config.oauthClients?.[integration.provider]?.clientSecret && !outboundPolicy().platformSecretMayGoTo(integration.provider, cfg.as.token_endpoint!)) {
    throw new ApiError(400, 'invalid_settings', `ReFresh's own ${providerDisplayName(integration.provider)} OAuth app works only with ${providerDisplayName(integration.provider)}'s official address: remove settings.authBaseUrl / settings.baseUrl, or send {"oauthClient": {"clientId", "clientSecret"}} with your organization's own app.`, { field: 'settings.authBaseUrl' });
  }
  // The app the grant is made with is the app that must refresh it: kept with the integration.
  await putIntegrationSecret(ctx.store.db, ctx.vault, tenantId, id, 'oauth_client', app);
  const state = generateState();
  const { verifier } = generatePkce();
  const redirectUri = redirectUriFor(ctx, integration.provider);
  await saveOAuthState(ctx.store.db, ctx.vault, {
    state,
    tenantId,
    integrationId: id,
    provider: integration.provider,
    codeVerifier: verifier,
    redirectUri,
    binding: initiator.sessionId ? { kind: 'session', value: initiator.sessionId } : { kind: 'tenant', value: tenantId },
    ttlMs: STATE_TTL_MS,
  });
  const url = await authorizeUrl(cfg, app, { state, codeVerifier: verifier, redirectUri });
  return { kind: 'oauth', authorizeUrl: url.toString(), expiresAt: new Date(Date.now() + STATE_TTL_MS).toISOString(), redirectUri };
}

const CLAIM_MESSAGES = {
  unknown: ['oauth_state_invalid', 'This authorization response does not match any Connect started here (unknown state). Start Connect again from the Integrations page.'],
  used: ['oauth_state_used', 'This authorization response was already used (a code or state can be exchanged only once). Nothing was changed; start Connect again if the integration is not connected.'],
  expired: ['oauth_state_expired', 'This Connect attempt expired (10 minutes). Start Connect again from the Integrations page.'],
  provider: ['oauth_provider_mismatch', 'This authorization response arrived on another provider\'s callback (possible mix-up attack); it was refused. Start Connect again.'],
} as const;

/** `GET /oauth/callback/{provider}`: validates, exchanges the code once, stores the tokens. */
export async function completeCallback(ctx: AppContext, provider: string, query: Record<string, unknown>, initiator: Initiator = {}): Promise<Integration> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') params.set(k, v);
  const state = params.get('state');
  if (!state) throw new ApiError(400, 'oauth_state_missing', 'The authorization response has no state; start Connect again from the Integrations page.');
  if (!supportsOAuth(provider)) throw new ApiError(404, 'not_found', `no OAuth callback for provider ${provider}`);

  const claim = await claimOAuthState(ctx.store.db, ctx.vault, state, provider, (kind, hash) => kind !== 'session' || (!!initiator.sessionId && sha256(initiator.sessionId) === hash));
  if (!claim.ok) {
    if (claim.reason === 'binding') {
      throw new ApiError(400, 'oauth_state_mismatch', 'This authorization response belongs to a Connect started in another browser session; it was refused. Start Connect again from this session.');
    }
    const [code, message] = CLAIM_MESSAGES[claim.reason];
    throw new ApiError(400, code, message);
  }
  const s = claim.state;
  const integration = await getIntegration(ctx.store.db, s.tenantId, s.integrationId);
  if (!integration) throw new ApiError(404, 'not_found', `integration ${s.integrationId} no longer exists`);
  const app = await getIntegrationSecret<OAuthApp>(ctx.store.db, ctx.vault, s.tenantId, s.integrationId, 'oauth_client');
  if (!app) throw new ApiError(409, 'oauth_not_configured', 'The OAuth app this Connect was started with is gone; start Connect again.');
  const cfg = oauthProviderConfig(provider, integration.settings);
  let credentials: Credentials;
  try {
    credentials = credentialsFromTokens(await exchangeCode(cfg, app, params, state, s.redirectUri, s.codeVerifier));
  } catch (error) {
    if (error instanceof OAuthFlowError) {
      const status = error.failure === 'unavailable' ? 502 : 400;
      throw new ApiError(status, `oauth_${error.failure}`, `${error.message} ${integration.name} was not changed.`);
    }
    throw error;
  }
  // The grant is fresh: a refusal now means it lacks a permission or the settings lead elsewhere.
  const refused = await tryCredentials(ctx, integration.provider, integration.settings, credentials);
  const updated = await ctx.store.db.transaction().execute(async (trx) => {
    const saved = (await updateIntegration(trx, ctx.vault, s.tenantId, s.integrationId, {
      credentials,
      connection: refused ? { status: 'error', detail: refused.message } : { status: 'connected', detail: null },
    }))!;
    await audit(trx, s.tenantId, integration.connection.status === 'disconnected' && !integration.hasCredentials ? 'integration.connected' : 'integration.reconnected', s.integrationId, { connection: integration.connection.status }, { connection: saved.connection.status, method: 'oauth', scope: credentials['scope'] ?? null });
    return saved;
  });
  return refused ? updated : resumeAfterReconnect(ctx, s.tenantId, s.integrationId);
}

/** DELETE /integrations/{id}: disconnect (revoking a grant), then remove it, keeping its history, in one transaction with both audit entries. */
export async function removeIntegrationFromRequest(ctx: AppContext, tenantId: string, id: string): Promise<void> {
  const integration = await requireIntegration(ctx, tenantId, id);
  const running = await activeRun(ctx.store.db, tenantId, id);
  if (running) throw new ApiError(409, 'run_in_progress', `A sync of ${integration.name} is ${running.status}; remove the integration once it has finished.`, { runId: running.id });
  const revoked = await revokeGrant(ctx, integration);
  await ctx.store.db.transaction().execute(async (trx) => {
    await recordDisconnect(ctx, trx, integration, revoked);
    await removeIntegration(trx, tenantId, id);
    await audit(trx, tenantId, 'integration.removed', id, { name: integration.name, provider: integration.provider, priority: integration.priority }, null);
  });
}

/** `POST /integrations/{id}/disconnect`: revokes where the provider can, then deletes the credentials and pauses syncs with the audit entry. */
export async function disconnect(ctx: AppContext, tenantId: string, id: string): Promise<{ integration: Integration; revoked: boolean }> {
  const integration = await requireIntegration(ctx, tenantId, id);
  const revoked = await revokeGrant(ctx, integration);
  const updated = await ctx.store.db.transaction().execute((trx) => recordDisconnect(ctx, trx, integration, revoked));
  return { integration: updated, revoked };
}

/** Ends an OAuth grant at the provider (RFC 7009) where it supports that; answers whether it did. */
async function revokeGrant(ctx: AppContext, integration: Integration): Promise<boolean> {
  const credentials = await readCredentials(ctx.store.db, ctx.vault, integration.tenantId, integration.id).catch(() => null);
  if (!credentials || !isOAuthCredentials(credentials) || !supportsOAuth(integration.provider)) return false;
  const app = await getIntegrationSecret<OAuthApp>(ctx.store.db, ctx.vault, integration.tenantId, integration.id, 'oauth_client');
  if (!app) return false;
  const cfg = oauthProviderConfig(integration.provider, integration.settings);
  let revoked = false;
  // Revoking the refresh token ends the grant (RFC 7009 §2.1); the access token too, for servers that do not cascade.
  if (credentials['refreshToken']) revoked = await revokeToken(cfg, app, credentials['refreshToken'], 'refresh_token');
  if (credentials['accessToken']) revoked = (await revokeToken(cfg, app, credentials['accessToken'], 'access_token')) || revoked;
  return revoked;
}

/** Deletes the credentials and pauses syncs, with the audit entry, inside the caller's transaction. */
async function recordDisconnect(ctx: AppContext, trx: Transaction<Database>, integration: Integration, revoked: boolean): Promise<Integration> {
  const updated = (await updateIntegration(trx, ctx.vault, integration.tenantId, integration.id, {
    credentials: null,
    connection: { status: 'disconnected', detail: `Disconnected by an admin at ${new Date().toISOString()}; credentials deleted${revoked ? ' and the grant revoked' : ''}. Connect it again to resume syncing.` },
    userSync: { ...integration.userSync, enabled: false },
    groupSync: { ...integration.groupSync, enabled: false },
    nextRunAt: null,
  }))!;
  await audit(trx, integration.tenantId, 'integration.disconnected', integration.id, { connection: integration.connection.status, userSync: integration.userSync.enabled }, { connection: 'disconnected', revoked });
  return updated;
}
