/**
 * `npm run bench`: issue 13's targets, each measured beside its floor, on SQLite and (with
 * BENCH_DATABASE_URL) PostgreSQL, against the BambooHR sandbox over loopback HTTP.
 *
 * - Sync, two regimes: a slow provider (the sandbox answers each request after BENCH_SLOW_MS,
 *   250 ms by default, as real HRIS APIs answer a page of 1,000) and a fast one (full speed).
 *   First full sync, no-change re-sync and a 1 % incremental, each beside its floor: the same
 *   requests made the same way (the run's own connector) fetched and parsed alone; in the fast
 *   regime the first sync also beside the fetch-plus-write limit (the same rows inserted alone).
 * - Group Sync at scale: the same first sync and re-sync with Group Sync on (teams in divisions,
 *   and locations: ~5,000 groups at 100,000 people) against the runs without it.
 * - The API under load: `refresh serve` on the synced store, 50 autocannon clients on
 *   `GET /employees?limit=100`, on `q=` searches and on the group list/tree/detail, `/health`
 *   probed meanwhile; then the same loads on a node with its read cache off (informational rows:
 *   what every read would cost if each came after a write).
 * - `/health` while a scope preview runs: the same API node previews a scope with a 10,000-value
 *   condition over the whole roster, back to back (BENCH_PREVIEWS, 3, and at least 10 s), and
 *   `/health` is timed 20 times a second meanwhile (p50, p99 and max beside the 100 ms target,
 *   and the same node's idle figures for the machine's share).
 *
 * Everything runs from the compiled build (`tsc`), each task in a fresh process, so times and
 * peak memory are a production process's. Each row is also printed to stderr as soon as it is
 * measured, so a long or interrupted run still shows what it got. Knobs: BENCH_SIZES or
 * BENCH_PEOPLE (default 100000; e.g. 20000 for a quick iteration), BENCH_STORES (sqlite,postgres;
 * PostgreSQL only with BENCH_DATABASE_URL), BENCH_PARTS (sync,groups,api,preview), BENCH_REGIMES
 * (slow,fast), BENCH_SLOW_MS, BENCH_API_SECONDS (15), BENCH_API_RATE (requests/s offered by the
 * 50 clients together; 0 = as fast as they can). Group Sync's ≤ 1.3× compares with the fast
 * regime's runs, so it needs `sync` and `fast` in the same bench.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { planLoad, previewShape, runLoad, runPreviewLoad, startApi, type LoadResult } from './api-load.ts';
import { measureHealthDuringScopePreview } from './preview-load.ts';
import { runChild, startService, storeLabel, type Service, type StoreSpec } from './common.ts';
import { mb, metWord, ms, printTable, seconds, type Row } from './report.ts';
import type { FloorResult, SyncResult, Task } from './task.ts';

// BENCH_PEOPLE=20000 for a quick run (the targets' absolute times scale with the size).
const SIZES = (process.env.BENCH_SIZES ?? process.env.BENCH_PEOPLE ?? '100000').split(',').map(Number);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'sync,groups,api,preview').split(','));
const PREVIEWS = Number(process.env.BENCH_PREVIEWS ?? 3);
const REGIMES = (process.env.BENCH_REGIMES ?? 'slow,fast').split(',') as Regime[];
const STORES = new Set((process.env.BENCH_STORES ?? 'sqlite,postgres').split(','));
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 250);
const API_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 15);
const API_RATE = Number(process.env.BENCH_API_RATE ?? 0);
const API_CLIENTS = 50;
const PREVIEW_CLIENTS = 5;
const PG_URL = process.env.BENCH_DATABASE_URL;
const SECRET_KEY = randomBytes(32).toString('base64');

type Regime = 'slow' | 'fast';

function task<T>(t: Task): Promise<T> {
  return runChild<T>('task.js', { BENCH_TASK: JSON.stringify(t), BENCH_SECRET_KEY: SECRET_KEY });
}

const stores: StoreSpec[] = [];
async function newStore(kind: StoreSpec['kind']): Promise<StoreSpec> {
  let spec: StoreSpec;
  if (kind === 'sqlite') spec = { kind, dir: mkdtempSync(path.join(tmpdir(), 'refresh-bench-')) };
  else {
    spec = { kind, url: PG_URL!, schema: `bench_${randomBytes(4).toString('hex')}` };
    await pgAdmin(`CREATE SCHEMA ${spec.schema}`);
  }
  stores.push(spec);
  return spec;
}

async function dropStore(spec: StoreSpec): Promise<void> {
  // BENCH_KEEP_STORE=1: the synced stores stay (their place is printed), to profile against.
  if (process.env.BENCH_KEEP_STORE) return void console.error(`  kept store: ${JSON.stringify(spec)}`);
  if (spec.kind === 'sqlite') rmSync(spec.dir, { recursive: true, force: true });
  else await pgAdmin(`DROP SCHEMA IF EXISTS ${spec.schema} CASCADE`);
}

async function pgAdmin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

async function setSlow(sandbox: Service, slowMs: number): Promise<void> {
  const res = await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slowMs }) });
  if (!res.ok) throw new Error(`sandbox faults: ${res.status} ${await res.text()}`);
}

/**
 * Each incremental's round: a new title every time, so the store benched second (PostgreSQL, on the
 * same sandbox) does not set the titles the first one already set, a change that changes nothing.
 */
