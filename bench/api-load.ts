/**
 * The API under load: `refresh serve` (the compiled production API node) on the store a bench
 * sync filled, loaded by autocannon from this process over loopback while a second autocannon
 * probes `/health`. Requests rotate through many pages and search terms so no answer is the
 * same twice in a row.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { encodeCursor } from '../src/store/ids.ts';
import { BUILD_DIR, pgUrlWithSchema, runChild, sqliteFile, stopChild, type Service, type StoreSpec } from './common.ts';

export const BENCH_API_KEY = 'rfk_bench_api_key_0123456789abcdef';

/**
 * autocannon (9.x) keeps every answer's body as a string, decoding each chunk as UTF-8 and
 * concatenating, for options the bench does not use (expectBody, verifyBody, a request's
 * onResponse). At ~350 KB a page of 100 people that cost the driver ~2.3 ms of CPU per answer
 * (a third in Buffer#toString, half in the garbage collector), four times the API node's own
 * ~0.6 ms, on the same two cores: the driver, not the node, set the rate and the latency. The
 * bench counts answers, bytes and times only, so the body is not kept. BENCH_AUTOCANNON_BODIES=1
 * keeps autocannon as it is, to compare with figures measured before.
 */
if (!process.env.BENCH_AUTOCANNON_BODIES) {
  const queue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as { prototype?: { addBody?: unknown } } | undefined;
  if (typeof queue?.prototype?.addBody === 'function') queue.prototype.addBody = () => undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A running API node: its address, and the CPU time (user + system, seconds) its process has used so far. */
export interface ApiNode extends Service {
  cpuSeconds(): number;
}

/** utime + stime of a process from /proc (Linux), in seconds; NaN where there is no /proc. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/**
 * `refresh serve` from the compiled build, on the bench's store; resolves once /health answers.
 * `extraEnv` adds to its environment (e.g. REFRESH_READ_CACHE_MB=0); BENCH_API_NODE_ARGS adds
 * node flags (e.g. `--cpu-prof --cpu-prof-dir=prof` to profile the API node).
 */
export async function startApi(store: StoreSpec, secretKey: string, extraEnv: Record<string, string> = {}): Promise<ApiNode> {
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    REFRESH_SECRET_KEY: secretKey,
    REFRESH_API_KEY: BENCH_API_KEY,
    REFRESH_ADMIN_PASSWORD: 'bench-password-0123',
    LOG_LEVEL: 'warn',
    // The API's own throttle (600 requests a minute per key by default) would answer most of 50
    // clients' requests 429: the bench measures the API's latency, not the limiter, so each key
    // may make 1,000,000 a minute (and the address four times that, ~67,000 a second); answers
    // above it still count as failed. At 100,000 a key, a node answering 7,000 a second was
    // measuring the limiter's 429s.
    REFRESH_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(store.kind === 'sqlite' ? { DATA_DIR: path.dirname(sqliteFile(store.dir)) } : { DATABASE_URL: pgUrlWithSchema(store.url, store.schema) }),
    ...extraEnv,
  };
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(BUILD_DIR, 'src/cli/main.js'), 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`refresh serve exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/api/v1/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (attempt > 600) throw new Error('refresh serve did not answer /health within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => stopChild(child), cpuSeconds: () => processCpuSeconds(child.pid) };
}

const auth = { authorization: `Bearer ${BENCH_API_KEY}` };

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: auth });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface EmployeePage {
  data: { id: string; fields: Record<string, { value: string | null }> }[];
  nextCursor: string | null;
}

/** A random but seeded choice, so every run of the bench asks the same things. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

export interface LoadPlan {
  /**
   * API keys the load's clients take in turn. The API limits each key to
   * REFRESH_RATE_LIMIT_PER_MINUTE (the bench sets 1,000,000): one key for 50 clients answering
   * thousands a second could still be measuring the limiter's 429s. The address's own limit (four
   * times that) still applies.
   */
  readonly keys: string[];
  readonly listPaths: string[];
  readonly searchPaths: string[];
  readonly groupPaths: string[];
  /** POST path of the Group Sync preview of the (only) integration. */
  readonly previewPath: string;
}

/**
 * What the clients ask: list pages from all over the roster (cursors at random people), and
 * searches an admin types: the start of a first name, part of a last name, part of an email,
 * an employee number, a word of a job title.
 */
export async function planLoad(url: string): Promise<LoadPlan> {
  const sample: EmployeePage['data'] = [];
  const ids: string[] = [];
  for (let cursor: string | null = null, page = 0; page === 0 || cursor; page += 1) {
    const body: EmployeePage = await getJson<EmployeePage>(`${url}/api/v1/employees?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    ids.push(...body.data.map((e) => e.id));
    if (page % 10 === 0) sample.push(...body.data.slice(0, 20));
    cursor = body.nextCursor;
  }
  const random = seeded(7);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const listPaths = ['/api/v1/employees?limit=100', ...Array.from({ length: 300 }, () => `/api/v1/employees?limit=100&cursor=${encodeURIComponent(encodeCursor(pick(ids)))}`)];
  const value = (e: EmployeePage['data'][number], f: string) => e.fields[f]?.value ?? '';
  const terms: string[] = [];
  for (let n = 0; n < 300; n += 1) {
    const e = pick(sample);
    const kind = n % 5;
    const first = value(e, 'firstName');
    const last = value(e, 'lastName');
    const email = value(e, 'email');
    const title = value(e, 'jobTitle').split(' ').filter((w) => w.length >= 4);
    const term =
      kind === 0 ? first.slice(0, 3 + (n % 3))
      : kind === 1 ? last.slice(1, 5)
      : kind === 2 ? email.slice(0, email.indexOf('@') > 6 ? 6 : 4)
      : kind === 3 ? value(e, 'employeeNumber')
      : title.length > 0 ? pick(title) : first;
    if (term.length >= 3) terms.push(term);
  }
  const searchPaths = terms.map((t) => `/api/v1/employees?limit=100&q=${encodeURIComponent(t)}`);
  const groups = await getJson<{ data: { id: string }[] }>(`${url}/api/v1/groups?limit=1000`);
  const groupIds = groups.data.map((g) => g.id);
  const groupPaths = [
    '/api/v1/groups?limit=100',
    '/api/v1/groups?view=tree&limit=20',
    ...Array.from({ length: 100 }, () => `/api/v1/groups?limit=100&cursor=${encodeURIComponent(encodeCursor(pick(groupIds)))}`),
    ...Array.from({ length: 100 }, () => `/api/v1/groups/${pick(groupIds)}`),
  ];
  const integrations = await getJson<{ data: { id: string }[] }>(`${url}/api/v1/integrations`);
  const previewPath = `/api/v1/integrations/${integrations.data[0]!.id}/group-sync/preview`;
  const keys: string[] = [];
  for (let n = 0; n < LOAD_KEYS; n += 1) {
    const res = await fetch(`${url}/api/v1/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `bench load ${n}` }) });
    if (res.status !== 201) throw new Error(`POST /api-keys: ${res.status} ${await res.text()}`);
    keys.push(((await res.json()) as { key: string }).key);
  }
  return { keys, listPaths, searchPaths, groupPaths, previewPath };
}

/** Keys the load's requests take in turn (LoadPlan.keys): ~17,000 requests a second together before any key's limit. */
const LOAD_KEYS = 10;

interface PreviewNode {
  children: PreviewNode[];
}

/** What one Group Sync preview answers: how many groups it shows of how many it plans. */
export async function previewShape(url: string, previewPath: string): Promise<{ shown: number; total: number; ms: number; error?: string }> {
  const start = performance.now();
  const res = await fetch(`${url}${previewPath}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  if (!res.ok) return { shown: Number.NaN, total: Number.NaN, ms: performance.now() - start, error: `${res.status} ${(await res.text()).slice(0, 200)}` };
  const body = (await res.json()) as { groups: PreviewNode[]; groupsTotal: number };
  const ms = performance.now() - start;
  const count = (nodes: readonly PreviewNode[]): number => nodes.reduce((n, g) => n + 1 + count(g.children), 0);
  return { shown: count(body.groups), total: body.groupsTotal, ms };
}

/** The Group Sync preview (a POST) by `connections` clients for `seconds`: latency and failures. */
export async function runPreviewLoad(url: string, previewPath: string, opts: Pick<LoadOptions, 'connections' | 'seconds'>): Promise<Pick<LoadResult, 'p50' | 'p99' | 'rps' | 'requests' | 'failures'>> {
  const r = (await autocannon({ url: `${url}${previewPath}`, method: 'POST', body: '{}', connections: opts.connections, duration: opts.seconds, headers: { ...auth, 'content-type': 'application/json' } })) as Result;
  return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, requests: r.requests.total, failures: r.errors + r.timeouts + r.non2xx };
}

