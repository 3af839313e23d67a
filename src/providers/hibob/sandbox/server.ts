/**
 * The HiBob sandbox: a local simulator of the parts of HiBob's public API that people sync uses,
 * over real HTTP, with seeded people, an in-process control surface (`roster`, `faults`) mirrored
 * under `/_sandbox/...`, and fault knobs.
 *
 * Followed from HiBob's documentation (apidocs.hibob.com):
 * - Auth: "API Service Users" — HTTP Basic with the service user's ID as user name and its token as
 *   password; a wrong or revoked service user gets 401.
 * - `POST /v1/people/search` ("Search for employees", "People read API contract"): see search.ts.
 * - `GET /v1/company/people/fields` ("Get all employee fields"): the fields' metadata (search.ts).
 * - `GET /v1/company/named-lists` and `GET /v1/company/named-lists/{listName}` ("Get all company
 *   lists", "Get a specific company list by name"): `{name, values: [{id, value, name, archived,
 *   children}]}`; archived items only with `?includeArchived=true`. All lists: an object keyed by
 *   list name.
 * - "Rate limiting": excess → 429 (e.g. 50 a minute on people search) with `X-RateLimit-*` headers.
 *
 * Where the documentation is silent: error bodies are `{"error": {"code", "message"}}`; the
 * people-search rendering for a roster version is cached so a 100,000-person answer is built once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { controlParts, employeeCounts, handleFaultControl } from '../../../sandbox/shared/control.ts';
import { logAndDelay, readJson as readJsonBody, requestPath, send, sendJson, startHttpServer } from '../../../sandbox/shared/http-server.ts';
import { HibobFaultError, HibobFaults, type HibobFaultSpec, type HibobRequestLogEntry } from './faults.ts';
import { HibobRoster, HibobRosterError, type HibobEmployeePatch, type HibobSeedPerson } from './roster.ts';
import { FIELDS, parseSearchBody, renderSearch, SearchError, type ResponseShape, type SearchRequest } from './search.ts';

export interface HibobServiceUser {
  readonly serviceUserId: string;
  readonly token: string;
}

export interface HibobSandboxOptions {
  /**
   * The size of the company HiBob holds its share of (default 200, or 0 when `people` is given):
   * with the same size and seed as a BambooHR sandbox, the people both hold have the same work
   * e-mail and employee number (src/sandbox/base-roster.ts), and each also has people of its own.
   */
  employees?: number;
  /** Data seed (default 1). */
  seed?: number;
  /** Explicit people, added after the generated ones (e.g. the same work email as a BambooHR person). */
  people?: HibobSeedPerson[];
  /** Work e-mail domain of people added later without an e-mail (default the company's, `acme.example`). */
  emailDomain?: string;
  /** Default 0 = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Valid service users; default `[{serviceUserId: 'sandbox-service-user', token: 'sandbox-token'}]`. */
  credentials?: HibobServiceUser[];
  /**
   * People-search response keys: `paths` (default: slash keys with `{value}`, HiBob's documented
   * form), `nested` (category objects, root fields at the top level) or `both` (what HiBob may send;
   * about 1.7× the bytes).
   */
  shape?: ResponseShape;
}

export interface HibobSandbox {
  url: string;
  port: number;
  roster: HibobRoster;
  faults: HibobFaults;
  close(): Promise<void>;
}

export const DEFAULT_SERVICE_USER: HibobServiceUser = Object.freeze({ serviceUserId: 'sandbox-service-user', token: 'sandbox-token' });

interface State {
  readonly roster: HibobRoster;
  readonly faults: HibobFaults;
  readonly credentials: readonly HibobServiceUser[];
  readonly shape: ResponseShape;
  url: string;
  cache: { key: string; chunks: string[]; count: number } | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict',
  413: 'payload_too_large', 429: 'too_many_requests', 500: 'internal_error', 502: 'bad_gateway', 503: 'service_unavailable', 504: 'gateway_timeout',
};

export async function startHibobSandbox(opts: HibobSandboxOptions = {}): Promise<HibobSandbox> {
  const employees = opts.employees ?? (opts.people ? 0 : 200);
  if (!Number.isInteger(employees) || employees < 0) throw new RangeError('employees must be a whole number ≥ 0');
  const shape = opts.shape ?? 'paths';
  if (shape !== 'both' && shape !== 'paths' && shape !== 'nested') throw new RangeError('shape must be "both", "paths" or "nested"');
  const credentials = opts.credentials ?? [DEFAULT_SERVICE_USER];
  const roster = new HibobRoster({ employees, seed: opts.seed ?? 1, ...(opts.emailDomain ? { emailDomain: opts.emailDomain } : {}), people: opts.people ?? [] });
  const faults = new HibobFaults();
  const state: State = { roster, faults, credentials, shape, url: '', cache: null };

  const started = await startHttpServer(opts, (req, res) => handle(req, res, state), (res, message) => sendError(res, 500, message));
  state.url = started.url;

  return { url: state.url, port: started.port, roster, faults, close: started.close };
}

