/**
 * The Google Workspace sandbox: Google's Admin SDK Directory API (`admin:directory_v1`, the
 * discovery document in `shared/specs/google-admin-directory-v1.json`) and its OAuth token
 * endpoint over real HTTP on one host, with seeded data, a control surface under `/_sandbox/...`
 * and fault knobs.
 *
 * API (paths as the discovery document's `path`; `rootUrl` `https://admin.googleapis.com/`):
 *   GET admin/directory/v1/users                           directory.users.list
 *   GET admin/directory/v1/users/{userKey}                 directory.users.get
 *   GET admin/directory/v1/groups                          directory.groups.list
 *   GET admin/directory/v1/groups/{groupKey}               directory.groups.get
 *   GET admin/directory/v1/groups/{groupKey}/members       directory.members.list
 *   GET admin/directory/v1/customer/{customerId}/orgunits  directory.orgunits.list
 * plus `POST /token` (oauth2.googleapis.com) and `GET /o/oauth2/v2/auth` (accounts.google.com).
 *
 * Every API call needs a Bearer access token whose scopes include one the discovery document
 * lists for the method (`methods.*.scopes`), acting as an administrator of the customer; errors
 * use Google's JSON error format (cloud.google.com/apis/design/errors, "HTTP mapping"):
 * `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ControlError, controlBody, controlParts, handleFaultControl } from '../../../sandbox/shared/control.ts';
import { logAndDelay, readBody, requestPath, send, sendJson, sendNoContent, startHttpServer } from '../../../sandbox/shared/http-server.ts';
import { GoogleDirectory, GoogleDirectoryError, type GoogleGroup, type GoogleMember, type GoogleOrgUnit, type GoogleUser, type GoogleUserInput, type MemberRole, type MemberType } from './directory.ts';
import { ApiFaultError, ApiFaults, type ApiFaultSpec } from '../../../sandbox/shared/api-faults.ts';
import { AUTHORIZE_PATH, GoogleOAuthServer, newServiceAccount, TOKEN_PATH, TokenError, type AccessGrant, type GoogleOAuthClient, type ServiceAccount } from './oauth.ts';

/** Read-only scopes a sync needs (the discovery document's `auth.oauth2.scopes`). */
export const GOOGLE_READONLY_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
  'https://www.googleapis.com/auth/admin.directory.group.readonly',
  'https://www.googleapis.com/auth/admin.directory.group.member.readonly',
  'https://www.googleapis.com/auth/admin.directory.orgunit.readonly',
] as const;

const SCOPE = 'https://www.googleapis.com/auth/';
/** Per method, the scopes the discovery document accepts (`resources.*.methods.*.scopes`). */
const METHOD_SCOPES = {
  users: ['admin.directory.user', 'admin.directory.user.readonly', 'cloud-platform'],
  groups: ['admin.directory.group', 'admin.directory.group.readonly'],
  members: ['admin.directory.group', 'admin.directory.group.member', 'admin.directory.group.member.readonly', 'admin.directory.group.readonly'],
  orgunits: ['admin.directory.orgunit', 'admin.directory.orgunit.readonly'],
} as const;

export interface GoogleSandboxOptions {
  /** Seeded people (default 200); the same seed and count as a BambooHR sandbox give the same people. */
  employees?: number;
  seed?: number;
  port?: number;
  host?: string;
  /** Default `acme.example`. */
  domain?: string;
  /** Default `C01acme0x`. */
  customerId?: string;
  /** Scopes granted to the service account's client id under "Domain-wide delegation" (default the read-only ones). */
  delegatedScopes?: readonly string[];
  /** OAuth clients (default one: `sandbox-client.apps.googleusercontent.com` / `sandbox-secret`). */
  oauthClients?: GoogleOAuthClient[];
  /** A service account to use instead of a generated one. */
  serviceAccount?: ServiceAccount;
  /** Largest page of users.list (Google: 500). */
  maxUsersPage?: number;
}

