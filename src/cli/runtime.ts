import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../config.ts';
import { createLogger, loggerOptions, type Logger } from '../logger.ts';
import { ensurePrivateFile } from '../store/private-files.ts';
import { createContext, type AppContext, type ContextOptions } from '../app/context.ts';
import { countApiKeys, DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../store/tenants.ts';

export { table } from './operator-store.ts';

/** Embedded mode logs to DATA_DIR/logs/refresh.log (the terminal stays readable); production logs JSON to stdout. */
export function loggerFor(config: Config, toFile: boolean): Logger {
  if (!toFile) return createLogger(config.logLevel);
  const file = path.join(config.dataDir, 'logs', 'refresh.log');
  // DATA_DIR and logs/ 0700, the log 0600: it names people and integrations.
  ensurePrivateFile(file);
  return pino(loggerOptions(config.logLevel), pino.destination({ dest: file, mode: 0o600, sync: false }));
}

/**
 * Configuration and context for a command. `mode` is the command's role: `refresh start` is
 * embedded, `serve` and `worker` production; other commands follow DATABASE_URL.
 */
export async function openRuntime(toFile: boolean, opts: ContextOptions = {}, mode?: 'embedded' | 'production'): Promise<{ config: Config; ctx: AppContext }> {
  const config = loadConfig(process.env, mode);
  const ctx = await createContext(config, loggerFor(config, toFile), opts);
  return { config, ctx };
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
