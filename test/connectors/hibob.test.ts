/**
 * HiBob connector over real HTTP against the HiBob sandbox: full fetch with Unicode intact and
 * named lists resolved (nested departments), lifecycle of terminated people and future starters,
 * response shapes, 429 bursts, outages, revoked service users, malformed bodies, and credentials
 * never appearing in errors. Plus normalisation edge cases on hand-written objects.
 */
import assert from 'node:assert/strict';
import { collect, rejection } from '../helpers/connectors.ts';
import { after, before, describe, it } from 'node:test';
import type { SourceRecord } from '../../src/core/source-record.ts';
import type { ConnectorOptions, HttpPolicy, RetryInfo } from '../../src/connectors/types.ts';
import { isProviderError, type ProviderError } from '../../src/connectors/errors.ts';
import { resolveHibobBaseUrl } from '../../src/providers/hibob/connector/client.ts';
import { createHibobConnector } from '../../src/providers/hibob/connector/connector.ts';
import { hibob as HIBOB } from '../../src/providers/hibob/descriptor.ts';
import { parseNamedList } from '../../src/providers/hibob/connector/named-lists.ts';
import { normalizeEmployee } from '../../src/providers/hibob/connector/normalize.ts';
import { fieldValue, searchBody, SEARCH_FIELDS } from '../../src/providers/hibob/connector/people-search.ts';
import { startHibobSandbox, type HibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';

const SHORT: Partial<HttpPolicy> = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 15_000, maxRetryAfterMs: 2_000 };
const USER = { serviceUserId: 'svc-refresh-0001', token: 'tok-SECRET-0123456789abcdef' };


function assertNoSecret(err: ProviderError): void {
  const seen = JSON.stringify({ message: err.message, json: err.toJSON(), providerMessage: err.providerMessage, url: err.url, stack: err.stack });
  assert.doesNotMatch(seen, /tok-SECRET/);
  assert.doesNotMatch(seen, new RegExp(Buffer.from(`${USER.serviceUserId}:${USER.token}`).toString('base64').slice(0, 20)));
}

