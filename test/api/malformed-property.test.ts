/**
 * Malformed input, generated from the OpenAPI document (so a new route is covered the day it is
 * added): every operation, with path parameters, queries and bodies drawn from its own schemas
 * and then spoilt — NUL characters, lone surrogates, %-escapes that are not UTF-8, huge numbers,
 * deep nesting, wrong types, unknown fields, bodies that are not JSON or not UTF-8. No answer may
 * be a 5xx, and none may hang. On SQLite and PostgreSQL.
 *
 * `npm test` runs a short pass (MALFORMED_RUNS, default 250 a store); the long run is
 * `MALFORMED_RUNS=10000 node scripts/run-tests.mjs test/api/malformed-property.test.ts`. A failure
 * prints the seed and path: rerun it with MALFORMED_SEED=<seed> (and MALFORMED_PATH=<path>).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi } from '../helpers/harness.ts';

const RUNS = Number(process.env['MALFORMED_RUNS'] ?? 250);
const SEED = process.env['MALFORMED_SEED'] ? Number(process.env['MALFORMED_SEED']) : undefined;
const PATH = process.env['MALFORMED_PATH'];
/** Longer than any honest answer here takes, even on a loaded machine: past it, the request hangs. */
const HANG_MS = 20_000;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

type Schema = OpenAPIV3_1.SchemaObject & { $ref?: string; const?: unknown };

const HOSTILE_STRINGS = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\ud83d', '', ' ', '\u202e\u0301', '😀', '٣', '𝔘𝔫𝔦',
  '%00', '../..', "' OR 1=1 --", '${jndi:x}', '<script>', '__proto__', 'constructor', 'prototype',
  '-1', '0', '1e309', 'NaN', 'Infinity', '9'.repeat(400), 'true', 'null', '[]', '{}', 'x'.repeat(5000),
];
/** Path and query values, already %-encoded: some encode bytes that are not UTF-8 at all. */
const HOSTILE_ENCODED = ['%00', 'a%00b', '%FF', '%ED%A0%80', '%C0%AF', '%E9', '%', '%zz', '%25', '..%2F..', '%2F', 'a%20b', '+', encodeURIComponent('😀'), 'x'.repeat(3000)];

/** Percent-encodes a string as UTF-8; a lone surrogate becomes its own bytes (not UTF-8), as a hostile client would send. */
function encode(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += `%${(0xe0 | (cp >> 12)).toString(16)}%${(0x80 | ((cp >> 6) & 0x3f)).toString(16)}%${(0x80 | (cp & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

const hostileString = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }));
const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 1.5, -0, 0, 1e-320);
const deep = fc.integer({ min: 20, max: 200 }).map((n) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i += 1) v = i % 2 ? [v] : { a: v };
  return v;
});
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hugeNumber,
  fc.constantFrom(null, true, false, [], {}, [null], { '': null }),
  deep,
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
  fc.array(hostileString, { maxLength: 3 }),
);

/** Raw bodies that are not what the route's schema describes at any level. */
const rawBodies = fc.oneof(
  fc.constantFrom('', '{', '{"a":', 'null', '[]', '"x"', '1e400', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}', '\u0000'),
  fc.integer({ min: 50, max: 6000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 50, max: 6000 }).map((n) => `{"customConfig": ${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  fc.constant(Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
);

interface Context {
  readonly doc: OpenAPIV3_1.Document;
  /** Real ids of this tenant, by the collection a path names. */
  readonly ids: Record<string, string>;
}

function resolve(doc: OpenAPIV3_1.Document, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 10; i += 1) s = (doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {}) as Schema;
  return s;
}

/** Values of a schema's shape, each part sometimes spoilt. */
function valueOf(ctx: Context, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(ctx.doc, schema);
  const spoil = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: hostileValue });
  if (depth > 5) return hostileValue;
  const variants = (s.anyOf ?? s.oneOf ?? s.allOf) as Schema[] | undefined;
  if (variants?.length) return fc.oneof(...variants.map((v) => valueOf(ctx, v, depth + 1)));
  if (s.enum) return spoil(fc.constantFrom(...(s.enum as unknown[])));
  if (s.const !== undefined) return spoil(fc.constant(s.const));
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t) => valueOf(ctx, { ...s, type: t } as Schema, depth)));
  switch (type[0]) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      const known = fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueOf(ctx, v as Schema, depth + 1)])), { requiredKeys: (s.required ?? []).filter((k) => props.some(([p]) => p === k)) });
      const extra = typeof s.additionalProperties === 'object' ? fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), hostileString), valueOf(ctx, s.additionalProperties as Schema, depth + 1), { maxKeys: 3 }) : fc.constant({});
      const unknownField = fc.oneof({ weight: 5, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(hostileString, hostileValue, { minKeys: 1, maxKeys: 2 }) });
      return spoil(fc.tuple(known, extra, unknownField).map(([a, b, c]) => ({ ...b, ...c, ...a })));
    }
    case 'array':
      return spoil(fc.array(valueOf(ctx, (s as { items?: Schema }).items, depth + 1), { maxLength: 4 }));
    case 'string':
      return spoil(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...Object.values(ctx.ids), 'a@example.com', '2026-01-01', 'https://example.com'), hostileString));
    case 'integer':
      return spoil(fc.oneof(fc.integer({ min: -5, max: 2000 }), hugeNumber));
    case 'number':
      return spoil(fc.oneof(fc.double({ noNaN: true }), hugeNumber));
    case 'boolean':
      return spoil(fc.boolean());
    default:
      return fc.oneof(hostileValue, fc.string({ maxLength: 10 }));
  }
}

