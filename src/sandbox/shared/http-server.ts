/**
 * HTTP plumbing both provider sandboxes share: starting and closing the server, dispatching to the
 * provider's handler, logging each API request and plain response writers. Error bodies and
 * headers stay with each provider.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestLogEntry } from './faults.ts';

export interface ListenOptions {
  /** Default 0 = a random free port. */
  readonly port?: number | undefined;
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
}

export interface StartedServer {
  readonly server: Server;
  readonly port: number;
  /** e.g. `http://127.0.0.1:9101` */
  readonly url: string;
  /** Closes the server (once; later calls get the same promise), after `beforeClose`. */
  close(): Promise<void>;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Starts listening; each request goes to `handle`, and what it throws is answered by
 * `onError(res, "Sandbox error: …")` with status 500.
 */
export async function startHttpServer(
  opts: ListenOptions,
  handle: RequestHandler,
  onError: (res: ServerResponse, message: string) => void,
  beforeClose?: () => void,
): Promise<StartedServer> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      onError(res, `Sandbox error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  return {
    server,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        beforeClose?.();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      })),
  };
}

/** The request URL and its path without trailing slashes (`/` stays `/`). */
export function requestPath(req: IncomingMessage): { url: URL; path: string } {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  return { url, path: url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname };
}

/**
 * Logs the request once its response closes (time measured from now), then waits `slowMs`.
 * `record` may add provider details to the entry.
 */
const itemsAnswered = new WeakMap<ServerResponse, number>();

/** Notes how many items an answer lists, for its request-log entry (tests assert what was read). */
export function noteItems(res: ServerResponse, items: number): void {
  itemsAnswered.set(res, items);
}

export async function logAndDelay(req: IncomingMessage, res: ServerResponse, url: URL, slowMs: number, record: (entry: RequestLogEntry) => void): Promise<void> {
  const arrived = new Date().toISOString();
  const started = performance.now();
  res.once('close', () => {
    record({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      status: res.statusCode,
      at: arrived,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(itemsAnswered.has(res) ? { items: itemsAnswered.get(res)! } : {}),
    });
  });
  if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
}

export function send(res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(buf.length), ...headers });
  res.end(buf);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8', headers);
}

/** Answers 204 with no body. */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204).end();
}

const BODY_LIMIT = 1_000_000;

/** Makes the provider's HTTP error (413 for a body over the limit, 400 for invalid JSON). */
export type HttpErrorFactory = (status: number, message: string) => Error;

export async function readBody(req: IncomingMessage, httpError: HttpErrorFactory): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw httpError(413, `Request body larger than ${BODY_LIMIT} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; empty → `undefined`; invalid → 400. */
export async function readJson(req: IncomingMessage, httpError: HttpErrorFactory): Promise<unknown> {
  const text = await readBody(req, httpError);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw httpError(400, 'The request body is not valid JSON');
  }
}
