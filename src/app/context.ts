import path from 'node:path';
import type { Logger } from 'pino';
import { loadOrCreateKeyFile, parseKeys, Vault } from '../auth/vault.ts';
import { runMode, type Config } from '../config.ts';
import { installOutboundPolicy, OutboundPolicy } from '../net/outbound-policy.ts';
import type { HttpPolicy } from '../connectors/types.ts';
import { openStore, type Store } from '../store/db.ts';
import { ensureTenant } from '../store/tenants.ts';
import { startSearchIndexer } from '../store/search-index.ts';
import { RunWorker, type WorkerOptions } from '../jobs/worker.ts';
import type { EngineDeps } from '../sync/engine.ts';
import { createMetrics, type Metrics } from '../metrics.ts';

export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly vault: Vault;
  readonly logger: Logger;
  readonly engine: EngineDeps;
  readonly worker: RunWorker;
  /** This process's Prometheus metrics (GET /metrics). */
  readonly metrics: Metrics;
  close(): Promise<void>;
}

export interface ContextOptions {
  readonly store?: Store;
  readonly worker?: WorkerOptions;
  readonly httpPolicy?: Partial<HttpPolicy>;
  readonly providerPageSize?: number;
}

export function vaultFor(config: Config): Vault {
  if (config.secretKey) return new Vault(parseKeys(config.secretKey));
  if (config.databaseUrl) throw new Error('Invalid configuration: REFRESH_SECRET_KEY is required with DATABASE_URL (every node must share the vault key)');
  return new Vault(loadOrCreateKeyFile(config.dataDir));
}

/** The process's outbound-request policy from configuration (DESIGN.md §2 rule 7). */
export function outboundPolicyFor(config: Config): OutboundPolicy {
  const platformSecrets = Object.fromEntries(Object.entries(config.oauthClients ?? {}).map(([provider, app]) => [provider, [app.clientSecret]]));
  return new OutboundPolicy({ mode: runMode(config), allowedHosts: config.allowedProviderHosts ?? [], platformSecrets });
}

export async function createContext(config: Config, logger: Logger, opts: ContextOptions = {}): Promise<AppContext> {
  const vault = vaultFor(config);
  installOutboundPolicy(outboundPolicyFor(config));
  const store = opts.store ?? (await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { sqliteFile: path.join(config.dataDir, 'refresh.db') }));
  await ensureTenant(store.db);
  const metrics = createMetrics(store.db);
  const engine: EngineDeps = {
    store,
    vault,
    logger,
    metrics,
    ...(opts.httpPolicy ? { httpPolicy: opts.httpPolicy } : {}),
    ...(opts.providerPageSize ? { providerPageSize: opts.providerPageSize } : {}),
  };
  const worker = new RunWorker(engine, { ...(config.runLeaseMs ? { leaseMs: config.runLeaseMs } : {}), ...(config.workerConcurrency ? { concurrency: config.workerConcurrency } : {}), ...opts.worker });
  // SQLite's search index catches up in the background, after this process's runs (search-index.ts).
  const indexer = startSearchIndexer(store, logger, () => worker.busy);
  return {
    config,
    store,
    vault,
    logger,
    engine,
    worker,
    metrics,
    async close() {
      await worker.stop();
      await indexer.stop();
      await store.close();
    },
  };
}
