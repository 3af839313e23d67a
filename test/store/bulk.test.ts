import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { queuedRun } from '../helpers/run-fixture.ts';
import { writeApplyBatch, writeChanges } from '../../src/store/bulk.ts';

/** Text a bulk statement must carry as it is: quotes, backslashes, braces and commas (array syntax), JSON, newlines, non-ASCII, an emoji. */
const AWKWARD = 'O\'Brien "Bob" \\ {a,b} NULL \n\t ü 漢字 😀 {"x":"\\"y\\""}';

for (const dialect of DIALECTS) {
  describe(`bulk writes on ${dialect}`, () => {
    it('store every value as given, write updates only at their planned version, and a lone surrogate replaced', async () => {
      const store = await openTestStore(dialect);
      try {
        const { integration, run } = await queuedRun(store);
        const now = '2026-12-03T00:00:00.000Z';
        const employee = (n: number, text: string) => ({
          id: `e${n}`, tenant_id: 'acme', status: 'active', role: 'member', email_norm: n === 1 ? null : `p${n}@acme.example`, employee_number: null,
          search_text: text.toLowerCase(), fields: JSON.stringify({ displayName: text }), provenance: '{}', custom_config: '{}', created_at: now, updated_at: now,
        });
        await store.db.transaction().execute(async (trx) => {
          await writeChanges(store, trx, [
            { tenant_id: 'acme', run_id: run.id, seq: 1, kind: 'created', employee_id: 'e1', external_id: '1', display_name: AWKWARD, before: null, after: JSON.stringify({ name: AWKWARD }), reason: null, payload: null, applied: 0 },
            { tenant_id: 'acme', run_id: run.id, seq: 2, kind: 'created', employee_id: 'e2', external_id: '2', display_name: 'lone \uD800 surrogate', before: null, after: null, reason: null, payload: null, applied: 0, base_version: 3, base_hash: 'h' },
          ]);
          await writeApplyBatch(store, trx, {
            tenantId: 'acme', runId: run.id, toSeq: 2, cases: [], updates: [],
            creates: [employee(1, AWKWARD), employee(2, 'Plain')],
            links: [{ tenant_id: 'acme', integration_id: integration.id, external_id: '1', employee_id: 'e1', record_hash: 'h', field_values: AWKWARD, lifecycle: '{}', source_status: 'active', status_reason: 'active', in_scope: 1, scope_reason: 'everyone', review_on: null, present: 1, last_run_id: run.id, last_seen_at: now, created_at: now }],
          });
        });
        const changes = await store.db.selectFrom('run_changes').select(['seq', 'display_name', 'after', 'base_version', 'base_hash', 'payload']).orderBy('seq').execute();
        // A lone surrogate is stored replaced (U+FFFD on PostgreSQL; SQLite keeps its bytes, read back as replacement characters), not refused.
        assert.match(changes[1]!.display_name!, /^lone \uFFFD+ surrogate$/);
        assert.deepEqual(changes, [
          { seq: 1, display_name: AWKWARD, after: JSON.stringify({ name: AWKWARD }), base_version: null, base_hash: null, payload: null },
          { seq: 2, display_name: changes[1]!.display_name, after: null, base_version: 3, base_hash: 'h', payload: null },
        ]);
        const e1 = await store.db.selectFrom('employees').selectAll().where('id', '=', 'e1').executeTakeFirstOrThrow();
        assert.equal(e1.search_text, AWKWARD.toLowerCase());
        assert.equal(e1.email_norm, null);
        assert.deepEqual(JSON.parse(e1.fields), { displayName: AWKWARD });
        const link = await store.db.selectFrom('employee_links').select(['field_values', 'in_scope', 'review_on']).executeTakeFirstOrThrow();
        assert.deepEqual(link, { field_values: AWKWARD, in_scope: 1, review_on: null });
        assert.equal((await store.db.selectFrom('runs').select('applied_through').where('id', '=', run.id).executeTakeFirstOrThrow()).applied_through, 2);

        const write = (id: string, name: string) => ({ id, status: 'active' as const, fields: { displayName: name }, provenance: {}, emailNorm: null, employeeNumber: '7', updatedAt: now });
        const moved = await store.db.transaction().execute((trx) =>
          writeApplyBatch(store, trx, { tenantId: 'acme', runId: run.id, toSeq: null, creates: [], links: [], cases: [], updates: [
            { write: write('e1', `${AWKWARD}!`), baseVersion: e1.version },
            { write: write('e2', 'Moved'), baseVersion: 41 },
          ] }),
        );
        assert.deepEqual(moved, ['e2'], 'written only at the version it was planned from');
        const after = await store.db.selectFrom('employees').select(['id', 'fields', 'version', 'employee_number']).orderBy('id').execute();
        assert.deepEqual(after.map((r) => [r.id, JSON.parse(r.fields).displayName, r.version - (r.id === 'e1' ? e1.version : 0), r.employee_number]), [
          ['e1', `${AWKWARD}!`, 1, '7'],
          ['e2', 'Plain', e1.version, null],
        ]);
      } finally {
        await store.close();
      }
    });
  });
}
