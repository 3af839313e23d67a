/**
 * `npm run bench`: User Auto-Sync from the BambooHR sandbox over HTTP into embedded SQLite.
 * For 10,000 and 100,000 people: a first full sync, a full re-sync with nothing changed and an
 * incremental run after 1 % changed — each beside the limit measured in the same run (fetching
 * and parsing the same pages alone, plus inserting the same rows alone) and the ratio.
 * The sandbox runs in a child process so memory figures are the product's own.
 * BENCH_SIZES=2000,10000 overrides the sizes; BENCH_DATABASE_URL=postgres://… runs the product on
 * PostgreSQL (in a throwaway schema) instead of embedded SQLite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createContext, type AppContext } from '../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../src/app/integrations-service.ts';
import { createBambooHrConnector } from '../src/providers/bamboohr/connector/connector.ts';
import { createLogger } from '../src/logger.ts';
import { openStore } from '../src/store/db.ts';
import { DEFAULT_TENANT_ID } from '../src/store/tenants.ts';
import { waitForRun } from '../src/jobs/worker.ts';
import type { Run } from '../src/store/runs.ts';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const API_KEY = 'sandbox-key';
const root = path.resolve(import.meta.dirname, '..');

interface Row {
  scenario: string;
  people: number;
  wallS: number;
  perS: number;
  peakMb: number;
  limitS: number | null;
  note: string;
}

function gc() {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Runs fn while sampling RSS; returns seconds and the peak RSS in MB. */
async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  gc();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const start = performance.now();
  try {
    const value = await fn();
    return { value, seconds: (performance.now() - start) / 1000, peakMb: Math.max(peak, process.memoryUsage().rss) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

async function startSandboxProcess(employees: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'sandbox', 'bamboohr', '--port', '0', '--employees', String(employees), '--seed', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = out.match(/on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${out}`)));
  });
  return { url, child };
}

async function fetchLimit(url: string): Promise<number> {
  const connector = createBambooHrConnector({ baseUrl: url, settings: { companyDomain: 'bench' }, credentials: { apiKey: API_KEY } });
  const { seconds, value } = await measure(async () => {
    let n = 0;
    for await (const page of (await connector.fetchAll()).pages) n += page.records.length + page.failures.length;
    return n;
  });
  if (value === 0) throw new Error('fetch limit saw nobody');
  return seconds;
}

/** The floor for storage: the same number of employee, link and change rows, raw prepared statements. */
async function insertLimit(people: number, dir: string): Promise<number> {
  const file = path.join(dir, 'insert-limit.db');
  const store = await openStore({ sqliteFile: file });
  await store.close();
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const fields = JSON.stringify({ email: 'someone.person@acme.example', firstName: 'Zoë', lastName: 'Müller', displayName: 'Zoë Müller', jobTitle: 'Senior Platform Engineer', department: 'Platform', division: 'Technology', location: 'Berlin', employeeNumber: '10001', phone: '+49 30 5550100', startDate: '2020-01-01', employmentStatus: 'Active', employmentType: 'Full-Time' });
  const now = new Date().toISOString();
  db.prepare(`insert into tenants values ('t','t','UTC',?)`).run(now);
  db.prepare(`insert into integrations (id, tenant_id, provider, name, priority, settings, credentials, connection_status, connection_detail, connection_changed_at, user_sync, group_sync, next_run_at, created_at, updated_at) values ('i','t','bamboohr','b',1,'{}',null,'connected',null,?,'{}','{}',null,?,?)`).run(now, now, now);
  db.prepare(`insert into runs (id, tenant_id, integration_id, trigger, mode, dry_run, status, phase, started_at, counts, progress, created_at) values ('r','t','i','manual','full',0,'running','applying',?,'{}','{}',?)`).run(now, now);
  const emp = db.prepare(`insert into employees values (?,?,?,?,?,?,?,?,?,?,?,?)`);
  const link = db.prepare(`insert into employee_links values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const change = db.prepare(`insert into run_changes values (?,?,?,?,?,?,?,?,?,?,?,?)`);
  const start = performance.now();
  const batch = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n += 1) {
      const id = `e${n}`;
      emp.run(id, 't', 'active', 'member', `p${n}@acme.example`, String(n), 'zoë müller', fields, '{}', '{}', now, now);
      link.run('t', 'i', String(n), id, 'hash', fields, '{"active":true}', 'active', 'active', 1, 'everyone', null, 1, 'r', now, now);
      change.run('t', 'r', n + 1, 'created', id, String(n), 'Zoë Müller', null, fields, null, fields, 1);
    }
  });
  for (let n = 0; n < people; n += 1000) batch(n, Math.min(people, n + 1000));
  const seconds = (performance.now() - start) / 1000;
  db.close();
  return seconds;
}

