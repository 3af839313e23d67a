import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DIALECTS, PG_URL, openTestStore } from '../helpers/dialects.ts';
import { Vault } from '../../src/auth/vault.ts';
import { migrate, openStore } from '../../src/store/db.ts';
import { ensureTenant, registerApiKey, tenantForApiKey } from '../../src/store/tenants.ts';
import { createIntegration, getIntegration, listIntegrations, readCredentials } from '../../src/store/integrations.ts';
import { enqueueRun, RunConflictError, transitionRun, RunTransitionError } from '../../src/store/runs.ts';
import { claimRun } from '../../src/store/run-lease.ts';
import { defaultUserSync, DEFAULT_GROUP_SYNC } from '../../src/core/integration-settings.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import { listEmployees, insertEmployees } from '../../src/store/employees.ts';

const vault = new Vault([randomBytes(32)]);

async function seed(db: Awaited<ReturnType<typeof openTestStore>>['db'], tenantId: string) {
  await ensureTenant(db, tenantId, tenantId);
  return createIntegration(db, vault, {
    tenantId,
    provider: 'bamboohr',
    name: 'BambooHR',
    settings: { companyDomain: 'acme' },
    credentials: { apiKey: 'k-secret-123' },
    connection: { status: 'connected', detail: null },
    userSync: defaultUserSync(DESCRIPTORS.bamboohr.defaultMapping),
    groupSync: DEFAULT_GROUP_SYNC,
  });
}

for (const dialect of DIALECTS) {
  describe(`storage on ${dialect}`, () => {
    it('migrates idempotently and stores credentials only encrypted', async () => {
      const store = await openTestStore(dialect);
      try {
        await migrate(store.db);
        const integration = await seed(store.db, 'acme');
        const row = await store.db.selectFrom('integrations').selectAll().executeTakeFirstOrThrow();
        assert.equal(row.credentials!.includes('k-secret-123'), false);
        assert.deepEqual(await readCredentials(store.db, vault, 'acme', integration.id), { apiKey: 'k-secret-123' });
        assert.equal(integration.priority, 1);
        assert.equal((await seed(store.db, 'acme')).priority, 2, 'new integrations rank last');
      } finally {
        await store.close();
      }
    });

    it('scopes integration, employee and API-key reads to one tenant', async () => {
      const store = await openTestStore(dialect);
      try {
        const a = await seed(store.db, 'tenant-a');
        await seed(store.db, 'tenant-b');
        assert.equal(await getIntegration(store.db, 'tenant-b', a.id), undefined);
        assert.equal((await listIntegrations(store.db, 'tenant-b')).length, 1);
        const now = new Date().toISOString();
        await insertEmployees(store.db, [{ id: 'e1', tenant_id: 'tenant-a', status: 'active', role: 'member', email_norm: 'x@a.example', employee_number: null, search_text: 'x', fields: '{}', provenance: '{}', custom_config: '{}', created_at: now, updated_at: now }]);
        assert.equal((await listEmployees(store.db, 'tenant-b', { limit: 10 })).length, 0);
        assert.equal((await listEmployees(store.db, 'tenant-a', { limit: 10, email: 'x@a.example' })).length, 1);
        await registerApiKey(store.db, 'tenant-b', 'rfk_key_for_b_0123456789', 'b');
        assert.equal(await tenantForApiKey(store.db, 'rfk_key_for_b_0123456789'), 'tenant-b');
        const keys = JSON.stringify(await store.db.selectFrom('api_keys').selectAll().execute());
        assert.equal(keys.includes('rfk_key_for_b_0123456789'), false);
      } finally {
        await store.close();
      }
    });

    it('allows one queued or running run per integration, and follows the transition table', async () => {
      const store = await openTestStore(dialect);
      try {
        const i = await seed(store.db, 'acme');
        const run = await enqueueRun(store.db, { tenantId: 'acme', integrationId: i.id, trigger: 'manual', mode: 'full', dryRun: false });
        await assert.rejects(enqueueRun(store.db, { tenantId: 'acme', integrationId: i.id, trigger: 'manual', mode: 'full', dryRun: false }), (e) => e instanceof RunConflictError && e.runId === run.id);
        await assert.rejects(transitionRun(store.db, run.id, 'queued', 'succeeded'), RunTransitionError);
        assert.equal(await transitionRun(store.db, run.id, 'queued', 'running'), true);
        assert.equal(await transitionRun(store.db, run.id, 'queued', 'running'), false, 'compare-and-set: the status moved on');
        assert.equal(await transitionRun(store.db, run.id, 'running', 'succeeded', { finished: true }), true);
        await enqueueRun(store.db, { tenantId: 'acme', integrationId: i.id, trigger: 'manual', mode: 'full', dryRun: false });
      } finally {
        await store.close();
      }
    });

    it('never lets two workers claim the same run', async () => {
      const store = await openTestStore(dialect);
      try {
        const ids: string[] = [];
        // Six tenants: one tenant's runs that write are claimed one at a time (test/sync/leases.test.ts).
        for (let n = 0; n < 6; n += 1) {
          const i = await seed(store.db, `acme-${n}`);
          ids.push((await enqueueRun(store.db, { tenantId: `acme-${n}`, integrationId: i.id, trigger: 'manual', mode: 'full', dryRun: false })).id);
        }
        const now = new Date();
        const claims = await Promise.all(Array.from({ length: 10 }, (_, w) => claimRun(store.db, store.dialect, `w${w}`, now, 30_000)));
        const claimed = claims.filter(Boolean).map((c) => c!.row.id);
        assert.equal(new Set(claimed).size, claimed.length, 'no run claimed twice');
        // Whatever the interleaving, every run is claimed exactly once in the end.
        for (;;) {
          const more = await claimRun(store.db, store.dialect, 'late', now, 30_000);
          if (!more) break;
          claimed.push(more.row.id);
        }
        assert.deepEqual([...claimed].sort(), [...ids].sort());
      } finally {
        await store.close();
      }
    });
  });
}

describe('migrations on SQLite', () => {
  it('several processes opening one fresh file at once all migrate it, once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'refresh-migrate-'));
    const file = path.join(dir, 'refresh.db');
    const dbModule = new URL('../../src/store/db.ts', import.meta.url).href;
    // Separate processes: SQLite's only cross-process lock is the database file's own.
    const script = `const { openStore } = await import(${JSON.stringify(dbModule)}); const s = await openStore({ sqliteFile: process.argv[1] }); await s.close();`;
    try {
      const run = promisify(execFile);
      await Promise.all([1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file])));
      const store = await openStore({ sqliteFile: file });
      try {
        const applied = await store.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
        assert.equal(new Set(applied.map((r) => (r as { name: string }).name)).size, applied.length, 'each migration recorded once');
        assert.equal((await store.db.selectFrom('tenants').selectAll().execute()).length, 0);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (PG_URL) {
  describe('migrations on PostgreSQL', () => {
    it('several nodes starting at once on a fresh schema all migrate it, in that schema', async () => {
      const schema = `t_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      try {
        const stores = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl: PG_URL, pgSchema: schema })));
        for (const store of stores) assert.equal((await store.db.selectFrom('tenants').selectAll().execute()).length, 0);
        const { rows } = await admin.query(`select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name = 'kysely_migration'`, [schema]);
        assert.equal(rows[0].n, 1);
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
    });
  });
}
