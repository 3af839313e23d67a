/**
 * The Microsoft Entra ID sandbox: Microsoft Graph v1.0 for users and groups
 * (`shared/specs/msgraph-v1-users-groups.yaml`) and the identity platform's token endpoint, over
 * real HTTP on one host, with seeded data, a control surface under `/_sandbox/...` and fault knobs.
 *
 *   POST /{tenant}/oauth2/v2.0/token                  client credentials (oauth.ts)
 *   GET  /v1.0/users                                  user_ListUser: $select, $top (≤ 999), $expand=manager, @odata.nextLink
 *   GET  /v1.0/users/{user-id}                        user_GetUser
 *   GET  /v1.0/users/{user-id}/manager                user_GetManager
 *   GET  /v1.0/users/delta                            user_delta (also `/users/delta()` and `/users/microsoft.graph.delta()`)
 *   GET  /v1.0/groups                                 group_ListGroup
 *   GET  /v1.0/groups/{group-id}                      group_GetGroup
 *   GET  /v1.0/groups/{group-id}/members              group_ListMember (direct)
 *   GET  /v1.0/groups/{group-id}/transitiveMembers    group_ListTransitiveMember (flat, nested included)
 *
 * Delta (learn.microsoft.com/graph/delta-query-overview and /graph/api/user-delta): a round of
 * `@odata.nextLink` pages ends with an `@odata.deltaLink`; the next round returns the users whose
 * selected properties changed, with every selected property (the default, not `Prefer:
 * return=minimal`), removed users as `{id, "@removed": {"reason": "changed" | "deleted"}}`, and
 * manager changes as `manager@delta` when `manager` is selected. `$expand` and `$top` are not
 * supported on user delta. `$deltaToken=latest` answers a deltaLink and no data. Tokens live seven
 * days; an expired one (or one from before a synchronization reset) answers `410 Gone` with
 * `syncStateNotFound` and a `Location` to start over.
 *
 * Errors are `microsoft.graph.ODataErrors.ODataError`: `{"error": {"code", "message", "innerError"}}`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiFaultError, ApiFaults, type ApiFaultSpec } from '../../../sandbox/shared/api-faults.ts';
import { ControlError, controlBody, controlParts, handleFaultControl } from '../../../sandbox/shared/control.ts';
import { logAndDelay, noteItems, readBody, requestPath, send, sendJson, sendNoContent, startHttpServer } from '../../../sandbox/shared/http-server.ts';
import { ENTRA_USER_PROPERTIES, EntraDirectory, EntraDirectoryError, type EntraGroup, type EntraUser, type EntraUserInput, type UserChange } from './directory.ts';
import { EntraTokenError, EntraTokenServer, type EntraAccessGrant, type EntraApp } from './oauth.ts';

/** The application permissions a sync needs (learn.microsoft.com/graph/permissions-reference). */
export const ENTRA_SYNC_ROLES = ['User.Read.All', 'GroupMember.Read.All', 'User-LifeCycleInfo.Read.All'] as const;

/** Per operation, the application permissions the Graph reference lists (least to most privileged). */
const READ_USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const READ_LIFECYCLE = ['User-LifeCycleInfo.Read.All', 'User-LifeCycleInfo.ReadWrite.All'];
const READ_GROUPS = ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

/** What `/users` returns without `$select` (the user resource's "Returned by default" properties). */
const DEFAULT_USER_SELECT = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];
const GROUP_PROPERTIES = ['id', 'displayName', 'description', 'mail', 'mailEnabled', 'mailNickname', 'securityEnabled', 'groupTypes', 'membershipRule', 'membershipRuleProcessingState', 'createdDateTime', 'proxyAddresses', 'deletedDateTime'];
const DELTA_TOKEN_DAYS = 7;

export interface EntraSandboxOptions {
  employees?: number;
  seed?: number;
  port?: number;
  host?: string;
  /** Default `acme.example`. */
  domain?: string;
  /** Default a fixed GUID. */
  tenantId?: string;
  /** Apps that may get tokens (default one with the sync's read permissions). */
  apps?: EntraApp[];
  /** Users per `/users/delta` page (Graph chooses; default 100). */
  deltaPageSize?: number;
  /**
   * Largest page `/users` answers whatever `$top` asks (default 999, the documented maximum); Graph
   * may answer fewer than `$top` (learn.microsoft.com/graph/paging), so small values test paging.
   */
  usersPageSize?: number;
  /** Guests, resource accounts and the like besides the seeded people (default true). */
  ownAccounts?: boolean;
  now?: () => Date;
}

