/**
 * Crashes as they happen to real processes (issue 9 §3): `refresh start` killed with SIGKILL in
 * the middle of a sync and started again on the same data directory; two `refresh worker`
 * processes on PostgreSQL, one stopped (SIGSTOP) past its lease while the other takes over, then
 * continued (SIGCONT). Each ends in the state of one clean run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { PG_URL, openTestStore } from '../helpers/dialects.ts';
import { freePort, launch, stop, until, type Child } from '../helpers/processes.ts';
import { openHarness, testConfig } from '../helpers/harness.ts';
import { duplicateEmails, syncedState } from '../helpers/state.ts';
import { createContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { startBambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { waitForRun } from '../../src/jobs/worker.ts';

describe('embedded mode: kill -9 in the middle of a sync, then start again', () => {
  it('resumes the interrupted run at start-up; it finishes and every person is exactly one active employee', async () => {
    const people = 6000;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'refresh-kill9-'));
    const env = { DATA_DIR: dataDir, REFRESH_ADMIN_PASSWORD: 'correct horse battery staple' };
    const args = ['start', '--sandbox-employees', String(people), '--sandbox-seed', '77'];
    const first = launch(args, { ...env, PORT: String(await freePort()) });
    const db = await until('the database file', () => {
      try {
        return new SQLite(path.join(dataDir, 'refresh.db'), { readonly: true, fileMustExist: true });
      } catch {
        return undefined;
      }
    }, first);
    let second: Child | undefined;
    try {
      // Another process (this one) watches the database and kills the product mid-apply. A first
      // sync (the safeguard cannot hold it) applies with its pages, while it still fetches: its
      // changes say so themselves; a staged run moves its watermark.
      const running = await until('the first sync to be applying', () => {
        try {
          return db
            .prepare(`select id, applied_through from runs where status = 'running' and (applied_through > 0 or exists (select 1 from run_changes c where c.run_id = runs.id and c.applied = 1))`)
            .get() as { id: string; applied_through: number } | undefined;
        } catch {
          return undefined; // the schema is still being created
        }
      }, first);
      first.process.kill('SIGKILL');
      await first.exited();
      const killed = db.prepare('select status, applied_through from runs where id = ?').get(running.id) as { status: string; applied_through: number };
      assert.equal(killed.status, 'running', 'killed in the middle of the run');
      const appliedBefore = (db.prepare('select count(*) as n from employees').get() as { n: number }).n;
      assert.ok(appliedBefore > 0 && appliedBefore < people, `a part was applied: ${appliedBefore}`);

      second = launch(args, { ...env, PORT: String(await freePort()) });
      await until('the resumed run to finish', () => (/Resuming the interrupted sync of BambooHR \(sandbox\)… (succeeded|failed|partial)/.test(second!.output()) ? true : undefined), second);
      const run = db.prepare('select status, lease, counts from runs where id = ?').get(running.id) as { status: string; lease: number; counts: string };
      assert.equal(run.status, 'succeeded', second.output());
      assert.equal(run.lease, 2, 'one takeover');
      // Taken over at start-up because its process was dead, not after the lease ran out (the log is written asynchronously).
      await until('the takeover in the log', () => (readFileSync(path.join(dataDir, 'logs', 'refresh.log'), 'utf8').includes('its process died: resuming the run now') ? true : undefined), second, 20_000);
      const totals = db.prepare(`select count(*) as n, count(distinct email_norm) as emails, sum(status = 'active') as active from employees`).get() as { n: number; emails: number; active: number };
      const links = db.prepare(`select count(*) as n, count(distinct employee_id) as people from employee_links where employee_id is not null`).get() as { n: number; people: number };
      assert.equal(totals.n, totals.emails, 'nobody twice');
      assert.equal(totals.active, totals.n, 'everyone synced is active');
      assert.equal(links.n, totals.n, 'one link per employee');
      assert.equal(links.people, totals.n);
      assert.equal(JSON.parse(run.counts).created, totals.n, 'the run reports what it applied, across the crash');
      assert.ok(totals.n > people * 0.8, `most of the roster is active with a work email: ${totals.n}`);
      assert.match(second.output(), /Sandbox: +BambooHR simulator at http:\/\/127\.0\.0\.1:\d+ \(6000 people/, 'the sandbox came back with its settings');
    } finally {
      db.close();
      await stop(first);
      if (second) await stop(second);
    }
  });
});

describe('production mode: two workers on PostgreSQL', { skip: PG_URL ? false : 'needs PostgreSQL' }, () => {
  it('a worker stopped past its lease is taken over and, continued, writes nothing: the end state is one clean run', async () => {
    const people = 3000;
    const seed = 61;
    const reference = await openHarness('postgres', { employees: people, seed });
    const expected = await syncedState(reference.ctx.store.db);
    const expectedCounts = reference.firstRun!.counts;
    await reference.close();

    const store = await openTestStore('postgres');
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
    const databaseUrl = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${rows[0]!.schema}`)}`;
    const secretKey = randomBytes(32).toString('base64');
    const apiKey = `sandbox-${randomBytes(6).toString('hex')}`;
    const sandbox = await startBambooSandbox({ employees: people, seed, port: 0, apiKeys: [apiKey] });
    const ctx = await createContext({ ...testConfig(), databaseUrl, secretKey, allowedProviderHosts: ['127.0.0.1'] }, createLogger('warn'), { store });
    const workers: Child[] = [];
    try {
      const integration = await createIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, { provider: 'bamboohr', name: 'BambooHR', settings: { companyDomain: 'acme', baseUrl: sandbox.url }, credentials: { apiKey } });
      // Every provider call takes 1.5 s: a wide window to stop a worker between two pages.
      sandbox.faults.set({ slowMs: 1500 });
      await patchIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, integration.id, { userSync: { enabled: true } }); // queues the run; this process runs no worker
      const runId = (await store.db.selectFrom('runs').select('id').executeTakeFirstOrThrow()).id;
      const env = { DATABASE_URL: databaseUrl, REFRESH_SECRET_KEY: secretKey, REFRESH_RUN_LEASE_SECONDS: '2', REFRESH_ALLOWED_PROVIDER_HOSTS: '127.0.0.1' };
      const runRow = () => store.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();

      const a = launch(['worker'], env);
      workers.push(a);
      await until('worker A to have read a page', async () => {
        const r = await runRow();
        return r.status === 'running' && JSON.parse(r.progress).fetched >= 1000 ? r : undefined;
      }, a);
      a.process.kill('SIGSTOP');
      const held = await runRow();
      assert.equal(held.lease, 1);
      const workerA = held.worker_id!;

      const b = launch(['worker'], env);
      workers.push(b);
      const taken = await until('worker B to take the run over', async () => {
        const r = await runRow();
        return r.lease === 2 ? r : undefined;
      }, b);
      assert.notEqual(taken.worker_id, workerA);
      const done = await waitForRun(ctx.engine, DEFAULT_TENANT_ID, runId, 180_000);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));

      a.process.kill('SIGCONT');
      await until("worker A to find it lost the run's lease", () => (a.output().includes("lost the run's lease") ? true : undefined), a, 60_000);
      const after = await runRow();
      assert.equal(after.status, 'succeeded');
      assert.equal(after.worker_id, taken.worker_id);
      assert.equal(after.lease, 2);
      assert.deepEqual(await syncedState(store.db), expected);
      assert.deepEqual(await duplicateEmails(store.db), []);
      // It counts as one run: what it reports is what one uninterrupted run reports.
      assert.deepEqual(JSON.parse(after.counts), expectedCounts);
      assert.equal((await store.db.selectFrom('runs').select('id').execute()).length, 1, 'one run, not two');
    } finally {
      for (const w of workers) await stop(w);
      await ctx.close();
      await sandbox.close();
    }
  });
});
