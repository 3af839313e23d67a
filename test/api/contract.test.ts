/**
 * The API contract (src/api/contract): the served document is valid OpenAPI 3.1, every operation
 * declares its request and its responses (success and the error shape), requests are strict
 * (an unknown field answers 400 naming it — checked on every operation the document lists), and
 * the console's generated types are in step with the document.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIV3_1 } from 'openapi-types';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';
import { generatedApiTypes } from '../../src/api/openapi-types.ts';

const GENERATED = path.resolve(import.meta.dirname, '..', '..', 'web', 'src', 'api', 'schema.gen.ts');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Operation = OpenAPIV3_1.OperationObject;

function operations(doc: OpenAPIV3_1.Document): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths ?? {}).flatMap(([p, item]) => METHODS.filter((m) => item?.[m]).map((m) => ({ method: m.toUpperCase(), path: p, op: item![m]! })));
}

const isErrorRef = (response: unknown) => JSON.stringify(response).includes('"#/components/schemas/Error"');

describe('the API contract', () => {
  let h: Harness;
  let app: FastifyInstance;
  let base: string;
  let key: string;
  let doc: OpenAPIV3_1.Document;

  before(async () => {
    h = await openHarness('sqlite', { employees: 5, seed: 3 });
    ({ app, base, key } = await serveApi(h));
    doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as OpenAPIV3_1.Document;
  });
  after(async () => {
    await app.close();
    await h.close();
  });

  it('serves a document that validates as OpenAPI 3.1', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await new Validator().validate(doc as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.ok(operations(doc).length >= 30, `only ${operations(doc).length} operations documented`);
  });

  it('declares, for every operation, a success response and the error shape with its statuses', () => {
    for (const { method, path: p, op } of operations(doc)) {
      const where = `${method} ${p}`;
      const statuses = Object.keys(op.responses ?? {});
      const success = statuses.filter((s) => s.startsWith('2'));
      assert.ok(success.length > 0, `${where} declares no success response`);
      for (const s of success.filter((s) => s !== '204')) {
        const content = (op.responses![s] as OpenAPIV3_1.ResponseObject).content?.['application/json']?.schema;
        assert.ok(content && Object.keys(content).length > 0, `${where} ${s} has no response schema`);
      }
      const open = Array.isArray(op.security) && op.security.length === 0;
      for (const s of [...(open ? [] : ['401']), '500']) assert.ok(statuses.includes(s), `${where} does not declare ${s}`);
      if (op.requestBody || (op.parameters ?? []).some((p) => (p as OpenAPIV3_1.ParameterObject).in === 'query')) {
        assert.ok(statuses.includes('400'), `${where} takes input but declares no 400`);
      }
      for (const s of statuses.filter((s) => Number(s) >= 400)) assert.ok(isErrorRef(op.responses![s]), `${where} ${s} is not the Error shape`);
      // Strict request bodies: the object (each branch of a union) refuses unknown fields.
      const body = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.['application/json']?.schema as OpenAPIV3_1.SchemaObject | undefined;
      if (body) {
        // (An optional body is published as `anyOf: [object, null]`.)
        const branches = ((body.oneOf ?? body.anyOf ?? [body]) as OpenAPIV3_1.SchemaObject[]).filter((b) => b.type !== 'null');
        for (const b of branches) assert.equal(b.additionalProperties, false, `${where} publishes a body that accepts unknown fields`);
      }
    }
  });

  it('answers 400 naming the field for an unknown body field or query parameter, on every operation that takes one', async () => {
    const fill = (p: string) => p.replace(/\{[^}]+\}/g, 'no-such-id');
    let checked = 0;
    for (const { method, path: p, op } of operations(doc)) {
      const open = Array.isArray(op.security) && op.security.length === 0;
      const headers: Record<string, string> = open ? {} : { authorization: `Bearer ${key}` };
      const json = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.['application/json'];
      if (json) {
        // A union's discriminator is given (else the branch, not the field, is at fault).
        const first = ((json.schema as OpenAPIV3_1.SchemaObject).oneOf?.[0] ?? json.schema) as OpenAPIV3_1.SchemaObject;
        const props = (first.properties ?? {}) as Record<string, OpenAPIV3_1.SchemaObject>;
        const discriminator = Object.fromEntries(Object.entries(props).flatMap(([k, v]) => (v.enum?.length === 1 ? [[k, v.enum[0]]] : v.const !== undefined ? [[k, v.const]] : [])));
        const res = await fetch(`${base}${fill(p)}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ ...discriminator, notAField: 1 }) });
        const answer = (await res.json()) as { error: { code: string; message: string; details: { problems: { field: string }[] } } };
        assert.equal(res.status, 400, `${method} ${p} accepted an unknown body field`);
        assert.equal(answer.error.code, 'invalid_request');
        assert.ok(answer.error.details.problems.some((x) => x.field === 'notAField'), `${method} ${p}: ${answer.error.message}`);
        checked += 1;
      }
      // The OAuth callback takes whatever the provider adds to its redirect (RFC 6749 §4.1.2).
      const takesQuery = (op.parameters ?? []).some((x) => (x as OpenAPIV3_1.ParameterObject).in === 'query');
      if (takesQuery && !p.includes('/oauth/callback/')) {
        // A body the operation accepts, so the query is what is at fault (the CSV import takes text/csv).
        const csv = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.['text/csv'];
        const res = await fetch(`${base}${fill(p)}?notAParameter=1`, { method, headers: { ...headers, ...(csv ? { 'content-type': 'text/csv' } : {}) }, ...(csv ? { body: 'Work Email\n' } : {}) });
        const answer = (await res.json()) as { error: { message: string; details: { field: string } } };
        assert.equal(res.status, 400, `${method} ${p} accepted an unknown query parameter`);
        assert.equal(answer.error.details.field, 'query.notAParameter', `${method} ${p}: ${answer.error.message}`);
        assert.match(answer.error.message, /^query\.notAParameter: unknown field/);
        checked += 1;
      }
    }
    assert.ok(checked >= 20, `only ${checked} checks ran`);
  });

  it('names a misspelt nested field, and every problem, in words', async () => {
    const res = await fetch(`${base}/api/v1/integrations/${h.integration.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userSync: { cadance: '1h', scope: { groups: [{ conditions: [{ field: 'department', operator: 'in', values: [] }] }] } } }),
    });
    assert.equal(res.status, 400);
    const { error } = (await res.json()) as { error: { message: string; details: { field: string; problems: { field: string; message: string }[] } } };
    assert.deepEqual(error.details.problems.map((p) => p.field).sort(), ['userSync.cadance', 'userSync.scope.groups.0.conditions.0.values']);
    assert.match(error.message, /^userSync\.(cadance: unknown field|scope\.groups\.0\.conditions\.0\.values: enter at least one value)/);
  });

  it('keeps the console types generated from the document (npm run gen:api)', async () => {
    const committed = readFileSync(GENERATED, 'utf8');
    const fresh = await generatedApiTypes();
    assert.ok(committed === fresh, 'web/src/api/schema.gen.ts is out of date with /api/v1/openapi.json: run `npm run gen:api` and commit it');
    assert.match(committed, /Integration: \{/);
  });
});
