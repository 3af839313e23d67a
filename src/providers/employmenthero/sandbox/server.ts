/**
 * The Employment Hero sandbox: the parts of the HR API v1 people sync uses, over real HTTP, with
 * Employment Hero's OAuth 2.0 server and the shared fault knobs.
 *
 * Followed from Employment Hero's API reference (developer.employmenthero.com/api-references):
 * - OAuth 2.0: `GET /oauth2/authorize`, `POST /oauth2/token` (authorization code; refresh tokens
 *   rotate: each refresh answers a new one and the used one dies; reuse revokes the grant). Access
 *   tokens live 15 minutes.
 * - `GET /api/v1/organisations`, `GET /api/v1/organisations/{id}/employees`,
 *   `GET /api/v1/organisations/{id}/teams`, `GET /api/v1/organisations/{id}/teams/{team_id}/employees`:
 *   `{"data": {"items": [...], "page_index", "item_per_page", "total_pages", "total_items"}}`, paged
 *   by `page_index` (1-based) and `item_per_page` (at most 100; `items_per_page` accepted too).
 * Where the reference is silent: errors are `{"error": {"code", "message"}}`; a 403 says the scope
 * the application lacks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiFaults } from '../../../sandbox/shared/api-faults.ts';
import { send, sendJson } from '../../../sandbox/shared/http-server.ts';
import { SandboxOAuth, type SandboxOAuthClient } from '../../../sandbox/shared/oauth-server.ts';
import { gate, positiveParam, SandboxHttpError as HttpError, simpleErrorBody, startPeopleApiServer, rosterInputError } from '../../../sandbox/shared/people-api.ts';
import { EhRoster, type EhEmployee } from './roster.ts';

export interface EmploymentHeroSandboxOptions {
  employees?: number;
  seed?: number;
  port?: number;
  host?: string;
  /** OAuth applications that may connect; default one sandbox client. */
  oauthClients?: SandboxOAuthClient[];
  /** Largest page served (default 100, Employment Hero's maximum). */
  pageSizeMax?: number;
}

export interface EmploymentHeroSandbox {
  url: string;
  port: number;
  roster: EhRoster;
  faults: ApiFaults;
  oauth: SandboxOAuth;
  close(): Promise<void>;
}

export const SANDBOX_CLIENT: SandboxOAuthClient = Object.freeze({ clientId: 'eh-sandbox-client', clientSecret: 'eh-sandbox-secret-0123456789', redirectUris: [] });


export async function startEmploymentHeroSandbox(opts: EmploymentHeroSandboxOptions = {}): Promise<EmploymentHeroSandbox> {
  const roster = new EhRoster({ employees: opts.employees ?? 120, seed: opts.seed ?? 1 });
  const faults = new ApiFaults('Too many requests; slow down.', 1);
  const oauth = new SandboxOAuth(opts.oauthClients ?? [SANDBOX_CLIENT], { paths: { authorize: '/oauth2/authorize', token: '/oauth2/token' }, name: 'Employment Hero', refreshScope: null });
  oauth.accessTokenSeconds = 15 * 60;
  const pageSizeMax = Math.min(100, opts.pageSizeMax ?? 100);
  const started = await startPeopleApiServer({
    listen: opts,
    oauth,
    faults,
    roster,
    errorBody: simpleErrorBody,
    state: (url) => ({ url, organisations: roster.organisations }),
    inputError: rosterInputError,
    api: (req, res, url, path) => api(req, res, url, path),
  });

  function api(req: IncomingMessage, res: ServerResponse, url: URL, path: string): void {
    if (!path.startsWith('/api/v1/')) throw new HttpError(404, `Not found: ${path}`);
    if (gate(req, res, { faults, oauth, forbiddenMessage: 'The application lacks the scope urn:mainapp:employees:read', truncatedBody: '{"data":{"items":[{"id":"', errorBody: simpleErrorBody })) return;
    if ((req.method ?? 'GET') !== 'GET') throw new HttpError(405, `Use GET for ${path}`);

    const parts = path.split('/').filter(Boolean).slice(2); // after api/v1
    if (parts[0] !== 'organisations') throw new HttpError(404, `No such endpoint: ${path}`);
    if (parts.length === 1) return paged(res, url, roster.organisations.map((o) => ({ id: o.id, name: o.name, country: o.country })), false);
    const org = roster.organisation(decodeURIComponent(parts[1] ?? ''));
    if (!org) throw new HttpError(404, `No organisation ${parts[1] ?? ''}`);
    if (parts[2] === 'employees' && parts.length === 3) return paged(res, url, roster.list(org.id).map((e) => present(e)), true, org.id === roster.organisations[0]!.id);
    if (parts[2] === 'teams' && parts.length === 3) return paged(res, url, roster.teamsOf(org.id).map((t) => ({ id: t.id, name: t.name, status: 'active' })), false);
    if (parts[2] === 'teams' && parts[4] === 'employees' && parts.length === 5) {
      const team = roster.team(decodeURIComponent(parts[3] ?? ''));
      if (!team || team.organisationId !== org.id) throw new HttpError(404, `No team ${parts[3] ?? ''}`);
      return paged(res, url, roster.membersOf(team.id).map((e) => ({ id: e.id, first_name: e.first_name, last_name: e.last_name })), false);
    }
    throw new HttpError(404, `No such endpoint: ${path}`);
  }

  function present(e: EhEmployee): Record<string, unknown> {
    const { organisationId: _o, personKey: _k, teams: _t, ...rest } = e;
    return rest;
  }

  /** One page of a list; `people` lists are the ones faults on pages and records apply to. */
  function paged(res: ServerResponse, url: URL, items: readonly Record<string, unknown>[], people: boolean, firstOrganisation = false): void {
    const pageIndex = positiveParam(url.searchParams.get('page_index'), 'page_index', 1);
    const size = Math.min(pageSizeMax, positiveParam(url.searchParams.get('item_per_page') ?? url.searchParams.get('items_per_page'), 'item_per_page', 20));
    if (people) {
      const failed = faults.takeFailPage(pageIndex);
      if (failed && !failed.malformed) throw new HttpError(failed.status, `Simulated failure of page ${pageIndex}`);
      if (failed?.malformed) return send(res, 200, `{"data":{"items":[${JSON.stringify(items[0] ?? {}).slice(0, 20)}`, 'application/json; charset=utf-8');
    }
    const list = firstOrganisation && faults.malformedRecord ? [{ first_name: 'Broken', last_name: 'Record' }, ...items] : [...items];
    const totalPages = Math.max(1, Math.ceil(list.length / size));
    sendJson(res, 200, { data: { items: list.slice((pageIndex - 1) * size, pageIndex * size), page_index: pageIndex, item_per_page: size, total_pages: totalPages, total_items: list.length } });
  }

  return { url: started.url, port: started.port, roster, faults, oauth, close: started.close };
}
