import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAhead } from '../../src/sync/read-ahead.ts';

describe('readAhead', () => {
  it('yields every item in order while fetching the next one early', async () => {
    const started: number[] = [];
    async function* pages() {
      for (let n = 0; n < 4; n += 1) {
        started.push(n);
        await new Promise((r) => setTimeout(r, 5));
        yield n;
      }
    }
    const seen: number[] = [];
    for await (const n of readAhead(pages())) {
      seen.push(n);
      // While we hold item n, item n + 1 is already being fetched.
      if (n < 3) assert.ok(started.includes(n + 1), `page ${n + 1} not started while processing ${n}`);
    }
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });
  it('surfaces a failure at the failing item, after the items before it', async () => {
    async function* pages() {
      yield 1;
      throw new Error('page 2 failed');
    }
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const n of readAhead(pages())) seen.push(n);
    }, /page 2 failed/);
    assert.deepEqual(seen, [1]);
  });
});
