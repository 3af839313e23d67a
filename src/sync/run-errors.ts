import { isProviderError } from '../connectors/errors.ts';
import type { RunError } from '../store/runs.ts';

/** A run failure with a stable code the console and health read. */
export class RunFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RunFailure';
  }
}

export function classifyRunError(error: unknown): RunError {
  if (isProviderError(error)) return { code: error.code, message: error.message };
  if (error instanceof RunFailure) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: `The run stopped on an internal error: ${error instanceof Error ? error.message : String(error)}. Nothing was applied from the unfinished part; it is safe to run again.` };
}
