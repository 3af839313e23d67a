import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collect, rejection } from '../helpers/connectors.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SourceRecord } from '../../src/core/source-record.ts';
import type { ConnectorOptions, HttpPolicy, RetryInfo } from '../../src/connectors/types.ts';
import { isProviderError } from '../../src/connectors/errors.ts';
import { createBambooClient, resolveBambooBaseUrl } from '../../src/providers/bamboohr/connector/client.ts';
import { createBambooHrConnector, bambooFields } from '../../src/providers/bamboohr/connector/connector.ts';
import { DEFAULT_DATASET_FIELDS } from '../../src/providers/bamboohr/connector/datasets-employee.ts';
import { getChangedEmployees } from '../../src/providers/bamboohr/connector/employees-changed.ts';
import { getEmployee } from '../../src/providers/bamboohr/connector/employee-get.ts';
import { getMetaLists } from '../../src/providers/bamboohr/connector/meta-lists.ts';
import { normalizeDate, normalizeRow, normalizeRows } from '../../src/providers/bamboohr/connector/normalize.ts';
import { startBambooSandbox } from '../../src/providers/bamboohr/sandbox/index.ts';

const SHORT: Partial<HttpPolicy> = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 15_000, maxRetryAfterMs: 2_000 };
const KEY = 'test-api-key-0123456789abcdef';


// -------------------------------------------------------------------------------------------
// normalize
// -------------------------------------------------------------------------------------------

describe('normalize', () => {
  it('trims, NFC-normalises, drops empties and placeholders, keeps the id', () => {
    const r = normalizeRow(
      {
        employeeId: 42,
        firstName: '  Zoe\u0308 ',
        lastName: 'Ångström',
        preferredName: '',
        middleName: null,
        hireDate: '2024-03-01T00:00:00+02:00',
        terminationDate: '0000-00-00',
        status: 'active',
        supervisorEId: 7,
        _restrictedFields: ['x'],
        nested: { a: 1 },
      },
      { today: '2025-01-01' },
    );
    assert.ok(!('reason' in r));
    assert.equal(r.externalId, '42');
    assert.deepEqual(r.attributes, {
      employeeId: '42',
      firstName: 'Zoë',
      lastName: 'Ångström',
      hireDate: '2024-03-01',
      status: 'Active',
      supervisorEId: '7',
    });
    assert.equal(r.attributes['firstName'], 'Zo\u00eb');
    assert.deepEqual(r.lifecycle, { active: true, hireDate: '2024-03-01' });
  });

  it('reads the status case-insensitively; without one, a past termination date means inactive', () => {
    const a = (row: Record<string, unknown>) => {
      const r = normalizeRow({ id: '1', ...row }, { today: '2025-06-15' });
      assert.ok(!('reason' in r));
      return r.lifecycle.active;
    };
    assert.equal(a({ status: 'INACTIVE' }), false);
    assert.equal(a({ status: 'Active', terminationDate: '2020-01-01' }), true);
    assert.equal(a({}), true);
    assert.equal(a({ terminationDate: '2025-06-15' }), false);
    assert.equal(a({ terminationDate: '2025-06-16' }), true);
  });

  it('a row without an id is a RecordFailure', () => {
    const page = normalizeRows([{ firstName: 'Ann' }, { employeeId: '  ' }, { id: '3' }]);
    assert.equal(page.records.length, 1);
    assert.deepEqual(page.failures, [{ reason: 'record has no employee id' }, { reason: 'record has no employee id' }]);
  });

  it('dates: YYYY-MM-DD from dates and timestamps, impossible dates rejected', () => {
    assert.equal(normalizeDate('2024-02-29'), '2024-02-29');
    assert.equal(normalizeDate('2024-02-29T23:00:00Z'), '2024-02-29');
    assert.equal(normalizeDate('2023-02-29'), undefined);
    assert.equal(normalizeDate('0000-00-00'), undefined);
    assert.equal(normalizeDate('01/02/2024'), undefined);
  });

  it('fields: defaults plus settings.extraFields', () => {
    assert.deepEqual(bambooFields({}), [...DEFAULT_DATASET_FIELDS]);
    assert.deepEqual(bambooFields({ extraFields: ['customShirtSize', 'firstName', ' '] }).slice(-1), ['customShirtSize']);
    assert.deepEqual(bambooFields({ extraFields: 'a, b' }).slice(-2), ['a', 'b']);
  });

  it('base URL: explicit override, settings.baseUrl, else the company domain', () => {
    assert.equal(resolveBambooBaseUrl({ baseUrl: 'http://127.0.0.1:9101/', settings: {} }), 'http://127.0.0.1:9101');
    assert.equal(resolveBambooBaseUrl({ settings: { baseUrl: 'https://proxy.example/bamboo/' } }), 'https://proxy.example/bamboo');
    assert.equal(resolveBambooBaseUrl({ settings: { companyDomain: 'Acme' } }), 'https://acme.bamboohr.com');
    assert.throws(() => resolveBambooBaseUrl({ settings: { companyDomain: 'evil.com/x?' } }), (e: unknown) => isProviderError(e) && e.code === 'bad_request');
    assert.throws(() => resolveBambooBaseUrl({ settings: {} }), /company domain/);
  });
});

