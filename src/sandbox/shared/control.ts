/**
 * Control-route helpers both sandboxes share under `/_sandbox/...` (not part of any provider's
 * API; JSON, no auth): the path split and the `faults` and `requests` resources.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendJson, sendNoContent } from './http-server.ts';

/** What the control surface needs of a sandbox's fault knobs. */
export interface ControlFaults<Spec> {
  readonly active: unknown;
  readonly requests: readonly unknown[];
  set(spec: Spec): void;
  clear(): void;
  clearRequests(): void;
}

export interface ControlRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** Path segments after `_sandbox`. */
  readonly parts: readonly string[];
}

/** Splits a `/_sandbox/...` path into its segments after `_sandbox` (decoded when asked). */
export function controlParts(path: string, decode: boolean): string[] {
  const parts = path.split('/').filter(Boolean).slice(1); // drop "_sandbox"
  return decode ? parts.map((p) => decodeURIComponent(p)) : parts;
}

/**
 * `GET|POST|DELETE /_sandbox/faults` and `GET|DELETE /_sandbox/requests`. True when it answered;
 * `readSpec` reads the POSTed fault spec (and throws the provider's error for a bad body).
 */
export async function handleFaultControl<Spec>(c: ControlRequest, faults: ControlFaults<Spec>, readSpec: (req: IncomingMessage) => Promise<Spec>): Promise<boolean> {
  const { req, res, method, parts } = c;
  const [resource, id] = parts;
  if (id !== undefined) return false;
  if (resource === 'faults') {
    if (method === 'GET') return answer(res, 200, faults.active);
    if (method === 'POST') {
      faults.set(await readSpec(req));
      return answer(res, 200, faults.active);
    }
    if (method === 'DELETE') {
      faults.clear();
      sendNoContent(res);
      return true;
    }
  }
  if (resource === 'requests') {
    if (method === 'GET') return answer(res, 200, { requests: faults.requests });
    if (method === 'DELETE') {
      faults.clearRequests();
      sendNoContent(res);
      return true;
    }
  }
  return false;
}

function answer(res: ServerResponse, status: number, value: unknown): true {
  sendJson(res, status, value);
  return true;
}

/** `{total, active, inactive}` for the `/_sandbox/state` answer. */
export function employeeCounts(roster: { readonly size: number; records(): Iterable<{ readonly status: string }> }): { total: number; active: number; inactive: number } {
  let active = 0;
  for (const r of roster.records()) if (r.status === 'Active') active++;
  return { total: roster.size, active, inactive: roster.size - active };
}

/** A refusal of the control surface (bad body, unknown resource), with its HTTP status. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/** The request's JSON object body (empty → `{}`); anything else is a 400 ControlError. */
export async function controlBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJson(req, (status, message) => new ControlError(status, message));
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ControlError(400, 'expected a JSON object');
  return body as Record<string, unknown>;
}
