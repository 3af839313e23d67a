/**
 * The Deel sandbox: `GET /rest/v2/people` (offset paging), the custom-field endpoints, organization
 * tokens and Deel's OAuth 2.0 server, with the shared fault knobs.
 *
 * Followed from Deel's published OpenAPI (letsdeel/deel-api-java-sdk `api/openapi.yaml`):
 * `getPeopleList` (`offset` ≥ 0, `limit` 1–200; answer {data, page {offset, total_rows,
 * items_per_page}}), `getCustomFieldsFromPeople` (`GET /rest/v2/people/custom_fields`),
 * `GetCustomFieldValuesFromWorker` (`GET /rest/v2/people/{worker_id}/custom_fields`), errors as
 * `ApiErrorContainer` ({request, errors: [{message}]}); and the OAuth2 guide: `/oauth2/authorize`,
 * `/oauth2/tokens` with HTTP Basic client authentication, single-use refresh tokens.
 * With `shortPages`, pages hold fewer rows than `limit` (the OpenAPI caps `items_per_page` at 99).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiFaults } from '../../../sandbox/shared/api-faults.ts';
import { send, sendJson } from '../../../sandbox/shared/http-server.ts';
import { SandboxOAuth, type SandboxOAuthClient } from '../../../sandbox/shared/oauth-server.ts';
import { gate, positiveParam, SandboxHttpError as HttpError, startPeopleApiServer, rosterInputError, type ErrorBody } from '../../../sandbox/shared/people-api.ts';
import { DeelRoster } from './roster.ts';

export interface DeelSandboxOptions {
  employees?: number;
  seed?: number;
  port?: number;
  host?: string;
  /** Organization tokens accepted (default one). */
  apiTokens?: string[];
  oauthClients?: SandboxOAuthClient[];
  /** Largest page served (default 100). */
  pageSizeMax?: number;
}

export interface DeelSandbox {
  url: string;
  port: number;
  roster: DeelRoster;
  faults: ApiFaults;
  oauth: SandboxOAuth;
  close(): Promise<void>;
}

export const SANDBOX_TOKEN = 'deel-sandbox-organization-token';
export const DEEL_SANDBOX_CLIENT: SandboxOAuthClient = Object.freeze({ clientId: 'deel-sandbox-client', clientSecret: 'deel-sandbox-secret-0123456789', redirectUris: [] });

const errorBody: ErrorBody = (_status, code, message) => ({ request: { method: 'GET', status: code }, errors: [{ message, path: '' }] });

export async function startDeelSandbox(opts: DeelSandboxOptions = {}): Promise<DeelSandbox> {
  const roster = new DeelRoster({ employees: opts.employees ?? 120, seed: opts.seed ?? 1 });
  const faults = new ApiFaults('Too many requests', 1);
  const oauth = new SandboxOAuth(opts.oauthClients ?? [DEEL_SANDBOX_CLIENT], { paths: { authorize: '/oauth2/authorize', token: '/oauth2/tokens' }, name: 'Deel', refreshScope: null, clientAuth: 'client_secret_basic' });
  oauth.accessTokenSeconds = 30 * 86_400;
  const tokens = opts.apiTokens ?? [SANDBOX_TOKEN];
  const pageSizeMax = Math.min(200, opts.pageSizeMax ?? 100);
  const started = await startPeopleApiServer({
    listen: opts,
    oauth,
    faults,
    roster,
    errorBody,
    state: (url) => ({ url }),
    inputError: rosterInputError,
    api: (req, res, url, path) => api(req, res, url, path),
  });

  function api(req: IncomingMessage, res: ServerResponse, url: URL, path: string): void {
    if (!path.startsWith('/rest/v2/')) throw new HttpError(404, `Not found: ${path}`);
    if (gate(req, res, { faults, oauth, staticTokens: tokens, forbiddenMessage: 'Missing scope: people:read', truncatedBody: '{"data":[{"id":"', errorBody })) return;
    if ((req.method ?? 'GET') !== 'GET') throw new HttpError(405, `Use GET for ${path}`);
    if (path === '/rest/v2/people') return people(res, url);
    if (path === '/rest/v2/people/custom_fields') return sendJson(res, 200, { data: roster.customFields });
    const m = /^\/rest\/v2\/people\/([^/]+)\/custom_fields$/.exec(path);
    if (m) {
      const p = roster.get(decodeURIComponent(m[1] ?? ''));
      if (!p) throw new HttpError(404, `No person ${m[1] ?? ''}`);
      return sendJson(res, 200, { data: Object.entries(p.custom).map(([name, value]) => ({ id: roster.customFields.find((f) => f.name === name)?.id ?? name, name, type: 'text', data: { value } })) });
    }
    throw new HttpError(404, `No such endpoint: ${path}`);
  }

  function people(res: ServerResponse, url: URL): void {
    const offset = positiveParam(url.searchParams.get('offset'), 'offset', 0, 0);
    const limit = Math.min(pageSizeMax, positiveParam(url.searchParams.get('limit'), 'limit', 50));
    const all: Record<string, unknown>[] = roster.list().map((p) => roster.present(p));
    if (faults.malformedRecord) all.unshift({ first_name: 'Broken', last_name: 'Record', emails: [] });
    // Page k (1-based) of this listing is the one starting at offset (k-1)·limit.
    const page = Math.floor(offset / limit) + 1;
    const failed = faults.takeFailPage(page);
    if (failed && !failed.malformed) throw new HttpError(failed.status, `Simulated failure of the page at offset ${offset}`);
    if (failed?.malformed) return send(res, 200, '{"data":[{"id":"cut', 'application/json; charset=utf-8');
    const rows = faults.shortPages ? Math.max(1, Math.floor(limit * 0.7)) : limit;
    const data = all.slice(offset, offset + rows);
    sendJson(res, 200, { data, page: { offset, total_rows: all.length, items_per_page: Math.min(99, rows) } });
  }

  return { url: started.url, port: started.port, roster, faults, oauth, close: started.close };
}
