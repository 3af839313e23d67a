/**
 * The console's only way to the API: openapi-fetch over the types generated from the API's
 * OpenAPI document (schema.gen.ts, `npm run gen:api`), so a call to a path, a parameter or a body
 * the server does not declare does not compile. Every answer other than 2xx becomes an ApiError
 * carrying the API's own `{error: {code, message, details}}`, which the pages show.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.gen.ts';

/** A named schema of the API contract, e.g. `Schema<'Integration'>`. */
export type Schema<K extends keyof components['schemas']> = components['schemas'][K];
export type ErrorBody = Schema<'Error'>;
/** The JSON request body of a route, e.g. `Body<'/api/v1/integrations/{id}', 'patch'>`. */
export type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** A page of a list route: `{data, nextCursor}`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** An API answer other than 2xx, carrying the API's own `{error: {code, message, details}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 after sign-in (expired session): the app goes to /login. */
export function onSessionLost(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

const SESSION_PROBES = new Set(['/api/v1/auth/login', '/api/v1/auth/me']);

const middleware: Middleware = {
  onRequest({ request }) {
    request.headers.set('accept', 'application/json');
    if (request.method !== 'GET' && csrfToken) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  async onResponse({ response, schemaPath }) {
    if (response.ok) return undefined;
    let body: Partial<ErrorBody> | null = null;
    try {
      body = (await response.clone().json()) as Partial<ErrorBody>;
    } catch {
      body = null;
    }
    const err = body?.error;
    if (response.status === 401 && !SESSION_PROBES.has(schemaPath)) onUnauthenticated?.();
    throw new ApiError(response.status, err?.code ?? 'http_error', err?.message ?? `The server answered ${response.status} ${response.statusText}.`, err?.details ?? {});
  },
  onError({ error }) {
    if (error instanceof ApiError || (error as Error).name === 'AbortError') return error as Error;
    return new ApiError(0, 'network_error', 'Cannot reach the ReFresh server. Check that it is running and try again.');
  },
};

export const client = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
client.use(middleware);

/**
 * The data of a call: failures were already thrown as ApiError by the middleware, so what is
 * left is the success body (undefined for 204).
 */
export async function data<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const res = await call;
  if (res.error !== undefined) throw new ApiError(res.response.status, 'http_error', `The server answered ${res.response.status}.`);
  return res.data as T;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
