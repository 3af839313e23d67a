/**
 * BambooHR sandbox over real HTTP: auth, datasets, changed-since, single employee, lists,
 * the cursor-paged employee list, the directory and the `/_sandbox` control surface.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';

const KEY = 'sandbox-key';
const basic = (key: string, password = 'x'): string => `Basic ${Buffer.from(`${key}:${password}`).toString('base64')}`;
const AUTH = { authorization: basic(KEY) };
const JSON_AUTH = { ...AUTH, accept: 'application/json' };

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['employee', 'field', 'list', 'option'].includes(name),
});

type Row = Record<string, string | null>;
interface DatasetPage {
  data: Row[];
  pagination: { total_records: number; current_page: number; total_pages: number; next_page: string | null; prev_page: string | null };
}

async function dataset(sb: BambooSandbox, body: unknown, query = ''): Promise<Response> {
  return fetch(`${sb.url}/api/v1/datasets/employee${query}`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function fetchAllPages(sb: BambooSandbox, body: unknown, pageSize: number): Promise<{ rows: Row[]; pages: DatasetPage[] }> {
  const rows: Row[] = [];
  const pages: DatasetPage[] = [];
  let url: string | null = `${sb.url}/api/v1/datasets/employee?page=1&page_size=${pageSize}`;
  while (url) {
    const res: Response = await fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200);
    const page = (await res.json()) as DatasetPage;
    pages.push(page);
    rows.push(...page.data);
    url = page.pagination.next_page;
    assert.ok(pages.length < 1000, 'pagination ends');
  }
  return { rows, pages };
}

function errorHeader(res: Response): string {
  const h = res.headers.get('x-bamboohr-error-message');
  assert.ok(h && h.length > 0, `X-BambooHR-Error-Message present on ${res.status}`);
  return h;
}

describe('BambooHR sandbox API', () => {
  let sb: BambooSandbox;
  before(async () => {
    sb = await startBambooSandbox({ employees: 120, seed: 21, apiKeys: [KEY, 'second-key'] });
  });
  after(async () => {
    await sb.close();
  });

  describe('auth', () => {
    it('refuses missing, unknown and non-Basic credentials with 401 and the error header', async () => {
      const variants: Record<string, string>[] = [{}, { authorization: basic('wrong-key') }, { authorization: `Bearer ${KEY}` }, { authorization: 'Basic ???' }];
      for (const headers of variants) {
        const res = await fetch(`${sb.url}/api/v1/meta/fields`, { headers });
        assert.equal(res.status, 401);
        errorHeader(res);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
        await res.arrayBuffer();
      }
    });

    it('accepts the API key as the Basic user name with any password, also on the gateway path', async () => {
      for (const password of ['x', 'anything', '']) {
        const res = await fetch(`${sb.url}/api/v1/meta/fields`, { headers: { authorization: basic(KEY, password) } });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      const gw = await fetch(`${sb.url}/api/gateway.php/sandbox/v1/employees/0?fields=firstName`, { headers: JSON_AUTH });
      assert.equal(gw.status, 200);
      assert.equal(((await gw.json()) as Row)['id'], sb.roster.list()[0]?.id);
      const wrongDomain = await fetch(`${sb.url}/api/gateway.php/other/v1/employees/0`, { headers: AUTH });
      assert.equal(wrongDomain.status, 404);
      errorHeader(wrongDomain);
    });

    it('answers unknown API paths with 404 and the error header', async () => {
      for (const [method, path] of [['GET', '/api/v1/nothing'], ['DELETE', '/api/v1/employees'], ['GET', '/api/v2/employees']] as const) {
        const res = await fetch(`${sb.url}${path}`, { method, headers: AUTH });
        assert.equal(res.status, 404, `${method} ${path}`);
        errorHeader(res);
      }
    });
  });

  describe('datasets (get-data-from-dataset)', () => {
    const ALL_FIELDS = ['employeeId', 'firstName', 'lastName', 'workEmail', 'status', 'supervisorEId', 'hireDate', 'terminationDate', 'lastChanged'];

    it('lists datasets and dataset fields', async () => {
      const ds = (await (await fetch(`${sb.url}/api/v1/datasets`, { headers: AUTH })).json()) as { datasets: { name: string }[] };
      assert.deepEqual(ds.datasets.map((d) => d.name), ['employee']);
      const fields = (await (await fetch(`${sb.url}/api/v1/datasets/employee/fields`, { headers: AUTH })).json()) as {
        name: string;
        fields: { name: string; label: string; parentType: string; parentName: string; entityName: string }[];
        pagination: DatasetPage['pagination'];
      };
      assert.equal(fields.name, 'employee');
      const names = fields.fields.map((f) => f.name);
      for (const n of ['employeeId', 'workEmail', 'supervisorEId', 'customShirtSize', 'lastChanged', 'employmentHistoryStatus']) assert.ok(names.includes(n), n);
      assert.ok(fields.fields.every((f) => f.label && f.parentName && f.entityName));
      const bad = await fetch(`${sb.url}/api/v1/datasets/payroll/fields`, { headers: AUTH });
      assert.equal(bad.status, 400);
      errorHeader(bad);
    });

    it('pages with page_size 7 covering every person exactly once, with absolute next/prev links', async () => {
      const { rows, pages } = await fetchAllPages(sb, { fields: ALL_FIELDS }, 7);
      const expected = sb.roster.list().map((e) => e.id);
      assert.deepEqual(rows.map((r) => r['employeeId']), expected, 'everyone once, in id order');
      assert.equal(pages.length, Math.ceil(expected.length / 7));
      const p1 = pages[0]?.pagination;
      assert.equal(p1?.total_records, expected.length);
      assert.equal(p1?.total_pages, pages.length);
      assert.equal(p1?.prev_page, null);
      assert.equal(p1?.next_page, `${sb.url}/api/v1/datasets/employee?page=2&page_size=7`);
      assert.equal(pages[1]?.pagination.prev_page, `${sb.url}/api/v1/datasets/employee?page=1&page_size=7`);
      assert.equal(pages.at(-1)?.pagination.next_page, null);
      for (const r of rows) {
        assert.deepEqual(Object.keys(r), ALL_FIELDS, 'exactly the requested fields');
        for (const v of Object.values(r)) assert.ok(v === null || typeof v === 'string');
      }
      // Inactive people (terminated, future hires) are in a full fetch.
      assert.ok(rows.some((r) => r['status'] === 'Inactive'));
      assert.ok(rows.some((r) => r['terminationDate'] === null), 'empty dates are null');
    });

    it('uses page_size 500 by default and clamps page_size to pageSizeMax', async () => {
      const res = await dataset(sb, { fields: ['employeeId'] });
      const page = (await res.json()) as DatasetPage;
      assert.equal(page.data.length, 120);
      assert.equal(page.pagination.total_pages, 1);
      const small = await startBambooSandbox({ employees: 60, seed: 2, pageSizeMax: 25 });
      try {
        const r = await fetch(`${small.url}/api/v1/datasets/employee?page_size=1000`, {
          method: 'POST',
          headers: { authorization: basic('sandbox-key'), 'content-type': 'application/json' },
          body: JSON.stringify({ fields: ['employeeId'] }),
        });
        const p = (await r.json()) as DatasetPage;
        assert.equal(p.data.length, 25);
        assert.equal(p.pagination.total_pages, 3);
        assert.match(p.pagination.next_page ?? '', /page=2&page_size=25$/);
      } finally {
        await small.close();
      }
    });

    it('refuses unknown fields, garbage paging and bad bodies with 400', async () => {
      const unknown = await dataset(sb, { fields: ['firstName', 'ssn', 'shoeSize'] });
      assert.equal(unknown.status, 400);
      const msg = errorHeader(unknown);
      assert.match(msg, /ssn/);
      assert.match(msg, /shoeSize/);
      assert.doesNotMatch(msg, /firstName/);
      for (const query of ['?page=0', '?page=abc', '?page_size=-3', '?page_size=ten', '?page=1.5']) {
        const res = await dataset(sb, { fields: ['firstName'] }, query);
        assert.equal(res.status, 400, query);
        errorHeader(res);
      }
      for (const body of ['{not json', JSON.stringify({}), JSON.stringify({ fields: [] }), JSON.stringify({ fields: 'firstName' })]) {
        const res = await dataset(sb, body);
        assert.equal(res.status, 400, body);
        errorHeader(res);
      }
    });

    it('filters on status (includes / does_not_include) and on text fields (equal / not_equal)', async () => {
      const all = sb.roster.list();
      const active = all.filter((e) => e.status === 'Active').map((e) => e.id);
      const inactive = all.filter((e) => e.status === 'Inactive').map((e) => e.id);
      assert.ok(inactive.length > 0);
      const ids = async (filters: unknown): Promise<string[]> => {
        const res = await dataset(sb, { fields: ['employeeId'], filters }, '?page_size=1000');
        assert.equal(res.status, 200);
        return ((await res.json()) as DatasetPage).data.map((r) => r['employeeId'] as string);
      };
      assert.deepEqual(await ids({ match: 'all', filters: [{ field: 'status', operator: 'includes', value: ['Active'] }] }), active);
      assert.deepEqual(await ids({ match: 'all', filters: [{ field: 'status', operator: 'includes', value: ['Active', 'Inactive'] }] }), all.map((e) => e.id));
      assert.deepEqual(await ids({ match: 'all', filters: [{ field: 'status', operator: 'does_not_include', value: ['Active'] }] }), inactive);
      const someone = all[7];
      assert.ok(someone);
      assert.deepEqual(await ids({ match: 'all', filters: [{ field: 'workEmail', operator: 'equal', value: someone.workEmail }] }), [someone.id]);
      const notEqual = await ids({ match: 'all', filters: [{ field: 'workEmail', operator: 'not_equal', value: someone.workEmail }] });
      assert.equal(notEqual.length, all.length - 1);
      // any: union
      const union = await ids({
        match: 'any',
        filters: [
          { field: 'workEmail', operator: 'equal', value: someone.workEmail },
          { field: 'status', operator: 'includes', value: ['Inactive'] },
        ],
      });
      assert.deepEqual(new Set(union), new Set([someone.id, ...inactive]));
      // An operator the field type does not have.
      const bad = await dataset(sb, { fields: ['employeeId'], filters: { match: 'all', filters: [{ field: 'status', operator: 'contains', value: 'Act' }] } });
      assert.equal(bad.status, 400);
      assert.match(errorHeader(bad), /operator/i);
      const badField = await dataset(sb, { fields: ['employeeId'], filters: { match: 'all', filters: [{ field: 'salary', operator: 'equal', value: '1' }] } });
      assert.equal(badField.status, 400);
    });

    it('serves the same people for the same seed and count', async () => {
      const body = { fields: ['employeeId', 'firstName', 'lastName', 'workEmail', 'department', 'supervisorEId', 'hireDate', 'status'] };
      const [a, b, c] = await Promise.all([
        startBambooSandbox({ employees: 40, seed: 99 }),
        startBambooSandbox({ employees: 40, seed: 99 }),
        startBambooSandbox({ employees: 40, seed: 100 }),
      ]);
      try {
        const rows = async (s: BambooSandbox) =>
          ((await (
            await fetch(`${s.url}/api/v1/datasets/employee`, { method: 'POST', headers: { authorization: basic('sandbox-key'), 'content-type': 'application/json' }, body: JSON.stringify(body) })
          ).json()) as DatasetPage).data;
        const [ra, rb, rc] = await Promise.all([rows(a), rows(b), rows(c)]);
        assert.equal(ra.length, 40);
        assert.deepEqual(ra, rb);
        assert.notDeepEqual(ra, rc);
      } finally {
        await Promise.all([a.close(), b.close(), c.close()]);
      }
    });

    it('serves future hires as Inactive', async () => {
      const res = await dataset(sb, { fields: ['employeeId', 'status', 'hireDate'] }, '?page_size=1000');
      const rows = ((await res.json()) as DatasetPage).data;
      const today = new Date().toISOString().slice(0, 10);
      const future = rows.filter((r) => (r['hireDate'] as string) > today);
      assert.ok(future.length > 0);
      assert.ok(future.every((r) => r['status'] === 'Inactive'));
    });
  });

  describe('employees/changed (get-changed-employee-ids)', () => {
    const removed: string[] = [];
    it('reports add, update, terminate and remove in XML, and latest works as the next since', async () => {
      const first = await fetch(`${sb.url}/api/v1/employees/changed?since=${encodeURIComponent(new Date().toISOString())}`, { headers: AUTH });
      assert.equal(first.status, 200);
      assert.match(first.headers.get('content-type') ?? '', /xml/);
      const firstText = await first.text();
      assert.ok(firstText.startsWith('<?xml version="1.0"?>\n<employees'));
      const since = xml.parse(firstText).employees.latest as string;
      assert.match(since, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);

      const added = sb.roster.add({ firstName: 'Siobhán', lastName: 'Ó Briain' });
      const updatedId = sb.roster.list()[2]?.id as string;
      sb.roster.update(updatedId, { jobTitle: 'Principal Wrangler' });
      const terminatedId = sb.roster.list()[4]?.id as string;
      sb.roster.terminate(terminatedId);
      const removedId = sb.roster.list()[6]?.id as string;
      // Their reports move up to the removed person's manager: that is an update too.
      const movedUp = sb.roster.list().filter((e) => e.supervisorEId === removedId).map((e) => e.id);
      sb.roster.remove(removedId);
      removed.push(removedId);

      const res = await fetch(`${sb.url}/api/v1/employees/changed?since=${encodeURIComponent(since)}`, { headers: AUTH });
      const doc = xml.parse(await res.text());
      const changes = new Map<string, string>((doc.employees.employee as { id: string; action: string }[]).map((e) => [e.id, e.action]));
      assert.deepEqual(Object.fromEntries(changes), {
        [added.id]: 'Inserted',
        [updatedId]: 'Updated',
        [terminatedId]: 'Updated',
        [removedId]: 'Deleted',
        ...Object.fromEntries(movedUp.map((id) => [id, 'Updated'])),
      });
      for (const e of doc.employees.employee as { lastChanged: string }[]) assert.ok(e.lastChanged > since);
      const latest = doc.employees.latest as string;

      // Nothing new since `latest`; a change right after shows up.
      const none = xml.parse(await (await fetch(`${sb.url}/api/v1/employees/changed?since=${encodeURIComponent(latest)}`, { headers: AUTH })).text());
      assert.equal(none.employees.employee, undefined);
      sb.roster.update(added.id, { preferredName: 'Shiv' });
      const again = xml.parse(await (await fetch(`${sb.url}/api/v1/employees/changed?since=${encodeURIComponent(latest)}`, { headers: AUTH })).text());
      assert.deepEqual((again.employees.employee as { id: string }[]).map((e) => e.id), [added.id]);
    });

    it('answers JSON with Accept: application/json, and filters by type', async () => {
      const since = sb.roster.latest();
      const a = sb.roster.add({});
      const gone = sb.roster.list()[10]?.id as string;
      sb.roster.remove(gone);
      removed.push(gone);
      const res = await fetch(`${sb.url}/api/v1/employees/changed?since=${encodeURIComponent(since)}`, { headers: JSON_AUTH });
      assert.match(res.headers.get('content-type') ?? '', /json/);
      const body = (await res.json()) as { latest: string; employees: Record<string, { id: string; action: string; lastChanged: string }> };
      assert.equal(typeof body.latest, 'string');
      assert.deepEqual(body.employees[a.id], { id: a.id, action: 'Inserted', lastChanged: body.employees[a.id]?.lastChanged });
      assert.equal(body.employees[gone]?.action, 'Deleted');
      const deleted = (await (
        await fetch(`${sb.url}/api/v1/employees/changed?since=${encodeURIComponent(since)}&type=deleted`, { headers: JSON_AUTH })
      ).json()) as { employees: Record<string, { action: string }> };
      assert.deepEqual(Object.keys(deleted.employees), [gone]);
    });

    it('accepts an unencoded +00:00 offset and refuses a missing or invalid since', async () => {
      const ok = await fetch(`${sb.url}/api/v1/employees/changed?since=2000-01-01T00:00:00+00:00`, { headers: JSON_AUTH });
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { employees: Record<string, unknown> };
      assert.deepEqual(
        Object.keys(body.employees).sort(),
        [...sb.roster.list().map((e) => e.id), ...removed].sort(),
        'everyone, plus the deleted',
      );
      for (const id of removed) assert.equal((body.employees[id] as { action: string }).action, 'Deleted');
      for (const q of ['', '?since=', '?since=yesterday', '?since=2026-13-45', '?since=2026-01-01&type=moved']) {
        const res = await fetch(`${sb.url}/api/v1/employees/changed${q}`, { headers: AUTH });
        assert.equal(res.status, 400, q);
        errorHeader(res);
      }
    });
  });

  describe('employees/{id} (get-employee)', () => {
    it('serves one employee in JSON and XML with Unicode intact', async () => {
      const e = sb.roster.add({ firstName: '太郎', lastName: '山田', preferredName: 'Tarō', department: 'Research & Development' });
      const fields = 'firstName,lastName,preferredName,displayName,department,workEmail,terminationDate,bogusField';
      const json = await fetch(`${sb.url}/api/v1/employees/${e.id}?fields=${fields}`, { headers: JSON_AUTH });
      assert.equal(json.status, 200);
      assert.deepEqual(await json.json(), {
        id: e.id,
        firstName: '太郎',
        lastName: '山田',
        preferredName: 'Tarō',
        displayName: '山田 太郎',
        department: 'Research & Development',
        workEmail: 'taro.yamada@acme.example',
        terminationDate: '0000-00-00',
      });
      const res = await fetch(`${sb.url}/api/v1/employees/${e.id}?fields=${fields}`, { headers: AUTH });
      assert.match(res.headers.get('content-type') ?? '', /xml/);
      const doc = xml.parse(await res.text());
      const emp = doc.employee[0];
      assert.equal(emp.id, e.id);
      const values = Object.fromEntries((emp.field as { id: string; '#text'?: string }[]).map((f) => [f.id, f['#text'] ?? '']));
      assert.deepEqual(values, {
        firstName: '太郎',
        lastName: '山田',
        preferredName: 'Tarō',
        displayName: '山田 太郎',
        department: 'Research & Development',
        workEmail: 'taro.yamada@acme.example',
        terminationDate: '0000-00-00',
      });
      // Default fields.
      const dflt = (await (await fetch(`${sb.url}/api/v1/employees/${e.id}`, { headers: JSON_AUTH })).json()) as Row;
      assert.deepEqual(Object.keys(dflt), ['id', 'firstName', 'lastName']);
    });

    it('answers 404 for unknown and deleted employees', async () => {
      const gone = sb.roster.list()[12]?.id as string;
      sb.roster.remove(gone);
      for (const id of ['999999', gone, 'abc']) {
        const res = await fetch(`${sb.url}/api/v1/employees/${id}?fields=firstName`, { headers: JSON_AUTH });
        assert.equal(res.status, 404, id);
        errorHeader(res);
      }
    });
  });

  describe('meta', () => {
    it('lists list fields with option ids in JSON and XML; a renamed option keeps its id', async () => {
      const json = (await (await fetch(`${sb.url}/api/v1/meta/lists`, { headers: JSON_AUTH })).json()) as {
        fieldId: number;
        alias: string;
        manageable: string;
        multiple: string;
        name: string;
        options: { id: number; archived: string; name: string; createdDate: string | null; archivedDate: string | null }[];
      }[];
      assert.deepEqual(json.map((l) => l.alias), ['department', 'division', 'location', 'employmentHistoryStatus']);
      const dept = json.find((l) => l.alias === 'department');
      assert.ok(dept && dept.options.length >= 18);
      const support = dept.options.find((o) => o.name === 'Support');
      assert.ok(support);
      assert.equal(support.archived, 'no');
      assert.ok(json.find((l) => l.alias === 'location')?.options.some((o) => o.name === 'Kraków'));
      assert.deepEqual(
        json.find((l) => l.alias === 'employmentHistoryStatus')?.options.map((o) => o.name),
        ['Full-Time', 'Part-Time', 'Contractor', 'Terminated'],
      );

      const renamed = await fetch(`${sb.url}/_sandbox/lists/department/rename`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: 'Support', to: 'Customer Support & Care' }),
      });
      assert.equal(renamed.status, 200);

      const res = await fetch(`${sb.url}/api/v1/meta/lists`, { headers: AUTH });
      assert.match(res.headers.get('content-type') ?? '', /xml/);
      const doc = xml.parse(await res.text());
      const lists = doc.lists.list as { fieldId: string; alias: string; manageable: string; name: string; options: { option: { id: string; archived: string; '#text': string }[] } }[];
      const deptXml = lists.find((l) => l.alias === 'department');
      assert.equal(deptXml?.name, 'Department');
      assert.equal(deptXml?.manageable, 'yes');
      const opt = deptXml?.options.option.find((o) => o.id === String(support.id));
      assert.equal(opt?.['#text'], 'Customer Support & Care');
      assert.equal(opt?.archived, 'no');
      assert.ok(sb.roster.list().some((e) => e.department === 'Customer Support & Care'));
    });

    it('lists fields in JSON and XML', async () => {
      const json = (await (await fetch(`${sb.url}/api/v1/meta/fields`, { headers: JSON_AUTH })).json()) as { id: number; name: string; type: string; alias: string }[];
      assert.ok(json.some((f) => f.alias === 'customShirtSize' && f.name === 'Shirt Size'));
      assert.ok(json.some((f) => f.alias === 'workEmail' && f.type === 'email'));
      const doc = xml.parse(await (await fetch(`${sb.url}/api/v1/meta/fields`, { headers: AUTH })).text());
      assert.ok((doc.fields.field as { alias: string; '#text': string }[]).some((f) => f.alias === 'hireDate' && f['#text'] === 'Hire Date'));
    });
  });

  describe('employees (get-employees-list) and directory', () => {
    it('pages with cursors over everyone exactly once', async () => {
      const seen: string[] = [];
      let url: string | null = `${sb.url}/api/v1/employees?page%5Blimit%5D=9&fields=workEmail,hireDate,nonsense`;
      let total = 0;
      while (url) {
        const res: Response = await fetch(url, { headers: AUTH });
        assert.equal(res.status, 200);
        const body = (await res.json()) as {
          data: Record<string, unknown>[];
          meta: { total: number; page: { limit: number; nextCursor: string | null; prevCursor: string | null } };
          _links: { next?: { href: string } };
        };
        total = body.meta.total;
        assert.equal(body.meta.page.limit, 9);
        for (const row of body.data) {
          assert.deepEqual(Object.keys(row), ['employeeId', 'firstName', 'lastName', 'preferredName', 'photoUrl', 'jobTitleName', 'status', '_restrictedFields', 'workEmail', 'hireDate']);
          assert.ok(row['status'] === 'active' || row['status'] === 'inactive');
          seen.push(row['employeeId'] as string);
        }
        assert.equal(body._links.next === undefined, body.meta.page.nextCursor === null);
        url = body._links.next?.href ?? null;
      }
      assert.deepEqual(seen, sb.roster.list().map((e) => e.id));
      assert.equal(total, sb.roster.size);
    });

    it('filters by status and ids, and refuses bad limits and cursors', async () => {
      const inactive = (await (await fetch(`${sb.url}/api/v1/employees?filter%5Bstatus%5D=inactive&page%5Blimit%5D=100`, { headers: AUTH })).json()) as {
        data: { employeeId: string; status: string }[];
      };
      assert.deepEqual(inactive.data.map((r) => r.employeeId), sb.roster.list().filter((e) => e.status === 'Inactive').map((e) => e.id));
      const [a, b] = sb.roster.list();
      const byIds = (await (await fetch(`${sb.url}/api/v1/employees?filter%5Bids%5D=${a?.id},${b?.id}`, { headers: AUTH })).json()) as { data: { employeeId: string }[] };
      assert.deepEqual(byIds.data.map((r) => r.employeeId), [a?.id, b?.id]);
      for (const q of ['page%5Blimit%5D=101', 'page%5Blimit%5D=0', 'page%5Bafter%5D=garbage', 'filter%5Bstatus%5D=gone']) {
        const res = await fetch(`${sb.url}/api/v1/employees?${q}`, { headers: AUTH });
        assert.equal(res.status, 400, q);
        errorHeader(res);
      }
      // A cursor whose employee has been deleted: BadPage.
      const first = (await (await fetch(`${sb.url}/api/v1/employees?page%5Blimit%5D=3`, { headers: AUTH })).json()) as {
        data: { employeeId: string }[];
        meta: { page: { nextCursor: string } };
      };
      sb.roster.remove(first.data[2]?.employeeId as string);
      const stale = await fetch(`${sb.url}/api/v1/employees?page%5Blimit%5D=3&page%5Bafter%5D=${first.meta.page.nextCursor}`, { headers: AUTH });
      assert.equal(stale.status, 400);
      assert.equal(((await stale.json()) as { error: { code: string } }).error.code, 'BadPage');
    });

    it('serves the directory (active people only) in JSON and XML', async () => {
      const active = sb.roster.list().filter((e) => e.status === 'Active').map((e) => e.id);
      const json = (await (await fetch(`${sb.url}/api/v1/employees/directory`, { headers: JSON_AUTH })).json()) as {
        fields: { id: string; type: string; name: string }[];
        employees: Record<string, unknown>[];
      };
      assert.ok(json.fields.some((f) => f.id === 'workEmail'));
      assert.deepEqual(json.employees.map((e) => e['id']), active);
      const doc = xml.parse(await (await fetch(`${sb.url}/api/v1/employees/directory`, { headers: AUTH })).text());
      assert.ok(doc.directory.fieldset.field.length > 5);
      assert.deepEqual((doc.directory.employees.employee as { id: string }[]).map((e) => e.id), active);
    });
  });

  describe('/_sandbox control surface', () => {
    const control = (method: string, path: string, body?: unknown): Promise<Response> =>
      fetch(`${sb.url}/_sandbox${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it('adds, patches, terminates, rehires and deletes over HTTP, visible in the API', async () => {
      const state = (await (await control('GET', '/state')).json()) as { employees: { total: number }; url: string };
      assert.equal(state.employees.total, sb.roster.size);
      assert.equal(state.url, sb.url);

      const created = await control('POST', '/employees', { firstName: 'Łukasz', lastName: 'Wójcik', location: 'Kraków' });
      assert.equal(created.status, 201);
      const e = (await created.json()) as { id: string; workEmail: string; country: string };
      assert.equal(e.workEmail, 'lukasz.wojcik@acme.example');
      assert.equal(e.country, 'Poland');

      const patched = await control('PATCH', `/employees/${e.id}`, { jobTitle: 'Staff Engineer', mobilePhone: null });
      assert.equal(patched.status, 200);
      const single = (await (await fetch(`${sb.url}/api/v1/employees/${e.id}?fields=jobTitle,mobilePhone,status`, { headers: JSON_AUTH })).json()) as Row;
      assert.deepEqual(single, { id: e.id, jobTitle: 'Staff Engineer', mobilePhone: null, status: 'Active' });

      const term = await control('POST', `/employees/${e.id}/terminate`, { date: '2020-01-01' });
      assert.equal(term.status, 400, 'termination before hire date is refused');
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      await control('PATCH', `/employees/${e.id}`, { hireDate: '2019-05-01' });
      const ok = await control('POST', `/employees/${e.id}/terminate`, { date: yesterday });
      assert.equal(((await ok.json()) as { status: string; terminationDate: string }).terminationDate, yesterday);
      assert.equal(sb.roster.get(e.id)?.status, 'Inactive');
      const rehired = await control('POST', `/employees/${e.id}/rehire`);
      assert.equal(((await rehired.json()) as { status: string }).status, 'Active');

      const del = await control('DELETE', `/employees/${e.id}`);
      assert.equal(del.status, 204);
      assert.equal((await fetch(`${sb.url}/api/v1/employees/${e.id}`, { headers: AUTH })).status, 404);
    });

    it('refuses bad control input with 400 and a message, unknown ids with 404', async () => {
      const id = sb.roster.list()[1]?.id as string;
      for (const [method, path, body] of [
        ['PATCH', `/employees/${id}`, { hireDate: 'soon' }],
        ['PATCH', `/employees/${id}`, { favouriteColour: 'teal' }],
        ['PATCH', `/employees/${id}`, ['not', 'an', 'object']],
        ['POST', '/employees', { firstName: 42, lastName: 'X' }],
        ['POST', `/employees/${id}/terminate`, { date: '31/12/2026' }],
        ['POST', '/faults', { outage: { count: -1 } }],
        ['POST', '/faults', { meteorStrike: true }],
      ] as const) {
        const res = await control(method, path, body);
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
        const err = (await res.json()) as { error: { message: string } };
        assert.ok(err.error.message.length > 0);
        errorHeader(res);
      }
      assert.equal((await control('PATCH', '/employees/987654', { jobTitle: 'x' })).status, 404);
      assert.equal((await control('GET', '/nothing')).status, 404);
    });
  });
});