export interface GoogleSandbox {
  readonly url: string;
  readonly port: number;
  readonly directory: GoogleDirectory;
  readonly faults: ApiFaults;
  readonly oauth: GoogleOAuthServer;
  /** The service account (its JSON key's `client_email`, `client_id`, `private_key`). */
  readonly serviceAccount: ServiceAccount;
  /** A super admin to act as (`sub`). */
  readonly adminEmail: string;
  /** The default OAuth client and a refresh token it holds for the admin (read-only scopes). */
  readonly oauthClient: GoogleOAuthClient;
  readonly refreshToken: string;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** google.rpc.Code names for HTTP statuses (cloud.google.com/apis/design/errors, "HTTP mapping"). */
const RPC_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL', 501: 'NOT_IMPLEMENTED', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

function sendGoogleError(res: ServerResponse, status: number, message: string, reason: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error = { code: status, message, errors: [{ message, domain: 'global', reason }], status: RPC_STATUS[status] ?? 'UNKNOWN' };
  sendJson(res, status, { error }, headers);
}

interface State {
  readonly directory: GoogleDirectory;
  readonly faults: ApiFaults;
  readonly oauth: GoogleOAuthServer;
  readonly serviceAccount: ServiceAccount;
  readonly adminEmail: string;
  readonly oauthClient: GoogleOAuthClient;
  readonly refreshToken: string;
  readonly maxUsersPage: number;
  url: string;
}

export async function startGoogleSandbox(opts: GoogleSandboxOptions = {}): Promise<GoogleSandbox> {
  const employees = opts.employees ?? 200;
  if (!Number.isInteger(employees) || employees < 0) throw new RangeError('employees must be a whole number ≥ 0');
  const domain = opts.domain ?? 'acme.example';
  const directory = new GoogleDirectory({ employees, seed: opts.seed ?? 1, domain, customerId: opts.customerId ?? 'C01acme0x' });
  // Google sends no Retry-After with its 429s (quota errors): only when a test asks for one.
  const faults = new ApiFaults("Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.", null);
  const adminEmail = `admin@${directory.domain}`;
  const state = { url: '' } as State;
  const oauth = new GoogleOAuthServer(
    () => `${state.url}${TOKEN_PATH}`,
    (email) => {
      const u = directory.liveUser(email);
      return u !== undefined && !u.suspended;
    },
    () => adminEmail,
    (key) => faults.isRevoked(key),
  );
  const serviceAccount = opts.serviceAccount ?? newServiceAccount('refresh-sync@acme-directory.iam.gserviceaccount.com', '104857600000000000001');
  oauth.addServiceAccount(serviceAccount, opts.delegatedScopes ?? GOOGLE_READONLY_SCOPES);
  const clients = opts.oauthClients ?? [{ clientId: 'sandbox-client.apps.googleusercontent.com', clientSecret: 'sandbox-secret', redirectUris: [] }];
  for (const c of clients) oauth.clients.set(c.clientId, c);
  const oauthClient = clients[0]!;
  const refreshToken = oauth.issueRefreshToken(oauthClient.clientId, adminEmail, GOOGLE_READONLY_SCOPES);
  Object.assign(state, { directory, faults, oauth, serviceAccount, adminEmail, oauthClient, refreshToken, maxUsersPage: opts.maxUsersPage ?? 500 });

  const started = await startHttpServer(opts, (req, res) => handle(req, res, state), (res, message) => sendGoogleError(res, 500, message, 'backendError'));
  state.url = started.url;
  return { url: started.url, port: started.port, directory, faults, oauth, serviceAccount, adminEmail, oauthClient, refreshToken, close: started.close };
}

const API_PREFIX = '/admin/directory/v1';

async function handle(req: IncomingMessage, res: ServerResponse, state: State): Promise<void> {
  const { url, path } = requestPath(req);
  const method = req.method ?? 'GET';
  if (path === '/_sandbox' || path.startsWith('/_sandbox/')) return handleControl(req, res, path, state);
  if (path === '/' && method === 'GET') {
    sendJson(res, 200, { name: 'ReFresh Google Workspace sandbox', api: `${state.url}${API_PREFIX}`, token: `${state.url}${TOKEN_PATH}`, control: `${state.url}/_sandbox/state` });
    return;
  }
  const { faults } = state;
  await logAndDelay(req, res, url, faults.slowMs, (entry) => faults.record(entry));

  if (path === TOKEN_PATH) return handleToken(req, res, state);
  if (path === AUTHORIZE_PATH && method === 'GET') return handleAuthorize(res, url, state);
  if (!path.startsWith(`${API_PREFIX}/`)) return sendGoogleError(res, 404, `Not Found: ${path}`, 'notFound');

  const fired = faults.take();
  if (fired) {
    if (fired.kind === 'malformed') return send(res, 200, '{"kind": "admin#directory#users", "users": [{"id": "1', 'application/json; charset=UTF-8');
    return sendGoogleError(res, fired.status, fired.message, fired.kind === 'rateLimit' ? 'rateLimitExceeded' : 'backendError', fired.headers);
  }
  try {
    if (method !== 'GET') throw new ApiError(405, `Method ${method} is not served by the sandbox (read-only directory)`, 'methodNotAllowed');
    const grant = authenticate(req, state);
    // The `forbidden` knob: the user acted as is no admin of the customer.
    if (faults.forbidden) throw new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
    const rest = path.slice(API_PREFIX.length);
    let m: RegExpExecArray | null;
    if (rest === '/users') {
      const body = listUsers(url.searchParams, state, need(grant, 'users', state));
      // A page cut off mid-way (the failPage knob's `malformed`): a transient fault clients retry.
      if (body === TRUNCATED) return send(res, 200, '{"kind": "admin#directory#users", "users": [{"id": "1', 'application/json; charset=UTF-8');
      return sendJson(res, 200, body);
    }
    if ((m = /^\/users\/([^/]+)$/.exec(rest))) return sendJson(res, 200, getUser(decodeURIComponent(m[1]!), url.searchParams, state, need(grant, 'users', state)));
    if (rest === '/groups') return sendJson(res, 200, listGroups(url.searchParams, state, need(grant, 'groups', state)));
    if ((m = /^\/groups\/([^/]+)$/.exec(rest))) return sendJson(res, 200, renderGroup(requireGroup(state, m[1]!, need(grant, 'groups', state)), state));
    if ((m = /^\/groups\/([^/]+)\/members$/.exec(rest))) return sendJson(res, 200, listMembers(decodeURIComponent(m[1]!), url.searchParams, state, need(grant, 'members', state)));
    if ((m = /^\/customer\/([^/]+)\/orgunits$/.exec(rest))) return sendJson(res, 200, listOrgUnits(decodeURIComponent(m[1]!), url.searchParams, state, need(grant, 'orgunits', state)));
    throw new ApiError(404, `Not Found: ${path}`, 'notFound');
  } catch (error) {
    if (error instanceof ApiError) return sendGoogleError(res, error.status, error.message, error.reason, error.headers);
    throw error;
  }
}

// ─────────────── auth ───────────────

function authenticate(req: IncomingMessage, state: State): AccessGrant {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const grant = m ? state.oauth.accessGrant(m[1]!) : null;
  if (!grant) {
    throw new ApiError(
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      'authError',
      { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' },
    );
  }
  return grant;
}

/** The caller's scopes cover the method, and it acts as an administrator of the customer. */
function need(grant: AccessGrant, method: keyof typeof METHOD_SCOPES, state: State): AccessGrant {
  if (!METHOD_SCOPES[method].some((s) => grant.scopes.has(`${SCOPE}${s}`))) throw new ApiError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions');
  const actor = state.directory.liveUser(grant.subject);
  if (!actor || !actor.isAdmin || actor.suspended) throw new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
  return grant;
}

function customerOf(q: URLSearchParams, state: State, required: boolean): { domain: string | null } {
  const customer = q.get('customer');
  const domain = q.get('domain');
  if (customer === null && domain === null) {
    if (required) throw new ApiError(400, 'Bad Request', 'badRequest');
    return { domain: null };
  }
  if (customer !== null && customer !== 'my_customer' && customer !== state.directory.customerId) throw new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
  if (domain !== null && !state.directory.ownsDomain(domain)) throw new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
  return { domain: customer !== null ? null : domain };
}

function intParam(q: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || n < min || n > max) throw new ApiError(400, `Invalid value '${raw}'. Values must be within the range: [${min}, ${max}]`, 'invalid');
  return n;
}

function enumParam<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[], fallback: T | null): T | null {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ApiError(400, `Invalid value for: ${name} is not a valid value`, 'invalid');
  return raw as T;
}

