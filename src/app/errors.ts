import type { z } from 'zod';
import { describeIssue } from '../api/contract/validation.ts';
import { decodeCursor } from '../store/ids.ts';

/** An error the API answers with `{"error": {code, message, details}}` and its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The key of a list cursor (`query.cursor`), or a 400 when it is not one this API gave out; `check`
 * adds what the route's keys look like (a sequence number, say).
 */
export function cursorKey(cursor: string | undefined, check: (key: string) => boolean = () => true): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const key = decodeCursor(cursor);
  if (key === null || !check(key)) throw badCursor();
  return key;
}

export function badCursor(): ApiError {
  return new ApiError(400, 'invalid_request', 'query.cursor: not a cursor from this API; pass the nextCursor of the previous page (or none for the first page)', { field: 'query.cursor' });
}

export const notFound = (what: string, id: string) => new ApiError(404, 'not_found', `${what} ${id} does not exist`, { id });

/**
 * Parses a request body with its schema, or answers 400 naming the field at fault
 * (`userSync.cadence: Invalid option…`), the first problem only.
 */
export function validateBody<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue as Parameters<typeof describeIssue>[0], prefix));
  const first = problems[0]!;
  throw new ApiError(400, 'invalid_request', first.message, { field: first.field, problems });
}
