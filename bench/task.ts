/**
 * One bench task in a fresh process of the compiled build (BENCH_TASK is its JSON): set up a
 * store, measure a floor, or run one sync through the product's worker. Prints one result line.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createContext, type AppContext } from '../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../src/app/integrations-service.ts';
import { createLogger } from '../src/logger.ts';
import { openStore, type Store } from '../src/store/db.ts';
import { getCursor } from '../src/store/cursors.ts';
import { getRun, type Run } from '../src/store/runs.ts';
import { getIntegration } from '../src/store/integrations.ts';
import { connectorFor } from '../src/sync/connector.ts';
import { FINISHED_STATUSES } from '../src/core/run-states.ts';
import { API_KEY, peakRssMb, reportResult, sqliteFile, TENANT, type StoreSpec } from './common.ts';

export type Task =
  | { readonly kind: 'setup'; readonly store: StoreSpec; readonly sandboxUrl: string; readonly groupSync: boolean }
  | { readonly kind: 'fetch-floor'; readonly store: StoreSpec; readonly integrationId: string; readonly mode: 'full' | 'changes' }
  | { readonly kind: 'sync'; readonly store: StoreSpec; readonly integrationId: string; readonly mode: 'queued' | 'full' | 'incremental' }
  | { readonly kind: 'write-limit'; readonly store: StoreSpec; readonly integrationId: string; readonly people: number };

/**
 * `cpuSeconds`: CPU time (user + system) of the task's process over the measured span: a figure
 * that a busy machine disturbs far less than wall time, to compare changes on a shared machine.
 */
export interface SyncResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakMb: number;
  readonly run: Pick<Run, 'status' | 'mode' | 'counts' | 'error'>;
}

export interface FloorResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly records: number;
  readonly peakMb: number;
}

/** The Group Sync mapping the bench uses: teams (departments) nested in divisions, and locations. */
export const BENCH_GROUP_MAPPING = [
  { attribute: 'division', type: 'Division' },
  { attribute: 'department', type: 'Department', parent: 'division' },
  { attribute: 'location', type: 'Location' },
];

async function openBenchStore(spec: StoreSpec): Promise<Store> {
  return spec.kind === 'sqlite' ? openStore({ sqliteFile: sqliteFile(spec.dir) }) : openStore({ databaseUrl: spec.url, pgSchema: spec.schema });
}

