/**
 * Tenant isolation, walked over every operation the OpenAPI document lists (so a new route is
 * covered the day it is added): another tenant's admin key, given this tenant's real ids, gets 404
 * on every operation that takes an id — reads and writes alike, with a body that passes
 * validation so a 400 cannot hide a leak — and its lists show none of this tenant's rows.
 * Afterwards this tenant's data is exactly as it was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OpenAPIV3_1 } from 'openapi-types';
import { openHarness, serveApi, apiCaller } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { ensureTenant, generateApiKey, registerApiKey } from '../../src/store/tenants.ts';
import { upsertCorrelationCases } from '../../src/store/correlation-cases.ts';
import { newId } from '../../src/store/ids.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * A body each write accepts when the id is one's own, so the other tenant's call reaches the
 * tenant check rather than stopping at validation. An operation missing here fails the test.
 */
const VALID_BODIES: Record<string, unknown> = {
  'PATCH /integrations/{id}': { name: 'Taken over' },
  'POST /integrations/{id}/user-sync/preview': { scope: { groups: [] } },
  'POST /integrations/{id}/sync': { mode: 'full', dryRun: false },
  'POST /integrations/{id}/connect': { credentials: { apiKey: 'someone-elses-key' } },
  'POST /integrations/{id}/disconnect': {},
  'POST /integrations/{id}/group-sync/preview': {},
  'POST /integrations/{id}/group-sync/directory-preview': { directoryGroups: 'all' },
  'POST /runs/{id}/approve': {},
  'POST /runs/{id}/reject': {},
  'PATCH /employees/{id}': { role: 'organization_admin' },
  'PATCH /groups/{id}': { name: 'Taken over' },
  'POST /groups/{id}/members': { employeeId: '$employee' },
  'DELETE /groups/{id}/members': undefined,
  'POST /correlation-cases/{id}/resolve': { action: 'create' },
};

/** Operations that take an id but are not tenant data, or are reached without an admin key. */
const NOT_TENANT_DATA = new Set([
  'GET /providers/{id}', // the public provider catalogue
  'GET /oauth/callback/{provider}', // the browser's OAuth return; guarded by its state
  'POST /integrations/{id}/webhook', // signed by the provider, not called with an API key
  'POST /webhooks/bamboohr/{integrationId}',
]);

