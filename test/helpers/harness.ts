import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Config } from '../../src/config.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import type { DialectName } from '../../src/store/db.ts';
import type { Integration } from '../../src/store/integrations.ts';
import { DEFAULT_TENANT_ID, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import type { Run } from '../../src/store/runs.ts';
import { openTestStore } from './dialects.ts';

// Short waits keep failure tests fast; the per-request timeout stays generous so a loaded CI
// machine does not turn a slow answer into a provider outage.
export const FAST_HTTP = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 20_000, maxRetryAfterMs: 3000 };

export interface Harness {
  readonly ctx: AppContext;
  readonly sandbox: BambooSandbox;
  readonly integration: Integration;
  readonly tenantId: string;
  /** Every log line written, to assert nothing secret was logged. */
  readonly logs: string[];
  /** The run that enabling User Auto-Sync queued (null when opened with enable: false). */
  readonly firstRun: Run | null;
  sync(mode?: 'full' | 'incremental', dryRun?: boolean): Promise<Run>;
  close(): Promise<void>;
}

/** Serves the harness's context over real HTTP with a fresh API key. */
export async function serveApi(h: Harness): Promise<{ app: FastifyInstance; base: string; key: string }> {
  const key = generateApiKey();
  await registerApiKey(h.ctx.store.db, h.tenantId, key, 'test');
  const app = await buildServer(h.ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, key, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

export type ApiCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;

/** Calls `/api/v1{path}` on a served API with an admin key (and any more headers); the body parsed as JSON (null when empty). */
export function apiCaller(api: { base: string; key: string }): ApiCall {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${api.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${api.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  };
}

export function testConfig(dataDir = mkdtempSync(path.join(tmpdir(), 'refresh-test-'))): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    databaseUrl: undefined,
    apiKey: undefined,
    adminEmail: 'admin@example.com',
    adminPassword: undefined,
    secretKey: randomBytes(32).toString('base64'),
    logLevel: 'debug',
    // Tests of other behaviours make many requests a minute from one key and address; the rate
    // limit itself is tested with a low one (test/api/throttling.test.ts).
    rateLimitPerMinute: 1_000_000,
  };
}

export async function openHarness(dialect: DialectName, opts: { employees?: number; seed?: number; enable?: boolean; pageSize?: number; /** More keys the sandbox accepts (e.g. to reconnect with). */ extraApiKeys?: string[] } = {}): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const store = await openTestStore(dialect);
  const apiKey = `sandbox-${randomBytes(8).toString('hex')}`;
  const sandbox = await startBambooSandbox({ employees: opts.employees ?? 40, seed: opts.seed ?? 7, port: 0, apiKeys: [apiKey, ...(opts.extraApiKeys ?? [])] });
  const ctx = await createContext(testConfig(), createLogger('debug', sink), {
    store,
    worker: { pollMs: 20, schedule: false },
    httpPolicy: FAST_HTTP,
    ...(opts.pageSize ? { providerPageSize: opts.pageSize } : {}),
  });
  const tenantId = DEFAULT_TENANT_ID;
  let integration = await createIntegrationFromRequest(ctx, tenantId, {
    provider: 'bamboohr',
    name: 'BambooHR',
    settings: { companyDomain: 'acme', baseUrl: sandbox.url },
    credentials: { apiKey },
  });
  if (opts.enable !== false) {
    // Enabling queues the first run, which the worker picks up below.
    integration = await patchIntegrationFromRequest(ctx, tenantId, integration.id, { userSync: { enabled: true } });
  }
  ctx.worker.start();
  const queued = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integration.id).executeTakeFirst();
  const firstRun = queued ? await waitForRun(ctx.engine, tenantId, queued.id) : null;
  const h: Harness = {
    firstRun,
    ctx,
    sandbox,
    integration,
    tenantId,
    logs,
    async sync(mode = 'incremental', dryRun = false) {
      const active = await ctx.store.db.selectFrom('runs').select('id').where('status', 'in', ['queued', 'running']).where('integration_id', '=', integration.id).executeTakeFirst();
      if (active) await waitForRun(ctx.engine, tenantId, active.id);
      const run = await requestSync(ctx, tenantId, integration.id, { mode, dryRun });
      return waitForRun(ctx.engine, tenantId, run.id);
    },
    async close() {
      await ctx.close();
      await sandbox.close();
    },
  };
  return h;
}
