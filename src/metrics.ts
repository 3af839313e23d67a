import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from './store/schema.ts';
import { queueStats } from './store/queue-stats.ts';

/**
 * What an operator watches (issue 10 §8), in Prometheus' text format (prom-client). One registry
 * per process context: a worker counts the runs it executed, an API node the requests it served;
 * the queue gauges read the database, so every process reports the same queue.
 */
export interface Metrics {
  readonly registry: Registry;
  /** A run ended (succeeded, partial, failed, blocked): its duration and outcome per provider. */
  runFinished(provider: string, status: string, seconds: number): void;
  /** People written by a run, by kind of change. */
  peopleWritten(provider: string, counts: Partial<Record<'created' | 'updated' | 'deactivated' | 'reactivated', number>>): void;
  /** A run stopped on a provider's error, by class (rate_limited, provider_unavailable, auth_failed, …). */
  providerError(provider: string, errorClass: string): void;
  /** A worker took over a run whose previous worker stopped renewing its lease. */
  leaseTakeover(): void;
}

export function createMetrics(db?: Kysely<Database>, now: () => Date = () => new Date()): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'refresh_' });
  const runDuration = new Histogram({
    name: 'refresh_run_duration_seconds',
    help: 'Duration of finished sync runs, from start to end, per provider and outcome',
    labelNames: ['provider', 'status'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [registry],
  });
  const runs = new Counter({ name: 'refresh_runs_total', help: 'Finished sync runs per provider and outcome', labelNames: ['provider', 'status'] as const, registers: [registry] });
  const people = new Counter({ name: 'refresh_people_written_total', help: 'People written by sync runs per provider and change', labelNames: ['provider', 'change'] as const, registers: [registry] });
  const errors = new Counter({ name: 'refresh_provider_errors_total', help: 'Runs stopped by a provider error, per provider and error class', labelNames: ['provider', 'class'] as const, registers: [registry] });
  const takeovers = new Counter({ name: 'refresh_lease_takeovers_total', help: 'Runs taken over from a worker that stopped renewing its lease', registers: [registry] });
  if (db) {
    // Read at scrape time: one small query for both gauges, cached for the scrape.
    let stats: Promise<{ queued: number; oldestQueuedAt: string | null }> | undefined;
    const read = () => (stats ??= queueStats(db).finally(() => setTimeout(() => (stats = undefined), 0)));
    new Gauge({
      name: 'refresh_queue_depth',
      help: 'Runs waiting in the queue (all tenants)',
      registers: [registry],
      async collect() {
        this.set((await read()).queued);
      },
    });
    new Gauge({
      name: 'refresh_queue_oldest_age_seconds',
      help: 'How long the oldest queued run has waited (0 when none waits)',
      registers: [registry],
      async collect() {
        const { oldestQueuedAt } = await read();
        this.set(oldestQueuedAt ? Math.max(0, (now().getTime() - Date.parse(oldestQueuedAt)) / 1000) : 0);
      },
    });
  }
  return {
    registry,
    runFinished(provider, status, seconds) {
      runs.inc({ provider, status });
      runDuration.observe({ provider, status }, seconds);
    },
    peopleWritten(provider, counts) {
      for (const change of ['created', 'updated', 'deactivated', 'reactivated'] as const) {
        const n = counts[change] ?? 0;
        if (n > 0) people.inc({ provider, change }, n);
      }
    },
    providerError(provider, errorClass) {
      errors.inc({ provider, class: errorClass });
    },
    leaseTakeover() {
      takeovers.inc();
    },
  };
}