// -------------------------------------------------------------------------------------------
// Edge cases against a scripted fake (shapes the sandbox may never produce)
// -------------------------------------------------------------------------------------------

interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
}
interface FakeAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly text?: string;
}
type Route = (req: FakeRequest) => FakeAnswer | undefined;

async function fake(route: Route): Promise<{ url: string; requests: FakeRequest[]; close(): Promise<void> }> {
  const requests: FakeRequest[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const r: FakeRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        body: raw ? (JSON.parse(raw) as unknown) : undefined,
        headers: req.headers,
      };
      requests.push(r);
      const a = route(r) ?? { status: 404, json: { error: 'no route' } };
      if (a.json !== undefined) {
        res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json', ...a.headers });
        res.end(JSON.stringify(a.json));
      } else {
        res.writeHead(a.status ?? 200, { 'Content-Type': 'application/xml', ...a.headers });
        res.end(a.text ?? '');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const changedNow: Route = (r) =>
  r.path === '/api/v1/employees/changed' ? { json: { latest: '2026-01-01T00:00:00+00:00', employees: {} } } : undefined;

function opts(url: string, settings: Record<string, unknown> = {}): ConnectorOptions {
  return { baseUrl: url, settings, credentials: { apiKey: KEY }, http: SHORT };
}

const person = (id: number | string, extra: Record<string, unknown> = {}) => ({ employeeId: id, firstName: `P${id}`, status: 'Active', ...extra });

describe('dataset paging (scripted)', () => {
  it('follows string-typed pagination, not short pages; sends fields, status filter, page_size', async () => {
    const f = await fake((r) => {
      if (r.path !== '/api/v1/datasets/employee') return changedNow(r);
      const page = Number(r.query.get('page'));
      // Page 1 is short (1 row of 3) but not the end.
      const rows = page === 1 ? [person(1)] : page === 2 ? [person(2), person(3), person(4)] : [person(5)];
      return { json: { data: rows, pagination: { total_records: '5', current_page: String(page), total_pages: '3', next_page: null } } };
    });
    try {
      const c = createBambooHrConnector(opts(f.url, { pageSize: 3, extraFields: ['customShirtSize'] }));
      const full = await c.fetchAll();
      assert.equal(full.watermark, '2026-01-01T00:00:00+00:00');
      const got = await collect(full.pages);
      assert.deepEqual(got.records.map((r) => r.externalId), ['1', '2', '3', '4', '5']);
      const ds = f.requests.filter((r) => r.path === '/api/v1/datasets/employee');
      assert.deepEqual(ds.map((r) => r.query.get('page')), ['1', '2', '3']);
      assert.ok(ds.every((r) => r.query.get('page_size') === '3' && r.method === 'POST'));
      const body = ds[0]?.body as { fields: string[]; filters: { filters: unknown[] } };
      assert.ok(body.fields.includes('customShirtSize') && body.fields.includes('supervisorEId'));
      assert.deepEqual(body.filters.filters, [{ field: 'status', operator: 'includes', value: ['Active', 'Inactive'] }]);
      assert.match(String(ds[0]?.headers['authorization']), /^Basic /);
    } finally {
      await f.close();
    }
  });

  it('finds the employee dataset by name when an account lists it as "employees"', async () => {
    const f = await fake((r) => {
      if (r.path === '/api/v1/datasets') return { json: { datasets: [{ name: 'time_tracking', label: 'Time Tracking' }, { name: 'employees', label: 'Employees' }] } };
      if (r.path === '/api/v1/datasets/employee') return { status: 404, json: { error: 'no such dataset' } };
      if (r.path !== '/api/v1/datasets/employees') return changedNow(r);
      return { json: { data: [person(1), person(2)], pagination: { current_page: 1, total_pages: 1, total_records: 2 } } };
    });
    try {
      const connector = createBambooHrConnector(opts(f.url));
      await connector.checkConnection();
      const all = await collect((await connector.fetchAll()).pages);
      assert.deepEqual(all.records.map((r) => r.externalId), ['1', '2']);
      assert.equal(f.requests.filter((r) => r.path === '/api/v1/datasets/employee').length, 0);
      assert.equal(f.requests.filter((r) => r.path === '/api/v1/datasets').length, 1, 'the listing is asked once per connector');
    } finally {
      await f.close();
    }
  });

  it('missing pagination = one page, even a full one; next_page is followed by its page number only', async () => {
    const f = await fake((r) => {
      if (r.path !== '/api/v1/datasets/employee') return changedNow(r);
      return { json: { data: [person(1), person(2)] } };
    });
    const g = await fake((r) => {
      if (r.path !== '/api/v1/datasets/employee') return changedNow(r);
      const page = Number(r.query.get('page'));
      return {
        json: {
          data: [person(page)],
          pagination: page < 3 ? { current_page: page, next_page: `https://evil.example/api/v1/datasets/employee?page=${page + 1}&page_size=1` } : { current_page: page },
        },
      };
    });
    try {
      const one = await collect((await createBambooHrConnector(opts(f.url, { pageSize: 2 })).fetchAll()).pages);
      assert.equal(one.records.length, 2);
      assert.equal(f.requests.filter((r) => r.path === '/api/v1/datasets/employee').length, 1);
      const three = await collect((await createBambooHrConnector(opts(g.url, { pageSize: 1 })).fetchAll()).pages);
      assert.deepEqual(three.records.map((r) => r.externalId), ['1', '2', '3']);
    } finally {
      await f.close();
      await g.close();
    }
  });

  it('a repeated page is bad_data (server ignoring ?page)', async () => {
    const f = await fake((r) =>
      r.path === '/api/v1/datasets/employee'
        ? { json: { data: [person(1)], pagination: { current_page: 1, total_pages: 3, total_records: 3 } } }
        : changedNow(r),
    );
    try {
      const full = await createBambooHrConnector(opts(f.url)).fetchAll();
      const err = await rejection(collect(full.pages));
      assert.equal(err.code, 'bad_data');
      assert.match(err.message, /page 1 was answered twice/);
    } finally {
      await f.close();
    }
  });

  it('fewer people than total_records is bad_data, never a roster with holes', async () => {
    const f = await fake((r) =>
      r.path === '/api/v1/datasets/employee'
        ? { json: { data: [person(1), person(2)], pagination: { current_page: 1, total_pages: 1, total_records: 3 } } }
        : changedNow(r),
    );
    try {
      const err = await rejection(collect((await createBambooHrConnector(opts(f.url)).fetchAll()).pages));
      assert.equal(err.code, 'bad_data');
    } finally {
      await f.close();
    }
  });

  it('a 400 naming unknown fields is retried once without them', async () => {
    const f = await fake((r) => {
      if (r.path !== '/api/v1/datasets/employee') return changedNow(r);
      const fields = (r.body as { fields: string[] }).fields;
      if (fields.includes('customNope')) {
        return { status: 400, headers: { 'X-BambooHR-Error-Message': 'Invalid fields: "customNope"' }, json: {} };
      }
      return { json: { data: [person(1, { customShirtSize: 'M' })], pagination: { current_page: 1, total_pages: 1 } } };
    });
    try {
      const got = await collect((await createBambooHrConnector(opts(f.url, { extraFields: ['customShirtSize', 'customNope'] })).fetchAll()).pages);
      assert.equal(got.records[0]?.attributes['customShirtSize'], 'M');
      const ds = f.requests.filter((r) => r.path === '/api/v1/datasets/employee');
      assert.equal(ds.length, 2);
    } finally {
      await f.close();
    }
  });

  it('404 from the dataset falls back to the cursor-paged employee list', async () => {
    const f = await fake((r) => {
      if (r.path === '/api/v1/datasets/employee') return { status: 404, json: {} };
      if (r.path === '/api/v1/employees') {
        const after = r.query.get('page[after]');
        assert.equal(r.query.get('page[limit]'), '2');
        const pages: Record<string, { data: unknown[]; next: string | null }> = {
          '': { data: [{ employeeId: '1', firstName: 'Ann', jobTitleName: 'CEO', status: 'active', _restrictedFields: [] }, { employeeId: '2', status: 'inactive' }], next: 'c1' },
          c1: { data: [{ employeeId: '3', status: 'active' }], next: null },
        };
        const p = pages[after ?? ''];
        return p ? { json: { data: p.data, meta: { total: 3, page: { limit: 2, nextCursor: p.next, prevCursor: null } }, _links: {} } } : { status: 400, json: {} };
      }
      return changedNow(r);
    });
    try {
      const got = await collect((await createBambooHrConnector(opts(f.url, { pageSize: 2 })).fetchAll()).pages);
      assert.deepEqual(got.records.map((r) => [r.externalId, r.lifecycle.active]), [
        ['1', true],
        ['2', false],
        ['3', true],
      ]);
      assert.equal(got.records[0]?.attributes['jobTitle'], 'CEO');
      assert.equal(got.records[0]?.attributes['status'], 'Active');
    } finally {
      await f.close();
    }
  });

  it('watermark falls back to the Date header when `latest` is absent', async () => {
    const f = await fake((r) =>
      r.path === '/api/v1/employees/changed'
        ? { headers: { Date: 'Thu, 01 Jan 2026 10:00:00 GMT' }, text: '<employees/>' }
        : { json: { data: [] } },
    );
    try {
      const full = await createBambooHrConnector(opts(f.url)).fetchAll();
      assert.equal(full.watermark, '2026-01-01T10:00:00.000Z');
    } finally {
      await f.close();
    }
  });
});

describe('incremental (scripted)', () => {
  const employees: Record<string, Record<string, unknown>> = {
    '1': { id: '1', firstName: 'Ann', status: 'Active' },
    '2': { id: '2', firstName: 'Bob', status: 'Inactive', terminationDate: '2025-01-31' },
    '5': { id: '5', firstName: 'Eve', status: 'Active' },
  };
  let f: Awaited<ReturnType<typeof fake>>;
  before(async () => {
    f = await fake((r) => {
      if (r.path === '/api/v1/employees/changed') {
        return {
          json: {
            latest: '2026-02-01T00:00:00+00:00',
            employees: {
              '1': { id: '1', action: 'Updated', lastChanged: 'x' },
              '2': { id: '2', action: 'Updated', lastChanged: 'x' },
              '3': { id: '3', action: 'Updated', lastChanged: 'x' },
              '4': { id: '4', action: 'Deleted', lastChanged: 'x' },
              '9': { id: '9', action: 'Inserted', lastChanged: 'x' },
            },
          },
        };
      }
      const m = /^\/api\/v1\/employees\/(\d+)$/.exec(r.path);
      if (m) {
        if (m[1] === '9') return { status: 403, headers: { 'X-BambooHR-Error-Message': 'No access' }, json: {} };
        const e = employees[m[1] ?? ''];
        return e ? { json: e } : { status: 404, json: {} };
      }
      if (r.path === '/api/v1/datasets/employee') {
        return {
          json: {
            data: Object.values(employees).map((e) => ({ ...e, employeeId: e['id'], id: undefined })),
            pagination: { current_page: 1, total_pages: 1, total_records: 3 },
          },
        };
      }
      return undefined;
    });
  });
  after(() => f.close());

  it('few changes: each read by id; 404 → deleted; 403 → a failure', async () => {
    const c = createBambooHrConnector(opts(f.url));
    const ch = await c.fetchChanges('2026-01-01T00:00:00Z');
    assert.equal(ch.watermark, '2026-02-01T00:00:00+00:00');
    assert.equal(ch.changedCount, 5);
    assert.deepEqual([...ch.deletedIds].sort(), ['3', '4']);
    const got = await collect(ch.pages);
    assert.deepEqual(got.records.map((r) => [r.externalId, r.lifecycle.active]).sort(), [
      ['1', true],
      ['2', false],
    ]);
    assert.equal(got.failures.length, 1);
    const since = f.requests.find((r) => r.path === '/api/v1/employees/changed')?.query.get('since');
    assert.equal(since, '2026-01-01T00:00:00Z');
  });

  it('many changes: one dataset read filtered to the changed ids', async () => {
    const before = f.requests.length;
    const c = createBambooHrConnector(opts(f.url), { incrementalFetchLimit: 2 });
    const ch = await c.fetchChanges('2026-01-01T00:00:00Z');
    assert.deepEqual(ch.deletedIds, ['4']);
    const got = await collect(ch.pages);
    assert.deepEqual(got.records.map((r) => r.externalId).sort(), ['1', '2']);
    const paths = f.requests.slice(before).map((r) => r.path);
    assert.deepEqual(paths, ['/api/v1/employees/changed', '/api/v1/datasets', '/api/v1/datasets/employee']);
  });
});

describe('bulk and parallel reads (scripted)', () => {
  it('changed people are read in bulk, 100 ids a list request; only those the list leaves out are asked one by one', async () => {
    const ids = Array.from({ length: 250 }, (_, n) => String(n + 1));
    const f = await fake((r) => {
      if (r.path === '/api/v1/employees/changed') {
        return { json: { latest: '2026-02-01T00:00:00+00:00', employees: Object.fromEntries(ids.map((id) => [id, { id, action: 'Updated' }])) } };
      }
      if (r.path === '/api/v1/employees') {
        // The list leaves out 7 (not visible to the caller) and 8 (deleted since).
        const asked = (r.query.get('filter[ids]') ?? '').split(',').filter((id) => id !== '7' && id !== '8');
        return { json: { data: asked.map((id) => ({ employeeId: id, firstName: `P${id}`, jobTitleName: 'Clerk', status: 'active' })), meta: { total: asked.length, page: { limit: 100, nextCursor: null } } } };
      }
      if (r.path === '/api/v1/employees/7') return { json: { id: '7', firstName: 'Seven', status: 'Active' } };
      if (r.path === '/api/v1/employees/8') return { status: 404, json: {} };
      return undefined;
    });
    try {
      const c = createBambooHrConnector(opts(f.url));
      const ch = await c.fetchChanges('2026-01-01T00:00:00Z');
      const got = await collect(ch.pages);
      assert.deepEqual(ch.deletedIds, ['8']);
      assert.equal(got.records.length, 249);
      assert.equal(got.records.find((r) => r.externalId === '1')?.attributes['jobTitle'], 'Clerk');
      assert.equal(got.records.find((r) => r.externalId === '7')?.attributes['firstName'], 'Seven');
      const lists = f.requests.filter((r) => r.path === '/api/v1/employees');
      assert.deepEqual(lists.map((r) => r.query.get('filter[ids]')?.split(',').length), [100, 100, 50]);
      assert.ok(lists.every((r) => r.query.get('page[limit]') === '100' && r.query.get('fields')?.includes('workEmail')));
      assert.deepEqual(f.requests.filter((r) => /^\/api\/v1\/employees\/\d+$/.test(r.path)).map((r) => r.path).sort(), ['/api/v1/employees/7', '/api/v1/employees/8']);
    } finally {
      await f.close();
    }
  });

  it('dataset pages are read ahead in parallel, never more than the limit at once, and handed out in order', async () => {
    const PAGES = 9;
    const LIMIT = 3;
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const order: number[] = [];
    // Answers each page request once LIMIT of them wait (or every page left is asked for):
    // proves the connector asks in parallel without any timing in the test.
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (u.pathname === '/api/v1/employees/changed') return answer(200, { latest: '2026-01-01T00:00:00+00:00', employees: {} });
        if (u.pathname !== '/api/v1/datasets/employee') return answer(404, {});
        const page = Number(u.searchParams.get('page'));
        order.push(page);
        const send = () => {
          inFlight -= 1;
          answer(200, { data: [person(page * 10), person(page * 10 + 1)], pagination: { current_page: page, total_pages: PAGES, total_records: PAGES * 2 } });
        };
        inFlight += 1;
        most = Math.max(most, inFlight);
        if (page === 1) return send();
        held.push(send);
        const left = PAGES - Math.max(...order);
        if (held.length >= LIMIT || left === 0) for (const s of held.splice(0)) s();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const c = createBambooHrConnector(opts(url), { concurrency: LIMIT });
      const got = await collect((await c.fetchAll()).pages);
      assert.deepEqual(got.records.map((r) => r.externalId), Array.from({ length: PAGES }, (_, n) => [String((n + 1) * 10), String((n + 1) * 10 + 1)]).flat());
      assert.equal(most, LIMIT, 'pages were asked for in parallel, up to the limit');
      assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: PAGES }, (_, n) => n + 1), 'each page asked for once');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a Retry-After on one of the parallel pages: waited out, the page asked again, the roster whole and in order', async () => {
    const slept: number[] = [];
    let throttled = false;
    const f = await fake((r) => {
      if (r.path === '/api/v1/employees/changed') return changedNow(r);
      if (r.path !== '/api/v1/datasets/employee') return undefined;
      const page = Number(r.query.get('page'));
      if (page === 3 && !throttled) {
        throttled = true;
        return { status: 429, headers: { 'Retry-After': '1' }, json: {} };
      }
      return { json: { data: [person(page)], pagination: { current_page: page, total_pages: 6, total_records: 6 } } };
    });
    try {
      // The sleep is recorded (and returns at once): the test states the waits, not the wall clock.
      const c = createBambooHrConnector({ ...opts(f.url), sleep: async (ms) => void slept.push(ms) }, { concurrency: 4 });
      const got = await collect((await c.fetchAll()).pages);
      assert.deepEqual(got.records.map((r) => r.externalId), ['1', '2', '3', '4', '5', '6']);
      assert.ok(slept.includes(1000), 'the throttled request waited its Retry-After');
      assert.ok(slept.every((ms) => ms <= 1000), 'nothing waited longer than the provider asked (the shared pause is the same one)');
      assert.equal(f.requests.filter((r) => r.query.get('page') === '3').length, 2);
    } finally {
      await f.close();
    }
  });
});

