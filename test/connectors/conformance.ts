/**
 * The connector conformance kit: one battery every connector passes against its sandbox, driven
 * through the common sandbox handle (src/sandbox/handle.ts) and judged through the provider's
 * descriptor (its default mapping turns records into ReFresh fields), so it knows no provider.
 *
 * It checks, over real HTTP: paging to the end with pages shorter than asked for, an empty roster,
 * 401 (expired or revoked: reconnect) and 403 (a missing permission) told apart with the message an
 * admin needs and no credential in it, 429 with Retry-After in seconds and as an HTTP-date (the
 * waits asked for are the waits taken; an injected sleep records them, nothing waits), a 5xx on a
 * page (the fetch fails with the reason; through the engine: the run fails and nobody is
 * deactivated), a truncated body retried like a 5xx before giving up as bad data, a malformed
 * record skipped with a reason while everyone else arrives, Unicode names, leavers, leavers-to-be
 * and future starters, and changes since a watermark where the provider has them.
 *
 * Adding a provider: its module in src/providers/registry.ts is picked up by conformance.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectorOptions, RetryInfo } from '../../src/connectors/types.ts';
import type { SourceRecord } from '../../src/core/source-record.ts';
import { applyMapping } from '../../src/core/mapping.ts';
import type { ProviderModule } from '../../src/providers/module.ts';
import type { SandboxHandle, SandboxPerson } from '../../src/sandbox/handle.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest, requestSync } from '../../src/app/integrations-service.ts';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { createLogger } from '../../src/logger.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { collect, rejection, type Collected } from '../helpers/connectors.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';

const PAGE_SIZE = 3;
const DAY = 86_400_000;
const day = (offset: number): string => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

/** People every battery adds: Unicode names, a leaver, a leaver-to-be, a future starter. */
function people(tag: string): Record<string, SandboxPerson> {
  return {
    zoe: { firstName: 'Zoë', lastName: 'Ångström', email: `zoe.angstrom.${tag}@kit.example`, employeeNumber: '70001', startDate: day(-900), workPhone: '+46 8 123 45 67' },
    yamada: { firstName: '太郎', lastName: '山田', email: `taro.yamada.${tag}@kit.example`, employeeNumber: '70002', startDate: day(-800) },
    siobhan: { firstName: 'Siobhán', lastName: "O'Brien-Łukasiewicz", email: `siobhan.obrien.${tag}@kit.example`, employeeNumber: '70003', startDate: day(-700) },
    leaver: { firstName: 'Lea', lastName: 'Verlassen', email: `lea.verlassen.${tag}@kit.example`, employeeNumber: '70004', startDate: day(-600), terminationDate: day(-10) },
    leaving: { firstName: 'Leo', lastName: 'Bald-Weg', email: `leo.baldweg.${tag}@kit.example`, employeeNumber: '70005', startDate: day(-500), terminationDate: day(30) },
    starter: { firstName: 'Nova', lastName: 'Anfang', email: `nova.anfang.${tag}@kit.example`, employeeNumber: '70006', startDate: day(20) },
    ...Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [`p${i}`, { firstName: `Person${i}`, lastName: `Kit${i}`, email: `person${i}.${tag}@kit.example`, employeeNumber: String(71000 + i), startDate: day(-400 + i) }]),
    ),
  };
}


