/**
 * Leases and fencing (issue 9 §3), in one process with injected clocks: a worker paused past its
 * lease is taken over, and every write it tries afterwards is refused. The two-process SIGSTOP
 * and kill -9 versions are in crash-processes.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import type { Store } from '../../src/store/db.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import { parseJson } from '../../src/store/ids.ts';
import { openHarness } from '../helpers/harness.ts';
import { duplicateEmails, syncedState } from '../helpers/state.ts';
import { patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { isDeadLocalWorker, newWorkerId, RunWorker, waitForRun } from '../../src/jobs/worker.ts';
import type { EngineDeps } from '../../src/sync/engine.ts';
import { FencedRun } from '../../src/sync/fenced-run.ts';
import { claimRun, holdLease, LeaseLostError, renewLease } from '../../src/store/run-lease.ts';
import { enqueueRun } from '../../src/store/runs.ts';
import { ensureTenant } from '../../src/store/tenants.ts';
import { createIntegration } from '../../src/store/integrations.ts';
import { Vault } from '../../src/auth/vault.ts';
import { randomBytes } from 'node:crypto';
import { defaultUserSync, DEFAULT_GROUP_SYNC } from '../../src/core/integration-settings.ts';

/** A promise with its resolver, to hold a worker at a point of the test's choosing. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  return { opened, open, reached, reach };
}

const T0 = new Date('2030-01-01T00:00:00.000Z');
const LATER = new Date(T0.getTime() + 3_600_000);

/** A store's one queued run (a BambooHR integration of the default tenant), claimed by worker-a at T0 for a second. */
async function claimedRun(store: Store) {
  await ensureTenant(store.db);
  const vault = new Vault([randomBytes(32)]);
  const i = await createIntegration(store.db, vault, { tenantId: 'default', provider: 'bamboohr', name: 'x', settings: {}, credentials: null, connection: { status: 'connected', detail: null }, userSync: defaultUserSync({}), groupSync: DEFAULT_GROUP_SYNC });
  await enqueueRun(store.db, { tenantId: 'default', integrationId: i.id, trigger: 'manual', mode: 'full', dryRun: false });
  return (await claimRun(store.db, store.dialect, 'worker-a', T0, 1000))!;
}

