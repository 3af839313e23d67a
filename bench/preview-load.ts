/**
 * `/health` while a scope preview runs (issue 10: "heavy work off the event loop or streamed, so
 * `/health` answers within 100 ms while a preview runs"). On the store a bench sync filled,
 * `refresh serve` previews a scope with a 10,000-value condition over the whole roster, one
 * preview after another, while this process asks `/health` 20 times a second and times each
 * answer. A timed test would be flaky on a loaded machine; here the figure sits beside its target.
 */
import { BENCH_API_KEY } from './api-load.ts';

export interface PreviewLoadResult {
  /** /health on the same node with nothing else running, just before: what the machine allows. */
  readonly idleP50: number;
  readonly idleP99: number;
  readonly healthP50: number;
  readonly healthP99: number;
  readonly healthMax: number;
  readonly probes: number;
  readonly probeFailures: number;
  readonly previews: number;
  /** Median time of one preview, in seconds. */
  readonly previewSeconds: number;
  readonly people: number;
  readonly inScope: number;
}

const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
const PROBE_EVERY_MS = 50;

const IDLE_MS = 3_000;
const MIN_MS = 10_000;

interface Probed {
  /** Latencies of the answered probes, sorted, in ms. */
  readonly latencies: number[];
  readonly failures: number;
}

/** Asks `/health` every PROBE_EVERY_MS (one at a time) until stopped, timing each answer. */
function startProbe(url: string): { stop(): Promise<Probed> } {
  const latencies: number[] = [];
  let failures = 0;
  let done = false;
  const loop = (async () => {
    while (!done) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        if (res.ok) latencies.push(performance.now() - started);
        else failures += 1;
      } catch {
        failures += 1;
      }
      const wait = PROBE_EVERY_MS - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      return { latencies: latencies.sort((a, b) => a - b), failures };
    },
  };
}

/** The value at quantile q of sorted numbers (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function preview(url: string, integrationId: string, scope: unknown): Promise<{ seconds: number; total: number; inScope: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/integrations/${integrationId}/user-sync/preview`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ scope }),
  });
  const body = (await res.json()) as { total: number; inScope: number };
  if (!res.ok) throw new Error(`scope preview: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return { seconds: (performance.now() - started) / 1000, total: body.total, inScope: body.inScope };
}

/** `previews` scope previews back to back on the API at `url`, `/health` timed throughout. */
export async function measureHealthDuringScopePreview(url: string, previews: number): Promise<PreviewLoadResult> {
  const integrations = (await (await fetch(`${url}/api/v1/integrations`, { headers: auth })).json()) as { data: { id: string }[] };
  const integrationId = integrations.data[0]!.id;
  // The departments people really have (so some are in scope), padded with names nobody has to the 10,000 values a condition may hold.
  const page = (await (await fetch(`${url}/api/v1/employees?limit=200`, { headers: auth })).json()) as { data: { fields: Record<string, { value: string | null }> }[] };
  const real = [...new Set(page.data.map((e) => e.fields['department']?.value).filter((v): v is string => !!v))].slice(0, 20);
  const values = [...real, ...Array.from({ length: 10_000 - real.length }, (_, i) => `Bench team ${i}`)];
  const scope = { groups: [{ name: 'Bench', conditions: [{ field: 'department', operator: 'in', values }] }] };

  await preview(url, integrationId, scope); // warm-up: compiled queries, caches, as on any running node
  const idle = startProbe(url);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const baseline = await idle.stop();
  const probe = startProbe(url);
  const runs: { seconds: number; total: number; inScope: number }[] = [];
  const started = performance.now();
  let during: Probed;
  try {
    // At least `previews`, and for at least MIN_MS so a small roster still gives a p99 worth reading.
    while (runs.length < previews || performance.now() - started < MIN_MS) runs.push(await preview(url, integrationId, scope));
  } finally {
    during = await probe.stop();
  }
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  return {
    idleP50: quantile(baseline.latencies, 0.5),
    idleP99: quantile(baseline.latencies, 0.99),
    healthP50: quantile(during.latencies, 0.5),
    healthP99: quantile(during.latencies, 0.99),
    healthMax: during.latencies[during.latencies.length - 1] ?? Number.NaN,
    probes: during.latencies.length,
    probeFailures: during.failures,
    previews: runs.length,
    previewSeconds: quantile(times, 0.5),
    people: runs[0]?.total ?? 0,
    inScope: runs[0]?.inScope ?? 0,
  };
}
