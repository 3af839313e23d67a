import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DESCRIPTORS } from './providers/descriptors.ts';

/** API requests a minute per API key, console user or address, unless REFRESH_RATE_LIMIT_PER_MINUTE says otherwise. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** Memory the API's read cache may hold (REFRESH_READ_CACHE_MB; 0 turns it off). */
export const DEFAULT_READ_CACHE_MB = 256;

/** Configuration is parsed once, here, with its defaults (DESIGN.md §3). */
const ConfigSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a port number (0–65535)' }).int('must be a port number (0–65535)').min(0, 'must be a port number (0–65535)').max(65535, 'must be a port number (0–65535)').default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL (leave it unset for embedded SQLite)')
    .optional(),
  REFRESH_API_KEY: z.string().min(20, 'must be at least 20 characters').optional(),
  REFRESH_ADMIN_EMAIL: z.email('must be an email address').default('admin@example.com'),
  REFRESH_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  REFRESH_SECRET_KEY: z.string().optional(),
  PUBLIC_URL: z.url('must be the http(s) address browsers reach this server at').optional(),
  // How long a worker's claim on a run holds without a heartbeat (the takeover delay after a crash).
  REFRESH_RUN_LEASE_SECONDS: z.coerce.number({ message: 'must be a number of seconds (2–30)' }).min(2, 'must be a number of seconds (2–30)').max(30, 'must be a number of seconds (2–30)').default(30),
  // Runs one worker process executes at once.
  REFRESH_WORKER_CONCURRENCY: z.coerce.number({ message: 'must be a number of runs (1–16)' }).int('must be a number of runs (1–16)').min(1, 'must be a number of runs (1–16)').max(16, 'must be a number of runs (1–16)').default(2),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z
    .string()
    .transform((v, ctx) => {
      const parsed = parseTrustProxy(v);
      if (parsed === undefined) ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count, or comma-separated proxy addresses/CIDRs' });
      return parsed ?? false;
    })
    .default(false),
  REFRESH_ALLOWED_PROVIDER_HOSTS: z
    .string()
    .transform((v, ctx) => {
      const patterns = v.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
      const bad = patterns.find((p) => !HOST_PATTERN.test(p));
      if (bad) ctx.addIssue({ code: 'custom', message: `has "${bad}", which is not a host pattern (host, *.domain or host:port)` });
      return patterns;
    })
    .default([]),
  REFRESH_RATE_LIMIT_PER_MINUTE: z.coerce.number({ message: 'must be a number of requests (10–10000000)' }).int('must be a number of requests (10–10000000)').min(10, 'must be a number of requests (10–10000000)').max(10_000_000, 'must be a number of requests (10–10000000)').default(DEFAULT_RATE_LIMIT_PER_MINUTE),
  REFRESH_READ_CACHE_MB: z.coerce.number({ message: 'must be a number of megabytes (0–4096)' }).min(0, 'must be a number of megabytes (0–4096)').max(4096, 'must be a number of megabytes (0–4096)').default(DEFAULT_READ_CACHE_MB),
  METRICS_PORT: z.coerce.number({ message: 'must be a port number (1–65535)' }).int('must be a port number (1–65535)').min(1, 'must be a port number (1–65535)').max(65535, 'must be a port number (1–65535)').optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** `host`, `*.domain`, `[v6]` or either with `:port`. */
const HOST_PATTERN = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/;

