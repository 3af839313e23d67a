/**
 * Caches derived views of the roster (filtered and sorted employee lists) until the roster
 * changes, so paging through 100,000 people filters and sorts once, not once per page.
 */
import type { BambooRoster } from './roster.ts';

const MAX_ENTRIES = 8;
const caches = new WeakMap<BambooRoster, Map<string, { version: number; value: unknown }>>();

export function cachedView<T>(roster: BambooRoster, key: string, compute: () => T): T {
  let cache = caches.get(roster);
  if (!cache) caches.set(roster, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.version === roster.version) {
    // refresh LRU position
    cache.delete(key);
    cache.set(key, hit);
    return hit.value as T;
  }
  const value = compute();
  cache.delete(key);
  cache.set(key, { version: roster.version, value });
  while (cache.size > MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return value;
}
