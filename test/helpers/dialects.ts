import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type DialectName, type Store } from '../../src/store/db.ts';

/** Every storage test runs once per dialect; PostgreSQL only when the runner found a server. */
export const PG_URL = process.env.TEST_DATABASE_URL;
export const DIALECTS: DialectName[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** A fresh, migrated, isolated store: SQLite in memory, or a throwaway PostgreSQL schema. */
export async function openTestStore(dialect: DialectName): Promise<Store> {
  if (dialect === 'sqlite') return openStore({ sqliteFile: ':memory:' });
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const store = await openWithRetry(schema);
  return {
    ...store,
    async close() {
      await store.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * Opening a fresh schema under heavy parallel load has been seen to fail once with "schema does
 * not exist" right after CREATE SCHEMA committed; the test store retries rather than flake.
 */
async function openWithRetry(schema: string): Promise<Store> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await openStore({ databaseUrl: PG_URL, pgSchema: schema });
    } catch (error) {
      if (attempt >= 3 || !/does not exist/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/**
 * Two stores over one database, as two worker processes would hold (SQLite: a temporary file with
 * two connections; PostgreSQL: two pools on one throwaway schema). `close` closes both and cleans up.
 */
export async function openSharedStores(dialect: DialectName): Promise<{ a: Store; b: Store; close(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'refresh-two-'));
    const file = path.join(dir, 'db.sqlite');
    const a = await openStore({ sqliteFile: file });
    const b = await openStore({ sqliteFile: file });
    return { a, b, close: async () => { await b.close(); await a.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const a = await openWithRetry(schema);
  const b = await openWithRetry(schema);
  return {
    a,
    b,
    async close() {
      await b.close();
      await a.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
