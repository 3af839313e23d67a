/**
 * Operable (issue 10 §8): GET /metrics in Prometheus format (run durations and outcomes per
 * provider, people written, provider errors by class, queue depth and oldest queued run, lease
 * takeovers) for operators only; /health/live and /health/ready (503 when the database does not
 * answer or lacks a migration); every log line of a run names its run and integration.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { openHarness, serveApi, testConfig, type Harness } from '../helpers/harness.ts';
import { buildServer } from '../../src/api/server.ts';
import { createContext } from '../../src/app/context.ts';
import { requestSync } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { claimRun, expireLease } from '../../src/store/run-lease.ts';
import { serveMetrics } from '../../src/api/routes/metrics.ts';

const METRICS_TOKEN = 'operator-token-0123456789';

/** A sample's value from Prometheus text: `name{labels} value`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = line.match(/^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((kv) => { const [k, v] = kv.split('='); return [k, v!.replace(/^"|"$/g, '')]; }));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function serveWith(h: Harness, extra: Record<string, unknown>): Promise<{ app: FastifyInstance; base: string }> {
  const app = await buildServer({ ...h.ctx, config: { ...h.ctx.config, ...extra } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

for (const dialect of DIALECTS) {
  describe(`metrics, health and run logs on ${dialect}`, () => {
    let h: Harness;
    let api: { app: FastifyInstance; base: string; key: string };
    const servers: FastifyInstance[] = [];

    before(async () => {
      h = await openHarness(dialect, { employees: 12, seed: 5 });
      api = await serveApi(h);
    });
    after(async () => {
      for (const app of servers) await app.close();
      await api.app.close();
      await h.close();
    });

    it('serves run durations and outcomes, people written, provider errors, queue and takeovers to loopback', async () => {
      assert.equal(h.firstRun?.status, 'succeeded');
      // A provider outage fails the next run: a provider error of its class.
      h.sandbox.faults.set({ outage: { count: 100, status: 503 } });
      const failed = await h.sync('full');
      h.sandbox.faults.set({ outage: null });
      assert.equal(failed.status, 'failed');
      // A run whose worker stopped renewing its lease is taken over.
      await h.ctx.worker.stop();
      const queued = await requestSync(h.ctx, h.tenantId, h.integration.id, { mode: 'incremental', dryRun: false });
      let res = await fetch(`${api.base}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      let text = await res.text();
      assert.equal(sample(text, 'refresh_queue_depth'), 1);
      assert.ok((sample(text, 'refresh_queue_oldest_age_seconds') ?? -1) >= 0);
      const stale = await claimRun(h.ctx.store.db, h.ctx.store.dialect, 'gone-host/1/dead/w', new Date(), 60_000);
      assert.equal(stale?.row.id, queued.id);
      await expireLease(h.ctx.store.db, { runId: queued.id, integrationId: h.integration.id, workerId: 'gone-host/1/dead/w', lease: stale!.lease.lease });
      h.ctx.worker.start();
      assert.equal((await waitForRun(h.ctx.engine, h.tenantId, queued.id)).status, 'succeeded');

      res = await fetch(`${api.base}/metrics`);
      text = await res.text();
      const bamboo = { provider: 'bamboohr' };
      assert.equal(sample(text, 'refresh_runs_total', { ...bamboo, status: 'succeeded' }), 2);
      assert.equal(sample(text, 'refresh_runs_total', { ...bamboo, status: 'failed' }), 1);
      assert.equal(sample(text, 'refresh_run_duration_seconds_count', { ...bamboo, status: 'succeeded' }), 2);
      assert.ok(sample(text, 'refresh_run_duration_seconds_bucket', { ...bamboo, status: 'succeeded', le: '+Inf' }) === 2);
      assert.equal(sample(text, 'refresh_people_written_total', { ...bamboo, change: 'created' }), h.firstRun!.counts.created);
      assert.ok(h.firstRun!.counts.created > 0);
      assert.equal(sample(text, 'refresh_provider_errors_total', { ...bamboo, class: failed.error!.code }), 1, `class ${failed.error!.code}`);
      assert.equal(sample(text, 'refresh_lease_takeovers_total'), 1);
      assert.equal(sample(text, 'refresh_queue_depth'), 0);
      assert.equal(sample(text, 'refresh_queue_oldest_age_seconds'), 0);
      assert.ok(sample(text, 'refresh_process_resident_memory_bytes') !== undefined || sample(text, 'refresh_nodejs_heap_size_used_bytes') !== undefined);
    });

    it('every log line of a run names the run and its integration', () => {
      const lines = h.logs.flatMap((chunk) => chunk.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const ofRuns = lines.filter((l) => l['runId'] !== undefined);
      const messages = new Set(ofRuns.map((l) => l['msg']));
      for (const expected of ['fetch complete', 'run finished', 'run failed', 'took over a run whose previous worker stopped']) assert.ok(messages.has(expected), `no "${expected}" line`);
      for (const line of ofRuns) {
        assert.equal(typeof line['runId'], 'string', JSON.stringify(line));
        assert.equal(line['integrationId'], h.integration.id, JSON.stringify(line));
      }
    });

    it('keeps /metrics from other machines, from behind a proxy, and without the operator token when one is set', async () => {
      assert.equal((await fetch(`${api.base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.5' } })).status, 403, 'a proxy on this host does not expose it');
      assert.equal((await fetch(`${api.base}/metrics`, { headers: { authorization: `Bearer ${api.key}` } })).status, 200, 'loopback is enough without a token');
      const { app, base } = await serveWith(h, { metricsToken: METRICS_TOKEN });
      servers.push(app);
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${api.key}` } })).status, 401, "a tenant's API key is not the operator token");
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, 'x-forwarded-for': '203.0.113.5' } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /refresh_runs_total/);
      // A worker's own listener (METRICS_PORT) serves the same, with the same protection.
      const worker = await serveMetrics({ ...h.ctx, config: { ...h.ctx.config, metricsToken: METRICS_TOKEN } }, 0, '127.0.0.1');
      servers.push(worker);
      const workerBase = `http://127.0.0.1:${(worker.server.address() as { port: number }).port}`;
      assert.equal((await fetch(`${workerBase}/metrics`)).status, 401);
      const scraped = await fetch(`${workerBase}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(scraped.status, 200);
      assert.equal(sample(await scraped.text(), 'refresh_runs_total', { provider: 'bamboohr', status: 'failed' }), 1);
    });

    it('answers /health/live, and /health/ready only when the migrations are current', async () => {
      const live = await fetch(`${api.base}/api/v1/health/live`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { status: 'ok' });
      const ready = await fetch(`${api.base}/api/v1/health/ready`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', database: dialect, checks: { database: 'ok', migrations: 'current' } });
      const { db } = h.ctx.store;
      const removed = '0011-rate-limits';
      const row = (await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration where name = ${removed}`.execute(db)).rows[0]!;
      await sql`delete from kysely_migration where name = ${removed}`.execute(db);
      try {
        const stale = await fetch(`${api.base}/api/v1/health/ready`);
        assert.equal(stale.status, 503);
        const body = (await stale.json()) as { error: { code: string; message: string; details: { checks: Record<string, string> } } };
        assert.equal(body.error.code, 'not_ready');
        assert.deepEqual(body.error.details.checks, { database: 'ok', migrations: 'pending' });
        assert.match(body.error.message, /0011-rate-limits/);
        assert.equal((await fetch(`${api.base}/api/v1/health/live`)).status, 200, 'alive all the same');
      } finally {
        await sql`insert into kysely_migration (name, timestamp) values (${row.name}, ${row.timestamp})`.execute(db);
      }
      assert.equal((await fetch(`${api.base}/api/v1/health/ready`)).status, 200);
    });

    it('answers /health/ready 503 when the database does not answer', async () => {
      const store = await openTestStore(dialect);
      const ctx = await createContext(testConfig(), createLogger('silent'), { store: { ...store, close: async () => {} }, worker: { schedule: false } });
      const app = await buildServer(ctx);
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
        assert.equal((await fetch(`${base}/api/v1/health/ready`)).status, 200);
        await store.close();
        const down = await fetch(`${base}/api/v1/health/ready`);
        assert.equal(down.status, 503);
        const body = (await down.json()) as { error: { code: string; details: { checks: Record<string, string> } } };
        assert.equal(body.error.code, 'not_ready');
        assert.equal(body.error.details.checks['database'], 'unreachable');
        assert.equal((await fetch(`${base}/api/v1/health/live`)).status, 200);
      } finally {
        await app.close();
        await ctx.close();
      }
    });
  });
}
