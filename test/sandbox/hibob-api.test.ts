/**
 * HiBob sandbox over real HTTP: service-user auth, people search (fields, filters, showInactive,
 * humanReadable, response shapes), named lists (a nested department tree with stable ids), the
 * seeded population, explicit people, and the `/_sandbox` control surface.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHibobSandbox, type HibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';

const basic = (id: string, token: string): string => `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`;
const AUTH = { authorization: basic('sandbox-service-user', 'sandbox-token') };

type Employee = Record<string, unknown>;
interface ListValue {
  id: string;
  name: string;
  value: string;
  archived: boolean;
  children: ListValue[];
}

async function search(sb: HibobSandbox, body: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; json: { employees: Employee[] } & Record<string, unknown> }> {
  const res = await fetch(`${sb.url}/v1/people/search`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { employees: Employee[] } };
}

const v = (e: Employee, path: string): unknown => (e[path] as { value: unknown } | undefined)?.value;

describe('HiBob sandbox API', () => {
  let sb: HibobSandbox;
  before(async () => {
    sb = await startHibobSandbox({ employees: 300, seed: 7 });
  });
  after(async () => {
    await sb.close();
  });

  it('authenticates service users with HTTP Basic id:token', async () => {
    assert.equal((await search(sb, {}, {})).status, 401);
    assert.equal((await search(sb, {}, { authorization: basic('sandbox-service-user', 'wrong') })).status, 401);
    assert.equal((await search(sb, {}, { authorization: basic('nobody', 'sandbox-token') })).status, 401);
    const ok = await search(sb, { fields: ['root.id'] });
    assert.equal(ok.status, 200);
  });

  it('showInactive false returns only Active people; true returns everyone', async () => {
    const fields = ['root.id', 'internal.status', 'internal.lifecycleStatus'];
    const active = await search(sb, { fields });
    const all = await search(sb, { fields, showInactive: true });
    // HiBob holds a share of the company of 300 (src/sandbox/base-roster.ts) plus people of its own.
    assert.equal(all.json.employees.length, sb.roster.size);
    assert.ok(sb.roster.size > 150 && sb.roster.size < 300, `${sb.roster.size} people`);
    assert.ok(active.json.employees.length < sb.roster.size);
    assert.ok(active.json.employees.every((e) => v(e, '/internal/status') === 'Active'));
    const lc = new Set(all.json.employees.map((e) => v(e, '/internal/lifecycleStatus')));
    assert.ok(lc.has('employed') && lc.has('terminated') && lc.has('hired'), `lifecycle statuses: ${[...lc].join(', ')}`);
  });

  it('fields: dot and slash ids, unknown ones silently omitted, list fields as ids; APPEND and REPLACE', async () => {
    const machine = await search(sb, { fields: ['root.id', '/root/email', 'work.department', 'work.title', 'work.site', 'work.siteId', 'work.reportsTo', 'nope.field'], showInactive: true });
    assert.equal(machine.status, 200);
    const e = machine.json.employees.find((x) => v(x, '/work/reportsTo') !== null) as Employee;
    assert.deepEqual(Object.keys(e).sort(), ['/root/email', '/root/id', '/work/department', '/work/reportsTo', '/work/site', '/work/siteId', '/work/title']);
    assert.match(String(v(e, '/work/department')), /^\d{9}$/);
    assert.equal(typeof v(e, '/work/siteId'), 'number');
    assert.equal(typeof v(e, '/work/site'), 'string');
    const manager = v(e, '/work/reportsTo') as Record<string, unknown>;
    assert.deepEqual(Object.keys(manager).sort(), ['displayName', 'email', 'firstName', 'id', 'surname']);

    const id = String(v(e, '/root/id'));
    const filter = [{ fieldPath: 'root.id', operator: 'equals', values: [id] }];
    const appended = await search(sb, { fields: ['root.id', 'work.department'], filters: filter, showInactive: true, humanReadable: 'APPEND' });
    const a = appended.json.employees[0] as Employee;
    assert.equal(appended.json.employees.length, 1);
    assert.equal(v(a, '/work/department'), v(e, '/work/department'));
    const hr = a['humanReadable'] as Employee;
    const deptName = v(hr, '/work/department');
    assert.equal(typeof deptName, 'string');
    assert.doesNotMatch(String(deptName), /^\d+$/);

    const replaced = await search(sb, { fields: ['work.department'], filters: filter, showInactive: true, humanReadable: 'REPLACE' });
    assert.equal(v(replaced.json.employees[0] as Employee, '/work/department'), deptName);
  });

  it('filters: root.email equals (case-insensitive); anything else is 400', async () => {
    const all = await search(sb, { fields: ['root.id', 'root.email'], showInactive: true });
    const email = String(v(all.json.employees[3] as Employee, '/root/email'));
    const one = await search(sb, { fields: ['root.id'], showInactive: true, filters: [{ fieldPath: 'root.email', operator: 'equals', values: [email.toUpperCase()] }] });
    assert.equal(one.json.employees.length, 1);
    assert.equal((await search(sb, { filters: [] })).status, 400);
    assert.equal((await search(sb, { filters: [{ fieldPath: 'work.department', operator: 'equals', values: ['x'] }] })).status, 400);
    assert.equal((await search(sb, { filters: [{ fieldPath: 'root.id', operator: 'contains', values: ['x'] }] })).status, 400);
    const twoFilters = [1, 2].map(() => ({ fieldPath: 'root.id', operator: 'equals', values: ['x'] }));
    assert.equal((await search(sb, { filters: twoFilters })).status, 400);
    assert.equal((await search(sb, { humanReadable: 'SOMETIMES' })).status, 400);
    assert.equal((await search(sb, { fields: Array.from({ length: 401 }, () => 'root.id') })).status, 400);
  });

  it('named lists: a nested department tree with stable ids, sites, archived only on request', async () => {
    const res = await fetch(`${sb.url}/v1/company/named-lists/department`, { headers: AUTH });
    assert.equal(res.status, 200);
    const list = (await res.json()) as { name: string; values: ListValue[] };
    assert.equal(list.name, 'department');
    const tech = list.values.find((x) => x.name === 'Technology') as ListValue;
    const eng = tech.children.find((x) => x.name === 'Engineering') as ListValue;
    assert.ok(eng.children.some((x) => x.name === 'Backend'), 'three levels deep');
    assert.equal(eng.value, 'Engineering');

    const other = await startHibobSandbox({ employees: 5, seed: 99 });
    try {
      const again = (await (await fetch(`${other.url}/v1/company/named-lists/department`, { headers: AUTH })).json()) as { values: ListValue[] };
      assert.equal(again.values.find((x) => x.name === 'Technology')?.id, tech.id, 'ids do not depend on the seed');
    } finally {
      await other.close();
    }
    const sites = (await (await fetch(`${sb.url}/v1/company/named-lists/site`, { headers: AUTH })).json()) as { values: ListValue[] };
    assert.ok(sites.values.length > 5);
    assert.equal((await fetch(`${sb.url}/v1/company/named-lists/nope`, { headers: AUTH })).status, 404);
    const all = (await (await fetch(`${sb.url}/v1/company/named-lists`, { headers: AUTH })).json()) as Record<string, unknown>;
    assert.ok('department' in all && 'site' in all);
  });

  it('seeded people are multilingual, deterministic for a seed, and have managers', async () => {
    const people = sb.roster.list();
    assert.ok(people.some((p) => /[^\x00-\x7f]/.test(`${p.firstName}${p.surname}`)), 'some non-ASCII names');
    assert.equal(people.filter((p) => p.reportsTo !== null).length, people.length - 1, 'everyone but the head has a manager');
    const twin = await startHibobSandbox({ employees: 300, seed: 7 });
    try {
      assert.deepEqual(
        twin.roster.list().map((p) => [p.id, p.email, p.department]),
        people.map((p) => [p.id, p.email, p.department]),
      );
    } finally {
      await twin.close();
    }
  });

  it('explicit people: chosen email and ids, names resolved to list items; duplicates refused', async () => {
    const x = await startHibobSandbox({
      people: [
        { id: 'bob-1', email: 'ana.garcia@acme.example', firstName: 'Ana', surname: 'García', department: 'Backend', site: 'Madrid', employeeIdInCompany: 501, title: 'Engineer' },
        { email: 'zoe@acme.example', firstName: 'Zoë', surname: 'Ångström', reportsTo: 'ana.garcia@acme.example', startDate: '2099-01-01' },
      ],
    });
    try {
      assert.equal(x.roster.size, 2);
      const ana = x.roster.get('bob-1');
      assert.equal(ana?.department, 'Backend');
      assert.equal(ana?.employeeIdInCompany, 501);
      const zoe = x.roster.get('zoe@acme.example');
      assert.equal(zoe?.reportsTo, 'bob-1');
      assert.equal(zoe?.status, 'Inactive');
      assert.equal(zoe?.lifecycleStatus, 'hired');
      assert.throws(() => x.roster.add({ email: 'ANA.GARCIA@acme.example' }), /already in use/);
      const res = await fetch(`${x.url}/_sandbox/employees`, { method: 'POST', body: JSON.stringify({ email: 'ana.garcia@acme.example' }) });
      assert.equal(res.status, 409);
    } finally {
      await x.close();
    }
  });

  it('control API: add, update, terminate, rehire, delete, rename a list item, state', async () => {
    const post = (path: string, body?: unknown, method = 'POST'): Promise<Response> =>
      fetch(`${sb.url}/_sandbox${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const created = (await (await post('/employees', { email: 'new.person@acme.example', firstName: 'Nadia', surname: 'Ørsted' })).json()) as { id: string };
    assert.equal((await post(`/employees/${created.id}`, { title: 'Chief Cheerleader' }, 'PATCH')).status, 200);
    assert.equal(sb.roster.get(created.id)?.title, 'Chief Cheerleader');
    // Before the start date (today): refused.
    assert.equal((await post(`/employees/${created.id}/terminate`, { date: '2020-01-01' })).status, 400);
    const today = (await (await post(`/employees/${created.id}/terminate`, {})).json()) as { status: string; lifecycleStatus: string; terminationDate: string };
    assert.equal(today.status, 'Inactive');
    assert.equal(today.lifecycleStatus, 'terminated');
    const back = (await (await post(`/employees/${created.id}/rehire`)).json()) as { status: string; terminationDate: string | null };
    assert.equal(back.status, 'Active');
    assert.equal(back.terminationDate, null);
    const renamed = (await (await post('/lists/department/rename', { from: 'Backend', to: 'Server Engineering' })).json()) as { id: string; name: string };
    assert.equal(renamed.name, 'Server Engineering');
    assert.equal((await post(`/employees/${created.id}`, undefined, 'DELETE')).status, 204);
    assert.equal((await fetch(`${sb.url}/_sandbox/employees/${created.id}`)).status, 404);
    const state = (await (await fetch(`${sb.url}/_sandbox/state`)).json()) as { employees: { total: number } };
    assert.equal(state.employees.total, sb.roster.size);
  });

  it('response shapes: nested categories with root fields at the top level', async () => {
    const x = await startHibobSandbox({ employees: 3, shape: 'nested' });
    try {
      const { json } = await search(x, { fields: ['root.id', 'work.department', 'payroll.employment.type'], showInactive: true });
      const e = json.employees[0] as Employee;
      assert.equal(typeof e['id'], 'string');
      assert.ok(typeof (e['work'] as Employee)['department'] === 'string');
      assert.ok(typeof ((e['payroll'] as Employee)['employment'] as Employee)['type'] === 'string');
      assert.equal(e['/root/id'], undefined);
    } finally {
      await x.close();
    }
  });

  // How fast is for `npm run bench`; here, that a 100,000-person answer arrives whole and distinct.
  it('serves a company of 100,000 in one search response', async () => {
    const big = await startHibobSandbox({ employees: 100_000, seed: 3 });
    try {
      const { status, json } = await search(big, { fields: ['root.id', 'root.email', 'root.firstName', 'root.surname', 'work.department', 'work.site', 'internal.status'], showInactive: true, humanReadable: 'APPEND' });
      assert.equal(status, 200);
      assert.ok(big.roster.size > 70_000, `${big.roster.size} people`);
      assert.equal(json.employees.length, big.roster.size);
      assert.equal(new Set(json.employees.map((e) => (e['/root/id'] as { value?: unknown } | undefined)?.value)).size, big.roster.size);
    } finally {
      await big.close();
    }
  });
});