describe('HiBob connector', () => {
  let sb: HibobSandbox;
  const opts = (extra: Partial<ConnectorOptions> = {}): ConnectorOptions => ({ settings: { baseUrl: sb.url }, credentials: { ...USER }, http: SHORT, ...extra });

  before(async () => {
    sb = await startHibobSandbox({
      employees: 2_500,
      seed: 11,
      credentials: [USER],
      people: [
        { id: 'p-zoe', email: 'zoe.angstrom@people.acme.example', firstName: 'Zoë', surname: 'Ångström', displayName: 'Zoë Ångström', department: 'Backend', site: 'Berlin', title: 'Staff Engineer', employeeIdInCompany: 90001, workPhone: null, workMobile: '+49 151 0000000', homeMobilePhone: '+49 170 1111111', employmentType: 'Contractor' },
        { id: 'p-desk', email: 'desk@people.acme.example', firstName: 'Ada', surname: 'Desk', workPhone: '+49 30 123456', workMobile: '+49 151 2222222', homeMobilePhone: '+49 170 3333333' },
        { id: 'p-homeonly', email: 'home.only@people.acme.example', firstName: 'Hal', surname: 'Home', workPhone: null, workMobile: null, homeMobilePhone: '+49 170 4444444' },
        { id: 'p-yamada', email: 'taro.yamada@people.acme.example', firstName: '太郎', surname: '山田', reportsTo: 'p-zoe', department: 'Sales APAC', startDate: '2021-04-01', terminationDate: '2022-03-31' },
        { id: 'p-future', email: 'future@people.acme.example', firstName: 'Siobhán', surname: 'Ó Briain', startDate: '2099-09-01' },
      ],
    });
  });
  after(async () => {
    await sb.close();
  });

  it('full fetch: everyone (active and inactive), pages of ≤1000, Unicode intact, lists resolved', async () => {
    const c = createHibobConnector(opts());
    await c.checkConnection();
    const full = await c.fetchAll();
    assert.ok(full.watermark && !Number.isNaN(Date.parse(full.watermark)));
    const { records, failures, pages } = await collect(full.pages);
    assert.equal(failures.length, 0);
    assert.equal(records.length, sb.roster.size);
    assert.equal(pages, Math.ceil(sb.roster.size / 1000));

    const zoe = records.find((r) => r.externalId === 'p-zoe') as SourceRecord;
    assert.equal(zoe.attributes['firstName'], 'Zoë');
    assert.equal(zoe.attributes['surname'], 'Ångström');
    assert.equal(zoe.attributes['email'], 'zoe.angstrom@people.acme.example');
    assert.equal(zoe.attributes['title'], 'Staff Engineer');
    assert.equal(zoe.attributes['department'], 'Backend');
    assert.match(zoe.attributes['departmentId'] ?? '', /^\d+$/);
    assert.equal(zoe.attributes['departmentPath'], 'Technology / Engineering / Backend');
    assert.equal(zoe.attributes['division'], 'Technology');
    assert.equal(zoe.attributes['site'], 'Berlin');
    assert.match(zoe.attributes['siteId'] ?? '', /^\d+$/);
    assert.equal(zoe.attributes['employeeIdInCompany'], '90001');
    assert.equal(zoe.attributes['workMobile'], '+49 151 0000000');
    assert.equal(zoe.attributes['phone'], '+49 151 0000000', 'no work phone: the work mobile');
    assert.equal(zoe.attributes['employmentType'], 'Contractor');
    assert.equal(zoe.attributes['status'], 'Active');
    assert.equal(zoe.attributes['lifecycleStatus'], 'employed');
    assert.equal(zoe.attributes['isManager'], 'true');
    assert.equal(zoe.lifecycle.active, true);

    const yamada = records.find((r) => r.externalId === 'p-yamada') as SourceRecord;
    assert.equal(yamada.attributes['displayName'], '山田 太郎');
    assert.equal(yamada.attributes['reportsTo'], 'p-zoe');
    assert.equal(yamada.attributes['departmentPath'], 'Go-to-Market / Sales / Sales APAC');

    // Every mapped attribute exists somewhere in the roster.
    const present = new Set(records.flatMap((r) => Object.keys(r.attributes)));
    for (const attr of Object.keys(HIBOB.defaultMapping)) assert.ok(present.has(attr), `attribute ${attr} present`);
    assert.ok(records.some((r) => /[^\x00-\x7f]/.test(r.attributes['firstName'] ?? '')));
  });

  it('phone: work.workPhone, else work.workMobile; home.mobilePhone never read unless mapped', async () => {
    const c = createHibobConnector(opts());
    const { records } = await collect((await c.fetchAll()).pages);
    const byId = new Map(records.map((r) => [r.externalId, r]));
    assert.equal(byId.get('p-desk')?.attributes['phone'], '+49 30 123456', 'the desk number wins over the work mobile');
    assert.equal(byId.get('p-desk')?.attributes['workMobile'], '+49 151 2222222');
    assert.equal(byId.get('p-homeonly')?.attributes['phone'], undefined, 'a personal number is not a work phone');
    const leaked = records.filter((r) => Object.values(r.attributes).some((v) => /^\+49 170 /.test(v)));
    assert.deepEqual(leaked.map((r) => r.externalId), [], 'no personal number in any attribute by default');
    const search = sb.faults.requests.filter((r) => r.path === '/v1/people/search').at(-1);
    assert.ok(search?.search && search.search.fields > 0);
    // The default mapping writes the derived work phone and nothing from a personal category.
    assert.equal(HIBOB.defaultMapping.phone, 'phone');
    for (const key of Object.keys(HIBOB.defaultMapping)) assert.notEqual(HIBOB.fields.find((f) => f.key === key)?.personal, true, `${key} is not personal`);

    // An admin who maps home.mobilePhone gets it, under its HiBob id.
    const mapped = createHibobConnector(opts({ fields: ['home.mobilePhone', 'email'] }));
    const withHome = new Map((await collect((await mapped.fetchAll()).pages)).records.map((r) => [r.externalId, r]));
    assert.equal(withHome.get('p-homeonly')?.attributes['home.mobilePhone'], '+49 170 4444444');
    assert.equal(withHome.get('p-homeonly')?.attributes['phone'], undefined, 'still not the work phone');
  });

  it('field catalogue from the metadata endpoint: descriptor fields first, then the rest by HiBob id, personal ones flagged', async () => {
    const fields = await createHibobConnector(opts()).fetchFields!();
    assert.equal(fields[0]?.key, HIBOB.fields[0]?.key);
    const home = fields.find((f) => f.key === 'home.mobilePhone');
    assert.equal(home?.personal, true);
    assert.ok(fields.some((f) => f.key === 'workMobile' && f.providerField === 'work.workMobile'));
    assert.ok(fields.some((f) => f.key === 'root.fullName' && /Full name/.test(f.label)), 'fields outside the descriptor come under their id');
    assert.equal(new Set(fields.map((f) => f.key)).size, fields.length, 'no key twice');
  });

  it('lifecycle: terminated people and future starters are inactive with their dates', async () => {
    const { records } = await collect((await createHibobConnector(opts()).fetchAll()).pages);
    const yamada = records.find((r) => r.externalId === 'p-yamada') as SourceRecord;
    assert.deepEqual(yamada.lifecycle, { active: false, hireDate: '2021-04-01', terminationDate: '2022-03-31' });
    assert.equal(yamada.attributes['lifecycleStatus'], 'terminated');
    assert.equal(yamada.attributes['terminationDate'], '2022-03-31');
    const future = records.find((r) => r.externalId === 'p-future') as SourceRecord;
    assert.equal(future.lifecycle.active, false);
    assert.equal(future.attributes['lifecycleStatus'], 'hired');
    assert.equal(future.attributes['startDate'], '2099-09-01');
    assert.ok(records.filter((r) => r.attributes['lifecycleStatus'] === 'terminated').length > 50);
    const leaving = records.find((r) => r.attributes['status'] === 'Active' && (r.attributes['terminationDate'] ?? '') > new Date().toISOString().slice(0, 10));
    assert.ok(leaving, 'a future leaver stays active until their date');
    assert.equal(leaving.lifecycle.active, true);
  });

  it('incremental = a full read: all records, no deletes, changedCount = people read', async () => {
    const ch = await createHibobConnector(opts()).fetchChanges('2020-01-01T00:00:00Z');
    const { records } = await collect(ch.pages);
    assert.equal(records.length, sb.roster.size);
    assert.equal(ch.changedCount, sb.roster.size);
    assert.deepEqual(ch.deletedIds, []);
    assert.ok(ch.watermark);
  });

  it('one people search and two named lists per run, with showInactive and APPEND', async () => {
    sb.faults.clearRequests();
    await collect((await createHibobConnector(opts()).fetchAll()).pages);
    const log = sb.faults.requests;
    assert.deepEqual(log.map((r) => r.path).sort(), ['/v1/company/named-lists/department', '/v1/company/named-lists/site', '/v1/people/search']);
    const s = log.find((r) => r.path === '/v1/people/search');
    assert.equal(s?.search?.showInactive, true);
    assert.equal(s?.search?.humanReadable, 'APPEND');
    assert.equal(s?.search?.fields, SEARCH_FIELDS.length);
  });

  it('reads nested and mixed response shapes alike', async () => {
    for (const shape of ['nested', 'both'] as const) {
      const x = await startHibobSandbox({ employees: 40, seed: 2, shape, credentials: [USER] });
      try {
        const c = createHibobConnector({ ...opts(), settings: { baseUrl: x.url } });
        const { records } = await collect((await c.fetchAll()).pages);
        assert.equal(records.length, x.roster.size);
        const manager = records.find((r) => r.attributes['reportsTo'] === undefined);
        assert.ok(manager, 'the CEO reports to nobody');
        const someone = records.find((r) => r.attributes['reportsTo'] !== undefined) as SourceRecord;
        assert.ok(records.some((r) => r.externalId === someone.attributes['reportsTo']));
        assert.ok(someone.attributes['department'] && !/^\d+$/.test(someone.attributes['department']));
        assert.ok(someone.attributes['title'] && !/^\d+$/.test(someone.attributes['title']));
      } finally {
        await x.close();
      }
    }
  });

  it('org units: departments (the whole tree) and sites keyed by stable list ids', async () => {
    const c = createHibobConnector(opts());
    assert.ok(c.fetchOrgUnits, 'fetchOrgUnits is implemented');
    const units = await c.fetchOrgUnits();
    const backend = units.find((u) => u.attribute === 'department' && u.name === 'Backend');
    assert.match(backend?.key ?? '', /^\d+$/);
    assert.ok(units.some((u) => u.attribute === 'department' && u.name === 'Technology'));
    assert.ok(units.some((u) => u.attribute === 'site' && u.name === 'Berlin'));
  });

  it('429 burst (with and without Retry-After) then success; retries reported', async () => {
    const retries: RetryInfo[] = [];
    sb.faults.set({ rateLimit: { count: 2 } });
    const c = createHibobConnector(opts({ onRetry: (i) => retries.push(i) }));
    await c.checkConnection();
    sb.faults.set({ rateLimit: { count: 1, retryAfter: 0 } });
    await c.checkConnection();
    assert.equal(retries.length, 3);
    assert.ok(retries.every((r) => r.reason === 'rate_limited' && r.status === 429));
  });

  it('429 that never ends → rate_limited', async () => {
    sb.faults.set({ rateLimit: { count: 10 } });
    try {
      const err = await rejection(createHibobConnector(opts()).fetchAll());
      assert.equal(err.code, 'rate_limited');
      assert.match(err.message, /HiBob/);
      assertNoSecret(err);
    } finally {
      sb.faults.clear();
    }
  });

  it('outage → provider_unavailable', async () => {
    sb.faults.set({ outage: { count: 10, status: 503 } });
    try {
      const err = await rejection(createHibobConnector(opts()).fetchAll());
      assert.equal(err.code, 'provider_unavailable');
      assert.equal(err.status, 503);
      assertNoSecret(err);
    } finally {
      sb.faults.clear();
    }
  });

  it('revoked or wrong service user → auth_failed, no credential in the error', async () => {
    sb.faults.set({ revokeKey: USER.serviceUserId });
    try {
      const err = await rejection(createHibobConnector(opts()).checkConnection());
      assert.equal(err.code, 'auth_failed');
      assert.equal(err.status, 401);
      assert.match(err.message, /service user token/);
      assertNoSecret(err);
    } finally {
      sb.faults.clear();
    }
    const wrong = await rejection(createHibobConnector(opts({ credentials: { serviceUserId: USER.serviceUserId, token: 'tok-SECRET-wrong-999999' } })).fetchAll());
    assert.equal(wrong.code, 'auth_failed');
    assert.doesNotMatch(JSON.stringify(wrong.toJSON()) + wrong.message, /tok-SECRET/);
    const missing = await rejection(createHibobConnector(opts({ credentials: {} })).fetchAll());
    assert.equal(missing.code, 'auth_failed');
  });

  it('malformed body → bad_data; a body without "employees" → bad_data', async () => {
    sb.faults.set({ malformed: { count: 3 } });
    try {
      const err = await rejection(createHibobConnector(opts()).fetchAll());
      assert.equal(err.code, 'bad_data');
      assertNoSecret(err);
    } finally {
      sb.faults.clear();
    }
  });

  it('unreachable host → provider_unavailable', async () => {
    const err = await rejection(createHibobConnector({ settings: { baseUrl: 'http://127.0.0.1:9' }, credentials: { ...USER }, http: { ...SHORT, maxAttempts: 1 } }).fetchAll());
    assert.equal(err.code, 'provider_unavailable');
  });
});

