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
