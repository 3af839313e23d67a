/**
 * What operators' chores (admins, API keys) need: the store without the vault, the engine or the
 * API, so `refresh keys list` starts quickly. Kept apart from runtime.ts, which loads them all.
 */
import path from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { openStore, type Store } from '../store/db.ts';
import { DEFAULT_TENANT_ID, getTenant } from '../store/tenants.ts';

/** The store alone, for operators' chores that need no vault (admins, API keys). */
export async function openStoreFor(config: Config): Promise<Store> {
  return openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqliteFile: path.join(config.dataDir, 'refresh.db') });
}

/** Runs `fn` on the store of a tenant that must exist (the default one unless `--tenant`). */
export async function withTenantStore<T>(tenantId: string | undefined, fn: (store: Store, tenantId: string) => Promise<T>): Promise<T> {
  const store = await openStoreFor(loadConfig());
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