// ─────────────── paging ───────────────

/**
 * Page tokens are opaque to clients. Here: the listing's fingerprint, the 1-based page number
 * and the sort key of the last item served, so an item added or removed between pages neither
 * repeats nor hides another.
 */
interface PageToken {
  readonly f: string;
  readonly p: number;
  readonly k: readonly string[];
}

function readToken(q: URLSearchParams, fingerprint: string): PageToken | null {
  const raw = q.get('pageToken');
  if (raw === null || raw === '') return null;
  try {
    const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as PageToken;
    if (t.f === fingerprint && Number.isInteger(t.p) && Array.isArray(t.k)) return t;
  } catch {
    /* falls through */
  }
  throw new ApiError(400, 'Invalid Input: pageToken', 'invalid');
}

function writeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** One page of `items` sorted by `key` (ascending; `descending` flips), after the token's key. */
function pageOf<T>(items: readonly T[], key: (item: T) => string[], q: URLSearchParams, fingerprint: string, size: number, descending = false, short = false): { page: T[]; number: number; next: string | undefined } {
  const token = readToken(q, fingerprint);
  const sign = descending ? -1 : 1;
  const sorted = [...items].sort((a, b) => sign * compareKeys(key(a), key(b)));
  const after = token ? sorted.filter((i) => sign * compareKeys(key(i), token.k) > 0) : sorted;
  const take = short && size > 1 ? Math.max(1, Math.ceil(size * 0.7)) : size;
  const page = after.slice(0, take);
  const number = (token?.p ?? 0) + 1;
  const next = after.length > page.length ? writeToken({ f: fingerprint, p: number, k: key(page[page.length - 1]!) }) : undefined;
  return { page, number, next };
}

