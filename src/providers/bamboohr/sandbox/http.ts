/** Request context and response helpers shared by the sandbox routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BambooFaults } from './faults.ts';
import type { BambooRoster } from './roster.ts';
import { readBody as readBodyText, readJson as readJsonBody, send, sendJson } from '../../../sandbox/shared/http-server.ts';

export interface SandboxState {
  readonly roster: BambooRoster;
  readonly faults: BambooFaults;
  readonly companyDomain: string;
  readonly pageSizeMax: number;
  /** `http://host:port`, known once listening. */
  url: string;
}

export interface ApiContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** Canonical API path, e.g. `/api/v1/employees/123` (also for `/api/gateway.php/{domain}/v1/...`). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  /** Absolute prefix to build links with, e.g. `http://127.0.0.1:9101/api/v1`. */
  readonly apiBase: string;
  readonly state: SandboxState;
}

/** Thrown by routes; the server turns it into an error response with `X-BambooHR-Error-Message`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function wantsJson(req: IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? '').toLowerCase();
  return accept.includes('application/json') || accept.includes('+json');
}

export { send, sendJson } from '../../../sandbox/shared/http-server.ts';

export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  send(res, status, xml, 'application/xml; charset=utf-8', headers);
}

/** Header values must be Latin-1; keep the message readable in plain ASCII. */
export function headerSafe(message: string): string {
  return message
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 500);
}

const CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** An API error: JSON body `{error: {code, message}}` plus the `X-BambooHR-Error-Message` header. */
export function sendApiError(res: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { code: code ?? CODES[status] ?? 'error', message } }, { 'X-BambooHR-Error-Message': headerSafe(message), ...headers });
}

const httpError = (status: number, message: string): HttpError => new HttpError(status, message);

export async function readBody(req: IncomingMessage): Promise<string> {
  return readBodyText(req, httpError);
}

/** Parses a JSON body; empty → `undefined`; invalid → 400. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  return readJsonBody(req, httpError);
}

export function hostBase(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host ? `http://${host}` : fallback;
}