describe('XML answers (scripted)', () => {
  let f: Awaited<ReturnType<typeof fake>>;
  before(async () => {
    f = await fake((r) => {
      if (r.path === '/api/v1/employees/changed') {
        return {
          text: '<?xml version="1.0"?><employees latest="2026-03-01T00:00:00+00:00"><employee id="1" action="Inserted" lastChanged="a"/><employee id="2" action="deleted" lastChanged="b"/></employees>',
        };
      }
      if (r.path === '/api/v1/employees/1') {
        return { text: '<employee id="1"><field id="firstName">Jos&#233;</field><field id="lastName">Ørsted</field><field id="middleName"/></employee>' };
      }
      if (r.path === '/api/v1/meta/lists') {
        return {
          text: '<lists><list fieldId="4" alias="department" manageable="yes" multiple="no"><name>Department</name><options><option id="1" archived="no">R&amp;D</option><option id="2" archived="yes">Old</option></options></list></lists>',
        };
      }
      return undefined;
    });
  });
  after(() => f.close());

  it('changed, employee and meta/lists parse from XML', async () => {
    const client = createBambooClient(opts(f.url));
    const changed = await getChangedEmployees(client, '2026-01-01T00:00:00Z');
    assert.equal(changed.latest, '2026-03-01T00:00:00+00:00');
    assert.deepEqual(changed.changes.map((c) => [c.id, c.action]), [
      ['1', 'Inserted'],
      ['2', 'Deleted'],
    ]);
    const e = await getEmployee(client, '1', { fields: ['firstName', 'lastName', 'middleName'] });
    assert.equal(e.kind, 'found');
    if (e.kind === 'found') {
      const r = normalizeRow(e.row);
      assert.ok(!('reason' in r));
      assert.deepEqual(r.attributes, { employeeId: '1', firstName: 'José', lastName: 'Ørsted' });
    }
    const lists = await getMetaLists(client);
    assert.deepEqual(lists, [
      {
        fieldId: '4',
        alias: 'department',
        name: 'Department',
        manageable: true,
        multiple: false,
        options: [
          { id: '1', name: 'R&D', archived: false },
          { id: '2', name: 'Old', archived: true },
        ],
      },
    ]);
  });
});