// ─────────────── users ───────────────

const TRUNCATED = Symbol('truncated');

function listUsers(q: URLSearchParams, state: State, _grant: AccessGrant): Record<string, unknown> | typeof TRUNCATED {
  const { domain } = customerOf(q, state, true);
  // Validated against the method's documented range; the page served may be shorter ("maxResults":
  // "Maximum number of results to return"), so a small maxUsersPage tests paging.
  const maxResults = Math.min(intParam(q, 'maxResults', 1, 500, 100), state.maxUsersPage);
  const orderBy = enumParam(q, 'orderBy', ['email', 'familyName', 'givenName'] as const, null);
  const sortOrder = enumParam(q, 'sortOrder', ['ASCENDING', 'DESCENDING'] as const, 'ASCENDING');
  const projection = projectionOf(q);
  enumParam(q, 'viewType', ['admin_view', 'domain_public'] as const, 'admin_view');
  if (q.get('query')) throw new ApiError(400, 'Invalid Input: the sandbox answers no search query', 'invalid');
  const showDeleted = q.get('showDeleted') === 'true';
  const users = state.directory
    .allUsers()
    .filter((u) => (showDeleted ? u.deletionTime !== null : u.deletionTime === null))
    .filter((u) => domain === null || u.primaryEmail.endsWith(`@${domain.toLowerCase()}`));
  const key = (u: GoogleUser): string[] => {
    const sortValue = orderBy === 'email' ? u.primaryEmail : orderBy === 'familyName' ? u.familyName.toLowerCase() : orderBy === 'givenName' ? u.givenName.toLowerCase() : '';
    return [sortValue, u.id.padStart(21, '0')];
  };
  const fingerprint = [domain ?? '*', orderBy ?? '', sortOrder ?? '', showDeleted ? 'deleted' : 'live'].join('|');
  const { page, number, next } = pageOf(users, key, q, fingerprint, maxResults, sortOrder === 'DESCENDING', state.faults.shortPages);
  const fail = state.faults.takeFailPage(number);
  if (fail && !fail.malformed) throw new ApiError(fail.status, fail.status >= 500 ? 'Internal error encountered.' : 'Bad Request', fail.status >= 500 ? 'backendError' : 'badRequest');
  const body: Record<string, unknown> = { kind: 'admin#directory#users', etag: `"users/${number}"` };
  if (fail?.malformed) return TRUNCATED;
  const rendered = page.map((u) => renderUser(u, state, projection));
  // The malformedRecord knob: one entry on the first page that is no user (it has no id).
  if (state.faults.malformedRecord && number === 1 && !showDeleted) rendered.unshift({ kind: 'admin#directory#user', primaryEmail: 'not-a-user@invalid.example' });
  // Google leaves out an empty list rather than sending `users: []`.
  if (rendered.length > 0) body['users'] = rendered;
  if (next) body['nextPageToken'] = next;
  return body;
}

