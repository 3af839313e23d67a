import type { Store } from '../store/db.ts';

/** Values worked out from stored data, kept per tenant and key while the store's read revision stays. */
export interface RevisionMemo<T> {
  get(tenantId: string, key: string, compute: () => Promise<T>): Promise<T>;
}

/**
 * A memo of reads (a count, a total) that stays right while nothing is written: each value is
 * kept with the read revision (Store.readRevision) read before it was worked out, and used again
 * only by a request that reads the same revision. A value worked out after a later write is at
 * worst newer than its revision, never older (db.ts). At most `maxEntries`, oldest dropped first.
 */
export function revisionMemo<T>(store: Pick<Store, 'readRevision'>, maxEntries: number): RevisionMemo<T> {
  const entries = new Map<string, { revision: string; value: T }>();
  return {
    async get(tenantId, key, compute) {
      const revision = await store.readRevision(tenantId);
      const id = `${tenantId}\u0000${key}`;
      const kept = entries.get(id);
      if (kept?.revision === revision) return kept.value;
      const value = await compute();
      entries.delete(id);
      entries.set(id, { revision, value });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return value;
    },
  };
}