for (const dialect of DIALECTS) {
  describe(`run leases on ${dialect}`, () => {
    it('refuses a write from a worker whose lease another worker took over, and rolls it back', async () => {
      const store = await openTestStore(dialect);
      try {
        const a = await claimedRun(store);
        assert.equal(a.lease.lease, 1);
        assert.equal(await claimRun(store.db, store.dialect, 'worker-b', T0, 1000), undefined, 'a live lease is not taken');
        const b = (await claimRun(store.db, store.dialect, 'worker-b', LATER, 1000))!;
        assert.equal(b.row.id, a.row.id);
        assert.equal(b.lease.lease, 2, 'the lease number grows at each takeover');
        await assert.rejects(holdLease(store.db, a.lease, LATER), LeaseLostError);
        // A worker whose heartbeat saw the lease lost: its write rejects, it does not throw at the call.
        const aborted = new AbortController();
        aborted.abort();
        let call: Promise<unknown> | undefined;
        assert.doesNotThrow(() => (call = new FencedRun(store, a.lease, () => LATER, aborted.signal).write(async () => undefined)));
        await assert.rejects(call!, LeaseLostError);
        const stale = new FencedRun(store, a.lease, () => LATER);
        await assert.rejects(stale.write((trx) => trx.updateTable('runs').set({ progress: '"written by a stale worker"' }).where('id', '=', a.row.id).execute()), LeaseLostError);
        const row = await store.db.selectFrom('runs').selectAll().where('id', '=', a.row.id).executeTakeFirstOrThrow();
        assert.notEqual(row.progress, '"written by a stale worker"');
        assert.equal(row.worker_id, 'worker-b');
        await new FencedRun(store, b.lease, () => LATER).write((trx) => trx.updateTable('runs').set({ progress: '"by the holder"' }).where('id', '=', a.row.id).execute());
        assert.equal((await store.db.selectFrom('runs').select('progress').where('id', '=', a.row.id).executeTakeFirstOrThrow()).progress, '"by the holder"');
      } finally {
        await store.close();
      }
    });

    it('a write in flight holds off a takeover and a change of status until it commits, and on PostgreSQL not the heartbeat', async () => {
      const store = await openTestStore(dialect);
      /** Whether the promise settles within `ms`. */
      const settlesWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
      const inFlight = gate();
      const next = gate();
      try {
        const a = await claimedRun(store);
        const write = new FencedRun(store, a.lease, () => T0).write(async (trx) => {
          inFlight.reach();
          await inFlight.opened;
          await trx.updateTable('runs').set({ progress: '"written in flight"' }).where('id', '=', a.row.id).execute();
        });
        await inFlight.reached;
        const beat = renewLease(store.db, a.lease, T0);
        // SQLite has one connection: everything waits its turn there.
        if (dialect === 'postgres') assert.equal(await settlesWithin(beat, 5000), true, 'the heartbeat renews the lease while the write is in flight');
        // PostgreSQL's claim passes over a locked row (SKIP LOCKED); SQLite's waits for the write.
        const takeover = claimRun(store.db, store.dialect, 'worker-b', LATER, 1000);
        if (dialect === 'postgres') assert.equal(await takeover, undefined, 'a claim passes the run over while its write is in flight');
        else assert.equal(await settlesWithin(takeover, 300), false, 'the takeover waits for the write in flight');
        inFlight.open();
        await write;
        assert.equal(await beat, true);
        const b = (dialect === 'postgres' ? await claimRun(store.db, store.dialect, 'worker-b', LATER, 1000) : await takeover)!;
        assert.equal(b.lease.lease, 2, 'then takes the run over');
        assert.equal((await store.db.selectFrom('runs').select('progress').where('id', '=', a.row.id).executeTakeFirstOrThrow()).progress, '"written in flight"');
        await assert.rejects(new FencedRun(store, a.lease, () => LATER).write(async () => undefined), LeaseLostError);

        const held = new FencedRun(store, b.lease, () => LATER).write(async () => {
          next.reach();
          await next.opened;
        });
        await next.reached;
        const cancel = store.db.updateTable('runs').set({ status: 'cancelled' }).where('id', '=', b.row.id).execute();
        assert.equal(await settlesWithin(cancel, 300), false, 'a change of status waits for the write in flight');
        next.open();
        await held;
        await cancel;
        await assert.rejects(new FencedRun(store, b.lease, () => LATER).write(async () => undefined), LeaseLostError);
      } finally {
        // A failed assertion must not leave a transaction waiting on its gate (closing would wait for it).
        inFlight.open();
        next.open();
        await new Promise((r) => setTimeout(r, 100));
        await store.close();
      }
    });

    it("a run's writes go one at a time: a second waits for the first to commit before it reads", async () => {
      const store = await openTestStore(dialect);
      const first = gate();
      try {
        const a = await claimedRun(store);
        const run = new FencedRun(store, a.lease, () => T0);
        const note = (trx: Transaction<Database>, key: string) =>
          trx.selectFrom('runs').select('progress').where('id', '=', a.row.id).executeTakeFirstOrThrow().then((r) =>
            trx.updateTable('runs').set({ progress: JSON.stringify({ ...parseJson<Record<string, true>>(r.progress, {}), [key]: true }) }).where('id', '=', a.row.id).execute(),
          );
        const page = run.write(async (trx) => {
          first.reach();
          await first.opened;
          await note(trx, 'page');
        });
        await first.reached;
        let started = false;
        const retry = run.write(async (trx) => {
          started = true;
          await note(trx, 'retry');
        });
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(started, false, 'the second write waits for the first');
        first.open();
        await Promise.all([page, retry]);
        const progress = parseJson<Record<string, true>>((await store.db.selectFrom('runs').select('progress').where('id', '=', a.row.id).executeTakeFirstOrThrow()).progress, {});
        assert.deepEqual([progress['page'], progress['retry']], [true, true], 'neither read-and-write lost the other');
      } finally {
        first.open();
        await new Promise((r) => setTimeout(r, 100));
        await store.close();
      }
    });

    it('claims one writing run of a tenant at a time (two sources at once would each create the same person), another tenant\'s or a dry run meanwhile', async () => {
      const store = await openTestStore(dialect);
      try {
        const vault = new Vault([randomBytes(32)]);
        let queued = 0;
        const queue = async (tenantId: string, provider: 'bamboohr' | 'hibob', dryRun = false) => {
          await ensureTenant(store.db, tenantId, tenantId);
          const i = await createIntegration(store.db, vault, { tenantId, provider, name: provider, settings: {}, credentials: null, connection: { status: 'connected', detail: null }, userSync: defaultUserSync({}), groupSync: DEFAULT_GROUP_SYNC });
          const run = await enqueueRun(store.db, { tenantId, integrationId: i.id, trigger: 'manual', mode: 'full', dryRun });
          // Queued in this order (runs are claimed oldest first; the clock may not tell them apart).
          await store.db.updateTable('runs').set({ created_at: new Date(T0.getTime() - 60_000 + ++queued).toISOString() }).where('id', '=', run.id).execute();
          return run;
        };
        const first = await queue('acme', 'bamboohr');
        const second = await queue('acme', 'hibob');
        const other = await queue('globex', 'bamboohr');
        const claim = (worker: string, at = T0) => claimRun(store.db, store.dialect, worker, at, 1000);
        // Two workers at once: one takes acme's oldest run, the other skips acme's second for globex's.
        const [a, b] = await Promise.all([claim('worker-a'), claim('worker-b')]);
        assert.deepEqual([a?.row.id, b?.row.id].sort(), [first.id, other.id].sort());
        assert.equal(await claim('worker-c'), undefined, "acme's second run waits while its first runs");
        // A dry run writes no one: it goes at once.
        const dry = await queue('acme', 'bamboohr', true);
        assert.equal((await claim('worker-c'))?.row.id, dry.id);
        // Once the first is done (or its holder stopped renewing its lease), the second goes.
        assert.equal((await claim('worker-d', LATER))?.row.id, first.id, 'a lapsed lease is taken over, not waited for');
        await store.db.updateTable('runs').set({ status: 'succeeded' }).where('id', '=', first.id).execute();
        assert.equal((await claim('worker-e', LATER))?.row.id, second.id);
      } finally {
        await store.close();
      }
    });

    it('a worker paused past its lease mid-apply is fenced out; the run ends as one clean run', async () => {
      const reference = await openHarness(dialect, { employees: 2100, seed: 23 });
      const expected = await syncedState(reference.ctx.store.db);
      await reference.close();

      const h = await openHarness(dialect, { employees: 2100, seed: 23, enable: false });
      try {
        await h.ctx.worker.stop();
        const gateA = gate();
        const gateB = gate();
        let batchesA = 0;
        let batchesB = 0;
        const depsA: EngineDeps = { ...h.ctx.engine, onApplyBatch: async () => { if (batchesA++ === 0) { gateA.reach(); await gateA.opened; } } };
        const depsB: EngineDeps = { ...h.ctx.engine, onApplyBatch: async () => { if (batchesB++ === 0) { gateB.reach(); await gateB.opened; } } };
        const options = { pollMs: 20, schedule: false, leaseMs: 1000, reclaimLocalDead: false };
        const a = new RunWorker(depsA, { ...options, clock: () => T0 });
        const b = new RunWorker(depsB, { ...options, clock: () => LATER });
        await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { enabled: true } });
        const runId = (await h.ctx.store.db.selectFrom('runs').select('id').executeTakeFirstOrThrow()).id;
        a.start();
        await gateA.reached; // A applied its first batch and stalls, its lease running out on B's clock.
        b.start();
        await gateB.reached; // B took the run over and applied a batch of its own.
        const taken = await h.ctx.store.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
        assert.equal(taken.worker_id, b.id);
        assert.equal(taken.lease, 2);
        const watermark = taken.applied_through;

        gateA.open(); // A comes back and tries to apply the next batch.
        await a.stop();
        const afterA = await h.ctx.store.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
        assert.equal(afterA.applied_through, watermark, 'the stale worker applied nothing');
        assert.equal(afterA.worker_id, b.id);
        assert.equal(afterA.status, 'running');
        assert.ok(h.logs.some((l) => l.includes("lost the run's lease") && l.includes(runId)), 'the stale worker says it stopped');

        gateB.open();
        const done = await waitForRun(h.ctx.engine, h.tenantId, runId);
        await b.stop();
        assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
        assert.deepEqual(await syncedState(h.ctx.store.db), expected);
        assert.deepEqual(await duplicateEmails(h.ctx.store.db), []);
      } finally {
        await h.close();
      }
    });
  });
}