// -------------------------------------------------------------------------------------------
// Against the BambooHR sandbox (src/providers/bamboohr/sandbox)
// -------------------------------------------------------------------------------------------

type Sandbox = Awaited<ReturnType<typeof startBambooSandbox>>;

function sandboxOptions(sb: Sandbox, settings: Record<string, unknown> = {}, extra: Partial<ConnectorOptions> = {}): ConnectorOptions {
  return {
    settings: { companyDomain: 'sandbox', baseUrl: sb.url, ...settings },
    credentials: { apiKey: KEY },
    http: SHORT,
    ...extra,
  };
}

/** What the connector should yield for a roster employee: every non-empty requested field, NFC. */
function expectedAttributes(e: Record<string, string | null>, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = f === 'employeeId' ? e['id'] : e[f];
    if (v === null || v === undefined || v.trim() === '' || v === '0000-00-00') continue;
    out[f] = v.normalize('NFC').trim();
  }
  return out;
}

function assertRosterMatches(sb: Sandbox, records: readonly SourceRecord[], fields: readonly string[]): void {
  const roster = sb.roster.list();
  const ids = records.map((r) => r.externalId);
  assert.equal(new Set(ids).size, ids.length, 'someone was yielded twice');
  assert.deepEqual([...ids].sort(), roster.map((e) => e.id).sort());
  const byId = new Map(records.map((r) => [r.externalId, r]));
  for (const e of roster) {
    const r = byId.get(e.id);
    assert.ok(r);
    assert.deepEqual(r.attributes, expectedAttributes(e as unknown as Record<string, string | null>, fields), `employee ${e.id}`);
    assert.equal(r.lifecycle.active, e.status === 'Active', `employee ${e.id} status`);
  }
}