async function openContext(spec: StoreSpec): Promise<AppContext> {
  const store = await openBenchStore(spec);
  const config = {
    port: 0,
    host: '127.0.0.1',
    dataDir: spec.kind === 'sqlite' ? spec.dir : '/nonexistent',
    databaseUrl: undefined,
    apiKey: undefined,
    adminEmail: 'bench@example.com',
    adminPassword: undefined,
    secretKey: process.env.BENCH_SECRET_KEY!,
    logLevel: 'warn',
  };
  // The worker polls as in production (every second; asking for a sync wakes it at once): a
  // worker polling every few milliseconds claims hundreds of times during one run, and on
  // PostgreSQL those transactions took a third of the run's database time.
  return createContext(config, createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn'), { store, worker: { schedule: false } });
}

/** Creates the integration and turns User Auto-Sync on: the first run is queued, not started. */
async function setup(task: Extract<Task, { kind: 'setup' }>) {
  const ctx = await openContext(task.store);
  try {
    const integration = await createIntegrationFromRequest(ctx, TENANT, { provider: 'bamboohr', settings: { companyDomain: 'bench', baseUrl: task.sandboxUrl }, credentials: { apiKey: API_KEY } });
    await patchIntegrationFromRequest(ctx, TENANT, integration.id, {
      userSync: { enabled: true },
      ...(task.groupSync ? { groupSync: { enabled: true, mapping: BENCH_GROUP_MAPPING } } : {}),
    });
    return { integrationId: integration.id };
  } finally {
    await ctx.close();
  }
}

/** The floor: the same requests the run makes, made the same way (the run's own connector), fetched and parsed alone. */
async function fetchFloor(task: Extract<Task, { kind: 'fetch-floor' }>): Promise<FloorResult> {
  const ctx = await openContext(task.store);
  try {
    const integration = (await getIntegration(ctx.store.db, TENANT, task.integrationId))!;
    const cursor = task.mode === 'changes' ? await getCursor(ctx.store.db, TENANT, integration.id) : undefined;
    if (task.mode === 'changes' && !cursor) throw new Error('no cursor to fetch changes from');
    const start = performance.now();
    const cpu = process.cpuUsage();
    const connector = await connectorFor(ctx.engine, integration);
    const fetch = cursor ? await connector.fetchChanges(cursor.value) : await connector.fetchAll();
    let records = 0;
    for await (const page of fetch.pages) records += page.records.length + page.failures.length;
    return { seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSince(cpu), records, peakMb: peakRssMb() };
  } finally {
    await ctx.close();
  }
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function waitFinished(ctx: AppContext, runId: string): Promise<Run> {
  for (;;) {
    const run = (await getRun(ctx.store.db, TENANT, runId))!;
    if (FINISHED_STATUSES.includes(run.status) || run.status === 'blocked') return run;
    // Every 20 ms (a figure is at most that late): a tighter loop is a query stream of its own.
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One run through the product's worker, timed from asking for it to seeing it finished. */
async function sync(task: Extract<Task, { kind: 'sync' }>): Promise<SyncResult> {
  const ctx = await openContext(task.store);
  try {
    const queued = task.mode === 'queued' ? await ctx.store.db.selectFrom('runs').select('id').where('status', '=', 'queued').executeTakeFirstOrThrow() : undefined;
    global.gc?.();
    const start = performance.now();
    const cpu = process.cpuUsage();
    ctx.worker.start();
    const runId = queued?.id ?? (await requestSync(ctx, TENANT, task.integrationId, { mode: task.mode })).id;
    const run = await waitFinished(ctx, runId);
    const seconds = (performance.now() - start) / 1000;
    return { seconds, cpuSeconds: cpuSince(cpu), peakMb: peakRssMb(), run: { status: run.status, mode: run.mode, counts: run.counts, error: run.error } };
  } finally {
    await ctx.close();
  }
}

/** Sample rows as a first sync writes them: an employee, its link and its change, per person. */
function sampleRows(n: number, runId: string, integrationId: string, now: string) {
  const fields = JSON.stringify({ email: `p${n}@acme.example`, firstName: 'Zoë', lastName: 'Müller', displayName: 'Zoë Müller', jobTitle: 'Senior Platform Engineer', department: 'Platform 017', division: 'Technology', location: 'Berlin', employeeNumber: String(10001 + n), phone: '+49 30 5550100', startDate: '2020-01-01', employmentStatus: 'Active', employmentType: 'Full-Time' });
  const id = `e${String(n).padStart(9, '0')}`;
  return {
    employee: { id, tenant_id: TENANT, status: 'active', role: 'member', email_norm: `p${n}@acme.example`, employee_number: String(10001 + n), search_text: `zoë müller p${n}@acme.example ${10001 + n} senior platform engineer`, fields, provenance: '{}', custom_config: '{}', created_at: now, updated_at: now },
    link: { tenant_id: TENANT, integration_id: integrationId, external_id: String(n), employee_id: id, record_hash: 'c0ffee', field_values: fields, lifecycle: '{"active":true}', source_status: 'active', status_reason: 'active', in_scope: 1, scope_reason: 'everyone', review_on: null, present: 1, last_run_id: runId, last_seen_at: now, created_at: now },
    change: { tenant_id: TENANT, run_id: runId, seq: n + 1, kind: 'created', employee_id: id, external_id: String(n), display_name: 'Zoë Müller', before: null, after: fields, reason: null, payload: fields, applied: 1 },
  };
}

type Rows = ReturnType<typeof sampleRows>;
const BATCH = 1000;

/**
 * The storage limit: the same number of employee, link and change rows a first sync writes,
 * inserted alone by the fastest plain means of each store (prepared statements on SQLite,
 * prepared multi-row VALUES statements on PostgreSQL), 1,000 a transaction. Same indexes and triggers as the product.
 */
async function writeLimit(task: Extract<Task, { kind: 'write-limit' }>): Promise<{ seconds: number }> {
  const store = await openBenchStore(task.store);
  const now = new Date().toISOString();
  const run = await store.db.selectFrom('runs').select('id').where('integration_id', '=', task.integrationId).executeTakeFirstOrThrow();
  await store.close();
  const batches: Rows[][] = [];
  for (let n = 0; n < task.people; n += BATCH) batches.push(Array.from({ length: Math.min(BATCH, task.people - n) }, (_, k) => sampleRows(n + k, run.id, task.integrationId, now)));
  return task.store.kind === 'sqlite' ? sqliteWriteLimit(sqliteFile(task.store.dir), batches) : pgWriteLimit(task.store.url, task.store.schema, batches);
}

function columns(row: object): string[] {
  return Object.keys(row);
}

function sqliteWriteLimit(file: string, batches: Rows[][]): { seconds: number } {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  const first = batches[0]![0]!;
  const insert = (table: string, row: object) => db.prepare(`insert into ${table} (${columns(row).join(', ')}) values (${columns(row).map((c) => `@${c}`).join(', ')})`);
  const emp = insert('employees', first.employee);
  const link = insert('employee_links', first.link);
  const change = insert('run_changes', first.change);
  const write = db.transaction((rows: Rows[]) => {
    for (const r of rows) {
      emp.run(r.employee);
      link.run(r.link);
      change.run(r.change);
    }
  });
  const start = performance.now();
  for (const rows of batches) write(rows);
  const seconds = (performance.now() - start) / 1000;
  db.close();
  return { seconds };
}

async function pgWriteLimit(url: string, schema: string, batches: Rows[][]): Promise<{ seconds: number }> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  const types = await columnTypes(client, ['employees', 'employee_links', 'run_changes']);
  // Every value a parameter of a named statement of 500 rows, parsed and planned once, with no
  // JSON or array text for the server to parse: as src/store/bulk.ts writes, which caps its
  // statements at 128 rows for short runs' sake. At 100,000 people 128, 512 and 1,024 rows a
  // statement cost the server the same CPU (1.49-1.52 s for 20,000 people's rows).
  const insert = (table: string, rows: object[]) => {
    const cols = columns(rows[0]!);
    const values = rows.map((_, r) => `(${cols.map((c, k) => `$${r * cols.length + k + 1}::${types.get(`${table}.${c}`)}`).join(', ')})`).join(', ');
    const text = `insert into ${table} (${cols.join(', ')}) values ${values}`;
    return client.query({ name: `limit-${table}-${rows.length}`, text, values: rows.flatMap((row) => cols.map((c) => (row as Record<string, unknown>)[c] ?? null)) });
  };
  const insertAll = async (table: string, rows: object[]) => {
    for (let i = 0; i < rows.length; i += 500) await insert(table, rows.slice(i, i + 500));
  };
  const start = performance.now();
  for (const rows of batches) {
    await client.query('begin');
    await insertAll('employees', rows.map((r) => r.employee));
    await insertAll('employee_links', rows.map((r) => r.link));
    await insertAll('run_changes', rows.map((r) => r.change));
    await client.query('commit');
  }
  const seconds = (performance.now() - start) / 1000;
  await client.end();
  return { seconds };
}

async function columnTypes(client: pg.Client, tables: string[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ t: string; c: string; type: string }>(
    `select table_name as t, column_name as c, udt_name as type from information_schema.columns where table_schema = current_schema() and table_name = any($1)`,
    [tables],
  );
  return new Map(rows.map((r) => [`${r.t}.${r.c}`, r.type]));
}

const task = JSON.parse(process.env.BENCH_TASK ?? '{}') as Task;
const handlers = { setup, 'fetch-floor': fetchFloor, sync, 'write-limit': writeLimit } as const;
reportResult(await (handlers[task.kind] as (t: Task) => Promise<unknown>)(task));
