/**
 * `refresh start --sandbox bamboohr,hibob`: two sources from one company, both connected, enabled
 * and synced, BambooHR ranked above HiBob. Priority decides every field without a single
 * correlation case: a phone only HiBob has is HiBob's work phone, one both have is BambooHR's. The
 * sandboxes come back on the next start for the same integrations.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createContext, type AppContext } from '../../src/app/context.ts';
import { ensureSandboxes, parseSandboxList, type StartedSandbox } from '../../src/cli/start-sandboxes.ts';
import { applyMapping } from '../../src/core/mapping.ts';
import { waitForRun } from '../../src/jobs/worker.ts';
import { createLogger } from '../../src/logger.ts';
import { providerModule } from '../../src/providers/registry.ts';
import { listEmployees, toEmployee } from '../../src/store/employees.ts';
import { listIntegrations } from '../../src/store/integrations.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import { collect } from '../helpers/connectors.ts';
import { openTestStore } from '../helpers/dialects.ts';
import { FAST_HTTP, testConfig } from '../helpers/harness.ts';

const tenantId = DEFAULT_TENANT_ID;

/** What a source says each person's phone is (its connector and default mapping), by work e-mail. */
async function phonesIn(s: StartedSandbox): Promise<Map<string, string | undefined>> {
  const module = providerModule(s.integration.provider);
  const connector = module.createConnector({ settings: { ...s.handle.connection.settings }, credentials: { ...s.handle.connectorCredentials }, http: FAST_HTTP });
  const { records } = await collect((await connector.fetchAll()).pages);
  return new Map(records.map((r) => applyMapping(r, module.descriptor.defaultMapping)).map((m) => [String(m['email']).toLowerCase(), m['phone'] as string | undefined]));
}

async function finishRuns(ctx: AppContext): Promise<void> {
  for (const run of await ctx.store.db.selectFrom('runs').select(['id', 'status']).execute()) {
    const done = await waitForRun(ctx.engine, tenantId, run.id, 300_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  }
}

describe('refresh start --sandbox bamboohr,hibob', () => {
  let ctx: AppContext;
  let started: StartedSandbox[] = [];

  before(async () => {
    ctx = await createContext(testConfig(), createLogger('silent'), { store: await openTestStore('sqlite'), worker: { pollMs: 20, schedule: false }, httpPolicy: FAST_HTTP });
    ctx.worker.start();
  });
  after(async () => {
    for (const s of started) await s.handle.close();
    await ctx.worker.stop();
    await ctx.close();
  });

  it('refuses an unknown provider, naming those it has', () => {
    assert.throws(() => parseSandboxList('bamboohr,workday'), /no sandbox for "workday" \(available: bamboohr, hibob/);
    assert.throws(() => parseSandboxList(' , '), /at least one provider/);
    assert.deepEqual(parseSandboxList('BambooHR, hibob'), ['bamboohr', 'hibob']);
  });

  it('connects and syncs both, BambooHR ranked above HiBob; a phone only HiBob has is HiBob\'s work phone; no correlation case', async () => {
    started = await ensureSandboxes(ctx, { sandbox: 'bamboohr,hibob', sandboxEmployees: 80, sandboxSeed: 5 });
    assert.deepEqual(started.map((s) => [s.integration.provider, s.integration.priority, s.integration.connection.status]), [['bamboohr', 1, 'connected'], ['hibob', 2, 'connected']]);
    assert.ok(started.every((s) => s.integration.userSync.enabled), 'both enabled');
    await finishRuns(ctx);

    const [bamboo, hibob] = started as [StartedSandbox, StartedSandbox];
    const bambooPhones = await phonesIn(bamboo);
    const hibobPhones = await phonesIn(hibob);
    const employees = (await listEmployees(ctx.store.db, tenantId, { limit: 1000 })).map(toEmployee);
    const byEmail = new Map(employees.map((e) => [String(e.fields['email']).toLowerCase(), e]));
    assert.equal(employees.length, byEmail.size, 'one employee per person, however many sources hold them');
    assert.ok([...byEmail.keys()].every((email) => bambooPhones.has(email) || hibobPhones.has(email)));
    assert.ok([...hibobPhones.keys()].some((email) => !bambooPhones.has(email) && byEmail.has(email)), 'people only HiBob has are employees too');

    let fromHibob = 0;
    let fromBamboo = 0;
    for (const [email, hibobPhone] of hibobPhones) {
      if (!bambooPhones.has(email)) continue;
      const e = byEmail.get(email);
      if (!e) continue; // out of scope (a leaver, a future starter)
      const bambooPhone = bambooPhones.get(email);
      if (bambooPhone === undefined && hibobPhone !== undefined) {
        assert.equal(e.fields['phone'], hibobPhone, `${email}: HiBob's work phone`);
        assert.equal(e.provenance['phone']?.integrationId, hibob.integration.id);
        fromHibob++;
      } else if (bambooPhone !== undefined) {
        assert.equal(e.fields['phone'], bambooPhone, `${email}: BambooHR ranks first`);
        assert.equal(e.provenance['phone']?.integrationId, bamboo.integration.id);
        fromBamboo++;
      }
    }
    assert.ok(fromHibob >= 2, `${fromHibob} people have a phone only in HiBob`);
    assert.ok(fromBamboo >= 10);
    const cases = await ctx.store.db.selectFrom('correlation_cases').select('id').execute();
    assert.equal(cases.length, 0, 'not a single correlation case');
    const record = JSON.parse(readFileSync(path.join(ctx.config.dataDir, 'sandbox.json'), 'utf8')) as { sandboxes: { provider: string }[] };
    assert.deepEqual(record.sandboxes.map((s) => s.provider), ['bamboohr', 'hibob']);
  });

  it('the next start brings both back, on the same ports, for the same integrations', async () => {
    const before = started.map((s) => [s.integration.id, s.handle.url]);
    for (const s of started) await s.handle.close();
    started = await ensureSandboxes(ctx, {});
    assert.deepEqual(started.map((s) => [s.integration.id, s.handle.url]), before);
    assert.equal((await listIntegrations(ctx.store.db, tenantId)).length, 2, 'no integration added');
    assert.ok(existsSync(path.join(ctx.config.dataDir, 'sandbox.json')));
  });
});
