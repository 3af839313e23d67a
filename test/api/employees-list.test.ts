import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';

type Json = any;

const SORTS = ['name', 'email', 'department', 'status', 'source', 'updated'] as const;

/** The name the console shows (web/src/format.ts personName), lower-cased: what `sort=name` orders by. */
function shownName(e: Json): string {
  const v = (k: string): string | null => e.fields[k]?.value || null;
  return (v('displayName') ?? ([v('preferredName') ?? v('firstName') ?? '', v('lastName') ?? ''].join(' ').trim() || v('email') || '')).toLowerCase();
}

/** The value each column sorts by, as the API defines it (ASCII data, so SQL lower() and JS agree). */
function sortValue(e: Json, by: (typeof SORTS)[number], integrationNames: Map<string, string>): string {
  switch (by) {
    case 'name':
      return shownName(e);
    case 'email':
      return (e.fields.email?.value ?? '').toLowerCase();
    case 'department':
      return (e.fields.department?.value ?? '').toLowerCase();
    case 'status':
      return e.status;
    case 'source':
      return e.links.map((l: Json) => (integrationNames.get(l.integrationId) ?? '').toLowerCase()).sort()[0] ?? '';
    case 'updated':
      return e.updatedAt;
  }
}

for (const dialect of DIALECTS) {
  describe(`GET /employees sorted, filtered and counted on ${dialect}`, () => {
    let h: Harness;
    let app: FastifyInstance;
    let call: ApiCall;
    const integrationNames = new Map<string, string>();

    /** Every page of a query, following nextCursor; the totals each page reported. */
    const walk = async (query: string, limit: number) => {
      const rows: Json[] = [];
      const totals = new Set<number>();
      let cursor: string | null = null;
      for (let pages = 0; pages < 200; pages += 1) {
        const res = await call('GET', `/employees?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        rows.push(...res.body.data);
        totals.add(res.body.total);
        cursor = res.body.nextCursor;
        if (!cursor) break;
      }
      return { rows, totals };
    };

    before(async () => {
      h = await openHarness(dialect, { employees: 14, seed: 41 });
      const served = await serveApi(h);
      app = served.app;
      call = apiCaller(served);
      integrationNames.set(h.integration.id, h.integration.name);
      // People added in ReFresh only, sharing departments (ties the cursor has to break) in both spellings.
      const departments = ['Outreach', 'outreach', 'Ledger', '', 'Ledger', 'Zeta', 'Outreach'];
      for (const [i, department] of departments.entries()) {
        const res = await call('POST', '/employees', {
          fields: { email: `manual${i}@list.example`, firstName: `Manual${String.fromCharCode(65 + i)}`, lastName: 'Person', ...(department ? { department } : {}) },
          role: i % 3 === 0 ? 'compliance_manager' : 'member',
          status: i === 2 ? 'inactive' : 'active',
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    });
    after(async () => {
      await app.close();
      await h.close();
    });

    it('walks every sort, both ways, in small pages: each person once, in order, the total on every page', async () => {
      const everyone = await walk('', 1000);
      const n = everyone.rows.length;
      assert.ok(n >= 15, `${n} people`);
      for (const by of SORTS) {
        for (const order of ['asc', 'desc'] as const) {
          const { rows, totals } = await walk(`sort=${by}&order=${order}`, 3);
          assert.deepEqual([...totals], [n], `${by} ${order}: total`);
          assert.equal(rows.length, n, `${by} ${order}: count`);
          assert.equal(new Set(rows.map((r) => r.id)).size, n, `${by} ${order}: nobody twice`);
          const keys = rows.map((r) => [sortValue(r, by, integrationNames), r.id] as const);
          for (let i = 1; i < keys.length; i += 1) {
            const [a, b] = order === 'asc' ? [keys[i - 1]!, keys[i]!] : [keys[i]!, keys[i - 1]!];
            assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${by} ${order}: row ${i} (${JSON.stringify(keys[i - 1])} then ${JSON.stringify(keys[i])})`);
          }
        }
      }
    });

    it('filters by department (any case), role, status and source, and counts what matches', async () => {
      const sales = await walk('department=OUTREACH&sort=name', 2);
      assert.deepEqual([...sales.totals], [3]);
      assert.deepEqual(sales.rows.map((r) => r.fields.email.value), ['manual0@list.example', 'manual1@list.example', 'manual6@list.example']);
      const managers = await walk('role=compliance_manager', 100);
      assert.deepEqual([...managers.totals], [3]);
      assert.ok(managers.rows.every((r) => r.role === 'compliance_manager'));
      const manualOnly = await walk('integrationId=none&status=active&sort=department&order=desc', 2);
      assert.deepEqual([...manualOnly.totals], [6]);
      assert.deepEqual(
        manualOnly.rows.map((r) => r.fields.department.value ?? ''),
        ['Zeta', 'Outreach', 'outreach', 'Outreach', 'Ledger', ''],
      );
      const synced = await walk(`integrationId=${h.integration.id}`, 100);
      assert.ok(synced.rows.length > 0 && synced.rows.every((r) => r.links.some((l: Json) => l.integrationId === h.integration.id)));
      const nobody = await call('GET', '/employees?department=Nowhere');
      assert.deepEqual([nobody.status, nobody.body.total, nobody.body.data.length, nobody.body.nextCursor], [200, 0, 0, null]);
    });

    it('lists the departments in use once each, for the filter', async () => {
      const res = await call('GET', '/employees/departments');
      assert.equal(res.status, 200);
      const lower = res.body.data.map((d: string) => d.toLowerCase());
      assert.equal(new Set(lower).size, lower.length, 'one entry per department, whatever the case');
      assert.ok(lower.includes('outreach') && lower.includes('ledger') && lower.includes('zeta'));
      assert.ok(!res.body.data.includes(''));
    });

    it('refuses a cursor from another sort, and a forged one, in words', async () => {
      const first = await call('GET', '/employees?sort=department&limit=2');
      const other = await call('GET', `/employees?sort=name&limit=2&cursor=${first.body.nextCursor}`);
      assert.equal(other.status, 400);
      assert.match(other.body.error.message, /another sort order; start again from the first page/);
      const reversed = await call('GET', `/employees?sort=department&order=desc&limit=2&cursor=${first.body.nextCursor}`);
      assert.equal(reversed.status, 400);
      const forged = await call('GET', `/employees?sort=department&limit=2&cursor=${Buffer.from('["department","asc",1,2]').toString('base64url')}`);
      assert.equal(forged.status, 400);
      assert.equal(forged.body.error.details.field, 'query.cursor');
    });

    it('keeps a cursor valid while the people before and after it change', async () => {
      const first = await call('GET', '/employees?sort=department&limit=4');
      const seen = new Set<string>(first.body.data.map((r: Json) => r.id));
      // Someone sorting before the cursor is added, someone on an unread page moves: neither is read twice or skipped.
      await call('POST', '/employees', { fields: { email: 'early@list.example', firstName: 'Early', lastName: 'Bird' } });
      let cursor = first.body.nextCursor as string | null;
      const rest: Json[] = [];
      while (cursor) {
        const res = await call('GET', `/employees?sort=department&limit=4&cursor=${encodeURIComponent(cursor)}`);
        assert.equal(res.status, 200);
        rest.push(...res.body.data);
        cursor = res.body.nextCursor;
      }
      for (const r of rest) assert.ok(!seen.has(r.id), `${r.fields.email.value} read twice`);
      const total = (await call('GET', '/employees?limit=1')).body.total;
      assert.equal(seen.size + rest.length, total - 1, 'everyone but the person added before the cursor');
    });
  });
}