function projectionOf(q: URLSearchParams): 'basic' | 'custom' | 'full' {
  const projection = enumParam(q, 'projection', ['basic', 'custom', 'full'] as const, 'basic')!;
  if (projection === 'custom' && !q.get('customFieldMask')) throw new ApiError(400, 'Invalid Input: customFieldMask is required with projection=custom', 'invalid');
  return projection;
}

function getUser(key: string, q: URLSearchParams, state: State, _grant: AccessGrant): Record<string, unknown> {
  const user = state.directory.liveUser(key);
  if (!user) throw new ApiError(404, 'Resource Not Found: userKey', 'notFound');
  return renderUser(user, state, projectionOf(q));
}

/** A user resource (discovery schema `User`); `full` adds `customSchemas` (none are defined in the sandbox). */
function renderUser(u: GoogleUser, state: State, projection: 'basic' | 'custom' | 'full'): Record<string, unknown> {
  const fullName = `${u.givenName} ${u.familyName}`.trim();
  const out: Record<string, unknown> = {
    kind: 'admin#directory#user',
    id: u.id,
    etag: `"${u.id}/${u.version}"`,
    primaryEmail: u.primaryEmail,
    name: { givenName: u.givenName, familyName: u.familyName, fullName, ...(u.displayName ? { displayName: u.displayName } : {}) },
    isAdmin: u.isAdmin,
    isDelegatedAdmin: false,
    lastLoginTime: '1970-01-01T00:00:00.000Z',
    creationTime: u.creationTime,
    agreedToTerms: true,
    suspended: u.suspended,
    archived: u.archived,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    emails: [{ address: u.primaryEmail, primary: true }, ...u.aliases.map((address) => ({ address }))],
    customerId: state.directory.customerId,
    orgUnitPath: u.orgUnitPath,
    isMailboxSetup: true,
    isEnrolledIn2Sv: false,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
  };
  if (u.suspended) out['suspensionReason'] = 'ADMIN';
  if (u.aliases.length > 0) out['aliases'] = [...u.aliases];
  if (u.employeeNumber) out['externalIds'] = [{ value: u.employeeNumber, type: 'organization' }];
  if (u.managerEmail) out['relations'] = [{ value: u.managerEmail, type: 'manager' }];
  if (u.title || u.department) {
    out['organizations'] = [{ ...(u.title ? { title: u.title } : {}), primary: true, customType: '', ...(u.department ? { department: u.department } : {}), ...(u.costCenter ? { costCenter: u.costCenter } : {}), ...(u.location ? { location: u.location } : {}) }];
  }
  const phones = [...(u.workPhone ? [{ value: u.workPhone, type: 'work' }] : []), ...(u.mobilePhone ? [{ value: u.mobilePhone, type: 'mobile' }] : [])];
  if (phones.length > 0) out['phones'] = phones;
  if (u.deletionTime) out['deletionTime'] = u.deletionTime;
  if (projection !== 'basic') out['customSchemas'] = {};
  return out;
}

// ─────────────── groups and members ───────────────

function requireGroup(state: State, key: string, _grant: AccessGrant): GoogleGroup {
  const group = state.directory.group(decodeURIComponent(key));
  if (!group) throw new ApiError(404, 'Resource Not Found: groupKey', 'notFound');
  return group;
}

function renderGroup(g: GoogleGroup, state: State): Record<string, unknown> {
  return {
    kind: 'admin#directory#group',
    id: g.id,
    etag: `"${g.id}/${g.version}"`,
    email: g.email,
    name: g.name,
    directMembersCount: String(state.directory.directUserCount(g)),
    description: g.description,
    adminCreated: g.adminCreated,
    ...(g.aliases.length > 0 ? { aliases: [...g.aliases] } : {}),
  };
}

