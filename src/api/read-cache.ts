import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/db.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's 200 answers may be served again from the read cache (read-cache.ts) while
     * nothing was written: a GET whose answer depends only on the tenant, its URL and the
     * stored data (not on the caller, the clock or a header other than Authorization).
     */
    readCache?: boolean;
  }
  interface FastifyRequest {
    /** The store's read revision this request's answer may be cached under ('' when not cached). */
    readCacheRevision: string;
  }
}

/** Headers a cached answer carries besides its content type; a route setting any other is not cacheable. */
const KEPT_HEADERS = ['etag'] as const;

interface Entry {
  readonly tenantId: string;
  /** The answer's bytes as sent (encoded once; a hit writes them as they are). */
  readonly body: Buffer;
  readonly contentType: string;
  readonly headers: Readonly<Partial<Record<(typeof KEPT_HEADERS)[number], string>>>;
  readonly bytes: number;
}

interface TenantState {
  revision: string;
  readonly keys: Set<string>;
}

export interface ReadCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

/**
 * Answers of read-only routes kept in memory and served again while the store's read revision
 * (Store.readRevision) has not moved, so a page asked for again costs no query and no
 * serialization. Keyed by tenant and full URL (path and query): one tenant's page never answers
 * another's request. Each tenant's entries carry the revision they were read at; a request that
 * reads another revision drops that tenant's entries (they can never be asked for again: the
 * revision only moves forward). Bounded by bytes, least recently used evicted first.
 *
 * The revision is read before the handler reads the page, so a page is at least as new as the
 * revision it is stored under (db.ts explains why that is safe). Only 200 answers are kept, with
 * their content type and ETag.
 */
export class ReadCache {
  readonly #maxBytes: number;
  /** Insertion order is recency: a hit moves its entry to the end; eviction takes from the start. */
  readonly #entries = new Map<string, Entry>();
  readonly #tenants = new Map<string, TenantState>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  static key(tenantId: string, url: string): string {
    return `${tenantId}\u0000${url}`;
  }

  /** The entry for the tenant's URL at this revision; a new revision drops the tenant's older entries first. */
  get(tenantId: string, url: string, revision: string): Entry | undefined {
    const tenant = this.#tenants.get(tenantId);
    if (!tenant) {
      this.#tenants.set(tenantId, { revision, keys: new Set() });
      this.#misses += 1;
      return undefined;
    }
    if (tenant.revision !== revision) {
      this.#dropTenant(tenant);
      tenant.revision = revision;
      this.#misses += 1;
      return undefined;
    }
    const key = ReadCache.key(tenantId, url);
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#misses += 1;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits += 1;
    return entry;
  }

  /** Keeps an answer read at `revision`, unless the tenant has moved to another revision meanwhile or it alone exceeds the bound. */
  set(tenantId: string, url: string, revision: string, answer: Omit<Entry, 'tenantId' | 'bytes'>): void {
    const tenant = this.#tenants.get(tenantId);
    if (!tenant || tenant.revision !== revision) return;
    // The body's bytes, the key's (at most two bytes a character) and the entry's bookkeeping.
    const key = ReadCache.key(tenantId, url);
    const bytes = answer.body.length + 2 * key.length + 200;
    if (bytes > this.#maxBytes) return;
    this.#remove(key);
    this.#entries.set(key, { ...answer, tenantId, bytes });
    tenant.keys.add(key);
    this.#bytes += bytes;
    for (const [oldest] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#remove(oldest);
    }
  }

  stats(): ReadCacheStats {
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#tenants.get(entry.tenantId)?.keys.delete(key);
    this.#bytes -= entry.bytes;
  }

  #dropTenant(tenant: TenantState): void {
    for (const key of tenant.keys) {
      const entry = this.#entries.get(key);
      if (!entry) continue;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
    tenant.keys.clear();
  }
}

/**
 * Serves opted-in GET routes (`config: { readCache: true }`) from a ReadCache. Registered on the
 * API scope after the hook that authenticates (request.tenantId is known, the rate limits have
 * counted the request); a hit is answered there, before validation and the handler, and still
 * passes through every onSend hook (security headers, `cache-control: no-store`). `x-cache`
 * says hit or miss. `maxBytes` 0 turns it off.
 */
export function registerReadCache(api: FastifyInstance, store: Pick<Store, 'readRevision'>, maxBytes: number): ReadCache | undefined {
  if (maxBytes <= 0) return undefined;
  const cache = new ReadCache(maxBytes);
  api.decorateRequest('readCacheRevision', '');
  api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET' || request.routeOptions.config.readCache !== true || !request.tenantId) return;
    const revision = await store.readRevision(request.tenantId);
    const entry = cache.get(request.tenantId, request.url, revision);
    if (!entry) {
      request.readCacheRevision = revision;
      return;
    }
    reply.header('content-type', entry.contentType).header('x-cache', 'hit');
    for (const name of KEPT_HEADERS) if (entry.headers[name] !== undefined) reply.header(name, entry.headers[name]);
    return reply.send(entry.body);
  });
  api.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const revision = request.readCacheRevision;
    if (!revision) return payload;
    reply.header('x-cache', 'miss');
    if (reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const body = Buffer.from(payload);
    const headers: Partial<Record<(typeof KEPT_HEADERS)[number], string>> = {};
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name);
      if (typeof value === 'string') headers[name] = value;
    }
    const contentType = reply.getHeader('content-type');
    cache.set(request.tenantId, request.url, revision, { body, contentType: typeof contentType === 'string' ? contentType : 'application/json; charset=utf-8', headers });
    return body;
  });
  return cache;
}