async function changeOnePercent(url: string, people: number): Promise<number> {
  const listing = (await (await fetch(`${url}/_sandbox/employees`)).json()) as { employees: { id: string; status: string }[] };
  const ids = listing.employees.filter((e) => e.status === 'Active').map((e) => e.id);
  const step = Math.max(1, Math.floor(ids.length / Math.max(1, Math.floor(people / 100))));
  const targets = ids.filter((_, n) => n % step === 0).slice(0, Math.floor(people / 100));
  for (let n = 0; n < targets.length; n += 50) {
    await Promise.all(
      targets.slice(n, n + 50).map((id) =>
        fetch(`${url}/_sandbox/employees/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobTitle: `Benchmark title ${n}` }) }).then((r) => {
          if (!r.ok) throw new Error(`sandbox PATCH ${id}: ${r.status}`);
        }),
      ),
    );
  }
  return targets.length;
}

async function syncOnce(ctx: AppContext, integrationId: string, mode: 'full' | 'incremental'): Promise<Run> {
  const run = await requestSync(ctx, DEFAULT_TENANT_ID, integrationId, { mode });
  return waitForRun(ctx.engine, DEFAULT_TENANT_ID, run.id, 3_600_000);
}

async function benchSize(people: number): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'refresh-bench-'));
  const { url, child } = await startSandboxProcess(people);
  const rows: Row[] = [];
  try {
    const fetchS = await fetchLimit(url);
    const insertS = await insertLimit(people, dir);
    const pg = process.env.BENCH_DATABASE_URL ? await pgStore(process.env.BENCH_DATABASE_URL) : undefined;
    const ctx = await createContext(
      { port: 0, host: '127.0.0.1', dataDir: dir, databaseUrl: undefined, apiKey: undefined, adminEmail: 'a@b.c', adminPassword: undefined, secretKey: randomBytes(32).toString('base64'), logLevel: 'warn' },
      createLogger('warn'),
      { worker: { pollMs: 5, schedule: false }, ...(pg ? { store: pg.store } : {}) },
    );
    ctx.worker.start();
    const integration = await createIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, { provider: 'bamboohr', settings: { companyDomain: 'bench', baseUrl: url }, credentials: { apiKey: API_KEY } });
    await ctx.worker.stop(); // enabling queues the first run; measure it from here
    await patchIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, integration.id, { userSync: { enabled: true } });
    const queued = await ctx.store.db.selectFrom('runs').select('id').executeTakeFirstOrThrow();
    const full = await measure(async () => {
      ctx.worker.start();
      return waitForRun(ctx.engine, DEFAULT_TENANT_ID, queued.id, 3_600_000);
    });
    check(full.value, 'full');
    rows.push({ scenario: 'full sync (first)', people, wallS: full.seconds, perS: people / full.seconds, peakMb: full.peakMb, limitS: fetchS + insertS, note: `${full.value.counts.created} created` });

    const again = await measure(() => syncOnce(ctx, integration.id, 'full'));
    check(again.value, 'no-change');
    rows.push({ scenario: 'full re-sync, nothing changed', people, wallS: again.seconds, perS: people / again.seconds, peakMb: again.peakMb, limitS: fetchS, note: `${again.value.counts.unchanged} unchanged` });

    const changed = await changeOnePercent(url, people);
    const inc = await measure(() => syncOnce(ctx, integration.id, 'incremental'));
    check(inc.value, 'incremental');
    const incLimit = (fetchS * changed) / people + (insertS * changed) / people;
    rows.push({ scenario: 'incremental after 1 % changed', people: changed, wallS: inc.seconds, perS: changed / inc.seconds, peakMb: inc.peakMb, limitS: incLimit, note: `${inc.value.counts.updated} updated, ${inc.value.counts.fetched} fetched` });
    await ctx.close();
    await pg?.drop();
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function pgStore(url: string) {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const store = await openStore({ databaseUrl: url, pgSchema: schema });
  return {
    store,
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

function check(run: Run, label: string) {
  if (run.status !== 'succeeded') throw new Error(`${label} run ended ${run.status}: ${JSON.stringify(run.error)}`);
}

function printTable(rows: Row[]) {
  const header = ['scenario', 'people', 'wall s', 'people/s', 'peak RSS MB', 'limit s', 'ratio', 'note'];
  const body = rows.map((r) => [r.scenario, String(r.people), r.wallS.toFixed(2), Math.round(r.perS).toLocaleString('en'), r.peakMb.toFixed(0), r.limitS === null ? '–' : r.limitS.toFixed(2), r.limitS ? (r.wallS / r.limitS).toFixed(2) : '–', r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

const all: Row[] = [];
for (const size of SIZES) {
  console.error(`benchmarking ${size.toLocaleString('en')} people…`);
  all.push(...(await benchSize(size)));
}
console.log(`\nstorage: ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}; limit = fetching and parsing the same pages alone (+ inserting the same rows alone, raw prepared statements, for runs that write them)\n`);
printTable(all);