function listGroups(q: URLSearchParams, state: State, _grant: AccessGrant): Record<string, unknown> {
  const userKey = q.get('userKey');
  const { domain } = customerOf(q, state, userKey === null);
  const maxResults = intParam(q, 'maxResults', 1, 200, 200);
  enumParam(q, 'orderBy', ['email'] as const, null);
  const sortOrder = enumParam(q, 'sortOrder', ['ASCENDING', 'DESCENDING'] as const, 'ASCENDING');
  let groups = state.directory.allGroups().filter((g) => domain === null || g.email.endsWith(`@${domain.toLowerCase()}`));
  if (userKey !== null) {
    const user = state.directory.liveUser(userKey);
    if (!user) throw new ApiError(404, 'Resource Not Found: userKey', 'notFound');
    groups = groups.filter((g) => g.members.some((m) => m.id === user.id));
  }
  const { page, number, next } = pageOf(groups, (g) => [g.email], q, `${domain ?? '*'}|${userKey ?? ''}|${sortOrder}`, maxResults, sortOrder === 'DESCENDING');
  const body: Record<string, unknown> = { kind: 'admin#directory#groups', etag: `"groups/${number}"` };
  if (page.length > 0) body['groups'] = page.map((g) => renderGroup(g, state));
  if (next) body['nextPageToken'] = next;
  return body;
}

function memberStatus(m: GoogleMember, state: State): string {
  if (m.type !== 'USER') return 'ACTIVE';
  const u = state.directory.user(m.id);
  return u?.suspended ? 'SUSPENDED' : 'ACTIVE';
}

function listMembers(groupKey: string, q: URLSearchParams, state: State, grant: AccessGrant): Record<string, unknown> {
  const group = requireGroup(state, groupKey, grant);
  const maxResults = intParam(q, 'maxResults', 1, 200, 200);
  const roles = q.get('roles');
  const wanted = roles ? new Set(roles.split(',').map((r) => r.trim().toUpperCase())) : null;
  if (wanted && [...wanted].some((r) => !['OWNER', 'MANAGER', 'MEMBER'].includes(r))) throw new ApiError(400, 'Invalid Input: roles', 'invalid');
  const derived = q.get('includeDerivedMembership') === 'true';
  const members = (derived ? state.directory.derivedMembers(group) : group.members).filter((m) => !wanted || wanted.has(m.role));
  const { page, number, next } = pageOf(members, (m) => [m.id], q, `${group.id}|${roles ?? ''}|${derived}`, maxResults);
  const body: Record<string, unknown> = { kind: 'admin#directory#members', etag: `"${group.id}/members/${number}"` };
  if (page.length > 0) {
    body['members'] = page.map((m) => ({
      kind: 'admin#directory#member',
      etag: `"${group.id}/${m.id}"`,
      id: m.id,
      ...(m.email ? { email: m.email } : {}),
      role: m.role,
      type: m.type,
      status: memberStatus(m, state),
    }));
  }
  if (next) body['nextPageToken'] = next;
  return body;
}

// ─────────────── org units ───────────────

function renderOrgUnit(o: GoogleOrgUnit): Record<string, unknown> {
  return {
    kind: 'admin#directory#orgUnit',
    etag: `"${o.orgUnitId}"`,
    name: o.name,
    description: o.description,
    orgUnitPath: o.orgUnitPath,
    orgUnitId: o.orgUnitId,
    ...(o.parentOrgUnitPath !== null ? { parentOrgUnitPath: o.parentOrgUnitPath, parentOrgUnitId: o.parentOrgUnitId } : {}),
    blockInheritance: false,
  };
}

function listOrgUnits(customerId: string, q: URLSearchParams, state: State, _grant: AccessGrant): Record<string, unknown> {
  if (customerId !== 'my_customer' && customerId !== state.directory.customerId) throw new ApiError(403, 'Not Authorized to access this resource/api', 'forbidden');
  const type = enumParam(q, 'type', ['all', 'children', 'allIncludingParent'] as const, 'children')!;
  const base = state.directory.orgUnit(q.get('orgUnitPath') ?? '/');
  if (!base) throw new ApiError(404, 'Org unit not found', 'notFound');
  const prefix = base.orgUnitPath === '/' ? '/' : `${base.orgUnitPath}/`;
  const units = state.directory.allOrgUnits().filter((o) => {
    if (o === base) return type === 'allIncludingParent';
    if (type === 'children') return o.parentOrgUnitPath === base.orgUnitPath;
    return o.orgUnitPath.startsWith(prefix);
  });
  return { kind: 'admin#directory#orgUnits', etag: '"orgunits"', organizationUnits: units.map(renderOrgUnit) };
}

