import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCounts } from '../../src/core/run-states.ts';
import { getRunRow, saveRunProgress, saveRunRetry } from '../../src/store/runs.ts';
import { parseJson } from '../../src/store/ids.ts';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { queuedRun } from '../helpers/run-fixture.ts';

/**
 * A run waiting to retry a provider call shows it until its fetch moves on. The run's first
 * progress is written after its first request started, so a retry that request already waits for
 * is kept by that write; any later progress clears it.
 */
for (const dialect of DIALECTS) {
  describe(`a run's retry notice on ${dialect}`, () => {
    it('is kept by the first progress write and cleared by the next', async () => {
      const store = await openTestStore(dialect);
      try {
        const { run } = await queuedRun(store);
        await store.db.updateTable('runs').set({ status: 'running' }).where('id', '=', run.id).execute();
        const retry = { reason: 'rate_limited' as const, status: 429, attempt: 1, until: '2026-12-03T16:00:07.000Z' };
        const shown = async () => parseJson<{ retry?: unknown; message?: string }>((await getRunRow(store.db, run.id))!.progress, {});
        await saveRunRetry(store.db, run.id, retry);
        const progress = { fetched: 0, total: null, applied: 0, toApply: 0, message: 'fetching people from BambooHR' };
        await saveRunProgress(store.db, run.id, 'fetching', progress, emptyCounts(), { keepRetry: true });
        assert.deepEqual(await shown(), { phase: 'fetching', ...progress, retry });
        await saveRunProgress(store.db, run.id, 'fetching', { ...progress, fetched: 1000, message: 'fetched 1000 people' }, emptyCounts());
        assert.equal((await shown()).retry, undefined, 'the fetch moved on');
        assert.equal((await shown()).message, 'fetched 1000 people');
      } finally {
        await store.close();
      }
    });
  });
}
