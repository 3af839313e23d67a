/**
 * Property tests over random sources, ranks, arrival orders and edits (issue 3 §7). Each
 * property drives the real engine over HTTP sandboxes, so the runs are few but the inputs random.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, type Harness } from '../helpers/harness.ts';
import { startBambooSandbox, type BambooSandbox } from '../../src/providers/bamboohr/sandbox/server.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { patchEmployee } from '../../src/app/employees-service.ts';
import { applyChanges } from '../../src/sync/apply.ts';
import { unfenced } from '../../src/sync/fenced-run.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { listEmployees, toEmployee } from '../../src/store/employees.ts';
import { ensureTenant, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { buildServer } from '../../src/api/server.ts';
import { ApiError } from '../../src/app/errors.ts';
import { emptyCounts } from '../../src/core/run-states.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 4);

type Edit = { kind: 'title' | 'phone' | 'terminate' | 'department'; index: number; value: string };
const arbEdit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('title', 'phone', 'terminate', 'department'),
  index: fc.nat({ max: 11 }),
  value: fc.constantFrom('Ωmega Lead', 'Zoë’s Deputy', '山田チーム', 'Ops', '', '+44 20 7946 0000'),
});

function applyEdit(sandbox: BambooSandbox, e: Edit): void {
  const people = sandbox.roster.list().filter((p) => p.status === 'Active');
  const person = people[e.index % people.length];
  if (!person) return;
  if (e.kind === 'terminate') sandbox.roster.terminate(person.id);
  else if (e.kind === 'title') sandbox.roster.update(person.id, { jobTitle: e.value || null });
  else if (e.kind === 'phone') sandbox.roster.update(person.id, { mobilePhone: e.value || null });
  else sandbox.roster.update(person.id, { department: e.value || null });
}

async function state(h: Harness) {
  const employees = (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 10_000 })).map(toEmployee);
  const byId = new Map(employees.map((e) => [e.id, e.fields.email]));
  return employees
    .map((e) => JSON.stringify([e.fields.email, e.status, e.role, { ...e.fields, managerId: e.fields.managerId ? byId.get(e.fields.managerId) : undefined }]))
    .sort();
}

async function addSource(h: Harness, sandbox: BambooSandbox, apiKey: string, name: string) {
  const i = await createIntegrationFromRequest(h.ctx, h.tenantId, { provider: 'bamboohr', name, settings: { companyDomain: 'x', baseUrl: sandbox.url }, credentials: { apiKey } });
  await h.ctx.worker.stop();
  await patchIntegrationFromRequest(h.ctx, h.tenantId, i.id, { userSync: { enabled: true, safeguard: { maxDeactivationPercent: 100 } } });
  await h.ctx.store.db.deleteFrom('runs').where('integration_id', '=', i.id).where('status', '=', 'queued').execute();
  h.ctx.worker.start();
  return i;
}

async function syncSource(h: Harness, integrationId: string) {
  const run = await requestSync(h.ctx, h.tenantId, integrationId, { mode: 'full' });
  const done = await waitForRun(h.ctx.engine, h.tenantId, run.id);
  assert.ok(['succeeded', 'partial'].includes(done.status), JSON.stringify(done.error));
  return done;
}

for (const dialect of DIALECTS) {
  describe(`properties on ${dialect}`, () => {
    it('resolution is independent of the order sources arrive in, for any ranks and edits', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbEdit, { maxLength: 6 }), fc.array(arbEdit, { maxLength: 6 }), fc.boolean(), async (editsA, editsB, bFirstRank) => {
          const outcomes: string[][] = [];
          for (const order of [['A', 'B'], ['B', 'A']] as const) {
            const h = await openHarness(dialect, { employees: 12, seed: 31, enable: false });
            const a = await startBambooSandbox({ employees: 12, seed: 31, port: 0, apiKeys: ['a'] });
            const b = await startBambooSandbox({ employees: 12, seed: 31, port: 0, apiKeys: ['b'] });
            try {
              editsA.forEach((e) => applyEdit(a, e));
              editsB.forEach((e) => applyEdit(b, e));
              const ia = await addSource(h, a, 'a', 'A');
              const ib = await addSource(h, b, 'b', 'B');
              if (bFirstRank) await patchIntegrationFromRequest(h.ctx, h.tenantId, ib.id, { priority: 1 });
              // Create the integrations in the same order in both worlds; only arrival order differs.
              for (const name of order) await syncSource(h, name === 'A' ? ia.id : ib.id);
              // A second round lets each source see the links the other made (as production runs do).
              for (const name of order) await syncSource(h, name === 'A' ? ia.id : ib.id);
              outcomes.push(await state(h));
            } finally {
              await a.close();
              await b.close();
              await h.close();
            }
          }
          assert.deepEqual(outcomes[0], outcomes[1]);
        }),
        { numRuns: RUNS },
      );
    });

    it('applying a run twice gives the same state as applying it once', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(arbEdit, { minLength: 1, maxLength: 8 }), async (edits) => {
          const h = await openHarness(dialect, { employees: 12, seed: 37 });
          try {
            await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { safeguard: { maxDeactivationPercent: 100 } } });
            edits.forEach((e) => applyEdit(h.sandbox, e));
            const run = await h.sync('full');
            const once = await state(h);
            await h.ctx.store.db.updateTable('runs').set({ applied_through: 0 }).where('id', '=', run.id).execute();
            await applyChanges(h.ctx.engine, unfenced(h.ctx.store), run.id, h.tenantId, emptyCounts());
            assert.deepEqual(await state(h), once);
            const again = await h.sync('full');
            assert.equal(again.counts.created + again.counts.updated + again.counts.deactivated + again.counts.reactivated, 0);
            assert.deepEqual(await state(h), once);
          } finally {
            await h.close();
          }
        }),
        { numRuns: RUNS },
      );
    });

    it('a locked field never changes by a manual edit; a ReFresh-only field never changes by sync', async () => {
      const h = await openHarness(dialect, { employees: 12, seed: 41 });
      try {
        await patchIntegrationFromRequest(h.ctx, h.tenantId, h.integration.id, { userSync: { safeguard: { maxDeactivationPercent: 100 } } });
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.record({ index: fc.nat({ max: 30 }), field: fc.constantFrom('jobTitle', 'email', 'lastName', 'department', 'custom.badge', 'preferredName'), value: fc.string({ maxLength: 12 }), role: fc.constantFrom('member', 'compliance_manager', 'organization_admin') }), { maxLength: 6 }),
            fc.array(arbEdit, { maxLength: 4 }),
            async (manual, hris) => {
              const people = (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 1000 })).map(toEmployee);
              for (const m of manual) {
                const e = people[m.index % people.length]!;
                const before = toEmployee((await h.ctx.store.db.selectFrom('employees').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow()));
                try {
                  await patchEmployee(h.ctx, h.tenantId, e.id, { fields: { [m.field]: m.value }, role: m.role });
                } catch (error) {
                  assert.ok(error instanceof ApiError, String(error));
                  const fresh = toEmployee((await h.ctx.store.db.selectFrom('employees').selectAll().where('id', '=', e.id).executeTakeFirstOrThrow()));
                  assert.deepEqual(fresh.fields, before.fields, `a refused edit (${error.code}) changed nothing`);
                  if (error.code === 'field_locked') assert.ok(['jobTitle', 'email', 'lastName', 'department', 'preferredName'].includes(m.field));
                }
              }
              const roles = new Map((await listEmployees(h.ctx.store.db, h.tenantId, { limit: 1000 })).map((r) => [r.id, [r.role, r.custom_config, JSON.parse(r.fields)['custom.badge']]]));
              hris.forEach((e) => applyEdit(h.sandbox, e));
              await h.sync('incremental');
              await h.sync('full');
              for (const r of await listEmployees(h.ctx.store.db, h.tenantId, { limit: 1000 })) {
                assert.deepEqual([r.role, r.custom_config, JSON.parse(r.fields)['custom.badge']], roles.get(r.id), 'role, custom config and unmapped fields survive sync');
              }
            },
          ),
          { numRuns: RUNS },
        );
      } finally {
        await h.close();
      }
    });

    it("another tenant's key, with fuzzed list queries, reads none of five lists and gets 404 for this tenant's ids (every operation: test/api/tenant-isolation)", async () => {
      const h = await openHarness(dialect, { employees: 12, seed: 43 });
      try {
        await ensureTenant(h.ctx.store.db, 'other', 'Other Co');
        const otherKey = generateApiKey();
        const mineKey = generateApiKey();
        await registerApiKey(h.ctx.store.db, 'other', otherKey, 'other');
        await registerApiKey(h.ctx.store.db, h.tenantId, mineKey, 'mine');
        const app = await buildServer(h.ctx);
        await app.listen({ port: 0, host: '127.0.0.1' });
        const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1`;
        try {
          const mine = (await listEmployees(h.ctx.store.db, h.tenantId, { limit: 1000 })).map((r) => r.id);
          const runs = (await h.ctx.store.db.selectFrom('runs').select('id').execute()).map((r) => r.id);
          await fc.assert(
            fc.asyncProperty(
              fc.constantFrom('/employees', '/integrations', '/runs', '/audit', '/correlation-cases'),
              fc.option(fc.constantFrom('q=a', 'status=active', 'limit=1', `email=${encodeURIComponent('x@acme.example')}`), { nil: undefined }),
              fc.nat({ max: 1000 }),
              async (path, query, pick) => {
                const list = await fetch(`${base}${path}${query ? `?${query}` : ''}`, { headers: { authorization: `Bearer ${otherKey}` } });
                // A query a route does not take answers 400, which leaks nothing either.
                assert.ok(list.status === 200 || list.status === 400, `${path}: ${list.status}`);
                const body = (await list.json()) as { data?: unknown[] };
                if (list.status === 200) assert.equal(body.data!.length, 0, `${path} leaked another tenant's rows`);
                for (const [route, id] of [['/employees', mine[pick % mine.length]], ['/integrations', h.integration.id], ['/runs', runs[pick % runs.length]], ['/runs', `${runs[pick % runs.length]}/changes`], ['/employees', `${mine[pick % mine.length]}/explain`]] as const) {
                  const res = await fetch(`${base}${route}/${id}`, { headers: { authorization: `Bearer ${otherKey}` } });
                  assert.equal(res.status, 404, `${route}/${id} answered another tenant`);
                }
                const patch = await fetch(`${base}/employees/${mine[pick % mine.length]}`, { method: 'PATCH', headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'organization_admin' }) });
                assert.equal(patch.status, 404);
              },
            ),
            { numRuns: RUNS * 5 },
          );
          const own = await fetch(`${base}/employees?limit=1000`, { headers: { authorization: `Bearer ${mineKey}` } });
          assert.equal(((await own.json()) as { data: unknown[] }).data.length, mine.length);
        } finally {
          await app.close();
        }
      } finally {
        await h.close();
      }
    });
  });
}