describe('HiBob normalisation and request shapes', () => {
  const lists = {
    departments: parseNamedList(
      { name: 'department', values: [{ id: 10, value: 'Ops', name: 'Ops', archived: false, children: [{ id: '11', value: 'Field Ops', name: 'Field Ops', archived: true, children: [] }] }] },
      'http://x/',
      'department',
    ),
  };

  it('base URL: override, settings, default; the documented /v1 suffix is accepted', () => {
    assert.equal(resolveHibobBaseUrl({ settings: {} }), 'https://api.hibob.com');
    assert.equal(resolveHibobBaseUrl({ settings: { baseUrl: 'https://api.sandbox.hibob.com/v1/' } }), 'https://api.sandbox.hibob.com');
    assert.equal(resolveHibobBaseUrl({ baseUrl: 'http://127.0.0.1:9/', settings: { baseUrl: 'https://x.example' } }), 'http://127.0.0.1:9');
    assert.throws(() => resolveHibobBaseUrl({ settings: { baseUrl: 'ftp://x' } }), (e: unknown) => isProviderError(e) && e.code === 'bad_request');
  });

  it('search body: filters omitted unless filtering, humanReadable only when asked', () => {
    assert.deepEqual(searchBody({ fields: ['root.id'], showInactive: true }), { fields: ['root.id'], showInactive: true });
    assert.deepEqual(searchBody({ fields: ['root.id'], showInactive: false, humanReadable: 'APPEND', filter: { fieldPath: 'root.email', values: ['a@b'] } }), {
      fields: ['root.id'],
      filters: [{ fieldPath: 'root.email', operator: 'equals', values: ['a@b'] }],
      showInactive: false,
      humanReadable: 'APPEND',
    });
  });

  it('fieldValue reads slash keys (wrapped or bare) and nested categories', () => {
    assert.equal(fieldValue({ '/work/title': { value: 'X' } }, 'work.title'), 'X');
    assert.equal(fieldValue({ '/work/title': 'Y' }, 'work.title'), 'Y');
    assert.equal(fieldValue({ work: { title: 'Z' } }, 'work.title'), 'Z');
    assert.equal(fieldValue({ id: '1' }, 'root.id'), '1');
    assert.equal(fieldValue({ root: { id: '2' } }, 'root.id'), '2');
    assert.equal(fieldValue({ payroll: { employment: { type: 'P' } } }, 'payroll.employment.type'), 'P');
  });

  it('normalises ids, archived list items, NFC, dates; unresolvable list ids are dropped', () => {
    const r = normalizeEmployee(
      {
        '/root/id': { value: 42 },
        '/root/firstName': { value: '  Zoe\u0308 ' },
        '/work/department': { value: '11' },
        '/work/title': { value: '123456' },
        '/work/startDate': { value: '2024-03-01T00:00:00' },
        '/internal/lifecycleStatus': { value: 'Employed' },
        '/work/reportsTo': { value: 'mgr-1' },
      },
      { ...lists, today: '2025-01-01' },
    );
    assert.ok(!('reason' in r));
    assert.equal(r.externalId, '42');
    assert.equal(r.attributes['firstName'], 'Zo\u00eb');
    assert.equal(r.attributes['department'], 'Field Ops');
    assert.equal(r.attributes['division'], 'Ops');
    assert.equal(r.attributes['title'], undefined, 'a bare list id is not a title');
    assert.equal(r.attributes['reportsTo'], 'mgr-1');
    assert.equal(r.attributes['lifecycleStatus'], 'employed');
    assert.deepEqual(r.lifecycle, { active: true, hireDate: '2024-03-01' });
    assert.deepEqual(normalizeEmployee({ '/root/email': { value: 'a@b' } }), { reason: 'record has no employee id' });
    assert.deepEqual(normalizeEmployee('nope'), { reason: 'record is not an object' });
    const noStatus = normalizeEmployee({ id: '7', internal: { terminationDate: '2024-12-31' } }, { today: '2025-01-01' });
    assert.ok(!('reason' in noStatus) && noStatus.lifecycle.active === false);
  });

  it('named list parsing flattens the tree with parent ids and paths', () => {
    assert.deepEqual(
      lists.departments.items.map((i) => [i.id, i.parentId, i.path.join('/'), i.archived]),
      [
        ['10', null, 'Ops', false],
        ['11', '10', 'Ops/Field Ops', true],
      ],
    );
    assert.throws(() => parseNamedList({ nope: 1 }, 'http://x/', 'site'), (e: unknown) => isProviderError(e) && e.code === 'bad_data');
  });
});
