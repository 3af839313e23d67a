import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { ensureTenant } from '../../src/store/tenants.ts';
import { insertEmployees, listEmployees, searchText, updateEmployee } from '../../src/store/employees.ts';
import { catchUpSearchIndex, searchIndexBehind } from '../../src/store/search-index.ts';
import type { FieldValues } from '../../src/core/fields.ts';

const NOW = '2026-01-01T00:00:00.000Z';
const NAMES = ['Zoë Müller', 'Ann Anderson', 'Jo Ng', 'Ånnika O\'Brien', 'Li "Lee" Wu', 'José Álvarez', 'Anne-Marie Dubois', '100% Real_Name', 'back\\slash Person'];

function row(tenantId: string, n: number, name: string) {
  const [firstName, ...rest] = name.split(' ');
  const fields: FieldValues = { firstName: firstName!, lastName: rest.join(' '), email: `p${n}@acme.example`, employeeNumber: String(1000 + n), jobTitle: n % 2 ? 'Platform Engineer' : 'Account Executive' };
  return { id: `e${String(n).padStart(4, '0')}`, tenant_id: tenantId, status: 'active', role: 'member', email_norm: fields.email!, employee_number: fields.employeeNumber!, search_text: searchText(fields), fields: JSON.stringify(fields), provenance: '{}', custom_config: '{}', created_at: NOW, updated_at: NOW };
}

/** Every employee whose search text holds q, in id order: what `q` means, read the slow way. */
function expected(rows: readonly { id: string; tenant_id: string; search_text: string }[], tenantId: string, q: string): string[] {
  const needle = q.normalize('NFKC').toLocaleLowerCase('en');
  return rows.filter((r) => r.tenant_id === tenantId && r.search_text.includes(needle)).map((r) => r.id).sort();
}

async function all(db: Parameters<typeof listEmployees>[0], tenantId: string, q: string): Promise<string[]> {
  const out: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await listEmployees(db, tenantId, { q, limit: 7, ...(after ? { after } : {}) });
    out.push(...page.map((r) => r.id));
    if (page.length < 7) return out;
    after = page[page.length - 1]!.id;
  }
}

for (const dialect of DIALECTS) {
  describe(`employee search on ${dialect}`, () => {
    it('finds by prefix and by substring of name, email, number and title, as a scan would, page by page and per tenant', async () => {
      const store = await openTestStore(dialect);
      try {
        await ensureTenant(store.db, 'acme', 'Acme');
        await ensureTenant(store.db, 'other', 'Other');
        const rows = [...NAMES.map((name, n) => row('acme', n, name)), ...NAMES.map((name, n) => ({ ...row('other', n, name), id: `o${n}` }))];
        await insertEmployees(store.db, rows);
        // Before the SQLite index caught up (everyone queued) and after: the same answers.
        for (const indexed of [false, true]) {
          if (indexed) {
            await catchUpSearchIndex(store);
            assert.equal(await searchIndexBehind(store), false);
          }
          for (const q of ['ann', 'ANN', 'zoë', 'müller', 'ng', 'o\'b', '"lee"', '100%', 'l_n', 'k\\s', 'p3@acme', '1004', 'engineer', 'nne-ma', 'x', 'zzz']) {
            assert.deepEqual(await all(store.db, 'acme', q), expected(rows, 'acme', q), `q=${q}, indexed: ${indexed}`);
          }
          const some = fc.sample(fc.tuple(fc.constantFrom(...rows.filter((r) => r.tenant_id === 'acme')), fc.nat(), fc.integer({ min: 1, max: 6 })), 40);
          for (const [r, start, length] of some) {
            const q = [...r.search_text].slice(start % r.search_text.length).slice(0, length).join('');
            assert.deepEqual(await all(store.db, 'acme', q), expected(rows, 'acme', q), `q=${q}, indexed: ${indexed}`);
          }
        }
      } finally {
        await store.close();
      }
    });

    it('follows renames: a person is found by the new name and no longer by the old one', async () => {
      const store = await openTestStore(dialect);
      try {
        await ensureTenant(store.db, 'acme', 'Acme');
        await insertEmployees(store.db, [row('acme', 1, 'Ann Anderson'), row('acme', 2, 'Jo Ng')]);
        await catchUpSearchIndex(store);
        assert.deepEqual(await all(store.db, 'acme', 'anderson'), ['e0001']);
        const fields: FieldValues = { firstName: 'Annabel', lastName: 'Quintero', email: 'p1@acme.example' };
        await updateEmployee(store.db, 'acme', { id: 'e0001', status: 'active', fields, provenance: {}, emailNorm: 'p1@acme.example', employeeNumber: null, updatedAt: NOW });
        // Renamed while the index still holds the old name (queued), and after it caught up.
        for (let round = 0; round < 2; round += 1) {
          assert.deepEqual(await all(store.db, 'acme', 'quinter'), ['e0001']);
          assert.deepEqual(await all(store.db, 'acme', 'anderson'), []);
          await catchUpSearchIndex(store);
        }
        await store.db.deleteFrom('employees').where('id', '=', 'e0002').execute();
        assert.deepEqual(await all(store.db, 'acme', 'ng@'), []);
        await insertEmployees(store.db, [{ ...row('acme', 3, 'Nils Ngata'), id: 'e0003' }]);
        assert.deepEqual(await all(store.db, 'acme', 'ngata'), ['e0003']);
        await catchUpSearchIndex(store);
        assert.deepEqual(await all(store.db, 'acme', 'ngata'), ['e0003']);
        assert.deepEqual(await all(store.db, 'acme', 'jo ng'), []);
      } finally {
        await store.close();
      }
    });

    if (dialect === 'postgres') {
      it('a rename that commits while the index catches up is indexed again, never lost', async () => {
        const store = await openTestStore(dialect);
        try {
          await ensureTenant(store.db, 'acme', 'Acme');
          // Queued, not indexed yet: the catch-up below takes this queue row.
          await insertEmployees(store.db, [row('acme', 1, 'Ann Anderson')]);
          let renamed!: () => void;
          let release!: () => void;
          const wasRenamed = new Promise<void>((r) => (renamed = r));
          const held = new Promise<void>((r) => (release = r));
          const writer = store.db.transaction().execute(async (trx) => {
            const fields: FieldValues = { firstName: 'Annabel', lastName: 'Quintero', email: 'p1@acme.example' };
            await updateEmployee(trx, 'acme', { id: 'e0001', status: 'active', fields, provenance: {}, emailNorm: 'p1@acme.example', employeeNumber: null, updatedAt: NOW });
            renamed();
            await held;
          });
          await wasRenamed;
          // On another connection, while the rename is not committed: it indexes the old name.
          assert.equal(await catchUpSearchIndex(store), 1);
          release();
          await writer;
          assert.equal(await searchIndexBehind(store), true, 'the rename is queued');
          assert.deepEqual(await all(store.db, 'acme', 'quinter'), ['e0001']);
          assert.deepEqual(await all(store.db, 'acme', 'anderson'), []);
          await catchUpSearchIndex(store);
          assert.equal(await searchIndexBehind(store), false);
          const { rows } = await sql<{ search_text: string }>`select search_text from employees_search where employee_id = 'e0001'`.execute(store.db);
          assert.match(rows[0]!.search_text, /quintero/);
          assert.deepEqual(await all(store.db, 'acme', 'quinter'), ['e0001']);
          assert.deepEqual(await all(store.db, 'acme', 'anderson'), []);
        } finally {
          await store.close();
        }
      });
    }
  });
}
