import type { Store } from '../store/db.ts';
import { hashApiKey, recordApiKeyUse } from '../store/tenants.ts';

/** Who an API key is: its tenant and its id. */
export interface ApiKeyIdentity {
  readonly tenantId: string;
  readonly keyId: string;
}

/** A key let in, with (PostgreSQL) the tenant's read revision its check read, after the request arrived. */
export interface VerifiedApiKey extends ApiKeyIdentity {
  /**
   * Store.readRevision's token for the tenant, from a query sent after authenticate() was called:
   * a read of the tenant's data served under it sees every commit acknowledged before the call
   * (the read cache uses it instead of asking again). Absent where the cache has no `revision`.
   */
  readonly revision?: string;
}

export interface ApiKeyCacheOptions {
  /** How long a key found in the database is believed without asking again (ms); 0 remembers nothing. */
  readonly ttlMs?: number;
  /** At most this many keys are remembered (the least recently verified go first). */
  readonly maxEntries?: number;
  /** Milliseconds now (tests move it). */
  readonly now?: () => number;
  /**
   * A token that moves whenever another process commits to the database (SQLite's data_version):
   * an entry verified under another token is verified again, so a key revoked by another
   * process on the same file (`refresh keys revoke`) is refused from its next request.
   */
  readonly foreignCommits?: () => number;
  /**
   * PostgreSQL: the tenant's read revision (Store.readRevision), read by a query sent after the
   * call. api_keys is one of the tables whose commits move it (migration 0025), so a key that
   * `load` found in the same snapshot as revision R is still there while the tenant's revision is
   * R: an entry is believed only after a revision read for this very request answers the one it
   * was verified at. Concurrent requests share that read (db.ts), and the read cache uses its
   * answer too: one round trip for many requests' key check and cache check together. With it,
   * `load` must answer the revision of its own snapshot (Store.apiKeyWithRevision); a key
   * loaded without one is not remembered.
   */
  readonly revision?: (tenantId: string) => Promise<string>;
}

/** Believed for at most 10 s, whatever else happens (on SQLite a revoke anywhere is seen sooner: at once). */
export const API_KEY_CACHE_TTL_MS = 10_000;
export const API_KEY_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  readonly identity: ApiKeyIdentity;
  readonly verifiedAt: number;
  readonly foreign: number;
  /** The tenant's read revision in the snapshot that found the key (with the `revision` option). */
  readonly revision: string | undefined;
}

/**
 * The API keys this process has found in the database lately, so a request with a known key
 * costs no query of its own (on SQLite none at all; on PostgreSQL a share of the tenant's
 * revision read, below), instead of one per request.
 *
 * What a revoke sees:
 * - On this process (DELETE /api-keys/:id on this node): `forgetAll()` after the revoke commits
 *   and before it answers, so the key is refused from the next request. A look-up that read the
 *   key before the revoke committed and ends after it keeps nothing (the generation moved).
 * - Another process on the same SQLite file (`refresh keys revoke`, `refresh worker`): its
 *   commit moves data_version (`foreignCommits`), and every entry is verified again on its next use.
 * - PostgreSQL (other API nodes and `refresh keys revoke` commit on their own connections, and
 *   there is no data_version): the revoke's DELETE moves the tenant's read revision (`revision`),
 *   and each request's use of an entry is checked against a revision read after the request
 *   arrived, so any node refuses the key from the first request after the revoke commits. The
 *   check costs no round trip of its own: requests arriving together share one revision read
 *   (db.ts), which the read cache uses as well.
 * - Without either token a node would accept a key revoked elsewhere for up to `ttlMs` after it
 *   last verified it; such a cache must be built with ttlMs 0 (remember nothing).
 * A new key works at once: unknown keys are never remembered (a failure is always asked again,
 * so no remembered failure holds a key refused, and none can let a revoked one in).
 * Keys are remembered by their hash (as stored), never in plain text.
 */
export class ApiKeyCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #foreignCommits: (() => number) | undefined;
  readonly #revision: ((tenantId: string) => Promise<string>) | undefined;
  /** Insertion order is the order verified: eviction takes the oldest. */
  readonly #entries = new Map<string, Entry>();
  /** Moves at each forgetAll(): a look-up begun before it stores nothing. */
  #generation = 0;

  constructor(options: ApiKeyCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? API_KEY_CACHE_TTL_MS;
    this.#maxEntries = options.maxEntries ?? API_KEY_CACHE_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
    this.#foreignCommits = options.foreignCommits;
    this.#revision = options.revision;
  }

  /**
   * The key's identity, from memory when verified within the TTL (and, on SQLite, with no other
   * process's commit since; on PostgreSQL, with the tenant's revision read now still the one it
   * was verified at), otherwise from `load` (which reads the database, and records the key's use);
   * undefined for a key `load` does not know, which is not remembered.
   */
  async authenticate(key: string, load: (key: string) => Promise<VerifiedApiKey | undefined>): Promise<VerifiedApiKey | undefined> {
    if (this.#ttlMs <= 0) return load(key);
    const hash = hashApiKey(key);
    const now = this.#now();
    const foreign = this.#foreignCommits?.() ?? 0;
    const entry = this.#entries.get(hash);
    if (entry) {
      if (entry.verifiedAt + this.#ttlMs > now && entry.foreign === foreign) {
        if (!this.#revision) return entry.identity;
        // Read after this call (never an answer already on its way): a revoke committed before it is counted.
        const revision = await this.#revision(entry.identity.tenantId);
        if (revision === entry.revision) return { ...entry.identity, revision };
      }
      // Deleted only if still this entry: a concurrent request may have verified the key again meanwhile.
      if (this.#entries.get(hash) === entry) this.#entries.delete(hash);
    }
    const generation = this.#generation;
    const found = await load(key);
    if (!found) return undefined;
    if (generation === this.#generation && (!this.#revision || found.revision !== undefined)) {
      this.#entries.delete(hash);
      this.#entries.set(hash, { identity: { tenantId: found.tenantId, keyId: found.keyId }, verifiedAt: now, foreign, revision: found.revision });
      if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return found;
  }

  /** Forgets every key (call after a revoke commits, before answering it). */
  forgetAll(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * PostgreSQL's `load` for an ApiKeyCache with `revision`: the key and its tenant's read revision
 * in one statement (Store.apiKeyWithRevision), recording the key's use as authenticateApiKey
 * does. That write moves the revision (api_keys is noted), so an entry kept at the revision read
 * before it is verified once more on its next use, which finds the use recorded: at most one
 * extra round trip per key every LAST_USED_RESOLUTION_MS.
 */
export function loadApiKeyWithRevision(store: Pick<Store, 'db' | 'apiKeyWithRevision'>, now: () => Date = () => new Date()): (key: string) => Promise<VerifiedApiKey | undefined> {
  const read = store.apiKeyWithRevision;
  if (!read) throw new Error('loadApiKeyWithRevision needs a store with apiKeyWithRevision (PostgreSQL)');
  return async (key) => {
    const found = await read(hashApiKey(key));
    if (!found) return undefined;
    await recordApiKeyUse(store.db, found.keyId, found.lastUsedAt, now());
    return { tenantId: found.tenantId, keyId: found.keyId, revision: found.revision };
  };
}