/** TRUST_PROXY as Fastify's `trustProxy` takes it: a boolean, a hop count, or addresses/CIDRs. */
function parseTrustProxy(value: string): boolean | number | string[] | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const address = /^(?:[0-9.]+|[0-9a-f:]+)(?:\/\d{1,3})?$|^(?:loopback|linklocal|uniquelocal)$/;
  return list.length > 0 && list.every((a) => address.test(a)) ? list : undefined;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly apiKey: string | undefined;
  readonly adminEmail: string;
  readonly adminPassword: string | undefined;
  readonly secretKey: string | undefined;
  readonly logLevel: string;
  /** A worker's lease on a run (REFRESH_RUN_LEASE_SECONDS); a dead worker's run is taken over after it. */
  readonly runLeaseMs?: number;
  /** Runs a worker executes at once (REFRESH_WORKER_CONCURRENCY, default 2). */
  readonly workerConcurrency?: number;
  /** Where browsers reach this server (OAuth redirect URIs, webhook URLs); default `http://{HOST}:{PORT}`. */
  readonly publicUrl?: string;
  /** ReFresh's own OAuth apps per provider (`<ID>_OAUTH_CLIENT_ID` / `_SECRET`, e.g. BAMBOOHR_…). */
  readonly oauthClients?: Readonly<Record<string, { readonly clientId: string; readonly clientSecret: string }>>;
  /**
   * Embedded (`refresh start`: provider calls may reach loopback sandboxes) or production
   * (`refresh serve|worker`: official provider hosts only). Default: production with
   * DATABASE_URL, else embedded. Set by the command that runs, not by the environment.
   */
  readonly mode?: 'embedded' | 'production';
  /** TRUST_PROXY: Fastify's trustProxy (hop count, addresses, or true). Default false. */
  readonly trustProxy?: boolean | number | readonly string[];
  /** REFRESH_ALLOWED_PROVIDER_HOSTS: extra host patterns provider calls may reach. */
  readonly allowedProviderHosts?: readonly string[];
  /** REFRESH_RATE_LIMIT_PER_MINUTE: API requests a minute per API key, console user or address (×4 per address overall). */
  readonly rateLimitPerMinute?: number;
  /** REFRESH_READ_CACHE_MB: memory for answers of list and detail reads served again while nothing was written (src/api/read-cache.ts); 0 turns it off. */
  readonly readCacheMb?: number;
  /** METRICS_PORT: where `refresh worker` serves its /metrics (its runs' metrics); none when unset. */
  readonly metricsPort?: number | undefined;
  /** METRICS_TOKEN: the bearer token `GET /metrics` asks for (else loopback clients only). */
  readonly metricsToken?: string | undefined;
}

/**
 * The repository (package) this code runs from: the folder above src/ or dist/ that holds its
 * package.json; the working directory when there is none.
 */
function packageRoot(): string {
  for (let dir = import.meta.dirname, n = 0; n < 4; n += 1, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

/**
 * Where embedded mode keeps its data when DATA_DIR is not set: `data/` in the repository, the
 * folder `npm start` uses, whatever directory a later `npx refresh …` runs from.
 */
export const DEFAULT_DATA_DIR = path.join(packageRoot(), 'data');

export function runMode(config: Config): 'embedded' | 'production' {
  return config.mode ?? (config.databaseUrl ? 'production' : 'embedded');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * ReFresh's own OAuth apps, one per provider that connects by OAuth: `<ID>_OAUTH_CLIENT_ID` and
 * `<ID>_OAUTH_CLIENT_SECRET` (e.g. BAMBOOHR_…, EMPLOYMENTHERO_…, DEEL_…); a half-given pair is an error.
 */
function oauthClientsFrom(env: Readonly<Record<string, string | undefined>>): Record<string, { clientId: string; clientSecret: string }> {
  const out: Record<string, { clientId: string; clientSecret: string }> = {};
  for (const d of Object.values(DESCRIPTORS)) {
    if (!d.oauth) continue;
    const prefix = `${d.id.toUpperCase()}_OAUTH_CLIENT`;
    const clientId = env[`${prefix}_ID`]?.trim();
    const clientSecret = env[`${prefix}_SECRET`]?.trim();
    if (!clientId && !clientSecret) continue;
    if (!clientId || !clientSecret) throw new ConfigError(`Invalid configuration: ${prefix}_ID and ${prefix}_SECRET go together (${d.name}'s OAuth app)`);
    out[d.id] = { clientId, clientSecret };
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, mode?: 'embedded' | 'production'): Config {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir: c.DATA_DIR ? path.resolve(c.DATA_DIR) : DEFAULT_DATA_DIR,
    databaseUrl: c.DATABASE_URL,
    apiKey: c.REFRESH_API_KEY,
    adminEmail: c.REFRESH_ADMIN_EMAIL,
    adminPassword: c.REFRESH_ADMIN_PASSWORD,
    secretKey: c.REFRESH_SECRET_KEY,
    logLevel: c.LOG_LEVEL,
    runLeaseMs: c.REFRESH_RUN_LEASE_SECONDS * 1000,
    workerConcurrency: c.REFRESH_WORKER_CONCURRENCY,
    publicUrl: (c.PUBLIC_URL ?? `http://${c.HOST}:${c.PORT}`).replace(/\/+$/, ''),
    oauthClients: oauthClientsFrom(defined),
    ...(mode ? { mode } : {}),
    trustProxy: c.TRUST_PROXY,
    allowedProviderHosts: c.REFRESH_ALLOWED_PROVIDER_HOSTS,
    rateLimitPerMinute: c.REFRESH_RATE_LIMIT_PER_MINUTE,
    readCacheMb: c.REFRESH_READ_CACHE_MB,
    metricsToken: c.METRICS_TOKEN,
    metricsPort: c.METRICS_PORT,
  };
}