export interface LoadResult {
  readonly p50: number;
  readonly p99: number;
  readonly rps: number;
  readonly requests: number;
  readonly failures: number;
  readonly healthP99: number;
  readonly healthMax: number;
  /** Health probes answered 200 (none answered is a failure, not a fast p99). */
  readonly healthOk: number;
  readonly healthFailures: number;
  /** The API node's CPU time (user + system) per answered request during the load, in ms. */
  readonly cpuMsPerRequest: number;
  /** Mean bytes received per answer, headers included (compressed when asked with Accept-Encoding). */
  readonly bodyBytes: number;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** Requests per second offered by all clients together (0: each client as fast as it can). */
  readonly rate: number;
  /** Request headers besides Authorization (e.g. `accept-encoding: gzip`, as browsers and fetch send). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Each request takes the next path, and the next key of `keys` (autocannon keeps no state per client across requests). */
function rotating(paths: readonly string[], keys: readonly string[], headers: Readonly<Record<string, string>>) {
  let n = 0;
  const byKey = keys.map((key) => ({ ...headers, authorization: `Bearer ${key}` }));
  return [
    {
      setupRequest: (req: { path?: string }) => {
        const at = n++;
        return { ...req, headers: byKey[at % byKey.length]!, path: paths[at % paths.length] };
      },
    },
  ];
}

interface HealthProbe {
  readonly p99: number;
  readonly max: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/**
 * `paths` by `connections` clients for `seconds`, with `/health` probed 20 times a second
 * meanwhile. Warm-up first: every path asked once (at least 200 requests), as a running node has
 * been asked them before: queries compiled, the read cache filled. What the same load costs
 * without the cache, every answer read afresh, is the bench's "read cache off" rows.
 */
export async function runLoad(api: ApiNode, keys: readonly string[], paths: readonly string[], opts: LoadOptions): Promise<LoadResult> {
  const url = api.url;
  const headers = { ...auth, ...opts.headers };
  await autocannon({ url, connections: 10, amount: Math.max(200, paths.length), headers, requests: rotating(paths, keys, headers) });
  // /health is probed from a process of its own (health-probe.ts): this one is busy driving the load.
  const cpuBefore = api.cpuSeconds();
  const [load, health] = await Promise.all([
    autocannon({ url, connections: opts.connections, duration: opts.seconds, headers, requests: rotating(paths, keys, headers), ...(opts.rate > 0 ? { overallRate: opts.rate } : {}) }) as Promise<Result>,
    runChild<HealthProbe>('health-probe.js', { BENCH_PROBE_URL: url, BENCH_PROBE_SECONDS: String(opts.seconds) }),
  ]);
  const cpu = api.cpuSeconds() - cpuBefore;
  return {
    p50: load.latency.p50,
    p99: load.latency.p99,
    rps: load.requests.average,
    requests: load.requests.total,
    failures: load.errors + load.timeouts + load.non2xx,
    healthP99: health.p99,
    healthMax: health.max,
    healthOk: health.total - health.non2xx,
    healthFailures: health.errors + health.timeouts + health.non2xx,
    // The probe's 20 requests a second are counted too: a few hundred beside tens of thousands.
    cpuMsPerRequest: (cpu * 1000) / Math.max(1, load.requests.total + health.total),
    bodyBytes: load.requests.total > 0 ? load.throughput.total / load.requests.total : 0,
  };
}