async function handle(req: IncomingMessage, res: ServerResponse, state: State): Promise<void> {
  const { url, path } = requestPath(req);
  const method = req.method ?? 'GET';

  if (path === '/_sandbox' || path.startsWith('/_sandbox/')) {
    await handleControl(req, res, path, state);
    return;
  }
  if (path === '/' && method === 'GET') {
    sendJson(res, 200, { name: 'ReFresh HiBob sandbox', api: `${state.url}/v1`, control: `${state.url}/_sandbox/state` });
    return;
  }

  const { faults } = state;
  let search: HibobRequestLogEntry['search'];
  await logAndDelay(req, res, url, faults.slowMs, (entry) => faults.record(search ? { ...entry, search } : entry));

  if (!path.startsWith('/v1/')) {
    sendError(res, 404, `Not found: ${path}`);
    return;
  }
  const fired = faults.take();
  if (fired) {
    if (fired.kind === 'malformed') {
      send(res, 200, '{"employees":[{"id":"3', 'application/json; charset=utf-8');
      return;
    }
    sendError(res, fired.status, fired.message, undefined, fired.headers);
    return;
  }
  const authError = authenticate(req, state.credentials, faults);
  if (authError) {
    sendError(res, 401, authError, 'unauthorized', { 'WWW-Authenticate': 'Basic realm="Bob API"' });
    return;
  }
  if (faults.forbidden) {
    sendError(res, 403, 'Forbidden: the service user has no permission to view employees. Grant it People access in Bob', 'forbidden');
    return;
  }

  try {
    if (path === '/v1/people/search') {
      if (method !== 'POST') throw new HttpError(405, 'Use POST for /v1/people/search');
      let parsed: SearchRequest;
      try {
        parsed = parseSearchBody(await readJson(req));
      } catch (err) {
        if (err instanceof SearchError) throw new HttpError(400, err.message);
        throw err;
      }
      const rendered = searchJson(state, parsed);
      const { chunks, count } = faults.malformedRecord ? withBrokenRecord(rendered) : rendered;
      search = { fields: parsed.fieldCount, showInactive: parsed.showInactive, humanReadable: parsed.humanReadable, filtered: parsed.filter !== null, employees: count };
      await streamChunks(res, chunks);
      return;
    }
    if (path === '/v1/company/people/fields') {
      if (method !== 'GET') throw new HttpError(405, `Use GET for ${path}`);
      sendJson(res, 200, FIELDS.map((f) => f.meta));
      return;
    }
    const lists = /^\/v1\/company\/named-lists(?:\/([^/]+))?$/.exec(path);
    if (lists) {
      if (method !== 'GET') throw new HttpError(405, `Use GET for ${path}`);
      const includeArchived = url.searchParams.get('includeArchived') === 'true';
      const name = lists[1] === undefined ? undefined : decodeURIComponent(lists[1]);
      if (name === undefined) {
        const all: Record<string, unknown> = {};
        for (const n of state.roster.lists.names()) all[n] = state.roster.lists.toJson(n, includeArchived);
        sendJson(res, 200, all);
        return;
      }
      const list = state.roster.lists.toJson(name, includeArchived);
      if (!list) throw new HttpError(404, `No list named "${name}"`);
      sendJson(res, 200, list);
      return;
    }
    throw new HttpError(404, `No such API endpoint: ${method} ${path}`);
  } catch (err) {
    if (err instanceof HttpError) sendError(res, err.status, err.message, err.code);
    else throw err;
  }
}

/** The rendered search, cached per roster version for unfiltered requests (a full sync asks the same thing each run). */
function searchJson(state: State, req: SearchRequest): { chunks: string[]; count: number } {
  if (req.filter) return renderSearch(state.roster, req, state.shape);
  const key = `${state.roster.version}|${req.showInactive}|${req.humanReadable ?? ''}|${req.fields.map((f) => f.id).join(',')}`;
  if (state.cache?.key === key) return state.cache;
  const out = renderSearch(state.roster, req, state.shape);
  state.cache = { key, ...out };
  return out;
}

