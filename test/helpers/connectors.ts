/** Helpers for connector tests: read a fetch to the end, and expect a ProviderError. */
import assert from 'node:assert/strict';
import { isProviderError, type ProviderError } from '../../src/connectors/errors.ts';
import type { RecordFailure, SourcePage, SourceRecord } from '../../src/core/source-record.ts';

export interface Collected {
  readonly records: SourceRecord[];
  readonly failures: RecordFailure[];
  readonly pages: number;
}

export async function collect(pages: AsyncIterable<SourcePage>): Promise<Collected> {
  const records: SourceRecord[] = [];
  const failures: RecordFailure[] = [];
  let n = 0;
  for await (const p of pages) {
    n++;
    records.push(...p.records);
    failures.push(...p.failures);
  }
  return { records, failures, pages: n };
}

/** The ProviderError `p` rejects with (fails the test when it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isProviderError(err), `expected a ProviderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}
