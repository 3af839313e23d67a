import type { z } from 'zod';
import { describeIssue } from '../api/contract/validation.ts';

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
