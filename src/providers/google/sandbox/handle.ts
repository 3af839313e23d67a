/**
 * The Google Workspace sandbox behind the common sandbox handle (src/sandbox/handle.ts), connected
 * with its service account (domain-wide delegation, acting as the sandbox's admin), or by OAuth 2.0. The Directory
 * API has no employment dates: a leaver is a suspended account, a leaver-to-be is not yet one.
 */
import type { ProviderSandbox, SandboxHandle, SandboxPerson } from '../../../sandbox/handle.ts';
import { API_KNOBS, apiFaultSpec } from '../../employmenthero/sandbox/handle.ts';
import { todayUtc } from '../../bamboohr/sandbox/generator.ts';
import type { GoogleUserInput } from './directory.ts';
import { TOKEN_PATH } from './oauth.ts';
import { startGoogleSandbox } from './server.ts';

export function googleUserInput(p: Partial<SandboxPerson>, today = todayUtc(Date.now())): GoogleUserInput {
  return {
    ...(p.email !== undefined ? { primaryEmail: p.email } : {}),
    ...(p.firstName !== undefined ? { givenName: p.firstName } : {}),
    ...(p.lastName !== undefined ? { familyName: p.lastName } : {}),
    ...(p.employeeNumber !== undefined ? { employeeNumber: p.employeeNumber } : {}),
    ...(p.workPhone !== undefined ? { workPhone: p.workPhone } : {}),
    ...(p.terminationDate !== undefined ? { suspended: p.terminationDate !== null && p.terminationDate <= today } : {}),
  };
}

/**
 * The sandbox connected with its service account (the default), or with OAuth 2.0: the sandbox's
 * OAuth client and a refresh token for its admin (imported headlessly when an integration is made),
 * and for the connector alone an access token redeemed from it.
 */
function googleSandboxWith(auth: 'serviceAccount' | 'oauth'): ProviderSandbox {
  return {
    knobs: API_KNOBS,
    async start(options = {}): Promise<SandboxHandle> {
      const sb = await startGoogleSandbox({
        port: options.port ?? 0,
        ...(options.employees !== undefined ? { employees: options.employees } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.pageSize ? { maxUsersPage: options.pageSize } : {}),
      });
      const { directory, serviceAccount } = sb;
      let credentials: Record<string, string>;
      let connectorCredentials: Record<string, string>;
      let revocable: string;
      if (auth === 'oauth') {
        credentials = { clientId: sb.oauthClient.clientId, clientSecret: sb.oauthClient.clientSecret, refreshToken: sb.refreshToken };
        const res = await fetch(`${sb.url}${TOKEN_PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: sb.refreshToken, client_id: sb.oauthClient.clientId, client_secret: sb.oauthClient.clientSecret }).toString(),
        });
        const token = (await res.json()) as { access_token?: string };
        if (!res.ok || !token.access_token) throw new Error(`the Google sandbox refused its own refresh token (${res.status})`);
        connectorCredentials = { authType: 'oauth', accessToken: token.access_token };
        revocable = token.access_token;
      } else {
        credentials = { clientEmail: serviceAccount.clientEmail, privateKey: serviceAccount.privateKey, subject: sb.adminEmail };
        connectorCredentials = credentials;
        revocable = serviceAccount.clientEmail;
      }
      const live = () => directory.allUsers().filter((u) => u.deletionTime === null);
      return {
        provider: 'google',
        url: sb.url,
        connection: { settings: { baseUrl: sb.url, authBaseUrl: sb.url }, credentials },
        connectorCredentials,
        paged: true,
        addPerson: (p) => directory.addUser(googleUserInput(p)).id,
        updatePerson: (id, patch) => void directory.updateUser(id, googleUserInput(patch)),
        terminate: (id, date) => void directory.updateUser(id, googleUserInput({ terminationDate: date })),
        removePerson: (id) => void directory.deleteUser(id),
        // Everyone but the admin the service account acts as (without whom nothing can be read).
        clear: () => {
          for (const u of live()) if (u.primaryEmail !== sb.adminEmail) directory.deleteUser(u.id);
        },
        count: () => live().length,
        fault: (f) => sb.faults.set(apiFaultSpec(f, revocable)),
        clearFaults: () => sb.faults.clear(),
        close: () => sb.close(),
      };
    },
  };
}

export const googleSandbox: ProviderSandbox = googleSandboxWith('serviceAccount');
/** The same sandbox connected by OAuth 2.0 (the conformance kit runs Google by both auth methods). */
export const googleOAuthSandbox: ProviderSandbox = googleSandboxWith('oauth');
