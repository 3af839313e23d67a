/**
 * What operators' chores (admins, API keys) need: the store without the vault, the engine or the
 * API, so `refresh keys list` starts quickly. Kept apart from runtime.ts, which loads them all.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { openStore, type Store } from '../store/db.ts';
import { DEFAULT_TENANT_ID, getTenant } from '../store/tenants.ts';

/** The store alone, for operators' chores that need no vault (admins, API keys). */
export async function openStoreFor(config: Config): Promise<Store> {
  return openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqliteFile: path.join(config.dataDir, 'refresh.db') });
}

/** Which database a command uses, in words: the SQLite file (and how its folder was chosen), or PostgreSQL's host and database (never its password). */
export function describeDatabase(config: Config): string {
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL ${url.host}${url.pathname} (DATABASE_URL)`;
  }
  const why = process.env['DATA_DIR'] ? 'DATA_DIR' : 'the default data folder, as npm start uses; set DATA_DIR for another';
  return `SQLite ${path.join(config.dataDir, 'refresh.db')} (${why})`;
}

/**
 * Commands that read what ReFresh stored refuse to start on a SQLite database that does not exist
 * (opening it would create an empty one), saying where they looked and how to point them elsewhere.
 */
export function requireDatabase(config: Config): void {
  if (config.databaseUrl) return;
  const file = path.join(config.dataDir, 'refresh.db');
  if (existsSync(file)) return;
  const hint = process.env['DATA_DIR'] ? `DATA_DIR is ${process.env['DATA_DIR']}` : `that is where npm start keeps its data unless DATA_DIR is set`;
  throw new Error(`No ReFresh database at ${file} (${hint}). Start ReFresh once (npm start), or set DATA_DIR to the folder it used, or DATABASE_URL for PostgreSQL.`);
}

/** Runs `fn` on the store of a tenant that must exist (the default one unless `--tenant`). */
export async function withTenantStore<T>(tenantId: string | undefined, fn: (store: Store, tenantId: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  requireDatabase(config);
  const store = await openStoreFor(config);
  try {
    const id = tenantId ?? DEFAULT_TENANT_ID;
    if (!(await getTenant(store.db, id))) throw new Error(`There is no organization "${id}"${id === DEFAULT_TENANT_ID ? ': start ReFresh once (refresh start or refresh serve) to create it' : ''}.`);
    return await fn(store, id);
  } finally {
    await store.close();
  }
}

/** A password from the first line of stdin (`--password-stdin`: never on the command line, where `ps` shows it). */
export async function readPasswordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

export function table(rows: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
