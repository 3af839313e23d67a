import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DIALECTS } from '../helpers/dialects.ts';
import { apiCaller, openHarness, serveApi, type ApiCall, type Harness } from '../helpers/harness.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { readCredentials } from '../../src/store/integrations.ts';
import { LeaseLostError } from '../../src/store/run-lease.ts';
import { RUN_TRANSITIONS, type RunStatus } from '../../src/core/run-states.ts';
import { startHibobSandbox, type HibobSandbox } from '../../src/providers/hibob/sandbox/index.ts';
import type { CrashPoint } from '../../src/sync/engine.ts';

/**
 * Issue 9 point 8: model-based tests (fast-check `commands`). A small model of two integrations,
 * their runs and their employees is driven beside the real system — the BambooHR and HiBob
 * sandboxes over HTTP, the API over HTTP, the real worker and store — by random sequences of
 * full, incremental and dry runs, approvals, rejections, crashes at a random point of a run
 * (while fetching, while staging, mid-apply before a batch commits, after a batch, in the group
 * step) followed by a restart (the lease runs out and a worker takes the run over), disconnects,
 * reconnects, priority swaps, HRIS changes and admin edits. BambooHR syncs everyone (with Group
 * Sync by division); HiBob holds a few of the same people under other job titles, so which
 * source ranks first decides their title, and a swap re-resolves them at once. After every
 * command the real people equal the model, every run's status moved only along the transition
 * table, and no dry run deactivated anyone (the model says a dry run changes nobody, so any
 * deactivation by one fails the comparison).
 *
 * MODEL_RUNS sets the number of sequences per dialect (default short for CI); a failure prints
 * the seed and the shrunk command list (fast-check's report) to replay with MODEL_SEED.
 */

const RUNS = Number(process.env.MODEL_RUNS ?? 6);
const SEED = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined;

type Status = 'active' | 'inactive';

interface Model {
  /** ReFresh's people by work e-mail: status, and what admins set (ReFresh-only role, an admin-owned field). */
  people: Map<string, { status: Status; role: string; note: string | null }>;
  /**
   * A run held by the safeguard: what approving it applies, whether an admin edited one of its
   * people since (which makes it stale for good), and the ranks it was planned under.
   */
  held: { runId: string; projection: Map<string, Status>; plan: Set<string>; edited: boolean; hibobFirst: boolean } | null;
  connected: boolean;
  /** HiBob ranks above BambooHR: its job title wins for the people both hold. */
  hibobFirst: boolean;
}

/** Where a crash command stops a run: an engine crash point, or just after an applied batch commits. */
type Crash = CrashPoint | 'after-batch';
const CRASHES: Crash[] = ['fetch', 'stage', 'apply', 'after-batch', 'groups'];
/** How many runs crashed at each point and were finished by a takeover (reported by the test). */
const crashesTaken = new Map<Crash, number>(CRASHES.map((c) => [c, 0]));

interface Real {
  h: Harness;
  api: ApiCall;
  /** Every run's statuses as observed, to check each move follows the transition table. */
  seen: Map<string, RunStatus>;
  /** Where the next run crashes (once). */
  crashNext: Crash | null;
  /** The run whose worker "crashed". */
  crashed: string | null;
  hires: number;
  credentials: Record<string, string>;
  hibob: HibobSandbox;
  hibobId: string;
  /** The people both sources hold, by work e-mail: each source's job title. */
  shared: Map<string, { bamboo: string; hibob: string }>;
}

const REACHABLE = (() => {
  const out = new Map<RunStatus, Set<RunStatus>>();
  for (const from of Object.keys(RUN_TRANSITIONS) as RunStatus[]) {
    const seen = new Set<RunStatus>([from]);
    const stack = [from];
    while (stack.length > 0) {
      for (const next of RUN_TRANSITIONS[stack.pop()!]) {
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(next);
      }
    }
    out.set(from, seen);
  }
  return out;
})();

/** What a complete sync would make of the people: the HRIS's statuses (nobody new who is not active). */
function projection(r: Real, m: Model): Map<string, Status> {
  const out = new Map<string, Status>();
  for (const [email, p] of m.people) out.set(email, p.status);
  for (const p of r.h.sandbox.roster.list()) {
    if (!p.workEmail) continue;
    const email = p.workEmail.toLowerCase();
    const status: Status = p.status === 'Active' ? 'active' : 'inactive';
    if (out.has(email) || status === 'active') out.set(email, status);
  }
  return out;
}

/** The safeguard's default: more than 20 % of at least 10 active people. */
function wouldHold(m: Model, next: Map<string, Status>): boolean {
  const active = [...m.people.values()].filter((p) => p.status === 'active').length;
  const deactivations = [...m.people].filter(([e, p]) => p.status === 'active' && next.get(e) === 'inactive').length;
  return active >= 10 && deactivations > Math.floor((active * 20) / 100);
}

