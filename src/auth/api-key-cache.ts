import { hashApiKey } from '../store/tenants.ts';

/** Who an API key is: its tenant and its id. */
export interface ApiKeyIdentity {
  readonly tenantId: string;
  readonly keyId: string;
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
   * Absent (PostgreSQL: other nodes' commits have no such cheap signal), the TTL alone bounds it.
   */
  readonly foreignCommits?: () => number;
}

/** Believed for at most 10 s, whatever else happens (on SQLite a revoke anywhere is seen sooner: at once). */
export const API_KEY_CACHE_TTL_MS = 10_000;
export const API_KEY_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  readonly identity: ApiKeyIdentity;
  readonly verifiedAt: number;
  readonly foreign: number;
}

/**
 * The API keys this process has found in the database lately, so a request with a known key
 * costs no query (one per key per TTL instead of one per request).
 *
 * What a revoke sees:
 * - On this process (DELETE /api-keys/:id on this node): `forgetAll()` after the revoke commits
 *   and before it answers, so the key is refused from the next request. A look-up that read the
 *   key before the revoke committed and ends after it keeps nothing (the generation moved).
 * - Another process on the same SQLite file (`refresh keys revoke`, `refresh worker`): its
 *   commit moves data_version (`foreignCommits`), and every entry is verified again on its next use.
 * - Without such a token (PostgreSQL, where other API nodes and `refresh keys revoke` commit on
 *   their own connections), a node would accept a key revoked elsewhere for up to `ttlMs` after
 *   it last verified it. `refresh keys revoke` promises the key stops at once, so the server
 *   remembers nothing there (ttlMs 0: every request asks the database, as before).
 * A new key works at once: unknown keys are never remembered (a failure is always asked again,
 * so no remembered failure holds a key refused, and none can let a revoked one in).
 * Keys are remembered by their hash (as stored), never in plain text.
 */
export class ApiKeyCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #foreignCommits: (() => number) | undefined;
  /** Insertion order is the order verified: eviction takes the oldest. */
  readonly #entries = new Map<string, Entry>();
  /** Moves at each forgetAll(): a look-up begun before it stores nothing. */
  #generation = 0;

  constructor(options: ApiKeyCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? API_KEY_CACHE_TTL_MS;
    this.#maxEntries = options.maxEntries ?? API_KEY_CACHE_MAX_ENTRIES;
    this.#now = options.now ?? Date.now;
    this.#foreignCommits = options.foreignCommits;
  }

  /**
   * The key's identity, from memory when verified within the TTL (and, on SQLite, with no other
   * process's commit since), otherwise from `load` (which reads the database, and records the
   * key's use); undefined for a key `load` does not know, which is not remembered.
   */
  async authenticate(key: string, load: (key: string) => Promise<ApiKeyIdentity | undefined>): Promise<ApiKeyIdentity | undefined> {
    if (this.#ttlMs <= 0) return load(key);
    const hash = hashApiKey(key);
    const now = this.#now();
    const foreign = this.#foreignCommits?.() ?? 0;
    const entry = this.#entries.get(hash);
    if (entry) {
      if (entry.verifiedAt + this.#ttlMs > now && entry.foreign === foreign) return entry.identity;
      this.#entries.delete(hash);
    }
    const generation = this.#generation;
    const found = await load(key);
    if (!found) return undefined;
    if (generation === this.#generation) {
      this.#entries.set(hash, { identity: { tenantId: found.tenantId, keyId: found.keyId }, verifiedAt: now, foreign });
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
