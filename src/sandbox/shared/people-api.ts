/**
 * What the sandboxes of bearer-token JSON APIs (Employment Hero, Deel) share: the gate every API
 * request passes (the shared fault knobs first, like a gateway; then the bearer token; then the
 * `forbidden` knob), their error body, and the control surface under `/_sandbox` (state, people,
 * faults, the request log).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiFaults, ApiFaultSpec } from './api-faults.ts';
import { controlParts, handleFaultControl } from './control.ts';
import { logAndDelay, readJson, requestPath, send, sendJson, startHttpServer, type ListenOptions, type StartedServer } from './http-server.ts';
import { handleOAuth, type SandboxOAuth } from './oauth-server.ts';

export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const CODES: Readonly<Record<number, string>> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 429: 'too_many_requests' };

/** The body an error is answered with; each provider says how it writes errors. */
export type ErrorBody = (status: number, code: string, message: string) => unknown;

export const simpleErrorBody: ErrorBody = (_status, code, message) => ({ error: { code, message } });

export function sendApiError(res: ServerResponse, body: ErrorBody, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body(status, CODES[status] ?? 'error', message), headers);
}

export interface GateOptions {
  readonly faults: ApiFaults;
  readonly oauth: SandboxOAuth;
  /** Long-lived tokens accepted besides OAuth access tokens (organization tokens). */
  readonly staticTokens?: readonly string[];
  /** What a 403 (the `forbidden` knob) says. */
  readonly forbiddenMessage: string;
  /** A body cut off mid-way, for the `malformed` knob. */
  readonly truncatedBody: string;
  readonly errorBody: ErrorBody;
}

/** Gateway faults, then authentication, then permission. True when the request was answered here. */
export function gate(req: IncomingMessage, res: ServerResponse, g: GateOptions): boolean {
  const fired = g.faults.take();
  if (fired?.kind === 'malformed') {
    send(res, 200, g.truncatedBody, 'application/json; charset=utf-8');
    return true;
  }
  if (fired) {
    sendApiError(res, g.errorBody, fired.status, fired.message, fired.headers);
    return true;
  }
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  let refusal: string | null = 'Missing bearer token';
  if (token) refusal = g.faults.isRevoked(token) ? 'The token has been revoked' : (g.staticTokens ?? []).includes(token) ? null : g.oauth.checkAccessToken(token);
  if (refusal) {
    sendApiError(res, g.errorBody, 401, refusal, { 'WWW-Authenticate': 'Bearer' });
    return true;
  }
  if (g.faults.forbidden) {
    sendApiError(res, g.errorBody, 403, g.forbiddenMessage);
    return true;
  }
  return false;
}

/** A sandbox roster as the control surface edits it. */
export interface ControlRoster<Input> {
  readonly size: number;
  list(): unknown[];
  add(input: Input): unknown;
  update(id: string, input: Input): unknown;
  terminate(id: string, date: string): unknown;
  remove(id: string): void;
}

/**
 * `/_sandbox/state`, `/_sandbox/employees[/{id}[/terminate]]` (GET, POST, PATCH, DELETE), and the
 * shared `/_sandbox/faults` and `/_sandbox/requests`. `isInputError` tells the roster's own errors (→ 400/404).
 */
