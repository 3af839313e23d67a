import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Vault } from '../../src/auth/vault.ts';
import { defaultUserSync, DEFAULT_GROUP_SYNC } from '../../src/core/integration-settings.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import { createIntegration } from '../../src/store/integrations.ts';
import { dueReviews, dueReviewsQuery, linksByExternalIds, linksByExternalIdsQuery } from '../../src/store/links.ts';
import { CompiledQuery } from 'kysely';
import { ensureTenant } from '../../src/store/tenants.ts';
import type { Store } from '../../src/store/db.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';

const now = '2026-12-03T00:00:00.000Z';

async function integrationOf(store: Store, tenantId: string): Promise<string> {
  await ensureTenant(store.db, tenantId, tenantId);
  const integration = await createIntegration(store.db, new Vault([randomBytes(32)]), {
    tenantId, provider: 'bamboohr', name: 'BambooHR', settings: { companyDomain: tenantId }, credentials: { apiKey: 'k' },
    connection: { status: 'connected', detail: null }, userSync: defaultUserSync(DESCRIPTORS.bamboohr.defaultMapping), groupSync: DEFAULT_GROUP_SYNC,
  });
  return integration.id;
}

/** `count` links; every third one due for review (2026-01-01), every third later (2027-01-01). */
async function addLinks(store: Store, tenantId: string, integrationId: string, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, n) => ({
    tenant_id: tenantId, integration_id: integrationId, external_id: String(n + 1), employee_id: null, record_hash: `${integrationId}:${n + 1}`, field_values: '{}', lifecycle: '{}',
    source_status: null, status_reason: 'not linked', in_scope: 1, scope_reason: 'everyone', review_on: [null, '2026-01-01', '2027-01-01'][n % 3]!, present: 1, last_run_id: null, last_seen_at: now, created_at: now,
  }));
  for (let i = 0; i < rows.length; i += 200) await store.db.insertInto('employee_links').values(rows.slice(i, i + 200)).execute();
}

/** A query's plan as the store's own EXPLAIN prints it (SQLite: EXPLAIN QUERY PLAN), a line a step, naming the indexes it reads. */
async function queryPlan(store: Store, query: { compile(): CompiledQuery }): Promise<string> {
  const { sql: text, parameters } = query.compile();
  if (store.sqlite) return (store.sqlite.prepare(`explain query plan ${text}`).all(...(parameters as unknown[])) as { detail: string }[]).map((p) => p.detail).join('\n');
  const { rows } = await store.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${text}`, [...parameters]));
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

/**
 * A run's look-up of its links by the source's ids (the lazy link index of an incremental run,
 * the people a full run no longer saw): the tenant's and integration's links with those ids, and
 * on SQLite read through the primary key, one probe per id, not by testing every link of the
 * integration against the list.
 */
for (const dialect of DIALECTS) {
  describe(`links by external id on ${dialect}`, () => {
    it("reads exactly the integration's links with the ids asked, through the primary key", async () => {
      const store = await openTestStore(dialect);
      try {
        const mine = await integrationOf(store, 'acme');
        const sibling = await integrationOf(store, 'acme');
        const foreign = await integrationOf(store, 'globex');
        for (const id of [mine, sibling]) await addLinks(store, 'acme', id, 400);
        await addLinks(store, 'globex', foreign, 400);

        const found = await linksByExternalIds(store.db, 'acme', mine, ['5', '17', '399', 'nobody']);
        assert.deepEqual(found.map((l) => [l.integration_id, l.external_id, l.record_hash]).sort(), [[mine, '17', `${mine}:17`], [mine, '399', `${mine}:399`], [mine, '5', `${mine}:5`]]);
        assert.deepEqual(await linksByExternalIds(store.db, 'acme', foreign, ['5']), [], "another tenant's integration finds nothing");
        assert.equal((await linksByExternalIds(store.db, 'acme', sibling, Array.from({ length: 400 }, (_, n) => String(n + 1)))).length, 400);

        if (dialect === 'sqlite') {
          const plan = await queryPlan(store, linksByExternalIdsQuery(store.db, 'acme', mine, ['5', '17']));
          assert.match(plan, /USING INDEX sqlite_autoindex_employee_links_1 \(integration_id=\? AND external_id=\?\)/, plan);
        }
      } finally {
        await store.close();
      }
    });

    it('reads the links due for review through the review index, before the planner has any statistics', async () => {
      const store = await openTestStore(dialect);
      try {
        const mine = await integrationOf(store, 'acme');
        const sibling = await integrationOf(store, 'acme');
        for (const id of [mine, sibling]) await addLinks(store, 'acme', id, 300);
        const due = await dueReviews(store.db, 'acme', mine, '2026-12-03');
        assert.equal(due.length, 100);
        assert.ok(due.every((l) => l.integration_id === mine && l.tenant_id === 'acme' && l.review_on === '2026-01-01'));
        assert.deepEqual(await dueReviews(store.db, 'globex', mine, '2026-12-03'), [], "another tenant's name finds nothing");
        // A first sync asks before its closing ANALYZE: the tables have no statistics yet (as here).
        const plan = await queryPlan(store, dueReviewsQuery(store.db, 'acme', mine, '2026-12-03'));
        assert.match(plan, /employee_links_review/, plan);
        assert.doesNotMatch(plan, /employee_links_sync|Seq Scan/, plan);
      } finally {
        await store.close();
      }
    });
  });
}
