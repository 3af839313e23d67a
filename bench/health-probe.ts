/**
 * Probes `/health` 20 times a second for BENCH_PROBE_SECONDS in a process of its own, so the
 * latency measured is the API node's, not the load generator's: autocannon driving 50 clients at
 * thousands of answers a second in the bench's own process delayed its probe's timings by
 * hundreds of milliseconds.
 */
import autocannon, { type Result } from 'autocannon';
import { reportResult } from './common.ts';

const url = process.env.BENCH_PROBE_URL!;
const seconds = Number(process.env.BENCH_PROBE_SECONDS ?? 10);
const health = (await autocannon({ url: `${url}/api/v1/health`, connections: 1, duration: seconds, overallRate: 20 })) as Result;
reportResult({ p99: health.latency.p99, max: health.latency.max, total: health.requests.total, non2xx: health.non2xx, errors: health.errors, timeouts: health.timeouts });