export async function handlePeopleControl<Input>(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  c: { roster: ControlRoster<Input>; faults: ApiFaults; state: () => Record<string, unknown>; errorBody: ErrorBody; inputError: (e: unknown) => { status: number; message: string } | null },
): Promise<void> {
  const method = req.method ?? 'GET';
  const parts = controlParts(path, true);
  const [resource, id, action] = parts;
  const json = async () => ((await readJson(req, (s, m) => new SandboxHttpError(s, m))) ?? {}) as Input;
  try {
    if (resource === 'state' && method === 'GET') return sendJson(res, 200, { ...c.state(), employees: c.roster.size, faults: c.faults.active, requests: c.faults.requests.length });
    if (resource === 'employees') {
      if (id === undefined && method === 'GET') return sendJson(res, 200, { employees: c.roster.list() });
      if (id === undefined && method === 'POST') return sendJson(res, 201, c.roster.add(await json()));
      if (id !== undefined && action === undefined && method === 'PATCH') return sendJson(res, 200, c.roster.update(id, await json()));
      if (id !== undefined && action === undefined && method === 'DELETE') {
        c.roster.remove(id);
        res.writeHead(204).end();
        return;
      }
      if (id !== undefined && action === 'terminate' && method === 'POST') {
        const date = ((await json()) as { date?: unknown }).date;
        return sendJson(res, 200, c.roster.terminate(id, typeof date === 'string' ? date : new Date().toISOString().slice(0, 10)));
      }
    }
    if (await handleFaultControl({ req, res, method, parts }, c.faults, async (r) => ((await readJson(r, (s, m) => new SandboxHttpError(s, m))) ?? {}) as ApiFaultSpec)) return;
    throw new SandboxHttpError(404, `No sandbox control endpoint ${method} ${path}`);
  } catch (error) {
    if (error instanceof SandboxHttpError) return sendApiError(res, c.errorBody, error.status, error.message);
    const known = c.inputError(error);
    if (known) return sendApiError(res, c.errorBody, known.status, known.message);
    if (error instanceof Error && error.name === 'ApiFaultError') return sendApiError(res, c.errorBody, 400, error.message);
    throw error;
  }
}

/** A whole number ≥ 1 from a query parameter, else `fallback`; 400 otherwise. */
export function positiveParam(raw: string | null, name: string, fallback: number, min = 1): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) throw new SandboxHttpError(400, `${name} must be a whole number of ${min} or more`);
  return Number(raw);
}

export interface PeopleApiServer<Input> {
  readonly listen: ListenOptions;
  readonly oauth: SandboxOAuth;
  readonly faults: ApiFaults;
  readonly roster: ControlRoster<Input>;
  readonly errorBody: ErrorBody;
  /** The control surface's `state` besides the shared counts. */
  readonly state: (url: string) => Record<string, unknown>;
  /** The roster's own input errors, as a status and message. */
  readonly inputError: (e: unknown) => { status: number; message: string } | null;
  /** Answers an API request (throw SandboxHttpError for an error answer). */
  readonly api: (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => void;
}

/** Starts the server: OAuth endpoints, `/_sandbox` control, then the API (logged, delayed by `slowMs`). */
export async function startPeopleApiServer<Input>(s: PeopleApiServer<Input>): Promise<StartedServer> {
  let base = '';
  const started = await startHttpServer(
    s.listen,
    async (req, res) => {
      const { url, path } = requestPath(req);
      if (await handleOAuth(s.oauth, req, res, url)) return;
      if (path.startsWith('/_sandbox')) return handlePeopleControl(req, res, path, { roster: s.roster, faults: s.faults, state: () => s.state(base), errorBody: s.errorBody, inputError: s.inputError });
      await logAndDelay(req, res, url, s.faults.slowMs, (e) => s.faults.record(e));
      try {
        s.api(req, res, url, path);
      } catch (error) {
        if (error instanceof SandboxHttpError) sendApiError(res, s.errorBody, error.status, error.message);
        else throw error;
      }
    },
    (res, message) => sendApiError(res, s.errorBody, 500, message),
  );
  base = started.url;
  return started;
}

/** A roster refusing an input (`invalid`, → 400) or not finding someone (`not_found`, → 404). */
export class SandboxRosterError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid' | 'not_found',
  ) {
    super(message);
  }
}

export function rosterInputError(e: unknown): { status: number; message: string } | null {
  return e instanceof SandboxRosterError ? { status: e.code === 'not_found' ? 404 : 400, message: e.message } : null;
}

/** A UUID-shaped id derived from a seed string: stable across restarts of a sandbox. */
export function uuidFrom(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