/** A path or query value, %-encoded: a real id or enum value, text of the schema's kind, or hostile. */
function paramOf(ctx: Context, schema: Schema | undefined, collection: string | undefined): fc.Arbitrary<string> {
  const s = resolve(ctx.doc, schema);
  const good = [...(collection && ctx.ids[collection] ? [ctx.ids[collection]!] : []), ...((s.enum as string[] | undefined) ?? []), ...(s.type === 'integer' || s.type === 'number' ? ['1', '50'] : [])];
  return fc.oneof(
    ...(good.length ? [{ weight: 3, arbitrary: fc.constantFrom(...good).map(encode) }] : []),
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map(encode) },
    { weight: 2, arbitrary: hostileString.map(encode) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_ENCODED) },
  );
}

interface Request {
  readonly method: string;
  readonly url: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly auth: boolean;
}

function requestsFor(ctx: Context): fc.Arbitrary<Request> {
  const operations = Object.entries(ctx.doc.paths ?? {}).flatMap(([path, item]) => METHODS.filter((m) => item?.[m]).map((m) => ({ path, method: m, op: item![m] as OpenAPIV3_1.OperationObject })));
  assert.ok(operations.length >= 30, `only ${operations.length} operations in the document`);
  return fc.oneof(
    ...operations.map(({ path, method, op }) => {
      const params = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const segments = path.split('/');
      const collectionOf = (name: string) => segments[segments.indexOf(`{${name}}`) - 1];
      const pathValues = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, paramOf(ctx, p.schema as Schema, p.name === 'employeeId' ? 'employees' : collectionOf(p.name))])));
      const query = fc.array(
        fc.oneof(
          ...queryParams.map((p) => paramOf(ctx, p.schema as Schema, undefined).map((v) => `${encodeURIComponent(p.name)}=${v}`)),
          fc.tuple(fc.constantFrom('cursor', 'limit', 'unknownParam', '__proto__', 'q'), fc.constantFrom(...HOSTILE_ENCODED, 'AA', 'bnVsbA', 'eyJhIjo1fQ', '-1', '1e9')).map(([k, v]) => `${k}=${v}`),
        ),
        { maxLength: 3 },
      );
      const content = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content ?? {};
      const contentType = Object.keys(content)[0];
      const body: fc.Arbitrary<{ body?: string | Buffer; contentType?: string }> = contentType
        ? fc.oneof(
            { weight: 5, arbitrary: valueOf(ctx, content[contentType]!.schema as Schema).map((v) => ({ body: contentType.includes('json') || typeof v !== 'string' ? JSON.stringify(v) ?? 'null' : v, contentType })) },
            { weight: 2, arbitrary: rawBodies.map((b) => ({ body: b, contentType })) },
            { weight: 1, arbitrary: fc.tuple(rawBodies, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1')).map(([b, t]) => ({ body: b, contentType: t })) },
          )
        : fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: rawBodies.map((b) => ({ body: b, contentType: 'application/json' })) });
      return fc.record({ values: pathValues, query, body, auth: fc.integer({ min: 0, max: 9 }).map((n) => n > 0) }).map(({ values, query: q, body: b, auth }) => {
        const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'x');
        return { method: method.toUpperCase(), url: `${filled}${q.length ? `?${q.join('&')}` : ''}`, ...b, auth };
      });
    }),
  );
}

for (const dialect of DIALECTS) {
  describe(`malformed requests from the OpenAPI document on ${dialect}`, () => {
    it(`answers ${RUNS} generated requests over every route with no 5xx and no hang`, async () => {
      const h = await openHarness(dialect, { employees: 10, seed: 41 });
      const api = await serveApi(h);
      try {
        const call = apiCaller(api);
        const doc = (await (await fetch(`${api.base}/api/v1/openapi.json`)).json()) as OpenAPIV3_1.Document;
        const employeeId = ((await call('GET', '/employees?limit=1')).body.data as { id: string }[])[0]!.id;
        const runId = ((await call('GET', '/runs')).body.data as { id: string }[])[0]!.id;
        const groupId = (await call('POST', '/groups', { name: 'Property' })).body.id as string;
        // A spare key for the api-keys routes to revoke: revoking the test's own would turn the rest into 401s.
        const spare = await call('POST', '/api-keys', { name: 'spare' });
        assert.equal(spare.status, 201, JSON.stringify(spare.body));
        const keyId = spare.body.id as string;
        const ids = { integrations: h.integration.id, employees: employeeId, runs: runId, groups: groupId, 'api-keys': keyId, providers: 'bamboohr', bamboohr: h.integration.id, callback: 'bamboohr' };
        const ctx: Context = { doc, ids };
        const statuses: Record<number, number> = {};

        await fc.assert(
          fc.asyncProperty(requestsFor(ctx), async (req) => {
            const res = await fetch(`${api.base}${req.url}`, {
              method: req.method,
              headers: { ...(req.auth ? { authorization: `Bearer ${api.key}` } : {}), ...(req.body !== undefined ? { 'content-type': req.contentType ?? 'application/json' } : {}) },
              ...(req.body !== undefined && req.method !== 'GET' ? { body: req.body } : {}),
              redirect: 'manual',
              signal: AbortSignal.timeout(HANG_MS),
            });
            const text = await res.text();
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            assert.ok(res.status < 500, `${req.method} ${req.url.slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`);
          }),
          { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), ...(PATH ? { path: PATH } : {}) },
        );
        // What the requests met, for whoever reads the log: mostly 4xx, some successes.
        console.log(`${dialect}: ${RUNS} generated requests answered ${JSON.stringify(statuses)}`);
      } finally {
        await api.app.close();
        await h.close();
      }
    });
  });
}