function applyProjection(m: Model, next: Map<string, Status>): void {
  for (const [email, status] of next) {
    const p = m.people.get(email);
    if (p) p.status = status;
    else m.people.set(email, { status, role: 'member', note: null });
  }
}

async function check(m: Model, r: Real): Promise<void> {
  const rows = await r.h.ctx.store.db.selectFrom('employees').select(['status', 'role', 'fields']).execute();
  const real = new Map(rows.map((row) => {
    const f = JSON.parse(row.fields) as Record<string, string>;
    return [f.email!, { status: row.status, role: row.role, note: f['custom.note'] ?? null }] as const;
  }));
  assert.deepEqual(new Map([...real].sort()), new Map([...m.people].map(([e, p]) => [e, { ...p }] as const).sort()), 'the people equal the model');
  const titles = new Map(rows.map((row) => { const f = JSON.parse(row.fields) as Record<string, string>; return [f.email!, f.jobTitle ?? null] as const; }));
  for (const [email, t] of r.shared) assert.equal(titles.get(email), m.hibobFirst ? t.hibob : t.bamboo, `${email}'s job title comes from the source ranked first`);
  const runs = await r.h.ctx.store.db.selectFrom('runs').select(['id', 'status', 'dry_run']).execute();
  for (const run of runs) {
    const status = run.status as RunStatus;
    const before = r.seen.get(run.id);
    if (before) assert.ok(REACHABLE.get(before)!.has(status), `run ${run.id} moved ${before} → ${status}, which the transition table does not allow`);
    if (run.dry_run === 1) assert.notEqual(status, 'blocked', 'a dry run is never held');
    assert.ok(status !== 'queued' && status !== 'running', `run ${run.id} is still ${status} after its command`);
    r.seen.set(run.id, status);
  }
}

/** Asks for a sync as the API would and, when one starts, waits for it and predicts its outcome. */
async function sync(m: Model, r: Real, mode: 'full' | 'incremental', dryRun: boolean): Promise<void> {
  const res = await r.api('POST', `/integrations/${r.h.integration.id}/sync`, { mode, dryRun });
  if (!m.connected) return assert.equal(res.status, 409);
  if (m.held && !dryRun) {
    assert.equal(res.status, 409);
    return assert.equal(res.body.error.code, 'run_blocked');
  }
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await settle(m, r, res.body.runId, dryRun);
}

async function settle(m: Model, r: Real, runId: string, dryRun: boolean): Promise<void> {
  const next = projection(r, m);
  const hold = wouldHold(m, next);
  if (r.crashNext && !dryRun) {
    // The worker "dies" at the crash point (it stops without another write, a transaction it had
    // open rolls back, the run stays running): once its lease has run out, a worker takes the run
    // over and finishes it. A run that never reaches the point (nothing to apply, held) just ends.
    for (;;) {
      const row = await r.h.ctx.store.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
      if (r.crashed === runId || (row.status !== 'queued' && row.status !== 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    r.crashNext = null;
    if (r.crashed === runId) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await r.h.ctx.store.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow()).status, 'running');
      await r.h.ctx.store.db.updateTable('runs').set({ lease_until: '2000-01-01T00:00:00.000Z' }).where('id', '=', runId).execute();
      r.h.ctx.worker.wake();
    }
  }
  r.crashNext = null;
  const run = await waitForRun(r.h.ctx.engine, r.h.tenantId, runId);
  if (dryRun) {
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.dryRun, true);
    assert.equal(run.safeguard?.wouldHold, hold);
    return;
  }
  if (hold) {
    assert.equal(run.status, 'blocked', JSON.stringify(run));
    const plan = new Set([...next].filter(([e, s]) => m.people.get(e) && m.people.get(e)!.status !== s).map(([e]) => e));
    m.held = { runId, projection: next, plan, edited: false, hibobFirst: m.hibobFirst };
    return;
  }
  assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
  applyProjection(m, next);
}

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, canRun: (m: Readonly<Model>) => boolean, go: (m: Model, r: Real) => Promise<void>): Cmd => ({
  check: canRun,
  run: async (m, r) => {
    await go(m, r);
    await check(m, r);
  },
  toString: () => name,
});