export interface EntraSandbox {
  readonly url: string;
  readonly port: number;
  readonly tenantId: string;
  readonly directory: EntraDirectory;
  readonly faults: ApiFaults;
  readonly tokens: EntraTokenServer;
  /** The default app (client id and secret). */
  readonly app: EntraApp;
  close(): Promise<void>;
}

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendGraphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = randomUUID();
  sendJson(res, status, { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': requestId } } }, { 'request-id': requestId, ...headers });
}

interface State {
  readonly directory: EntraDirectory;
  readonly faults: ApiFaults;
  readonly tokens: EntraTokenServer;
  readonly deltaPageSize: number;
  readonly usersPageSize: number;
  readonly now: () => Date;
  url: string;
}

export async function startEntraSandbox(opts: EntraSandboxOptions = {}): Promise<EntraSandbox> {
  const employees = opts.employees ?? 200;
  if (!Number.isInteger(employees) || employees < 0) throw new RangeError('employees must be a whole number ≥ 0');
  const now = opts.now ?? (() => new Date());
  const tenantId = opts.tenantId ?? '7a1c0ffe-5eed-4a11-9c0d-acme00000001';
  const directory = new EntraDirectory({ employees, seed: opts.seed ?? 1, domain: opts.domain ?? 'acme.example', tenantId, now, ...(opts.ownAccounts === false ? { ownAccounts: false } : {}) });
  const faults = new ApiFaults('Too many requests. Wait the number of seconds in Retry-After, then retry.', 1);
  const tokens = new EntraTokenServer(
    (t) => [directory.tenantId, directory.domain, directory.tenantDomain].includes(t.toLowerCase()),
    (key) => faults.isRevoked(key),
    () => now().getTime(),
  );
  const apps = opts.apps ?? [{ clientId: '0d5ea1c2-aaaa-4bbb-8ccc-5a0d0b0c0e01', clientSecret: 'sandbox~secret.0123456789', displayName: 'ReFresh People Sync', roles: [...ENTRA_SYNC_ROLES] }];
  for (const app of apps) tokens.apps.set(app.clientId, app);
  const state: State = { directory, faults, tokens, deltaPageSize: opts.deltaPageSize ?? 100, usersPageSize: opts.usersPageSize ?? 999, now, url: '' };
  const started = await startHttpServer(opts, (req, res) => handle(req, res, state), (res, message) => sendGraphError(res, 500, 'generalException', message));
  state.url = started.url;
  return { url: started.url, port: started.port, tenantId, directory, faults, tokens, app: apps[0]!, close: started.close };
}

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
const DELTA_PATH = /^\/v1\.0\/users\/(?:delta(?:\(\))?|microsoft\.graph\.delta\(\))$/;

async function handle(req: IncomingMessage, res: ServerResponse, state: State): Promise<void> {
  const { url, path } = requestPath(req);
  const method = req.method ?? 'GET';
  if (path === '/_sandbox' || path.startsWith('/_sandbox/')) return handleControl(req, res, path, state);
  if (path === '/' && method === 'GET') {
    sendJson(res, 200, { name: 'ReFresh Microsoft Entra ID sandbox', graph: `${state.url}/v1.0`, token: `${state.url}/${state.directory.tenantId}/oauth2/v2.0/token`, control: `${state.url}/_sandbox/state` });
    return;
  }
  const { faults } = state;
  await logAndDelay(req, res, url, faults.slowMs, (entry) => faults.record(entry));

  const token = TOKEN_PATH.exec(path);
  if (token) return handleToken(req, res, decodeURIComponent(token[1]!), state);
  if (!path.startsWith('/v1.0/')) return sendGraphError(res, 404, 'BadRequest', `Resource not found for the segment '${path.split('/')[1] ?? ''}'.`);

  const fired = faults.take();
  if (fired) {
    if (fired.kind === 'malformed') return send(res, 200, '{"@odata.context":"$metadata#users","value":[{"id":"1', 'application/json;odata.metadata=minimal');
    const code = fired.kind === 'rateLimit' ? 'TooManyRequests' : fired.status === 503 ? 'serviceNotAvailable' : 'generalException';
    return sendGraphError(res, fired.status, code, fired.kind === 'rateLimit' ? fired.message : 'The service is temporarily unavailable. You may repeat the request after a delay.', fired.headers);
  }
  try {
    if (method !== 'GET') throw new GraphError(405, 'Request_BadRequest', `The sandbox serves Graph read-only; ${method} is not allowed.`);
    const grant = authenticate(req, state);
    // The `forbidden` knob: the app's consented permissions do not cover the call.
    if (faults.forbidden) throw new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const q = odata(url.searchParams);
    let m: RegExpExecArray | null;
    /** A collection page, its item count noted in the request log. */
    const page = (body: Record<string, unknown>): void => {
      if (Array.isArray(body['value'])) noteItems(res, body['value'].length);
      sendJson(res, 200, body);
    };
    if (path === '/v1.0/users') {
      const body = listUsers(q, state, grant, url);
      // A page cut off mid-way (the failPage knob's `malformed`): a transient fault clients retry.
      if (body === TRUNCATED) return send(res, 200, '{"@odata.context":"$metadata#users","value":[{"id":"1', 'application/json;odata.metadata=minimal');
      return page(body);
    }
    if (DELTA_PATH.test(path)) return page(userDelta(q, state, grant));
    if ((m = /^\/v1\.0\/users\/([^/]+)\/manager$/.exec(path))) return sendJson(res, 200, getManager(decodeURIComponent(m[1]!), q, state, grant));
    if ((m = /^\/v1\.0\/users\/([^/]+)$/.exec(path))) return sendJson(res, 200, getUser(decodeURIComponent(m[1]!), q, state, grant));
    if (path === '/v1.0/groups') return page(listGroups(q, state, grant, url));
    if ((m = /^\/v1\.0\/groups\/([^/]+)$/.exec(path))) return sendJson(res, 200, { '@odata.context': `${state.url}/v1.0/$metadata#groups/$entity`, ...renderGroup(requireGroup(decodeURIComponent(m[1]!), state, grant), q.select) });
    if ((m = /^\/v1\.0\/groups\/([^/]+)\/(members|transitiveMembers)$/.exec(path))) return page(listMembers(decodeURIComponent(m[1]!), m[2] === 'transitiveMembers', q, state, grant, url));
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`);
  } catch (error) {
    if (error instanceof GraphError) return sendGraphError(res, error.status, error.code, error.message, error.headers);
    throw error;
  }
}

// ─────────────── auth and permissions ───────────────

function authenticate(req: IncomingMessage, state: State): EntraAccessGrant {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', { 'WWW-Authenticate': 'Bearer' });
  const grant = state.tokens.check(m[1]!);
  if (grant === 'expired') throw new GraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  if (grant === 'unknown') throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  return grant;
}

/** Graph answers a missing application permission with 403 `Authorization_RequestDenied`. */
function requireRole(grant: EntraAccessGrant, anyOf: readonly string[]): void {
  if (!anyOf.some((r) => grant.roles.has(r))) throw new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

function requireUserRead(grant: EntraAccessGrant, select: readonly string[] | null): void {
  requireRole(grant, READ_USERS);
  if (select?.includes('employeeLeaveDateTime')) requireRole(grant, READ_LIFECYCLE);
}

// ─────────────── OData query options ───────────────

interface OData {
  readonly select: string[] | null;
  readonly top: string | null;
  readonly expand: string | null;
  readonly skiptoken: string | null;
  readonly deltatoken: string | null;
}

/** Query options, with or without the `$` (Graph v1.0 accepts both), case-insensitively. */
function odata(params: URLSearchParams): OData {
  const get = (name: string): string | null => {
    for (const [k, v] of params) if (k.replace(/^\$/, '').toLowerCase() === name) return v;
    return null;
  };
  for (const unsupported of ['filter', 'search', 'orderby']) {
    if (get(unsupported) !== null) throw new GraphError(400, 'Request_UnsupportedQuery', `The sandbox supports no $${unsupported}.`);
  }
  const select = get('select');
  return {
    select: select === null ? null : select.split(',').map((s) => s.trim()).filter(Boolean),
    top: get('top'),
    expand: get('expand'),
    skiptoken: get('skiptoken'),
    deltatoken: get('deltatoken'),
  };
}

function checkSelect(select: readonly string[] | null, allowed: readonly string[], type: string): void {
  for (const p of select ?? []) if (!allowed.includes(p)) throw new GraphError(400, 'Request_BadRequest', `Could not find a property named '${p}' on type 'microsoft.graph.${type}'.`);
}

function topOf(q: OData): number {
  if (q.top === null) return 100;
  const n = Number(q.top);
  if (!/^\d+$/.test(q.top) || n < 1 || n > 999) throw new GraphError(400, 'Request_BadRequest', `Invalid page size specified: '${q.top}'. Must be between 1 and 999 inclusive.`);
  return n;
}

/** `manager` or `manager($select=id,displayName)`; anything else is not served. */
function managerExpand(q: OData): { select: string[] | null } | null {
  if (q.expand === null) return null;
  const m = /^manager(?:\(\$?select=([^)]*)\))?$/i.exec(q.expand.trim());
  if (!m) throw new GraphError(400, 'Request_BadRequest', `Expanding '${q.expand}' is not supported by the sandbox; use $expand=manager.`);
  return { select: m[1] ? m[1].split(',').map((s) => s.trim()) : null };
}

interface Skip {
  readonly f: string;
  readonly after: string;
  /** Pages served so far. */
  readonly p: number;
}

function readSkip(q: OData, fingerprint: string): Skip | null {
  if (q.skiptoken === null) return null;
  try {
    const s = JSON.parse(Buffer.from(q.skiptoken, 'base64url').toString('utf8')) as Skip;
    if (s.f === fingerprint && typeof s.after === 'string' && Number.isInteger(s.p)) return s;
  } catch {
    /* falls through */
  }
  throw new GraphError(400, 'Request_BadRequest', 'Invalid skip token.');
}

/** The next link: the request URL with its `$skiptoken` replaced (Graph keeps the other options). */
function nextLink(state: State, url: URL, fingerprint: string, after: string, pageNumber: number): string {
  const next = new URL(`${state.url}${url.pathname}`);
  for (const [k, v] of url.searchParams) if (k.replace(/^\$/, '').toLowerCase() !== 'skiptoken') next.searchParams.append(k, v);
  next.searchParams.set('$skiptoken', Buffer.from(JSON.stringify({ f: fingerprint, after, p: pageNumber } satisfies Skip)).toString('base64url'));
  return next.toString();
}

/** One page by id after the skip token; the fault knobs may shorten or break it. */
function page<T extends { id: string }>(items: readonly T[], q: OData, fingerprint: string, size: number, state: State): { items: T[]; more: boolean; number: number } {
  const skip = readSkip(q, fingerprint);
  const rest = skip === null ? items : items.filter((i) => i.id > skip.after);
  const take = state.faults.shortPages && size > 1 ? Math.max(1, Math.ceil(size * 0.7)) : size;
  const out = rest.slice(0, take);
  return { items: out, more: rest.length > out.length, number: (skip?.p ?? 0) + 1 };
}

// ─────────────── users ───────────────

function userValue(u: EntraUser, prop: string): unknown {
  if (prop === 'employeeOrgData') return u.division === null && u.costCenter === null ? null : { division: u.division, costCenter: u.costCenter };
  if (prop === 'preferredLanguage') return null;
  if (prop === 'otherMails') return [];
  return (u as unknown as Record<string, unknown>)[prop] ?? null;
}

function renderUser(u: EntraUser, select: readonly string[] | null, omitUnset = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select ?? DEFAULT_USER_SELECT) {
    if (p === 'manager') continue;
    const v = userValue(u, p);
    if (omitUnset && (v === null || (Array.isArray(v) && v.length === 0))) continue;
    out[p] = v;
  }
  out['id'] = u.id;
  return out;
}

function withManager(out: Record<string, unknown>, u: EntraUser, expand: { select: string[] | null } | null, state: State): Record<string, unknown> {
  if (!expand || !u.managerId) return out;
  const manager = state.directory.liveUser(u.managerId);
  if (manager) out['manager'] = { '@odata.type': '#microsoft.graph.user', ...renderUser(manager, expand.select) };
  return out;
}

const TRUNCATED = Symbol('truncated');

function listUsers(q: OData, state: State, grant: EntraAccessGrant, url: URL): Record<string, unknown> | typeof TRUNCATED {
  checkSelect(q.select, ENTRA_USER_PROPERTIES, 'user');
  requireUserRead(grant, q.select);
  const expand = managerExpand(q);
  const size = Math.min(topOf(q), state.usersPageSize);
  const fingerprint = `users|${(q.select ?? []).join(',')}|${q.expand ?? ''}|${size}`;
  const { items, more, number } = page(state.directory.liveUsers(), q, fingerprint, size, state);
  const fail = state.faults.takeFailPage(number);
  if (fail && !fail.malformed) throw new GraphError(fail.status, fail.status >= 500 ? 'serviceNotAvailable' : 'BadRequest', 'The service is temporarily unavailable.');
  if (fail?.malformed) return TRUNCATED;
  const value = items.map((u) => withManager(renderUser(u, q.select), u, expand, state));
  // The malformedRecord knob: one entry on the first page that is no user (it has no id).
  if (state.faults.malformedRecord && number === 1) value.unshift({ displayName: 'Not a user', accountEnabled: true });
  return {
    '@odata.context': `${state.url}/v1.0/$metadata#users`,
    value,
    ...(more ? { '@odata.nextLink': nextLink(state, url, fingerprint, items[items.length - 1]!.id, number) } : {}),
  };
}

function getUser(key: string, q: OData, state: State, grant: EntraAccessGrant): Record<string, unknown> {
  checkSelect(q.select, ENTRA_USER_PROPERTIES, 'user');
  requireUserRead(grant, q.select);
  const u = state.directory.liveUser(key);
  if (!u) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
  return { '@odata.context': `${state.url}/v1.0/$metadata#users/$entity`, ...withManager(renderUser(u, q.select), u, managerExpand(q), state) };
}

function getManager(key: string, q: OData, state: State, grant: EntraAccessGrant): Record<string, unknown> {
  requireUserRead(grant, q.select);
  const u = state.directory.liveUser(key);
  const manager = u?.managerId ? state.directory.liveUser(u.managerId) : undefined;
  if (!u || !manager) throw new GraphError(404, 'Request_ResourceNotFound', `Resource 'manager' does not exist or one of its queried reference-property objects are not present.`);
  return { '@odata.context': `${state.url}/v1.0/$metadata#directoryObjects/$entity`, '@odata.type': '#microsoft.graph.user', ...renderUser(manager, q.select) };
}

// ─────────────── delta ───────────────

/**
 * A state token (opaque to clients): the round's kind, the change sequence it covers, what is
 * selected, the epoch (a synchronization reset bumps it) and when the round started.
 */
interface DeltaState {
  /** `i`: initial round, `c`: changes since `from`. */
  readonly k: 'i' | 'c';
  readonly from: number;
  readonly to: number;
  readonly sel: string[] | null;
  readonly e: number;
  readonly t: number;
  /** Last id served in this round. */
  readonly after: string;
  /** Pages served in this round. */
  readonly n: number;
}

const encode = (s: DeltaState): string => Buffer.from(JSON.stringify(s)).toString('base64url');

function decode(token: string): DeltaState {
  try {
    const s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as DeltaState;
    if ((s.k === 'i' || s.k === 'c') && Number.isInteger(s.to) && Number.isInteger(s.e)) return s;
  } catch {
    /* falls through */
  }
  throw new GraphError(400, 'Request_BadRequest', 'Badly formed token.');
}

function userDelta(q: OData, state: State, grant: EntraAccessGrant): Record<string, unknown> {
  const { directory } = state;
  const nowMs = state.now().getTime();
  if (q.top !== null || q.expand !== null) throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported query: $top and $expand are not supported on user delta; select manager to track manager changes.');
  let round: DeltaState;
  if (q.deltatoken === 'latest') {
    checkSelect(q.select, [...ENTRA_USER_PROPERTIES, 'manager'], 'user');
    requireUserRead(grant, q.select);
    return deltaPage(state, [], { k: 'c', from: directory.seq, to: directory.seq, sel: q.select, e: directory.deltaEpoch, t: nowMs, after: '', n: 0 }, false);
  }
  if (q.deltatoken !== null || q.skiptoken !== null) {
    const s = decode((q.deltatoken ?? q.skiptoken)!);
    if (s.e !== directory.deltaEpoch || nowMs - s.t > DELTA_TOKEN_DAYS * 86_400_000) {
      throw new GraphError(410, 'syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.', { Location: `${state.url}/v1.0/users/delta` });
    }
    // A deltaLink starts a new round over the changes since it was issued.
    round = q.deltatoken !== null ? { k: 'c', from: s.to, to: directory.seq, sel: s.sel, e: s.e, t: nowMs, after: '', n: 0 } : s;
  } else {
    checkSelect(q.select, [...ENTRA_USER_PROPERTIES, 'manager'], 'user');
    round = { k: 'i', from: 0, to: directory.seq, sel: q.select, e: directory.deltaEpoch, t: nowMs, after: '', n: 0 };
  }
  requireUserRead(grant, round.sel);

  const rows = round.k === 'i' ? initialRows(state, round) : changeRows(state, round);
  const rest = rows.filter((r) => (r['id'] as string) > round.after);
  const size = state.faults.shortPages ? Math.max(1, Math.ceil(state.deltaPageSize * 0.7)) : state.deltaPageSize;
  const out = rest.slice(0, size);
  const fail = state.faults.takeFailPage(round.n + 1);
  if (fail && !fail.malformed) throw new GraphError(fail.status, 'serviceNotAvailable', 'The service is temporarily unavailable.');
  if (fail?.malformed) return { '@odata.context': `${state.url}/v1.0/$metadata#users`, value: [{ id: null, '@removed': 'yes' }], '@odata.nextLink': 'not a link' };
  const more = rest.length > out.length;
  return deltaPage(state, out, { ...round, after: more ? (out[out.length - 1]!['id'] as string) : '', n: round.n + 1 }, more);
}

function deltaPage(state: State, value: Record<string, unknown>[], next: DeltaState, more: boolean): Record<string, unknown> {
  const link = more
    ? { '@odata.nextLink': `${state.url}/v1.0/users/delta?$skiptoken=${encode(next)}` }
    : { '@odata.deltaLink': `${state.url}/v1.0/users/delta?$deltatoken=${encode({ ...next, k: 'c', from: next.to, after: '', n: 0 })}` };
  return { '@odata.context': `${state.url}/v1.0/$metadata#users`, value, ...link };
}

const managerDelta = (id: string, removed = false): Record<string, unknown> => ({ '@odata.type': '#microsoft.graph.user', id, ...(removed ? { '@removed': { reason: 'deleted' } } : {}) });

/** Every live user, as of now, with the selected properties ("never set" ones left out). */
function initialRows(state: State, round: DeltaState): Record<string, unknown>[] {
  const tracksManager = round.sel === null || round.sel.includes('manager');
  return state.directory.liveUsers().map((u) => {
    const row = renderUser(u, round.sel, true);
    if (tracksManager && u.managerId && round.sel !== null) row['manager@delta'] = [managerDelta(u.managerId)];
    return row;
  });
}

/** Users whose tracked properties changed in (from, to], once each, by id. */
function changeRows(state: State, round: DeltaState): Record<string, unknown>[] {
  const tracked = (c: UserChange): boolean => c.kind !== 'updated' || round.sel === null || [...c.props].some((p) => round.sel!.includes(p));
  const byUser = new Map<string, UserChange[]>();
  for (const c of state.directory.changesBetween(round.from, round.to)) {
    if (!tracked(c)) continue;
    const list = byUser.get(c.userId) ?? [];
    list.push(c);
    byUser.set(c.userId, list);
  }
  const tracksManager = round.sel !== null && round.sel.includes('manager');
  const rows: Record<string, unknown>[] = [];
  for (const [id, changes] of [...byUser].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const u = state.directory.user(id);
    if (!u) {
      rows.push({ id, '@removed': { reason: 'deleted' } });
      continue;
    }
    if (u.deletedDateTime !== null) {
      rows.push({ id, '@removed': { reason: 'changed' } });
      continue;
    }
    const row = renderUser(u, round.sel, true);
    const managerChange = changes.filter((c) => c.props.has('manager') || c.kind === 'created' || c.kind === 'restored').pop();
    if (tracksManager && managerChange) {
      if (u.managerId) row['manager@delta'] = [managerDelta(u.managerId)];
      else if (managerChange.oldManagerId) row['manager@delta'] = [managerDelta(managerChange.oldManagerId, true)];
    }
    rows.push(row);
  }
  return rows;
}

// ─────────────── groups ───────────────

function renderGroup(g: EntraGroup, select: readonly string[] | null): Record<string, unknown> {
  const values: Record<string, unknown> = {
    id: g.id,
    displayName: g.displayName,
    description: g.description,
    mail: g.mail,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname,
    securityEnabled: g.securityEnabled,
    groupTypes: [...g.groupTypes],
    membershipRule: g.membershipRule,
    membershipRuleProcessingState: g.membershipRule ? 'On' : null,
    createdDateTime: g.createdDateTime,
    proxyAddresses: g.mail ? [`SMTP:${g.mail}`] : [],
    deletedDateTime: null,
  };
  const out: Record<string, unknown> = {};
  for (const p of select ?? GROUP_PROPERTIES) if (p in values) out[p] = values[p];
  out['id'] = g.id;
  return out;
}

function requireGroup(id: string, state: State, grant: EntraAccessGrant): EntraGroup {
  requireRole(grant, READ_GROUPS);
  const g = state.directory.group(id);
  if (!g || g.id !== id.toLowerCase()) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  return g;
}

function listGroups(q: OData, state: State, grant: EntraAccessGrant, url: URL): Record<string, unknown> {
  requireRole(grant, READ_GROUPS);
  checkSelect(q.select, GROUP_PROPERTIES, 'group');
  const size = topOf(q);
  const fingerprint = `groups|${(q.select ?? []).join(',')}|${size}`;
  const { items, more, number } = page(state.directory.allGroups(), q, fingerprint, size, state);
  return {
    '@odata.context': `${state.url}/v1.0/$metadata#groups`,
    value: items.map((g) => renderGroup(g, q.select)),
    ...(more ? { '@odata.nextLink': nextLink(state, url, fingerprint, items[items.length - 1]!.id, number) } : {}),
  };
}

function renderMember(id: string, select: readonly string[] | null, state: State): Record<string, unknown> | null {
  const { directory } = state;
  const kind = directory.kindOf(id);
  if (kind === 'user') {
    const u = directory.liveUser(id);
    return u ? { '@odata.type': '#microsoft.graph.user', ...renderUser(u, select?.filter((p) => (ENTRA_USER_PROPERTIES as readonly string[]).includes(p)) ?? null) } : null;
  }
  if (kind === 'group') {
    const g = directory.group(id)!;
    return { '@odata.type': '#microsoft.graph.group', ...renderGroup(g, select?.filter((p) => GROUP_PROPERTIES.includes(p)) ?? null) };
  }
  if (kind === 'servicePrincipal') {
    const sp = directory.principal(id)!;
    return { '@odata.type': '#microsoft.graph.servicePrincipal', id: sp.id, ...(select === null || select.includes('displayName') ? { displayName: sp.displayName } : {}), ...(select === null || select.includes('appId') ? { appId: sp.appId } : {}) };
  }
  return null;
}

function listMembers(groupId: string, transitive: boolean, q: OData, state: State, grant: EntraAccessGrant, url: URL): Record<string, unknown> {
  const group = requireGroup(groupId, state, grant);
  const size = topOf(q);
  const ids = (transitive ? state.directory.transitiveMembers(group) : state.directory.directMembers(group)).sort();
  const fingerprint = `${group.id}|${transitive}|${(q.select ?? []).join(',')}|${size}`;
  const { items, more, number } = page(ids.map((id) => ({ id })), q, fingerprint, size, state);
  return {
    '@odata.context': `${state.url}/v1.0/$metadata#directoryObjects`,
    value: items.map((i) => renderMember(i.id, q.select, state)).filter((x) => x !== null),
    ...(more ? { '@odata.nextLink': nextLink(state, url, fingerprint, items[items.length - 1]!.id, number) } : {}),
  };
}

// ─────────────── token endpoint ───────────────

async function handleToken(req: IncomingMessage, res: ServerResponse, tenant: string, state: State): Promise<void> {
  try {
    if (req.method !== 'POST') throw new EntraTokenError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    const text = await readBody(req, (status, message) => new EntraTokenError(status, 'invalid_request', 900144, message));
    sendJson(res, 200, state.tokens.token(tenant, new URLSearchParams(text)), { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
  } catch (error) {
    if (!(error instanceof EntraTokenError)) throw error;
    sendJson(res, error.status, error.toJSON(), { 'Cache-Control': 'no-store, no-cache' });
  }
}

// ─────────────── control surface (not part of Graph) ───────────────

async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, state: State): Promise<void> {
  const { directory, faults, tokens } = state;
  const method = req.method ?? 'GET';
  const parts = controlParts(path, true);
  const [resource, id, action] = parts;
  try {
    if (resource === 'state' && parts.length === 1 && method === 'GET') {
      const users = directory.liveUsers();
      return sendJson(res, 200, {
        url: state.url,
        tenantId: directory.tenantId,
        users: { total: users.length, enabled: users.filter((u) => u.accountEnabled).length, guests: users.filter((u) => u.userType === 'Guest').length },
        groups: directory.allGroups().length,
        changes: directory.seq,
        tokensIssued: tokens.issued,
        faults: faults.active,
        requests: faults.requests.length,
      });
    }
    if (resource === 'credentials' && parts.length === 1 && method === 'GET') {
      const app = [...tokens.apps.values()][0]!;
      return sendJson(res, 200, { tenantId: directory.tenantId, clientId: app.clientId, clientSecret: app.clientSecret, roles: app.roles });
    }
    if (resource === 'users') {
      if (id === undefined && method === 'POST') return sendJson(res, 201, directory.addUser((await controlBody(req)) as EntraUserInput));
      if (id === undefined && method === 'GET') return sendJson(res, 200, { users: directory.liveUsers() });
      if (id !== undefined && action === undefined && method === 'PATCH') return sendJson(res, 200, directory.updateUser(id, (await controlBody(req)) as EntraUserInput));
      if (id !== undefined && action === undefined && method === 'DELETE') return sendJson(res, 200, directory.deleteUser(id));
      if (id !== undefined && action === 'restore' && method === 'POST') return sendJson(res, 200, directory.restoreUser(id));
      if (id !== undefined && action === 'purge' && method === 'POST') {
        directory.purgeUser(id);
        return sendNoContent(res);
      }
    }
    if (resource === 'groups') {
      if (id === undefined && method === 'POST') {
        const b = (await controlBody(req));
        if (typeof b['displayName'] !== 'string') throw new ControlError(400, 'expected {"displayName": "…"}');
        return sendJson(res, 201, directory.addGroup(b as { displayName: string }));
      }
      if (id !== undefined && action === undefined && method === 'PATCH') return sendJson(res, 200, directory.updateGroup(id, (await controlBody(req)) as { displayName?: string }));
      if (id !== undefined && action === undefined && method === 'DELETE') {
        directory.deleteGroup(id);
        return sendNoContent(res);
      }
      if (id !== undefined && action === 'members' && method === 'POST') {
        const b = (await controlBody(req));
        if (typeof b['id'] !== 'string') throw new ControlError(400, 'expected {"id": "user, group or service principal id (or UPN)"}');
        directory.addMember(id, b['id']);
        return sendNoContent(res);
      }
      if (id !== undefined && action === 'members' && method === 'DELETE' && parts[3] !== undefined) {
        directory.removeMember(id, parts[3]);
        return sendNoContent(res);
      }
    }
    if (resource === 'apps' && id !== undefined && action === 'roles' && method === 'POST') {
      const app = tokens.apps.get(id);
      if (!app) throw new ControlError(404, `no app ${id}`);
      const b = (await controlBody(req));
      if (!Array.isArray(b['roles'])) throw new ControlError(400, 'expected {"roles": ["User.Read.All", …]}');
      app.roles = (b['roles'] as unknown[]).map(String);
      return sendJson(res, 200, { clientId: app.clientId, roles: app.roles });
    }
    if (resource === 'delta' && id === 'reset' && method === 'POST') {
      directory.deltaEpoch += 1;
      return sendNoContent(res);
    }
    if (resource === 'oauth' && id === 'expire-access-tokens' && method === 'POST') {
      tokens.expireAccessTokens();
      return sendNoContent(res);
    }
    if (await handleFaultControl({ req, res, method, parts }, faults, async (r) => (await controlBody(r)) as ApiFaultSpec)) return;
    throw new ControlError(404, `No sandbox control endpoint ${method} ${path}`);
  } catch (error) {
    const [status, message] =
      error instanceof ControlError ? [error.status, error.message]
      : error instanceof EntraDirectoryError ? [error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400, error.message]
      : error instanceof ApiFaultError ? [400, error.message]
      : [500, error instanceof Error ? error.message : String(error)];
    sendGraphError(res, status, status === 404 ? 'Request_ResourceNotFound' : status === 400 ? 'Request_BadRequest' : status === 409 ? 'Request_MultipleObjectsWithSameKeyValue' : 'generalException', message);
  }
}