// ─────────────── OAuth endpoints ───────────────

async function handleToken(req: IncomingMessage, res: ServerResponse, state: State): Promise<void> {
  try {
    if (req.method !== 'POST') throw new TokenError(405, 'invalid_request', 'Use POST');
    sendJson(res, 200, state.oauth.token(await tokenForm(req)), { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    sendJson(res, error.status, { error: error.error, error_description: error.description }, { 'Cache-Control': 'no-store' });
  }
}

/** The token request's fields: a form (RFC 6749 §4.1.3), or JSON, which Google also takes. */
async function tokenForm(req: IncomingMessage): Promise<URLSearchParams> {
  const text = await readBody(req, (status, message) => new TokenError(status, 'invalid_request', message));
  if (!(req.headers['content-type'] ?? '').includes('json')) return new URLSearchParams(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text || '{}');
  } catch {
    throw new TokenError(400, 'invalid_request', 'The request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TokenError(400, 'invalid_request', 'The request body must be a JSON object');
  return new URLSearchParams(Object.entries(parsed).map(([k, v]): [string, string] => [k, String(v)]));
}

function handleAuthorize(res: ServerResponse, url: URL, state: State): void {
  try {
    const location = state.oauth.authorize(url.searchParams);
    res.writeHead(302, { Location: location }).end();
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    send(res, error.status, `Error ${error.status}: ${error.error}\n${error.description}\n`, 'text/plain; charset=utf-8');
  }
}

// ─────────────── control surface (not part of Google's API) ───────────────

async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, state: State): Promise<void> {
  const { directory, faults, oauth } = state;
  const method = req.method ?? 'GET';
  const parts = controlParts(path, true);
  const [resource, id, action] = parts;
  try {
    if (resource === 'state' && parts.length === 1 && method === 'GET') {
      const users = directory.allUsers();
      return sendJson(res, 200, {
        url: state.url,
        customerId: directory.customerId,
        domain: directory.domain,
        users: { total: users.filter((u) => !u.deletionTime).length, suspended: users.filter((u) => u.suspended && !u.deletionTime).length, deleted: users.filter((u) => u.deletionTime).length },
        groups: directory.allGroups().length,
        orgUnits: directory.allOrgUnits().length,
        tokens: oauth.stats,
        faults: faults.active,
        requests: faults.requests.length,
      });
    }
    if (resource === 'credentials' && parts.length === 1 && method === 'GET') {
      // The sandbox's demo credentials (never a real secret): what an admin would paste in.
      return sendJson(res, 200, {
        serviceAccount: { clientEmail: state.serviceAccount.clientEmail, clientId: state.serviceAccount.clientId, privateKey: state.serviceAccount.privateKey },
        subject: state.adminEmail,
        oauth: { clientId: state.oauthClient.clientId, clientSecret: state.oauthClient.clientSecret, refreshToken: state.refreshToken },
      });
    }
    if (resource === 'users') return await userControl(req, res, method, parts.slice(1), directory);
    if (resource === 'groups') return await groupControl(req, res, method, parts.slice(1), directory);
    if (resource === 'delegation' && parts.length === 1) {
      if (method === 'GET') return sendJson(res, 200, Object.fromEntries([...oauth.delegation].map(([k, v]) => [k, [...v]])));
      if (method === 'POST') {
        const b = (await controlBody(req));
        if (typeof b['clientId'] !== 'string' || !Array.isArray(b['scopes'])) throw new ControlError(400, 'expected {"clientId": "…", "scopes": ["https://www.googleapis.com/auth/…"]}');
        oauth.delegation.set(b['clientId'], new Set((b['scopes'] as unknown[]).map(String)));
        return sendJson(res, 200, { clientId: b['clientId'], scopes: b['scopes'] });
      }
    }
    if (resource === 'oauth' && id === 'expire-access-tokens' && method === 'POST' && action === undefined) {
      oauth.expireAccessTokens();
      return sendNoContent(res);
    }
    if (await handleFaultControl({ req, res, method, parts }, faults, async (r) => (await controlBody(r)) as ApiFaultSpec)) return;
    throw new ControlError(404, `No sandbox control endpoint ${method} ${path}`);
  } catch (error) {
    const [status, message] =
      error instanceof ControlError ? [error.status, error.message]
      : error instanceof GoogleDirectoryError ? [error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400, error.message]
      : error instanceof ApiFaultError ? [400, error.message]
      : [500, error instanceof Error ? error.message : String(error)];
    sendGoogleError(res, status, message, status === 404 ? 'notFound' : status === 409 ? 'duplicate' : status === 400 ? 'invalid' : 'backendError');
  }
}

/** `/_sandbox/users[/{key}[/suspend|unsuspend|archive|unarchive|delete|undelete|admin]]`. */
async function userControl(req: IncomingMessage, res: ServerResponse, method: string, parts: readonly string[], directory: GoogleDirectory): Promise<void> {
  const [key, action] = parts;
  if (key === undefined) {
    if (method === 'GET') return sendJson(res, 200, { users: directory.allUsers() });
    if (method === 'POST') return sendJson(res, 201, directory.addUser((await controlBody(req)) as GoogleUserInput));
  } else if (action === undefined) {
    if (method === 'GET') {
      const u = directory.user(key);
      if (!u) throw new ControlError(404, `no user ${key}`);
      return sendJson(res, 200, u);
    }
    if (method === 'PATCH') return sendJson(res, 200, directory.updateUser(key, (await controlBody(req)) as GoogleUserInput));
    if (method === 'DELETE') {
      directory.deleteUser(key);
      return sendNoContent(res);
    }
  } else if (method === 'POST' && parts.length === 2) {
    const flags: Record<string, GoogleUserInput> = {
      suspend: { suspended: true }, unsuspend: { suspended: false }, archive: { archived: true }, unarchive: { archived: false }, admin: { isAdmin: true },
    };
    if (flags[action]) return sendJson(res, 200, directory.updateUser(key, flags[action]));
    if (action === 'delete') return sendJson(res, 200, directory.deleteUser(key));
    if (action === 'undelete') return sendJson(res, 200, directory.undeleteUser(key));
  }
  throw new ControlError(404, `No sandbox control endpoint ${method} /_sandbox/users/${parts.join('/')}`);
}

/** `/_sandbox/groups[/{key}[/members[/{memberKey}]]]`. */
async function groupControl(req: IncomingMessage, res: ServerResponse, method: string, parts: readonly string[], directory: GoogleDirectory): Promise<void> {
  const [key, sub, memberKey] = parts;
  if (key === undefined) {
    if (method === 'GET') return sendJson(res, 200, { groups: directory.allGroups() });
    if (method === 'POST') {
      const b = (await controlBody(req));
      if (typeof b['email'] !== 'string' || typeof b['name'] !== 'string') throw new ControlError(400, 'expected {"email": "…", "name": "…"}');
      return sendJson(res, 201, directory.addGroup({ email: b['email'], name: b['name'], ...(typeof b['description'] === 'string' ? { description: b['description'] } : {}) }));
    }
  } else if (sub === undefined) {
    if (method === 'PATCH') {
      const b = (await controlBody(req));
      return sendJson(res, 200, directory.updateGroup(key, { ...(typeof b['name'] === 'string' ? { name: b['name'] } : {}), ...(typeof b['description'] === 'string' ? { description: b['description'] } : {}) }));
    }
    if (method === 'DELETE') {
      directory.deleteGroup(key);
      return sendNoContent(res);
    }
  } else if (sub === 'members') {
    if (memberKey === undefined && method === 'POST') {
      const b = (await controlBody(req));
      const input: { email?: string; type?: MemberType; role?: MemberRole } = {};
      if (typeof b['email'] === 'string') input.email = b['email'];
      if (b['type'] === 'CUSTOMER' || b['type'] === 'USER' || b['type'] === 'GROUP') input.type = b['type'];
      if (b['role'] === 'OWNER' || b['role'] === 'MANAGER' || b['role'] === 'MEMBER') input.role = b['role'];
      return sendJson(res, 201, directory.addMember(key, input));
    }
    if (memberKey !== undefined && method === 'DELETE') {
      directory.removeMember(key, memberKey);
      return sendNoContent(res);
    }
  }
  throw new ControlError(404, `No sandbox control endpoint ${method} /_sandbox/groups/${parts.join('/')}`);
}
