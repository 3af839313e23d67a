import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { queuedRun } from '../helpers/run-fixture.ts';
import { enqueueRun } from '../../src/store/runs.ts';
import { writeApplyBatch, writeChanges } from '../../src/store/bulk.ts';

const now = '2026-12-03T00:00:00.000Z';

/**
 * The sync tables' references to their tenant, integration and run hold on both stores: foreign
 * keys on SQLite, statement-level checks on PostgreSQL (migration 0029). A row naming a parent
 * that does not exist is refused, by insert or update, and a parent still named cannot go.
 */
for (const dialect of DIALECTS) {
  describe(`parent references of the sync tables on ${dialect}`, () => {
    it('refuse a row whose tenant, integration or run does not exist, and a referenced parent from going', async () => {
      const store = await openTestStore(dialect);
      try {
        const { integration, run } = await queuedRun(store);
        const employee = (id: string, tenant: string) => ({
          id, tenant_id: tenant, status: 'active', role: 'member', email_norm: null, employee_number: null,
          search_text: id, fields: '{}', provenance: '{}', custom_config: '{}', created_at: now, updated_at: now,
        });
        const link = (external: string, integrationId: string, tenant = 'acme') => ({
          tenant_id: tenant, integration_id: integrationId, external_id: external, employee_id: 'e1', record_hash: 'h', field_values: '{}', lifecycle: '{}',
          source_status: 'active', status_reason: 'active', in_scope: 1, scope_reason: 'everyone', review_on: null, present: 1, last_run_id: run.id, last_seen_at: now, created_at: now,
        });
        const change = (runId: string, seq: number) => ({ tenant_id: 'acme', run_id: runId, seq, kind: 'created', employee_id: 'e1', external_id: String(seq), display_name: null, before: null, after: null, reason: null, payload: null, applied: 1 });
        const batch = { tenantId: 'acme', runId: run.id, toSeq: null, updates: [], cases: [] };
        // What exists is written as ever.
        await store.db.transaction().execute(async (trx) => {
          await writeApplyBatch(store, trx, { ...batch, creates: [employee('e1', 'acme')], links: [link('1', integration.id)] });
          await writeChanges(store, trx, [change(run.id, 1)]);
        });

        const refused = async (what: string, write: (trx: Transaction<Database>) => Promise<unknown>) => {
          await assert.rejects(store.db.transaction().execute(write), (error: Error & { code?: string }) => {
            assert.ok(error.code === '23503' || /FOREIGN KEY/.test(error.message), `${what}: ${error.message}`);
            return true;
          }, what);
        };
        await refused('an employee of no tenant', (trx) => writeApplyBatch(store, trx, { ...batch, creates: [employee('e2', 'nobody')], links: [] }));
        await refused('a link of no integration', (trx) => writeApplyBatch(store, trx, { ...batch, creates: [], links: [link('2', 'no-integration')] }));
        await refused('a link of no tenant', (trx) => writeApplyBatch(store, trx, { ...batch, creates: [], links: [link('3', integration.id, 'nobody')] }));
        await refused('a change of no run', (trx) => writeChanges(store, trx, [change('no-run', 2)]));
        await refused('a link moved to no integration', (trx) => trx.updateTable('employee_links').set({ integration_id: 'no-integration' }).execute());
        await refused('a change moved to no run', (trx) => trx.updateTable('run_changes').set({ run_id: 'no-run' }).execute());
        await refused('a run its changes name', (trx) => trx.deleteFrom('runs').where('id', '=', run.id).execute());
        await refused('a run re-keyed under its changes', (trx) => trx.updateTable('runs').set({ id: 'other' }).where('id', '=', run.id).execute());
        await refused('an integration its links name', (trx) => sql`delete from integrations where id = ${integration.id}`.execute(trx));

        // Nothing refused was written; a run nothing names may go.
        assert.equal((await store.db.selectFrom('employees').select('id').execute()).length, 1);
        assert.equal((await store.db.selectFrom('employee_links').select('external_id').execute()).length, 1);
        assert.equal((await store.db.selectFrom('run_changes').select('seq').execute()).length, 1);
        const idle = await store.db.transaction().execute(async (trx) => {
          await trx.updateTable('runs').set({ status: 'succeeded' }).where('id', '=', run.id).execute();
          return enqueueRun(trx, { tenantId: 'acme', integrationId: integration.id, trigger: 'manual', mode: 'full', dryRun: false });
        });
        await store.db.deleteFrom('runs').where('id', '=', idle.id).execute();
      } finally {
        await store.close();
      }
    });
  });
}