let changeRound = 0;

/** 1 % of the active people get a new job title in the sandbox (spread over the roster). */
async function changeOnePercent(sandbox: Service, people: number, round: number): Promise<number> {
  const listing = (await (await fetch(`${sandbox.url}/_sandbox/employees`)).json()) as { employees: { id: string; status: string }[] };
  const ids = listing.employees.filter((e) => e.status === 'Active').map((e) => e.id);
  const wanted = Math.max(1, Math.floor(people / 100));
  const step = Math.max(1, Math.floor(ids.length / wanted));
  const targets = ids.filter((_, n) => n % step === round % step).slice(0, wanted);
  for (let n = 0; n < targets.length; n += 50) {
    await Promise.all(
      targets.slice(n, n + 50).map(async (id) => {
        const r = await fetch(`${sandbox.url}/_sandbox/employees/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobTitle: `Benchmark title ${round}` }) });
        if (!r.ok) throw new Error(`sandbox PATCH ${id}: ${r.status}`);
      }),
    );
  }
  return targets.length;
}

function check(result: SyncResult, label: string): SyncResult {
  if (result.run.status !== 'succeeded') throw new Error(`${label} run ended ${result.run.status}: ${JSON.stringify(result.run.error)}`);
  return result;
}

const scale = (people: number) => people / 100_000;
const counts = (r: SyncResult) => r.run.counts;

interface SyncFigures {
  readonly first: SyncResult;
  readonly again: SyncResult;
  readonly inc: SyncResult;
}

/** First sync, re-sync and 1 % incremental in one regime, each beside the floor measured just before it. */
async function syncRegime(kind: StoreSpec['kind'], sandbox: Service, people: number, regime: Regime, rows: Row[]): Promise<SyncFigures> {
  const label = storeLabel({ kind } as StoreSpec);
  await setSlow(sandbox, regime === 'slow' ? SLOW_MS : 0);
  const store = await newStore(kind);
  const { integrationId } = await task<{ integrationId: string }>({ kind: 'setup', store, sandboxUrl: sandbox.url, groupSync: false });
  const floor = await task<FloorResult>({ kind: 'fetch-floor', store, integrationId, mode: 'full' });
  const first = check(await task<SyncResult>({ kind: 'sync', store, integrationId, mode: 'queued' }), 'first full sync');
  const row = (scenario: string, r: SyncResult, floorS: number, target: string, pass: boolean | null, note: string, ratio: number | null = r.seconds / floorS): Row => ({
    store: label, regime, scenario, measured: seconds(r.seconds), floor: seconds(floorS), ratio, target, pass, note: `${note}; cpu ${seconds(r.cpuSeconds)}`,
  });
  const peakRow = (scenario: string, r: SyncResult): Row => ({ store: label, regime, scenario: `${scenario}: peak memory`, measured: mb(r.peakMb), floor: '–', ratio: null, target: '< 300 MB', pass: r.peakMb < 300, note: 'peak RSS of the process (compiled JS)' });
  if (regime === 'slow') {
    rows.push(row('first full sync', first, floor.seconds, '≤ 1.2× fetch floor', first.seconds / floor.seconds <= 1.2, `${counts(first).created} created; ${floor.records} records fetched alone in ${seconds(floor.seconds)} (cpu ${seconds(floor.cpuSeconds)})`));
  } else {
    const limitStore = await newStore(kind);
    const limit = await task<{ integrationId: string }>({ kind: 'setup', store: limitStore, sandboxUrl: sandbox.url, groupSync: false });
    const write = await task<{ seconds: number }>({ kind: 'write-limit', store: limitStore, integrationId: limit.integrationId, people });
    await dropStore(limitStore);
    const limitS = floor.seconds + write.seconds;
    const under = 10 * scale(people);
    rows.push(row('first full sync', first, floor.seconds, `< ${under.toFixed(1)} s`, first.seconds < under, `${counts(first).created} created`, first.seconds / floor.seconds));
    rows.push(row('first full sync vs fetch+write limit', first, limitS, '≤ 1.5× limit', first.seconds / limitS <= 1.5, `limit = fetch ${seconds(floor.seconds)} + write ${seconds(write.seconds)}`));
  }
  rows.push(peakRow('first full sync', first));

  const again = check(await task<SyncResult>({ kind: 'sync', store, integrationId, mode: 'full' }), 'no-change re-sync');
  const wrote = counts(again).created + counts(again).updated + counts(again).deactivated + counts(again).reactivated;
  const zero = wrote === 0 ? 'zero writes' : `${wrote} WRITES`;
  if (regime === 'slow') rows.push(row('no-change re-sync', again, floor.seconds, '≤ 1.1× fetch floor', again.seconds / floor.seconds <= 1.1 && wrote === 0, `${counts(again).unchanged} unchanged, ${zero}`));
  else rows.push(row('no-change re-sync', again, floor.seconds, `< ${(3 * scale(people)).toFixed(1)} s`, again.seconds < 3 * scale(people) && wrote === 0, `${counts(again).unchanged} unchanged, ${zero}`));

  const changed = await changeOnePercent(sandbox, people, ++changeRound);
  const incFloor = await task<FloorResult>({ kind: 'fetch-floor', store, integrationId, mode: 'changes' });
  const inc = check(await task<SyncResult>({ kind: 'sync', store, integrationId, mode: 'incremental' }), 'incremental');
  rows.push(row(`1 % incremental (${changed} changed)`, inc, incFloor.seconds, '< 1 s', inc.seconds < 1 && inc.run.mode === 'incremental' && counts(inc).updated === changed, `${counts(inc).updated} updated of ${counts(inc).fetched} fetched; ${inc.run.mode}`));
  await dropStore(store);
  return { first, again, inc };
}

/** The same first sync and re-sync with Group Sync on; the store is kept for the API load. */
async function groupsAtScale(kind: StoreSpec['kind'], sandbox: Service, without: SyncFigures | undefined, rows: Row[]): Promise<StoreSpec> {
  const label = storeLabel({ kind } as StoreSpec);
  await setSlow(sandbox, 0);
  const store = await newStore(kind);
  const { integrationId } = await task<{ integrationId: string }>({ kind: 'setup', store, sandboxUrl: sandbox.url, groupSync: true });
  const first = check(await task<SyncResult>({ kind: 'sync', store, integrationId, mode: 'queued' }), 'first sync with groups');
  const again = check(await task<SyncResult>({ kind: 'sync', store, integrationId, mode: 'full' }), 're-sync with groups');
  const groups = await groupCount(store);
  for (const [scenario, on, off] of [['first full sync, Group Sync on', first, without?.first], ['no-change re-sync, Group Sync on', again, without?.again]] as const) {
    const ratio = off ? on.seconds / off.seconds : null;
    rows.push({ store: label, regime: 'fast', scenario, measured: seconds(on.seconds), floor: off ? seconds(off.seconds) : '–', ratio, target: '≤ 1.3× without', pass: ratio === null ? null : ratio <= 1.3, note: `${groups} groups; peak ${mb(on.peakMb)}; floor = the same run without Group Sync` });
  }
  return store;
}

/** Waits until no employee waits to be indexed for search (at most 10 minutes); answers the seconds waited. */
async function searchIndexCaughtUp(store: StoreSpec): Promise<number> {
  const started = performance.now();
  let behind: () => Promise<boolean>;
  let close: () => Promise<void>;
  if (store.kind === 'postgres') {
    const c = new pg.Client({ connectionString: store.url, options: `-c search_path=${store.schema}` });
    await c.connect();
    behind = async () => (await c.query<{ n: boolean }>('select exists (select 1 from employees_search_pending) as n')).rows[0]!.n;
    close = () => c.end();
  } else {
    const { default: SQLite } = await import('better-sqlite3');
    const db = new SQLite(path.join(store.dir, 'refresh.db'), { readonly: true, fileMustExist: true });
    const pending = db.prepare('select exists (select 1 from employees_search_pending) as n');
    behind = async () => (pending.get() as { n: number }).n === 1;
    close = async () => void db.close();
  }
  try {
    while (await behind()) {
      if (performance.now() - started > 600_000) throw new Error('the API node did not catch up the search index within 10 minutes');
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await close();
  }
  return (performance.now() - started) / 1000;
}

async function groupCount(store: StoreSpec): Promise<number> {
  if (store.kind === 'postgres') {
    const c = new pg.Client({ connectionString: store.url, options: `-c search_path=${store.schema}` });
    await c.connect();
    const { rows } = await c.query<{ n: string }>('select count(*) as n from groups');
    await c.end();
    return Number(rows[0]!.n);
  }
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(path.join(store.dir, 'refresh.db'), { readonly: true });
  const n = (db.prepare('select count(*) as n from groups').get() as { n: number }).n;
  db.close();
  return n;
}

async function apiUnderLoad(store: StoreSpec, rows: Row[]): Promise<void> {
  const label = storeLabel(store);
  const opts = { connections: API_CLIENTS, seconds: API_SECONDS, rate: API_RATE };
  const loadRow = (scenario: string, r: LoadResult, targetMs: number, informational = false): Row => ({
    store: label, regime: 'API', scenario, measured: `p99 ${ms(r.p99)}`, floor: '–', ratio: null, target: informational ? `(p99 < ${targetMs} ms with the cache)` : `p99 < ${targetMs} ms`, pass: informational ? null : r.p99 < targetMs && r.failures === 0,
    note: `p50 ${ms(r.p50)}, ${r.rps.toFixed(0)} req/s, ${r.failures} failed; node cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req, ${(r.bodyBytes / 1024).toFixed(0)} KB/answer; /health p99 ${ms(r.healthP99)} (max ${ms(r.healthMax)})`,
  });
  const healthRow = (scenario: string, r: LoadResult): Row => ({
    store: label, regime: 'API', scenario: `/health during ${scenario}`, measured: `p99 ${ms(r.healthP99)}`, floor: '–', ratio: null, target: 'p99 < 25 ms', pass: r.healthOk > 0 && r.healthFailures === 0 && r.healthP99 < 25,
    note: `max ${ms(r.healthMax)}; ${r.healthOk} answered, ${r.healthFailures} failed`,
  });
  const api = await startApi(store, SECRET_KEY);
  let plan: Awaited<ReturnType<typeof planLoad>>;
  try {
    // The sync ran in a process that ended before its search index caught up (both stores index
    // off the write path, search-index.ts); the API node does it first. Each of its chunks is a
    // write, which rightly makes the read cache start again: the loads measure the steady state after.
    const indexing = await searchIndexCaughtUp(store);
    if (indexing > 0.5) console.error(`    (the API node caught up the search index in ${seconds(indexing)} before the loads)`);
    plan = await planLoad(api.url);
    const list = await runLoad(api, plan.keys, plan.listPaths, opts);
    rows.push(loadRow(`GET /employees?limit=100, ${API_CLIENTS} clients`, list, 25), healthRow('list load', list));
    const search = await runLoad(api, plan.keys, plan.searchPaths, opts);
    rows.push(loadRow(`GET /employees?q=…, ${API_CLIENTS} clients`, search, 50), healthRow('search load', search));
    // The same loads asking for a compressed answer, as browsers and fetch/undici do (the rows
    // above ask for none, as autocannon does by default).
    const gzip = { ...opts, headers: { 'accept-encoding': 'gzip' } };
    rows.push(loadRow(`GET /employees?limit=100, ${API_CLIENTS} clients, accept-encoding: gzip`, await runLoad(api, plan.keys, plan.listPaths, gzip), 25));
    rows.push(loadRow(`GET /employees?q=…, ${API_CLIENTS} clients, accept-encoding: gzip`, await runLoad(api, plan.keys, plan.searchPaths, gzip), 50));
    const groups = await runLoad(api, plan.keys, plan.groupPaths, opts);
    rows.push(loadRow(`GET /groups (list, tree, detail), ${API_CLIENTS} clients`, groups, 50), healthRow('group load', groups));
    // The Group Sync preview plans every group from the stored people: an admin's action, so a
    // few clients; the target is that the answer is paged (the tree shows at most its limit).
    const shape = await previewShape(api.url, plan.previewPath);
    const preview = await runPreviewLoad(api.url, plan.previewPath, { connections: PREVIEW_CLIENTS, seconds: API_SECONDS });
    rows.push({
      store: label, regime: 'API', scenario: `POST …/group-sync/preview, ${PREVIEW_CLIENTS} clients`, measured: `p99 ${ms(preview.p99)}`, floor: '–', ratio: null,
      target: 'paged: ≤ 200 groups shown', pass: shape.shown <= 200 && preview.failures === 0,
      note: `${shape.error ? `one alone answered ${shape.error}` : `shows ${shape.shown} of ${shape.total} groups; one alone ${ms(shape.ms)}`}; p50 ${ms(preview.p50)}, ${preview.rps.toFixed(1)} req/s, ${preview.failures} failed`,
    });
  } finally {
    await api.stop();
  }
  // The same loads on a node without the read cache (REFRESH_READ_CACHE_MB=0): every request
  // reads the store and serializes, as the first read after each write does. Informational: the
  // targets are met (or not) above; these rows say what the cold path costs.
  const cold = await startApi(store, SECRET_KEY, { REFRESH_READ_CACHE_MB: '0' });
  try {
    const list = await runLoad(cold, plan.keys, plan.listPaths, opts);
    rows.push(loadRow(`GET /employees?limit=100, ${API_CLIENTS} clients, read cache off`, list, 25, true));
    const search = await runLoad(cold, plan.keys, plan.searchPaths, opts);
    rows.push(loadRow(`GET /employees?q=…, ${API_CLIENTS} clients, read cache off`, search, 50, true));
    const groups = await runLoad(cold, plan.keys, plan.groupPaths, opts);
    rows.push(loadRow(`GET /groups (list, tree, detail), ${API_CLIENTS} clients, read cache off`, groups, 50, true));
  } finally {
    await cold.stop();
  }
}

/** `/health` latency while scope previews over the whole roster run on the same node. */
async function healthDuringPreview(store: StoreSpec, rows: Row[]): Promise<void> {
  const api = await startApi(store, SECRET_KEY);
  try {
    const r = await measureHealthDuringScopePreview(api.url, PREVIEWS);
    rows.push({
      store: storeLabel(store), regime: 'API', scenario: `/health during a scope preview (${r.people.toLocaleString('en')} people, 10,000-value condition)`,
      measured: `p99 ${ms(r.healthP99)}`, floor: '–', ratio: null, target: 'p99 < 100 ms', pass: r.probes > 0 && r.probeFailures === 0 && r.healthP99 < 100,
      note: `p50 ${ms(r.healthP50)}, max ${ms(r.healthMax)} (idle node: p50 ${ms(r.idleP50)}, p99 ${ms(r.idleP99)}); ${r.probes} answered, ${r.probeFailures} failed; ${r.previews} previews, ${seconds(r.previewSeconds)} each (median), ${r.inScope.toLocaleString('en')} in scope`,
    });
  } finally {
    await api.stop();
  }
}

function pgVersusSqlite(all: Row[]): Row[] {
  const out: Row[] = [];
  const value = (r: Row) => Number.parseFloat(r.measured.replace(/^p99 /, ''));
  for (const pgRow of all.filter((r) => r.store === 'PostgreSQL' && !r.scenario.includes('peak') && !r.scenario.startsWith('/health') && !r.scenario.includes('vs fetch+write') && !r.scenario.includes('read cache off'))) {
    const lite = all.find((r) => r.store === 'SQLite' && r.regime === pgRow.regime && r.scenario === pgRow.scenario);
    if (!lite) continue;
    const ratio = value(pgRow) / value(lite);
    out.push({ store: 'PG ÷ SQLite', regime: pgRow.regime, scenario: pgRow.scenario, measured: pgRow.measured, floor: lite.measured, ratio, target: '≤ 1.3× SQLite', pass: ratio <= 1.3, note: 'floor = the same scenario on SQLite' });
  }
  return out;
}

/** The table's rows, each also printed to stderr when measured. */
class ProgressRows extends Array<Row> {
  override push(...items: Row[]): number {
    for (const r of items) console.error(`    ${r.store} · ${r.regime} · ${r.scenario}: ${r.measured} (floor ${r.floor}${r.ratio === null ? '' : `, ${r.ratio.toFixed(2)}×`}) ${r.target} → met? ${metWord(r.pass)} — ${r.note}`);
    return super.push(...items);
  }
}

const sandboxes: Service[] = [];
try {
  for (const people of SIZES) {
    const rows: Row[] = new ProgressRows();
    console.error(`benchmarking ${people.toLocaleString('en')} people…`);
    const sandbox = await startService([path.join(import.meta.dirname, 'sandbox-child.js')], { BENCH_PEOPLE: String(people), BENCH_TEAMS: String(Math.round(people / 20)) });
    sandboxes.push(sandbox);
    for (const kind of (['sqlite', ...(PG_URL ? ['postgres' as const] : [])] as const).filter((k) => STORES.has(k))) {
      console.error(`  ${storeLabel({ kind } as StoreSpec)}…`);
      let fast: SyncFigures | undefined;
      if (PARTS.has('sync')) {
        for (const regime of REGIMES) {
          const figures = await syncRegime(kind, sandbox, people, regime, rows);
          if (regime === 'fast') fast = figures;
        }
      }
      let loaded: StoreSpec | undefined;
      if (PARTS.has('groups') || PARTS.has('api') || PARTS.has('preview')) loaded = await groupsAtScale(kind, sandbox, fast, PARTS.has('groups') ? rows : []);
      if (PARTS.has('api') && loaded) await apiUnderLoad(loaded, rows);
      if (PARTS.has('preview') && loaded) await healthDuringPreview(loaded, rows);
      if (loaded) await dropStore(loaded);
    }
    await sandbox.stop();
    rows.push(...pgVersusSqlite(rows));
    printTable(`${people.toLocaleString('en')} people — floors measured in the same run; slow provider = ${SLOW_MS} ms a request; API load = ${API_CLIENTS} clients${API_RATE ? ` offering ${API_RATE} req/s together` : ' each as fast as it can'}, ${API_SECONDS} s a scenario`, rows);
    const failed = rows.filter((r) => r.pass === false).length;
    console.log(`\n${failed === 0 ? 'every target met' : `${failed} target(s) missed`}`);
  }
} finally {
  for (const s of sandboxes) await s.stop();
  for (const s of stores) await dropStore(s).catch(() => undefined);
}
