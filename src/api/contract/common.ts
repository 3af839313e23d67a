/**
 * The API contract's shared pieces. Every route declares its request (params, query, body) and
 * its responses, success and error, from the modules in this folder; `/api/v1/openapi.json` is
 * generated from them and the console's types are generated from that document
 * (`npm run gen:api`), so the server, the document and the console cannot disagree.
 *
 * Request schemas are strict: an unknown field answers 400 naming it. Response schemas are the
 * presenters' return types (src/app/presenters.ts): what is not declared here is not sent.
 */
import { z } from 'zod';

/** `{"error": {code, message, details}}` (DESIGN.md §4) with every non-2xx status. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. field_locked, invalid_request, not_found'),
      message: z.string().describe('What went wrong and what to do, in words for a person'),
      details: z.record(z.string(), z.unknown()).describe('Context: `field` names the request part at fault on a 400; `runId`, `integrationId`… where they help'),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBodyT = z.infer<typeof ErrorBody>;

const ERROR_DESCRIPTIONS = {
  400: 'The request is not valid; `error.details.field` names the part at fault',
  401: 'No valid API key or console session',
  403: 'Signed in, but not allowed',
  404: 'No such resource in this tenant',
  409: 'Conflicts with the current state (e.g. field_locked, run_in_progress); the message says what to do',
  412: 'The resource changed since it was read (If-Match)',
  413: 'The request body is too large',
  415: 'Unsupported content type',
  422: 'Understood, but refused: e.g. the provider refused the credentials (credentials_rejected); nothing was stored',
  429: 'Too many requests; Retry-After says when to try again',
  500: 'Something went wrong on our side; it has been logged',
  502: 'The provider answered with an error',
  503: 'Not ready: `error.details.checks` says which check failed',
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

type ErrorResponses<S extends ErrorStatus> = { [K in S | 401 | 429 | 500]: typeof ErrorBody };

/**
 * A route's responses: its successes plus the error statuses it can answer (401, 429 from the
 * rate limits, and 500 always included).
 */
export function responses<R extends Record<number, z.ZodType>, S extends ErrorStatus = never>(ok: R, ...errors: S[]): R & ErrorResponses<S> {
  const out: Record<number, z.ZodType> = { ...ok };
  for (const status of [...errors, 401, 429, 500] as ErrorStatus[]) out[status] = ErrorBody.describe(ERROR_DESCRIPTIONS[status]);
  return out as R & ErrorResponses<S>;
}

/** Error responses of an open route (no 401; 429 from the rate limits). */
export function openResponses<R extends Record<number, z.ZodType>, S extends ErrorStatus = never>(ok: R, ...errors: S[]): R & { [K in S | 429 | 500]: typeof ErrorBody } {
  const out: Record<number, z.ZodType> = { ...ok };
  for (const status of [...errors, 429, 500] as ErrorStatus[]) out[status] = ErrorBody.describe(ERROR_DESCRIPTIONS[status]);
  return out as R & { [K in S | 429 | 500]: typeof ErrorBody };
}

/** Error responses of a probe (/health…): never authenticated, never rate-limited. */
export function probeResponses<R extends Record<number, z.ZodType>, S extends ErrorStatus = never>(ok: R, ...errors: S[]): R & { [K in S | 500]: typeof ErrorBody } {
  const out: Record<number, z.ZodType> = { ...ok };
  for (const status of [...errors, 500] as ErrorStatus[]) out[status] = ErrorBody.describe(ERROR_DESCRIPTIONS[status]);
  return out as R & { [K in S | 500]: typeof ErrorBody };
}

export const Id = z.string().min(1).max(100);
export const IdParams = z.strictObject({ id: Id });
export const Timestamp = z.string().describe('ISO 8601 date-time in UTC');

/** Keyset paging: `limit` 1–1000 (default 100) and the `nextCursor` of the previous page. */
export const paging = {
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Page size, 1–1000'),
  cursor: z.string().max(2000).optional().describe('The nextCursor of the previous page'),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page') });
}

/** 204 No Content. */
export const NoContent = z.undefined().describe('No content');

/** A string-valued query flag (`true`/`false`). */
export const QueryBoolean = z.enum(['true', 'false']);

/** T with every array and object read-only, as domain values are. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * A read-only domain value as the contract's (mutable) output type: checked at compile time to
 * have the contract's shape, so presenters need not copy arrays to satisfy the types.
 */
export function asContract<T>(value: DeepReadonly<T>): T {
  return value as T;
}

/**
 * A body that may be left out (`POST …/sync` with no body means the defaults). Fastify hands a
 * missing body to validation as null, so null is accepted too.
 */
export function optionalBody<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}