function commands() {
  const always = () => true;
  const crash = fc.tuple(fc.constantFrom(...CRASHES), fc.constantFrom('full', 'incremental')).map(([point, mode]) =>
    cmd(`crash at ${point}, then restart (${mode})`, (m) => m.connected && !m.held, async (m, r) => {
      r.crashNext = point;
      await sync(m, r, mode as 'full', false);
    }),
  );
  return [
    fc.constantFrom('full', 'incremental').map((mode) => cmd(`sync ${mode}`, always, (m, r) => sync(m, r, mode as 'full', false))),
    fc.constantFrom('full', 'incremental').map((mode) => cmd(`dry run ${mode}`, always, (m, r) => sync(m, r, mode as 'full', true))),
    // Twice in the list: a crash only bites a run that reaches its point, so it is drawn more often.
    crash,
    crash,
    fc.integer({ min: 1, max: 6 }).map((n) =>
      cmd(`HRIS terminates ${n}`, always, async (_m, r) => {
        // The people HiBob holds too stay: their status would be HiBob's whenever it ranks first.
        for (const p of r.h.sandbox.roster.list().filter((x) => x.status === 'Active' && x.workEmail && !r.shared.has(x.workEmail.toLowerCase())).slice(0, n)) r.h.sandbox.roster.terminate(p.id);
      }),
    ),
    fc.constant(
      // Only while BambooHR owns its people: the swap re-resolves the shared people from both sources at once.
      cmd('priority swap', (m) => m.connected, async (m, r) => {
        const lower = m.hibobFirst ? r.h.integration.id : r.hibobId;
        const res = await r.api('PATCH', `/integrations/${lower}`, { priority: 1 });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        m.hibobFirst = !m.hibobFirst;
      }),
    ),
    fc.nat().map((i) =>
      cmd(`HRIS rehires #${i}`, always, async (_m, r) => {
        const gone = r.h.sandbox.roster.list().filter((x) => x.status !== 'Active' && x.workEmail);
        if (gone.length > 0) r.h.sandbox.roster.rehire(gone[i % gone.length]!.id, '2023-03-03');
      }),
    ),
    fc.constant(
      cmd('HRIS hires someone', always, async (_m, r) => {
        r.hires += 1;
        r.h.sandbox.roster.add({ firstName: 'New', lastName: `Hire${r.hires}`, workEmail: `new.hire${r.hires}@acme.example`, hireDate: '2024-01-01', status: 'Active' });
      }),
    ),
    fc.constant(
      cmd('approve', always, async (m, r) => {
        if (!m.held) {
          const any = [...r.seen.keys()].pop();
          if (any) assert.equal((await r.api('POST', `/runs/${any}/approve`)).status, 409);
          return;
        }
        const held = m.held;
        m.held = null;
        const res = await r.api('POST', `/runs/${held.runId}/approve`);
        // Stale when one of its people was edited, or the settings it was planned under differ
        // now: the ranks swapped (an even number of swaps restores them), or BambooHR is
        // disconnected (it no longer owns its people; reconnected and enabled, it does again).
        if (held.edited || held.hibobFirst !== m.hibobFirst || !m.connected) {
          assert.equal(res.status, 409, JSON.stringify(res.body));
          return assert.equal(res.body.error.code, 'plan_stale');
        }
        assert.equal(res.status, 202, JSON.stringify(res.body));
        assert.equal((await waitForRun(r.h.ctx.engine, r.h.tenantId, held.runId)).status, 'succeeded');
        applyProjection(m, held.projection);
      }),
    ),
    fc.constant(
      cmd('reject', (m) => m.held !== null, async (m, r) => {
        const res = await r.api('POST', `/runs/${m.held!.runId}/reject`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        m.held = null;
      }),
    ),
    fc.constant(
      cmd('disconnect', (m) => m.connected, async (m, r) => {
        assert.equal((await r.api('POST', `/integrations/${r.h.integration.id}/disconnect`)).status, 200);
        m.connected = false;
      }),
    ),
    fc.constant(
      cmd('reconnect and enable', (m) => !m.connected, async (m, r) => {
        const res = await r.api('POST', `/integrations/${r.h.integration.id}/connect`, { credentials: r.credentials });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        m.connected = true;
        assert.equal((await r.api('PATCH', `/integrations/${r.h.integration.id}`, { userSync: { enabled: true }, groupSync: { enabled: true } })).status, 200);
        // Reconnecting (and enabling) starts a sync at once unless a held run waits for a decision.
        const active = await r.h.ctx.store.db.selectFrom('runs').select('id').where('status', 'in', ['queued', 'running']).where('dry_run', '=', 0).where('integration_id', '=', r.h.integration.id).executeTakeFirst();
        if (m.held) assert.equal(active, undefined);
        else if (active) await settle(m, r, active.id, false);
      }),
    ),
    fc.tuple(fc.nat(), fc.constantFrom('role', 'field')).map(([i, kind]) =>
      cmd(`admin edits ${kind} of #${i}`, (m) => m.people.size > 0, async (m, r) => {
        const emails = [...m.people.keys()].sort();
        const email = emails[i % emails.length]!;
        const { body } = await r.api('GET', `/employees?email=${encodeURIComponent(email)}`);
        const id = body.data[0].id as string;
        const p = m.people.get(email)!;
        if (kind === 'role') {
          p.role = p.role === 'member' ? 'compliance_manager' : 'member';
          assert.equal((await r.api('PATCH', `/employees/${id}`, { role: p.role })).status, 200);
        } else {
          p.note = `note ${i}`;
          assert.equal((await r.api('PATCH', `/employees/${id}`, { fields: { 'custom.note': p.note } })).status, 200);
          // A field of a person the held plan changes: the plan no longer holds.
          if (m.held?.plan.has(email)) m.held.edited = true;
        }
      }),
    ),
  ];
}

for (const dialect of DIALECTS) {
  describe(`the sync engine against a model on ${dialect}`, () => {
    it(`equals the model after every command (${RUNS} random sequences; MODEL_RUNS for more)`, async (t) => {
      for (const c of CRASHES) crashesTaken.set(c, 0);
      await fc.assert(
        fc.asyncProperty(fc.commands(commands(), { maxCommands: 12 }), async (cmds) => {
          const h = await openHarness(dialect, { employees: 14, seed: 3 });
          const served = await serveApi(h);
          const api = apiCaller(served);
          // HiBob holds three of BambooHR's people (same e-mail and employee number) under other titles.
          const both = h.sandbox.roster.list().filter((p) => p.status === 'Active' && p.workEmail && p.jobTitle && Number(p.employeeNumber) > 0).slice(0, 3);
          const shared = new Map(both.map((p, i) => [p.workEmail!.toLowerCase(), { bamboo: p.jobTitle!, hibob: `HiBob title ${i + 1}` }] as const));
          const hibob = await startHibobSandbox({
            port: 0,
            credentials: [{ serviceUserId: 'svc', token: 'tok' }],
            people: both.map((p, i) => ({ email: p.workEmail!, firstName: p.firstName, surname: p.lastName, title: `HiBob title ${i + 1}`, employeeIdInCompany: Number(p.employeeNumber), startDate: '2020-01-06', status: 'Active', lifecycleStatus: 'employed' })),
          });
          try {
            const credentials = (await readCredentials(h.ctx.store.db, h.ctx.vault, h.tenantId, h.integration.id))!;
            const settleLatest = async (integrationId: string) => {
              const latest = await h.ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', integrationId).orderBy('id', 'desc').executeTakeFirstOrThrow();
              const run = await waitForRun(h.ctx.engine, h.tenantId, latest.id);
              assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
            };
            assert.equal((await api('PATCH', `/integrations/${h.integration.id}`, { groupSync: { enabled: true, mapping: [{ attribute: 'division', type: 'Division' }] } })).status, 200);
            await settleLatest(h.integration.id);
            const made = await api('POST', '/integrations', { provider: 'hibob', settings: { baseUrl: hibob.url }, credentials: { serviceUserId: 'svc', token: 'tok' } });
            assert.equal(made.status, 201, JSON.stringify(made.body));
            assert.equal((await api('PATCH', `/integrations/${made.body.id}`, { userSync: { enabled: true } })).status, 200);
            await settleLatest(made.body.id);
            const real: Real = { h, api, seen: new Map(), crashNext: null, crashed: null, hires: 0, credentials, hibob, hibobId: made.body.id, shared };
            const crash = (point: Crash, runId: string) => {
              if (real.crashNext !== point || real.crashed === runId) return;
              real.crashed = runId;
              crashesTaken.set(point, crashesTaken.get(point)! + 1);
              throw new LeaseLostError(runId, `crashed worker (${point})`, 0);
            };
            const engine = h.ctx.engine as { onApplyBatch?: (runId: string) => void; crashAt?: (point: CrashPoint, runId: string) => void };
            engine.onApplyBatch = (runId) => crash('after-batch', runId);
            engine.crashAt = (point, runId) => crash(point, runId);
            const model: Model = { people: new Map(), held: null, connected: true, hibobFirst: false };
            applyProjection(model, projection(real, model));
            for (const run of await h.ctx.store.db.selectFrom('runs').select(['id', 'status']).execute()) real.seen.set(run.id, run.status as RunStatus);
            await check(model, real);
            await fc.asyncModelRun(() => ({ model, real }), cmds);
          } finally {
            await hibob.close();
            await served.app.close();
            await h.close();
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), verbose: 1, endOnFailure: true },
      );
      t.diagnostic(`runs crashed and taken over, by point: ${[...crashesTaken].map(([c, n]) => `${c} ${n}`).join(', ')}`);
    });
  });
}