export function conformanceSuite(module: ProviderModule, label = module.descriptor.name): void {
  const d = module.descriptor;
  const mapped = (r: SourceRecord) => applyMapping(r, d.defaultMapping);
  const name = d.name;

  describe(`${label} connector conformance`, () => {
    let sb: SandboxHandle;
    const ids = new Map<string, string>();
    const waits: number[] = [];
    const retries: RetryInfo[] = [];
    const options = (): ConnectorOptions => ({
      settings: { ...sb.connection.settings },
      credentials: { ...sb.connectorCredentials },
      http: FAST_HTTP,
      sleep: async (ms) => void waits.push(ms),
      onRetry: (info) => void retries.push(info),
    });
    const connector = () => module.createConnector(options());
    const fetchAll = async () => collect((await connector().fetchAll()).pages);
    const byEmail = (c: Collected, who: string): SourceRecord | undefined => {
      const email = people('kit')[who]!.email.toLowerCase();
      return c.records.find((r) => mapped(r).email?.toLowerCase() === email);
    };
    const reset = () => {
      sb.clearFaults();
      waits.length = 0;
      retries.length = 0;
    };

    before(async () => {
      sb = await module.sandbox.start({ employees: 0, seed: 5, pageSize: PAGE_SIZE });
      for (const [key, p] of Object.entries(people('kit'))) ids.set(key, sb.addPerson(p));
    });
    after(async () => {
      await sb.close();
    });

    it('checks the connection and reads everyone to the end across short pages', async () => {
      await connector().checkConnection();
      const c = await fetchAll();
      assert.equal(c.failures.length, 0, JSON.stringify(c.failures));
      assert.equal(c.records.length, sb.count());
      assert.equal(new Set(c.records.map((r) => r.externalId)).size, c.records.length, 'each person once');
      if (sb.paged) assert.ok(sb.count() > PAGE_SIZE, 'more people than one page holds');
      for (const key of ids.keys()) assert.ok(byEmail(c, key), `${key} arrived`);
    });

    it('keeps Unicode names as written (NFC)', async () => {
      const c = await fetchAll();
      const names = (who: string) => {
        const v = mapped(byEmail(c, who)!);
        return [v.firstName, v.lastName];
      };
      assert.deepEqual(names('zoe'), ['Zoë', 'Ångström']);
      assert.deepEqual(names('yamada'), ['太郎', '山田']);
      assert.deepEqual(names('siobhan'), ['Siobhán', "O'Brien-Łukasiewicz"]);
      for (const r of c.records) for (const v of Object.values(r.attributes)) assert.equal(v, v.normalize('NFC'));
    });

    // Dates where the provider has them (its default mapping fills endDate / startDate): the
    // Google Directory API has none, and its leavers are suspended accounts.
    const maps = (field: string): boolean => Object.values(d.defaultMapping).includes(field as never);
    it('leavers are inactive with their date; leavers-to-be stay active until it; future starters carry their start', async () => {
      const c = await fetchAll();
      const leaver = byEmail(c, 'leaver')!;
      assert.equal(leaver.lifecycle.active, false);
      const leaving = byEmail(c, 'leaving')!;
      assert.equal(leaving.lifecycle.active, true, 'a future termination takes effect on its date');
      if (maps('endDate')) {
        assert.equal(leaver.lifecycle.terminationDate, people('kit')['leaver']!.terminationDate);
        assert.equal(leaving.lifecycle.terminationDate, people('kit')['leaving']!.terminationDate);
      }
      if (maps('startDate')) {
        const starter = byEmail(c, 'starter')!;
        assert.equal(starter.lifecycle.hireDate, people('kit')['starter']!.startDate);
        assert.equal(mapped(starter).startDate, people('kit')['starter']!.startDate);
      }
      assert.equal(byEmail(c, 'zoe')!.lifecycle.active, true);
    });

    it('401 is an expired or revoked credential: reconnect, with no credential in the error', async () => {
      reset();
      sb.fault({ kind: 'unauthorized' });
      try {
        const err = await rejection(fetchAll());
        assert.equal(err.code, 'auth_failed');
        assert.equal(err.status, 401);
        assert.match(err.message, new RegExp(name));
        assert.match(err.message, /reconnect/i);
        const seen = JSON.stringify({ m: err.message, j: err.toJSON(), p: err.providerMessage, u: err.url, s: err.stack });
        for (const secret of [...Object.values(sb.connection.credentials), ...Object.values(sb.connectorCredentials)]) if (secret.length >= 8) assert.ok(!seen.includes(secret), 'no credential in the error');
      } finally {
        reset();
      }
    });

    it('403 is a missing permission, told apart from 401, saying what to grant', async () => {
      sb.fault({ kind: 'forbidden' });
      try {
        const err = await rejection(fetchAll());
        assert.equal(err.code, 'missing_permission');
        assert.equal(err.status, 403);
        assert.match(err.message, new RegExp(name));
        assert.match(err.message, /permission/i);
        assert.doesNotMatch(err.message, /reconnect/i, 'reconnecting with the same credential would not help');
      } finally {
        reset();
      }
    });

    it('429 with Retry-After in seconds: waits exactly that long, then reads everyone', async () => {
      sb.fault({ kind: 'rateLimit', count: 2, retryAfterSeconds: 2 });
      try {
        const c = await fetchAll();
        assert.equal(c.records.length, sb.count());
        assert.deepEqual(retries.map((r) => [r.reason, r.status]), [['rate_limited', 429], ['rate_limited', 429]]);
        assert.deepEqual(waits, [2000, 2000]);
      } finally {
        reset();
      }
    });

    it('429 with Retry-After as an HTTP-date: waits until that date', async () => {
      sb.fault({ kind: 'rateLimit', count: 1, retryAfterSeconds: 3, asDate: true });
      try {
        const c = await fetchAll();
        assert.equal(c.records.length, sb.count());
        assert.equal(waits.length, 1);
        // An HTTP-date has whole seconds, measured against the answer's own Date header.
        assert.ok(waits[0]! >= 2000 && waits[0]! <= 4000, `waited ${waits[0]} ms`);
      } finally {
        reset();
      }
    });

    it('a 5xx on a later page fails the whole fetch with the reason (never a partial roster)', async () => {
      sb.fault({ kind: 'failPage', page: sb.paged ? 2 : 1, status: 503, times: 99 });
      try {
        const err = await rejection(fetchAll());
        assert.equal(err.code, 'provider_unavailable');
        assert.match(err.message, new RegExp(`${name} is unavailable`));
      } finally {
        reset();
      }
      // Once is a hiccup: retried, and everyone arrives.
      sb.fault({ kind: 'failPage', page: sb.paged ? 2 : 1, status: 502, times: 1 });
      assert.equal((await fetchAll()).records.length, sb.count());
      reset();
    });

    it('a truncated body is retried like a 5xx, and is bad data only when it never comes whole', async () => {
      sb.fault({ kind: 'failPage', page: sb.paged ? 2 : 1, truncated: true, times: 1 });
      try {
        assert.equal((await fetchAll()).records.length, sb.count());
        assert.ok(retries.some((r) => r.reason === 'bad_body'), 'retried');
      } finally {
        reset();
      }
      sb.fault({ kind: 'failPage', page: sb.paged ? 2 : 1, truncated: true, times: 99 });
      try {
        const err = await rejection(fetchAll());
        assert.equal(err.code, 'bad_data');
        assert.match(err.message, new RegExp(`${name} sent data the sync could not read`));
      } finally {
        reset();
      }
    });

    it('a malformed record is skipped with a reason while everyone else arrives', async () => {
      sb.fault({ kind: 'malformedRecord' });
      try {
        const c = await fetchAll();
        assert.equal(c.records.length, sb.count(), 'the rest all synced');
        assert.equal(c.failures.length, 1);
        assert.ok(c.failures[0]!.reason.length > 5, 'with a reason');
      } finally {
        reset();
      }
    });

    it(d.capabilities.incremental === 'none' ? 'incremental runs read everyone (the provider has no changed-since)' : 'changes since a watermark: additions, updates, terminations and deletions', async () => {
      const c = connector();
      const full = await c.fetchAll();
      await collect(full.pages);
      const added = sb.addPerson({ firstName: 'Neu', lastName: 'Zugang', email: 'neu.zugang.kit@kit.example', employeeNumber: '79001', startDate: day(-1) });
      sb.updatePerson(ids.get('p1')!, { lastName: 'Umbenannt' });
      sb.terminate(ids.get('p2')!, day(-1));
      sb.removePerson(ids.get('p3')!);
      const changes = await c.fetchChanges(full.watermark ?? new Date(Date.now() - DAY).toISOString());
      const got = await collect(changes.pages);
      const byId = new Map(got.records.map((r) => [r.externalId, r]));
      assert.ok(byId.has(added), 'the addition');
      assert.equal(mapped(byId.get(ids.get('p1')!)!).lastName, 'Umbenannt');
      assert.equal(byId.get(ids.get('p2')!)!.lifecycle.active, false);
      if (d.capabilities.incremental === 'none') {
        assert.equal(got.records.length, sb.count(), 'everyone');
        assert.equal(byId.has(ids.get('p3')!), false, 'the deleted person is simply absent');
      } else {
        assert.ok(changes.deletedIds.includes(ids.get('p3')!) || !byId.has(ids.get('p3')!), 'the deletion is reported or absent');
        assert.ok(got.records.length < sb.count(), 'only what changed');
      }
    });

    it('an empty roster is an empty, complete fetch', async () => {
      const empty = await module.sandbox.start({ employees: 0, seed: 1, pageSize: PAGE_SIZE });
      try {
        const c = await collect((await module.createConnector({ settings: { ...empty.connection.settings }, credentials: { ...empty.connectorCredentials }, http: FAST_HTTP }).fetchAll()).pages);
        // Empty but for the accounts a provider cannot be without (Google: the admin the service account acts as).
        assert.deepEqual([c.records.length, c.failures.length], [empty.count(), 0]);
        assert.ok(empty.count() <= 3, `an empty roster holds at most the provider's own accounts (${empty.count()})`);
      } finally {
        await empty.close();
      }
    });
  });

  for (const dialect of DIALECTS) {
    describe(`${label} through the engine on ${dialect}`, () => {
      let sb: SandboxHandle;
      let ctx: AppContext;
      before(async () => {
        sb = await module.sandbox.start({ employees: 0, seed: 9, pageSize: PAGE_SIZE });
        for (const p of Object.values(people(dialect))) sb.addPerson(p);
        ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore(dialect), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
        ctx.worker.start();
      });
      after(async () => {
        await ctx.close();
        await sb.close();
      });

      it('a 5xx on a page fails the run with the reason and deactivates nobody', async () => {
        const tenantId = DEFAULT_TENANT_ID;
        const created = await createIntegrationFromRequest(ctx, tenantId, { provider: d.id, settings: { ...sb.connection.settings }, credentials: { ...sb.connection.credentials } });
        assert.equal(created.connection.status, 'connected', created.connection.detail ?? '');
        await patchIntegrationFromRequest(ctx, tenantId, created.id, { userSync: { enabled: true } });
        const first = await ctx.store.db.selectFrom('runs').select('id').where('integration_id', '=', created.id).executeTakeFirstOrThrow();
        const ok = await waitForRun(ctx.engine, tenantId, first.id);
        assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
        const active = async () => Number((await ctx.store.db.selectFrom('employees').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('status', '=', 'active').executeTakeFirstOrThrow()).n);
        const before = await active();
        assert.ok(before >= 8, `people synced (${before})`);

        sb.fault({ kind: 'failPage', page: sb.paged ? 2 : 1, status: 503, times: 99 });
        const failed = await waitForRun(ctx.engine, tenantId, (await requestSync(ctx, tenantId, created.id, { mode: 'full' })).id);
        sb.clearFaults();
        assert.equal(failed.status, 'failed');
        assert.equal(failed.error?.code, 'provider_unavailable');
        assert.match(failed.error?.message ?? '', new RegExp(name));
        assert.equal(failed.counts.deactivated, 0);
        assert.equal(await active(), before, 'nobody deactivated');
      });
    });
  }
}