describe('BambooHR sandbox: full fetch', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startBambooSandbox({ employees: 230, seed: 7, port: 0, apiKeys: [KEY] });
    sb.roster.add({ firstName: 'Zoë', lastName: 'Ørsted-Núñez', preferredName: '李 小龍', status: 'Active', hireDate: '2024-02-29' });
    sb.roster.add({ firstName: 'Future', lastName: 'Hire', hireDate: '2099-01-01' });
    sb.roster.terminate(sb.roster.list()[5]?.id ?? '', '2025-01-15');
  });
  after(() => sb.close());

  it('checkConnection succeeds with a valid key', async () => {
    await createBambooHrConnector(sandboxOptions(sb)).checkConnection();
  });

  it('returns every person exactly once, Unicode intact, across small pages', async () => {
    const fields = bambooFields({ extraFields: ['customShirtSize'] });
    const c = createBambooHrConnector(sandboxOptions(sb, { pageSize: 25, extraFields: ['customShirtSize'] }));
    const full = await c.fetchAll();
    assert.ok(full.watermark && !Number.isNaN(Date.parse(full.watermark)));
    const got = await collect(full.pages);
    assert.equal(got.failures.length, 0);
    assert.equal(got.pages, Math.ceil(232 / 25));
    assertRosterMatches(sb, got.records, fields);
    const zoe = got.records.find((r) => r.attributes['lastName'] === 'Ørsted-Núñez');
    assert.equal(zoe?.attributes['firstName'], 'Zoë');
    assert.equal(zoe?.attributes['preferredName'], '李 小龍');
    assert.deepEqual(zoe?.lifecycle, { active: true, hireDate: '2024-02-29' });
    const future = got.records.find((r) => r.attributes['lastName'] === 'Hire');
    assert.equal(future?.lifecycle.active, false); // future hires are Inactive in BambooHR
  });

  it('short pages (fewer rows than page_size) are not mistaken for the end', async () => {
    sb.faults.set({ shortPages: true });
    try {
      const got = await collect((await createBambooHrConnector(sandboxOptions(sb, { pageSize: 20 })).fetchAll()).pages);
      assert.ok(got.pages > Math.ceil(232 / 20), `expected more pages than ${Math.ceil(232 / 20)}, got ${got.pages}`);
      assertRosterMatches(sb, got.records, DEFAULT_DATASET_FIELDS);
    } finally {
      sb.faults.set({ shortPages: false });
    }
  });

  it('a 429 burst with Retry-After delays the fetch but it succeeds', async () => {
    const retries: RetryInfo[] = [];
    sb.faults.set({ rateLimit: { count: 2, retryAfter: 1 } });
    const t0 = performance.now();
    const c = createBambooHrConnector(sandboxOptions(sb, { pageSize: 100 }, { http: { ...SHORT, maxAttempts: 4 }, onRetry: (i) => retries.push(i) }));
    const got = await collect((await c.fetchAll()).pages);
    assert.ok(performance.now() - t0 >= 1_900);
    assert.equal(got.records.length, 232);
    assert.deepEqual(
      retries.map((r) => [r.reason, r.status, r.delayMs]),
      [
        ['rate_limited', 429, 1_000],
        ['rate_limited', 429, 1_000],
      ],
    );
  });

  it('the pre-2026 throttling (503 with an HTTP-date Retry-After) is obeyed too', async () => {
    const retries: RetryInfo[] = [];
    sb.faults.set({ rateLimit: { count: 1, retryAfter: 1, status: 503, retryAfterDate: true } });
    const c = createBambooHrConnector(sandboxOptions(sb, { pageSize: 1000 }, { onRetry: (i) => retries.push(i) }));
    const got = await collect((await c.fetchAll()).pages);
    assert.equal(got.records.length, 232);
    assert.equal(retries[0]?.reason, 'rate_limited');
    assert.equal(retries[0]?.status, 503);
    assert.ok((retries[0]?.delayMs ?? 0) <= 2_000);
  });

  it('an outage mid-fetch fails the fetch as provider_unavailable', async () => {
    const c = createBambooHrConnector(sandboxOptions(sb, { pageSize: 50 }));
    const full = await c.fetchAll();
    const it = full.pages[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    sb.faults.set({ outage: { count: 10, status: 503 } });
    try {
      const err = await rejection((async () => {
        for (;;) if ((await it.next()).done) break;
      })());
      assert.equal(err.code, 'provider_unavailable');
      assert.equal(err.status, 503);
      assert.match(err.message, /^BambooHR is unavailable \(503\) after 3 attempts/);
    } finally {
      sb.faults.set({ outage: null });
    }
  });

  it('a failing page fails the whole fetch (no partial success); one that recovers on retry does not', async () => {
    sb.faults.set({ failPage: { page: 3, status: 500, times: 10 } });
    try {
      const c = createBambooHrConnector(sandboxOptions(sb, { pageSize: 50 }));
      const err = await rejection(collect((await c.fetchAll()).pages));
      assert.equal(err.code, 'provider_unavailable');
      assert.equal(err.status, 500);
    } finally {
      sb.faults.set({ failPage: null });
    }
    sb.faults.set({ failPage: { page: 2, status: 400 } });
    try {
      const err = await rejection(collect((await createBambooHrConnector(sandboxOptions(sb, { pageSize: 50 })).fetchAll()).pages));
      assert.equal(err.code, 'bad_request');
    } finally {
      sb.faults.set({ failPage: null });
    }
    // A truncated page is retried like a 5xx: once is a hiccup, every attempt is bad_data.
    sb.faults.set({ failPage: { page: 2, malformed: true, times: 1 } });
    assert.equal((await collect((await createBambooHrConnector(sandboxOptions(sb, { pageSize: 50 })).fetchAll()).pages)).records.length, 232);
    sb.faults.set({ failPage: { page: 2, malformed: true, times: 10 } });
    try {
      const err = await rejection(collect((await createBambooHrConnector(sandboxOptions(sb, { pageSize: 50 })).fetchAll()).pages));
      assert.equal(err.code, 'bad_data');
      assert.match(err.message, /\/api\/v1\/datasets\/employee\?page=2/);
    } finally {
      sb.faults.set({ failPage: null });
    }
    sb.faults.set({ failPage: { page: 2, status: 502, times: 1 } });
    const ok = await collect((await createBambooHrConnector(sandboxOptions(sb, { pageSize: 50 })).fetchAll()).pages);
    assert.equal(ok.records.length, 232);
  });

  it('a revoked key is auth_failed with BambooHR’s message', async () => {
    sb.faults.set({ revokeKey: KEY });
    try {
      const c = createBambooHrConnector(sandboxOptions(sb));
      const err = await rejection(c.checkConnection());
      assert.equal(err.code, 'auth_failed');
      assert.equal(err.status, 401);
      assert.equal(err.providerMessage, 'This API key has been revoked');
      assert.equal(err.message, 'BambooHR refused the API key (401): This API key has been revoked. Reconnect the integration with a valid API key.');
      assert.ok(!JSON.stringify(err).includes(KEY));
      assert.equal((await rejection(c.fetchAll())).code, 'auth_failed');
      assert.equal((await rejection(c.fetchChanges(new Date().toISOString()))).code, 'auth_failed');
    } finally {
      sb.faults.set({ revokeKey: null });
    }
    const wrong = createBambooHrConnector({ ...sandboxOptions(sb), credentials: { apiKey: 'not-a-key' } });
    assert.equal((await rejection(wrong.checkConnection())).providerMessage, 'Invalid API key');
  });

  it('an unknown custom field is dropped after one 400, the rest still arrive', async () => {
    const c = createBambooHrConnector(sandboxOptions(sb, { extraFields: ['customShirtSize', 'customNoSuchField'] }));
    const got = await collect((await c.fetchAll()).pages);
    assertRosterMatches(sb, got.records, bambooFields({ extraFields: ['customShirtSize'] }));
  });
});

