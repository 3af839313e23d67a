import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, type Harness } from '../helpers/harness.ts';

/** Malformed input the issue found answering 500 (mostly on PostgreSQL): each must be a 400 naming the part at fault. */
for (const dialect of DIALECTS) {
  describe(`malformed input on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let base: string;
    let key: string;
    const raw = async (method: string, path: string, body?: string | Buffer, opts: { auth?: boolean; type?: string } = {}) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { ...(opts.auth === false ? {} : { authorization: `Bearer ${key}` }), ...(body !== undefined ? { 'content-type': opts.type ?? 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const json = (method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}) => raw(method, path, body === undefined ? undefined : JSON.stringify(body), opts);
    const assert400 = (res: { status: number; body: any }, field: string | RegExp, what: string) => {
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request', what);
      if (typeof field === 'string') assert.equal(res.body.error.details.field, field, what);
      else assert.match(res.body.error.details.field, field, what);
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 5 });
      ({ app, base, key } = await serveApi(h));
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('refuses NUL bytes in a body, a path parameter or a query before any query runs', async () => {
      const login = await json('POST', '/auth/login', { email: 'admin\u0000@example.com', password: 'x' }, { auth: false });
      assert400(login, 'email', 'NUL in the login e-mail (unauthenticated)');
      assert.match(login.body.error.message, /NUL/);
      assert400(await raw('GET', '/employees/a%00b'), 'params.id', 'NUL in a path parameter');
      assert400(await raw('GET', '/employees?q=a%00b'), 'query.q', 'NUL in a query value');
      assert400(await json('POST', '/groups', { name: 'Sales\u0000' }), 'name', 'NUL in a group name');
      assert400(await json('PATCH', `/integrations/${h.integration.id}`, { name: 'x', settings: { 'a\u0000': 1 } }), 'settings', 'NUL in a field name');
      assert400(await raw('POST', '/employees/import', 'email,firstName\na@example.com,A\u0000n\n', { type: 'text/csv' }), 'body', 'NUL in a CSV import');
    });

    it('refuses lone surrogates and bodies that are not UTF-8', async () => {
      assert400(await raw('POST', '/groups', '{"name": "Sales \\ud800"}'), 'name', 'a lone surrogate in a group name');
      assert400(await raw('GET', '/employees?q=%ED%A0%80'), 'query', 'a surrogate encoded in the query');
      assert400(await raw('GET', '/employees?q=caf%E9'), 'query', 'Latin-1 in the query');
      assert400(await raw('GET', '/employees/%FF'), 'params', 'Latin-1 in the path');
      assert400(await raw('GET', '/employees/%ED%A0%80'), 'params', 'a surrogate encoded in the path');
      assert.equal((await raw('GET', '/employees?q=caf%C3%A9')).status, 200, 'UTF-8 in the query is fine');
      const latin1 = Buffer.concat([Buffer.from('{"name": "Caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      const notUtf8 = await raw('POST', '/groups', latin1);
      assert400(notUtf8, 'body', 'a Latin-1 body');
      assert.match(notUtf8.body.error.message, /UTF-8/);
    });

    it('refuses a body nested 4,500 levels deep with a 400, not a stack overflow', async () => {
      const deep = `{"fields": {"email": "deep@example.com"}, "customConfig": {"a": ${'['.repeat(4500)}${']'.repeat(4500)}}}`;
      const res = await raw('POST', '/employees', deep);
      assert400(res, 'body', 'customConfig nested 4,500 levels');
      assert.match(res.body.error.message, /levels deep/);
      // Brackets inside strings are text, not nesting.
      const textual = await json('POST', '/employees', { fields: { email: 'brackets@example.com' }, customConfig: { note: '['.repeat(4500) } });
      assert.equal(textual.status, 201, JSON.stringify(textual.body));
    });

    it('answers forged or damaged cursors with 400 on every list', async () => {
      // The audit log's cursors are positions in two streams: only the shape it writes is read.
      for (const cursor of ['AA', 'bnVsbA', 'eyJhIjo1fQ', 'eyJhIjpbIngiLCJ5Il0sImIiOjF9', 'W10', 'not a cursor']) {
        assert400(await raw('GET', `/audit?cursor=${encodeURIComponent(cursor)}`), 'query.cursor', `audit with cursor ${cursor}`);
      }
      // Lists keyed by id: a cursor is the canonical base64url of text without control characters.
      for (const cursor of ['AA', 'AAA=', 'YQ==', 'not a cursor', '_w', '']) {
        for (const path of ['/employees', '/runs', '/correlation-cases', '/groups']) {
          const res = await raw('GET', `${path}?cursor=${encodeURIComponent(cursor)}`);
          if (cursor === '') assert.equal(res.status, 200, `${path} with an empty cursor is the first page`);
          else assert400(res, 'query.cursor', `${path} with cursor ${cursor}`);
        }
      }
      const run = h.firstRun!;
      for (const cursor of ['AA', 'eA', 'LTE']) assert400(await raw('GET', `/runs/${run.id}/changes?cursor=${cursor}`), 'query.cursor', `run changes with cursor ${cursor}`);
    });

    it('refuses unknown fields in POST /integrations, settings included, as every endpoint does', async () => {
      const good = { provider: 'bamboohr', settings: { companyDomain: 'acme', baseUrl: h.sandbox.url } };
      const top = await json('POST', '/integrations', { ...good, colour: 'blue' });
      assert400(top, 'colour', 'an unknown top-level field');
      assert.match(top.body.error.message, /unknown field/);
      const setting = await json('POST', '/integrations', { ...good, settings: { ...good.settings, companyDomian: 'acme' } });
      assert400(setting, 'settings.companyDomian', 'a misspelt setting');
      assert.match(setting.body.error.message, /settings\.companyDomian: unknown field/);
      assert400(await json('PATCH', `/integrations/${h.integration.id}`, { settings: { pageSise: 5 } }), 'settings.pageSise', 'an unknown setting in a PATCH');
      const created = await json('POST', '/integrations', { ...good, name: 'Second BambooHR' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await raw('DELETE', `/integrations/${created.body.id}`)).status, 204);
    });

    it('imports at most 10,000 CSV rows at once (413 above), reading no further than that', async () => {
      const rows = Array.from({ length: 10_001 }, (_, i) => `bulk${i}@example.com`);
      const tooMany = await raw('POST', '/employees/import', `email\n${rows.join('\n')}\n`, { type: 'text/csv' });
      assert.equal(tooMany.status, 413, JSON.stringify(tooMany.body).slice(0, 300));
      assert.equal(tooMany.body.error.code, 'too_many_rows');
      assert.match(tooMany.body.error.message, /more than 10,000 rows/);
      const wide = await raw('POST', '/employees/import', `email,${Array.from({ length: 300 }, (_, i) => `custom.c${i}`).join(',')}\na@example.com\n`, { type: 'text/csv' });
      assert.equal(wide.status, 400);
      assert.match(wide.body.error.message, /more than 250 columns/);
      const none = await raw('GET', '/employees?q=bulk1&limit=5');
      assert.deepEqual(none.body.data, [], 'nothing was imported from the refused file');
    });

    it('still pages with the cursors it gives out', async () => {
      for (const path of ['/employees?limit=5', '/audit?limit=3', `/runs/${h.firstRun!.id}/changes?limit=4`]) {
        const first = await raw('GET', path);
        assert.equal(first.status, 200, path);
        assert.ok(first.body.nextCursor, `${path} has a next page`);
        const second = await raw('GET', `${path}&cursor=${first.body.nextCursor}`);
        assert.equal(second.status, 200, `${path} page 2: ${JSON.stringify(second.body)}`);
        assert.ok(second.body.data.length > 0);
        assert.notDeepEqual(second.body.data[0], first.body.data[0]);
      }
    });
  });
}