/** One extra employee object without an id, at the start of the list. */
function withBrokenRecord(r: { chunks: string[]; count: number }): { chunks: string[]; count: number } {
  const broken = '{"/root/firstName":{"value":"Broken"}}';
  const [first, ...rest] = r.chunks;
  const head = first === '{"employees":[' ? `${first}${broken}` : `{"employees":[${broken},${(first ?? '').slice('{"employees":['.length)}`;
  return { chunks: [head, ...rest], count: r.count + 1 };
}

function authenticate(req: IncomingMessage, users: readonly HibobServiceUser[], faults: HibobFaults): string | null {
  const header = req.headers.authorization;
  if (!header) return 'Authentication required: use HTTP Basic with the service user ID and token';
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return 'Unsupported authorization: use HTTP Basic with the service user ID and token';
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'Invalid service user credentials';
  const id = decoded.slice(0, colon);
  const token = decoded.slice(colon + 1);
  const user = users.find((u) => u.serviceUserId === id);
  if (!user || user.token !== token) return 'Invalid service user credentials';
  if (faults.isRevoked(id)) return 'This service user token has been revoked';
  return null;
}

// ─────────────── control surface (not part of HiBob's API) ───────────────

async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, state: State): Promise<void> {
  const { roster, faults } = state;
  const method = req.method ?? 'GET';
  const parts = controlParts(path, true);
  const [resource, id, action, extra] = parts;
  try {
    if (resource === 'state' && parts.length === 1 && method === 'GET') {
      return sendJson(res, 200, {
        url: state.url,
        employees: employeeCounts(roster),
        lists: roster.lists.names(),
        faults: faults.active,
        requests: faults.requests.length,
      });
    }
    if (resource === 'employees') {
      if (id === undefined) {
        if (method === 'POST') return sendJson(res, 201, roster.add(objectBody(await readJson(req)) as HibobSeedPerson));
        if (method === 'GET') return sendJson(res, 200, { employees: roster.list() });
      } else if (action === undefined) {
        if (method === 'GET') {
          const e = roster.get(id);
          if (!e) throw new HibobRosterError(`no employee with id ${id}`, 'not_found');
          return sendJson(res, 200, e);
        }
        if (method === 'PATCH') return sendJson(res, 200, roster.update(id, objectBody(await readJson(req)) as HibobEmployeePatch));
        if (method === 'DELETE') {
          roster.remove(id);
          res.writeHead(204).end();
          return;
        }
      } else if ((action === 'terminate' || action === 'rehire') && extra === undefined && method === 'POST') {
        const body = objectBody(await readJson(req));
        const date = body['date'];
        if (date !== undefined && date !== null && typeof date !== 'string') throw new HttpError(400, 'date must be a string YYYY-MM-DD');
        const when = typeof date === 'string' ? date : undefined;
        return sendJson(res, 200, action === 'terminate' ? roster.terminate(id, when) : roster.rehire(id, when));
      }
    }
    if (resource === 'lists' && id !== undefined && action === 'rename' && extra === undefined && method === 'POST') {
      const b = objectBody(await readJson(req));
      if (typeof b['from'] !== 'string' || typeof b['to'] !== 'string') throw new HttpError(400, 'expected {"from": "old name or id", "to": "New name"}');
      return sendJson(res, 200, { list: id, ...roster.renameListItem(id, b['from'], b['to']) });
    }
    if (await handleFaultControl({ req, res, method, parts }, faults, async (r) => objectBody(await readJson(r)) as HibobFaultSpec)) return;
    throw new HttpError(404, `No sandbox control endpoint ${method} ${path}`);
  } catch (err) {
    const [status, code, message] =
      err instanceof HttpError
        ? [err.status, err.code ?? CODES[err.status] ?? 'error', err.message]
        : err instanceof HibobRosterError
          ? [err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400, err.code, err.message]
          : err instanceof HibobFaultError
            ? [400, 'invalid', err.message]
            : [500, 'internal_error', err instanceof Error ? err.message : String(err)];
    sendError(res, status, message, code);
  }
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON object');
  return body as Record<string, unknown>;
}

// ─────────────── HTTP helpers ───────────────

/** Writes a large body chunk by chunk (chunked transfer), honouring back-pressure. */
async function streamChunks(res: ServerResponse, chunks: readonly string[]): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
  for (const c of chunks) {
    if (res.destroyed) return;
    if (!res.write(c)) await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  res.end();
}

function sendError(res: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code: code ?? CODES[status] ?? 'error', message } }, headers);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  return readJsonBody(req, (status, message) => new HttpError(status, message));
}
