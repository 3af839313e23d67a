import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../config.ts';
import { createLogger, loggerOptions, type Logger } from '../logger.ts';
import { ensurePrivateFile } from '../store/private-files.ts';
import { createContext, type AppContext, type ContextOptions } from '../app/context.ts';
import { countApiKeys, DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../store/tenants.ts';

import { requireDatabase } from './operator-store.ts';

export { table } from './operator-store.ts';

/**
 * Where a command's log goes: `file` is DATA_DIR/logs/refresh.log (embedded mode: the terminal
 * stays readable), `stdout` JSON for a production service's collector (`serve`, `worker`), and
 * `stderr` for a one-off command whose stdout is its answer (`refresh sync`'s table, `doctor`).
 */
export type LogTarget = 'file' | 'stdout' | 'stderr';

export function loggerFor(config: Config, target: LogTarget): Logger {
  if (target === 'stdout') return createLogger(config.logLevel);
  if (target === 'stderr') return createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
  const file = path.join(config.dataDir, 'logs', 'refresh.log');
  // DATA_DIR and logs/ 0700, the log 0600: it names people and integrations.
  ensurePrivateFile(file);
  return pino(loggerOptions(config.logLevel), pino.destination({ dest: file, mode: 0o600, sync: false }));
}

/** A one-off command's log: the log file in embedded mode, stderr with DATABASE_URL; never stdout. */
export function commandLogTarget(config: Config): LogTarget {
  return config.databaseUrl ? 'stderr' : 'file';
}

/**
 * Configuration and context for a command. `mode` is the command's role: `refresh start` is
 * embedded, `serve` and `worker` production; other commands follow DATABASE_URL.
 */
export async function openRuntime(log: LogTarget | ((config: Config) => LogTarget), opts: ContextOptions = {}, mode?: 'embedded' | 'production'): Promise<{ config: Config; ctx: AppContext }> {
  const config = loadConfig(process.env, mode);
  const ctx = await createContext(config, loggerFor(config, typeof log === 'function' ? log(config) : log), opts);
  return { config, ctx };
}

/**
 * The context of a command that reads what `refresh start` or `serve` stored (`sync`, `doctor`):
 * on SQLite, a missing database is an error naming the folder looked in, not a new empty one.
 */
export async function openExistingRuntime(): Promise<{ config: Config; ctx: AppContext }> {
  requireDatabase(loadConfig(process.env));
  return openRuntime(commandLogTarget);
}

/**
 * REFRESH_API_KEY is registered (by hash) when given; otherwise a key is generated the first
 * time and returned so the caller prints it once. Keys are never stored in plain text.
 */
export async function ensureApiKey(ctx: AppContext): Promise<{ key: string | null; generated: boolean }> {
  if (ctx.config.apiKey) {
    await registerApiKey(ctx.store.db, DEFAULT_TENANT_ID, ctx.config.apiKey, 'REFRESH_API_KEY');
    return { key: ctx.config.apiKey, generated: false };
  }
  if ((await countApiKeys(ctx.store.db, DEFAULT_TENANT_ID)) > 0) return { key: null, generated: false };
  const key = generateApiKey();
  await registerApiKey(ctx.store.db, DEFAULT_TENANT_ID, key, 'generated on first start');
  return { key, generated: true };
}