describe('embedded mode after a crash', () => {
  it('resumes at once a run its dead predecessor held, without waiting for the lease', async () => {
    const h = await openHarness('sqlite', { employees: 30, seed: 5, enable: false });
    try {
      await h.ctx.worker.stop();
      await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { enabled: true } });
      const [host] = h.ctx.worker.id.split('/');
      const exited = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
      // The previous process claimed the run for an hour, then died with it.
      const claimed = (await claimRun(h.ctx.store.db, 'sqlite', `${host}/${exited}/0badf00d/w`, new Date(), 3_600_000))!;
      h.ctx.worker.start();
      const done = await waitForRun(h.ctx.engine, h.tenantId, claimed.row.id, 60_000);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const row = await h.ctx.store.db.selectFrom('runs').select(['lease', 'worker_id']).where('id', '=', done.id).executeTakeFirstOrThrow();
      assert.equal(row.lease, 2);
      assert.equal(row.worker_id, h.ctx.worker.id);
    } finally {
      await h.close();
    }
  });
});

describe('a dead local process', () => {
  it('is told from a live one by its pid and process instance', () => {
    const self = newWorkerId();
    const sibling = newWorkerId();
    assert.equal(isDeadLocalWorker(sibling, self), false, 'another worker of this process is alive');
    const [host, pid, , worker] = self.split('/');
    assert.equal(isDeadLocalWorker(`${host}/${pid}/0000dead/${worker}`, self), true, 'an earlier process with our pid is gone');
    const exited = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    assert.equal(isDeadLocalWorker(`${host}/${exited}/abcd1234/w`, self), true, 'an exited pid is dead');
    assert.equal(isDeadLocalWorker(`another-host/${exited}/abcd1234/w`, self), false, 'another machine is not ours to judge');
    assert.equal(isDeadLocalWorker(`${host}/${process.ppid}/abcd1234/w`, self), false, 'a live pid is alive');
  });
});
