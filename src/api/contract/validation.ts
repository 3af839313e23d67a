import type { ErrorBodyT } from './common.ts';

/** One schema problem as a person reads it: the field at fault (dotted path) and what to fix. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly code?: string;
  readonly message: string;
  readonly keys?: readonly string[];
}

/**
 * A zod issue in words, naming the field: an unknown field is named itself (`userSync.cadance`),
 * not its parent object.
 */
export function describeIssue(issue: IssueLike, prefix = ''): FieldProblem[] {
  const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
    return issue.keys.map((key) => {
      const field = [at, key].filter(Boolean).join('.');
      return { field, message: `${field}: unknown field; remove it or check its spelling (the API's fields are in /api/v1/openapi.json)` };
    });
  }
  const field = at || prefix || 'body';
  return [{ field, message: `${field}: ${issue.message}` }];
}

const CONTEXT_PREFIX: Record<string, string> = { body: '', querystring: 'query', params: 'params', headers: 'headers' };

interface FastifyValidationIssue {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Record<string, unknown>;
}

/**
 * The 400 answer to a request that does not match its route's schema: the first problem in the
 * message, every problem in `details.problems`, the first field in `details.field`.
 */
export function validationErrorBody(context: string | undefined, issues: readonly FastifyValidationIssue[]): ErrorBodyT {
  const prefix = CONTEXT_PREFIX[context ?? 'body'] ?? context ?? '';
  const problems = issues.flatMap((issue) =>
    describeIssue(
      {
        path: String(issue.instancePath ?? '').split('/').filter(Boolean),
        code: issue.keyword ?? '',
        message: issue.message ?? 'is not valid',
        ...(Array.isArray(issue.params?.['keys']) ? { keys: issue.params['keys'] as string[] } : {}),
      },
      prefix,
    ),
  );
  const first = problems[0] ?? { field: prefix || 'body', message: `${prefix || 'body'}: is not valid` };
  return { error: { code: 'invalid_request', message: first.message, details: { field: first.field, problems } } };
}