describe('BambooHR sandbox: incremental', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startBambooSandbox({ employees: 120, seed: 3, port: 0, apiKeys: [KEY] });
  });
  after(() => sb.close());

  let round = 0;
  for (const [label, internals] of [
    ['few changes: read one by one', {}],
    ['many changes: one filtered dataset read', { incrementalFetchLimit: 1 }],
  ] as const) {
    it(`${label} — add, update, terminate, remove`, async () => {
      const c = createBambooHrConnector(sandboxOptions(sb, { pageSize: 40 }), internals);
      const full = await c.fetchAll();
      await collect(full.pages);
      assert.ok(full.watermark);

      const title = `Chief Ünicode Officer ${++round}`;
      const people = sb.roster.list().filter((e) => e.status === 'Active' && e.terminationDate === null);
      const added = sb.roster.add({ firstName: 'Åsa', lastName: 'Lindqvist', status: 'Active' });
      const updated = sb.roster.update(people[0]?.id ?? '', { jobTitle: title });
      const terminated = sb.roster.terminate(people[1]?.id ?? '', '2025-03-31');
      const removedId = people[2]?.id ?? '';
      sb.roster.remove(removedId);

      const ch = await c.fetchChanges(full.watermark);
      assert.ok(ch.watermark && ch.watermark !== full.watermark);
      assert.deepEqual(ch.deletedIds, [removedId]);
      const got = await collect(ch.pages);
      assert.equal(got.failures.length, 0);
      const byId = new Map(got.records.map((r) => [r.externalId, r]));
      assert.equal(byId.get(added.id)?.attributes['firstName'], 'Åsa');
      assert.equal(byId.get(added.id)?.lifecycle.active, true);
      assert.equal(byId.get(updated.id)?.attributes['jobTitle'], title);
      assert.deepEqual(byId.get(terminated.id)?.lifecycle.active, false);
      assert.equal(byId.get(terminated.id)?.lifecycle.terminationDate, '2025-03-31');
      assert.ok(!byId.has(removedId));
      assert.equal(ch.changedCount, got.records.length + ch.deletedIds.length);

      // Nothing changed since: an empty incremental.
      const again = await c.fetchChanges(ch.watermark);
      assert.equal(again.changedCount, 0);
      assert.equal((await collect(again.pages)).records.length, 0);
    });
  }

  it('a person deleted after the change was reported (404) counts as deleted', async () => {
    const c = createBambooHrConnector(sandboxOptions(sb));
    const since = (await c.fetchAll()).watermark ?? '';
    const victim = sb.roster.add({ firstName: 'Temp', lastName: 'Worker' });
    // The changed call reports the insert; the person is removed before their record is read.
    const client = createBambooClient(sandboxOptions(sb));
    const changed = await getChangedEmployees(client, since);
    assert.ok(changed.changes.some((x) => x.id === victim.id && x.action === 'Inserted'));
    sb.roster.remove(victim.id);
    const r = await getEmployee(client, victim.id, { fields: ['firstName'] });
    assert.deepEqual(r, { kind: 'gone', id: victim.id });
  });
});

