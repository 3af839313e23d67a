/**
 * Input no request can hurt the server with, refused in one place before any route sees it:
 * JSON bodies that are not UTF-8 or are nested deeper than anything the API takes (a deep body
 * would overflow the stack of whatever walks it next), and NUL characters or lone surrogates in
 * any path parameter, query value or body string (PostgreSQL refuses NUL in text, and neither
 * is text a person meant to send). Each is a 400 that names the part at fault.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../app/errors.ts';

/** Every body is at most this big (Fastify answers 413 above it); CSV import sets its own. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** No request schema nests deeper than a few levels; this leaves room and still bounds recursion. */
export const MAX_JSON_DEPTH = 64;

/** Whether a JSON text nests objects and arrays deeper than `max`, found by a scan (no parse, no recursion). */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i += 1; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      depth += 1;
      if (depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth -= 1;
  }
  return false;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string the API was sent, or null when it is fine. */
export function stringProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000); remove it';
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (it holds a lone surrogate); send UTF-8 text';
  return null;
}

function refuse(field: string, problem: string): ApiError {
  return new ApiError(400, 'invalid_request', `${field}: ${problem}`, { field });
}

const join = (at: string, key: string) => (at ? `${at}.${key}` : key);

/** The first hostile string (value or key) in a parsed value, walked without recursion; a body's fields are named as validation names them (`fields.email`). */
export function findHostileString(root: unknown, rootName: string): { field: string; problem: string } | null {
  const stack: [unknown, string][] = [[root, rootName]];
  while (stack.length > 0) {
    const [value, at] = stack.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) return { field: at || 'body', problem };
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push([item, join(at, String(i))]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const keyProblem = stringProblem(key);
        if (keyProblem) return { field: at || 'body', problem: `has a field name that ${keyProblem}` };
        stack.push([item, join(at, key)]);
      }
    }
  }
  return null;
}

/**
 * Whether the percent-escapes of a raw URL spell UTF-8 (`%ED%A0%80`, an encoded surrogate, and
 * `%FF` do not; routers pass such escapes on undecoded, so they are caught here).
 */
export function urlEscapesAreUtf8(url: string): boolean {
  if (!url.includes('%')) return true;
  const bytes: number[] = [];
  for (let i = 0; i < url.length; i += 1) {
    const ch = url.charCodeAt(i);
    if (ch === 0x25 && /^[0-9A-Fa-f]{2}$/.test(url.slice(i + 1, i + 3))) {
      bytes.push(parseInt(url.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) bytes.push(ch);
    else bytes.push(...Buffer.from(url[i]!, 'utf8'));
  }
  return isUtf8(Buffer.from(bytes));
}

/**
 * The router's own refusals (a path whose %-escapes are not UTF-8, a bad media type) in the API's
 * error shape (Fastify's `frameworkErrors`).
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const field = error.code === 'FST_ERR_BAD_URL' ? 'params' : 'headers';
  void reply.status(status).send({ error: { code: 'invalid_request', message: `${field}: ${error.message}`, details: { field } } });
}

export function registerInputHygiene(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (!isUtf8(body)) return done(refuse('body', 'is not valid UTF-8; send JSON as UTF-8 text'), undefined);
    const text = body.toString('utf8');
    if (jsonDeeperThan(text, MAX_JSON_DEPTH)) return done(refuse('body', `nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; flatten it`), undefined);
    parseJson(request, text, done);
  });

  app.addHook('preValidation', async (request) => {
    const [path = '', query] = request.url.split('?', 2);
    if (!urlEscapesAreUtf8(path)) throw refuse('params', 'is not valid UTF-8 once its %-escapes are decoded; encode the path as UTF-8');
    if (query !== undefined && !urlEscapesAreUtf8(query)) throw refuse('query', 'is not valid UTF-8 once its %-escapes are decoded; encode the query as UTF-8');
    const found = findHostileString(request.params, 'params') ?? findHostileString(request.query, 'query') ?? findHostileString(request.body, '');
    if (found) throw refuse(found.field, found.problem);
  });
}