for (const dialect of DIALECTS) {
  describe(`tenant isolation over every operation of the API (${dialect})`, () => {
    it("another tenant's key gets 404 for this tenant's ids on every operation, sees none of its rows, and changes nothing", async () => {
      const h = await openHarness(dialect, { employees: 8, seed: 11 });
      const api = await serveApi(h);
      try {
        const mine = apiCaller(api);
        const doc = (await (await fetch(`${api.base}/api/v1/openapi.json`)).json()) as OpenAPIV3_1.Document;

        // This tenant's real ids, one of each kind.
        const employees = (await mine('GET', '/employees?limit=10')).body.data as { id: string }[];
        const employeeId = employees[0]!.id;
        const runId = ((await mine('GET', '/runs')).body.data as { id: string }[])[0]!.id;
        const group = await mine('POST', '/groups', { name: 'Ours', type: 'Team' });
        assert.equal(group.status, 201, JSON.stringify(group.body));
        const groupId = group.body.id as string;
        assert.equal((await mine('POST', `/groups/${groupId}/members`, { employeeId })).status < 300, true);
        const caseId = newId();
        await upsertCorrelationCases(h.ctx.store.db, [
          { id: caseId, tenant_id: h.tenantId, integration_id: h.integration.id, external_id: 'x-1', display_name: 'Ana Ortiz', email: 'ana@acme.example', reason: 'two candidates', candidates: JSON.stringify([employeeId]), status: 'open', resolution: null, run_id: runId, created_at: new Date().toISOString(), resolved_at: null },
        ]);
        const keyId = ((await mine('GET', '/api-keys')).body.data as { id: string }[])[0]!.id;
        const ids: Record<string, string> = { integrations: h.integration.id, runs: runId, employees: employeeId, groups: groupId, 'correlation-cases': caseId, 'api-keys': keyId };
        const before = await snapshot(mine, ids);

        await ensureTenant(h.ctx.store.db, 'other-co', 'Other Co');
        const otherKey = generateApiKey();
        await registerApiKey(h.ctx.store.db, 'other-co', otherKey, 'other');
        const theirs = apiCaller({ base: api.base, key: otherKey });

        const operations = Object.entries(doc.paths ?? {}).flatMap(([p, item]) => METHODS.filter((m) => item?.[m]).map((m) => ({ method: m.toUpperCase(), path: p.replace(/^\/api\/v1/, '') })));
        const withIds = operations.filter((o) => o.path.includes('{') && !NOT_TENANT_DATA.has(`${o.method} ${o.path}`));
        assert.ok(withIds.length >= 20, `only ${withIds.length} operations take an id`);
        const uncovered = withIds.filter((o) => o.method !== 'GET' && o.method !== 'DELETE' && !(`${o.method} ${o.path}` in VALID_BODIES));
        assert.deepEqual(uncovered, [], 'every write that takes an id has a valid body here');

        for (const { method, path } of withIds) {
          const resource = path.split('/')[1]!;
          const concrete = path.replace('{id}', ids[resource]!).replace('{employeeId}', employeeId).replace('{integrationId}', h.integration.id);
          assert.ok(!concrete.includes('{'), `no id for ${path}`);
          const raw = VALID_BODIES[`${method} ${path}`];
          const body = raw === undefined ? undefined : JSON.parse(JSON.stringify(raw).replace('$employee', employeeId));
          const query = path.endsWith('/members') && method === 'DELETE' ? `?employeeId=${employeeId}` : '';
          const res = await theirs(method, `${concrete}${query}`, body);
          assert.equal(res.status, 404, `${method} ${path} with this tenant's id answered ${res.status} to another tenant: ${JSON.stringify(res.body)}`);
        }

        // Tenant lists only: not health, metrics, sign-in or the public provider catalogue.
        const lists = operations.filter((o) => o.method === 'GET' && !o.path.includes('{') && !/^\/(health|metrics|auth|providers|openapi)/.test(o.path));
        assert.ok(lists.length >= 8, `only ${lists.length} lists`);
        for (const { path } of lists) {
          const res = await theirs('GET', path);
          assert.equal(res.status, 200, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
          const text = JSON.stringify(res.body);
          for (const [kind, id] of Object.entries(ids)) {
            if (kind === 'api-keys' && path === '/api-keys') continue; // checked below: their own key only
            assert.equal(text.includes(id), false, `${path} shows this tenant's ${kind} ${id}`);
          }
        }
        const theirKeys = (await theirs('GET', '/api-keys')).body.data as { id: string }[];
        assert.deepEqual(theirKeys.map((k) => k.id).includes(keyId), false);

        assert.deepEqual(await snapshot(mine, ids), before, "this tenant's data is unchanged");
      } finally {
        await api.app.close();
        await h.close();
      }
    });
  });
}

/** What another tenant's writes could have changed, read through this tenant's own key. */
async function snapshot(call: ReturnType<typeof apiCaller>, ids: Record<string, string>): Promise<unknown> {
  const read = async (path: string) => {
    const res = await call('GET', path);
    return res.body;
  };
  const integration = (await read(`/integrations/${ids.integrations}`)) as Record<string, unknown>;
  const employee = (await read(`/employees/${ids.employees}`)) as Record<string, unknown>;
  const runs = (await read('/runs')) as { data: { id: string; status: string }[] };
  return {
    integration: { name: integration.name, connection: integration.connection, settings: integration.settings, priority: integration.priority },
    employee: { role: employee.role, status: employee.status },
    runs: runs.data.map((r) => [r.id, r.status]),
    group: await read(`/groups/${ids.groups}`),
    members: await read(`/groups/${ids.groups}/members`),
    correlationCase: await read(`/correlation-cases/${ids['correlation-cases']}`),
    apiKeys: ((await read('/api-keys')) as { data: { id: string }[] }).data.map((k) => k.id),
  };
}