describe('BambooHR sandbox: XML answers', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startBambooSandbox({ employees: 30, seed: 11, port: 0, apiKeys: [KEY] });
    sb.roster.add({ firstName: 'Chloé', lastName: 'O’Brien & <Sons>', status: 'Active' });
  });
  after(() => sb.close());

  it('changed, employee and meta/lists read the same from XML as from JSON', async () => {
    const client = createBambooClient(sandboxOptions(sb));
    const since = '2000-01-01T00:00:00Z';
    const xml = await getChangedEmployees(client, since, { accept: 'application/xml' });
    const json = await getChangedEmployees(client, since);
    assert.equal(xml.changes.length, 31);
    assert.deepEqual(xml.changes, json.changes);
    assert.ok(xml.latest);

    const chloe = sb.roster.list().find((e) => e.firstName === 'Chloé');
    assert.ok(chloe);
    const fields = [...DEFAULT_DATASET_FIELDS];
    const fromXml = await getEmployee(client, chloe.id, { fields, accept: 'application/xml' });
    const fromJson = await getEmployee(client, chloe.id, { fields });
    assert.equal(fromXml.kind, 'found');
    assert.equal(fromJson.kind, 'found');
    if (fromXml.kind === 'found' && fromJson.kind === 'found') {
      const a = normalizeRow(fromXml.row);
      const b = normalizeRow(fromJson.row);
      assert.deepEqual(a, b);
      assert.ok(!('reason' in a));
      assert.equal(a.attributes['lastName'], 'O’Brien & <Sons>');
      assert.deepEqual(a.attributes, expectedAttributes(chloe as unknown as Record<string, string | null>, fields));
    }

    const listsXml = await getMetaLists(client, { accept: 'application/xml' });
    const listsJson = await getMetaLists(client);
    assert.ok(listsXml.length > 0);
    assert.deepEqual(listsXml, listsJson);
    assert.ok(listsXml.some((l) => l.alias === 'department' && l.options.length > 0));
  });
});
