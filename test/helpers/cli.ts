/**
 * The `refresh` command as tests run it: a real process on a fresh store per dialect (a SQLite
 * DATA_DIR, or a PostgreSQL schema via search_path), its exit code, stdout and stderr.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PG_URL } from './dialects.ts';
import { openStore, type Store } from '../../src/store/db.ts';

export const bin = path.resolve(import.meta.dirname, '../../bin/refresh.mjs');

/** A fresh store per dialect for the CLI: a SQLite DATA_DIR, or a PostgreSQL schema via search_path. */
export async function freshEnvironment(dialect: string): Promise<{ env: NodeJS.ProcessEnv; open: () => Promise<Store>; drop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'refresh-ops-'));
  const base: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', REFRESH_FROM_SOURCE: '1', REFRESH_SECRET_KEY: randomBytes(32).toString('base64') };
  delete base.DATABASE_URL;
  delete base.REFRESH_ADMIN_PASSWORD;
  delete base.REFRESH_API_KEY;
  if (dialect === 'sqlite') {
    return { env: base, open: () => openStore({ sqliteFile: path.join(dataDir, 'refresh.db') }), drop: async () => {} };
  }
  const schema = `ops_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    env: { ...base, DATABASE_URL: url },
    open: () => openStore({ databaseUrl: PG_URL!, pgSchema: schema }),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Runs `refresh <args>` to its end (stdin closed, or given). */
export function cli(env: NodeJS.ProcessEnv, args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}
