import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/db.ts';

const gzip = promisify(gzipCallback);

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

/** Smaller answers are sent as they are: compressing them saves less than it costs. */
const MIN_COMPRESSED_BYTES = 1024;

interface Entry {
  readonly tenantId: string;
  /** Its key in the cache (tenant and URL). */
  readonly key: string;
  /** The answer's bytes as sent (encoded once; a hit writes them as they are). */
  readonly body: Buffer;
  readonly contentType: string;
  readonly headers: Readonly<Partial<Record<(typeof KEPT_HEADERS)[number], string>>>;
  /** What the entry costs the bound: its bytes, its key's, and its gzip copy once made. */
  bytes: number;
  /** The body gzipped, made on the first request that accepts it (in zlib's threads, off the event loop). */
  gzip?: Promise<Buffer>;
}

/**
 * Whether an answer may be sent gzipped: large enough to gain, and without an ETag (a strong
 * validator names one representation: the employee's ETag is compared by If-Match on PATCH, so
 * the detail is always sent as it is).
 */
function compressible(entry: Pick<Entry, 'body' | 'headers'>): boolean {
  return entry.body.length >= MIN_COMPRESSED_BYTES && entry.headers.etag === undefined;
}

/**
 * Whether Accept-Encoding (RFC 9110 §12.5.3) accepts gzip: `gzip` or `x-gzip`, else `*`, with a
 * q-value above 0 (`gzip;q=0` refuses it). Absent: no (autocannon, curl without --compressed).
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (!header) return false;
  let gzipQ: number | undefined;
  let anyQ: number | undefined;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = rawName!.trim().toLowerCase();
    if (name !== 'gzip' && name !== 'x-gzip' && name !== '*') continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim().toLowerCase() === 'q') q = Number(value?.trim());
    }
    if (!(q >= 0)) q = 0;
    if (name === '*') anyQ = q;
    else gzipQ = Math.max(gzipQ ?? 0, q);
  }
  return (gzipQ ?? anyQ ?? 0) > 0;
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

  /**
   * Keeps an answer read at `revision`, unless the tenant has moved to another revision meanwhile
   * or it alone exceeds the bound; answers the entry kept.
   */
  set(tenantId: string, url: string, revision: string, answer: Pick<Entry, 'body' | 'contentType' | 'headers'>): Entry | undefined {
    const tenant = this.#tenants.get(tenantId);
    if (!tenant || tenant.revision !== revision) return undefined;
    // The body's bytes, the key's (at most two bytes a character) and the entry's bookkeeping.
    const key = ReadCache.key(tenantId, url);
    const bytes = answer.body.length + 2 * key.length + 200;
    if (bytes > this.#maxBytes) return undefined;
    this.#remove(key);
    const entry: Entry = { body: answer.body, contentType: answer.contentType, headers: answer.headers, tenantId, key, bytes };
    this.#entries.set(key, entry);
    tenant.keys.add(key);
    this.#bytes += bytes;
    this.#evict();
    return entry;
  }

  /** The entry's body gzipped, made once (concurrent requests share it) and counted in the bound while the entry is kept. */
  gzipOf(entry: Entry): Promise<Buffer> {
    entry.gzip ??= gzip(entry.body).then((compressed) => {
      // Still kept (not evicted nor dropped meanwhile): the copy counts against the bound.
      if (this.#entries.get(entry.key) === entry) {
        entry.bytes += compressed.length;
        this.#bytes += compressed.length;
        this.#evict();
      }
      return compressed;
    });
    return entry.gzip;
  }

  #evict(): void {
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
 * says hit or miss. A client that accepts gzip (browsers, fetch/undici) gets a large answer
 * without an ETag gzipped, hit or miss, compressed once per entry (a page of 100 people: ~350 KB
 * as JSON, a tenth of it gzipped); one that sends no Accept-Encoding gets it as it is. `maxBytes`
 * 0 turns it off (and compression with it). `turn` (fair-turns.ts) is awaited before a hit is
 * written, so hits take their turns with everything else.
 */
export function registerReadCache(api: FastifyInstance, store: Pick<Store, 'readRevision'>, maxBytes: number, turn: () => Promise<void> = async () => undefined): ReadCache | undefined {
  if (maxBytes <= 0) return undefined;
  const cache = new ReadCache(maxBytes);
  api.decorateRequest('readCacheRevision', '');
  api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET' || request.routeOptions.config.readCache !== true || !request.tenantId) return;
    // Read after the request arrived: by authentication (PostgreSQL API keys, the same shared read), else here.
    const revision = request.tenantReadRevision || (await store.readRevision(request.tenantId));
    const entry = cache.get(request.tenantId, request.url, revision);
    if (!entry) {
      request.readCacheRevision = revision;
      return;
    }
    // The answer is written in a turn of its own (fair-turns.ts), as a miss runs its handler: a
    // page of 100 people is ~350 KB, and writing it to the socket (the kernel copies it, and on
    // loopback delivers it in the same call) was half a hit's CPU. Hits answered where they were
    // read wrote every request of a poll together, and /health waited behind them all.
    await turn();
    reply.header('content-type', entry.contentType).header('x-cache', 'hit').header('vary', 'accept-encoding');
    for (const name of KEPT_HEADERS) if (entry.headers[name] !== undefined) reply.header(name, entry.headers[name]);
    if (!compressible(entry) || !acceptsGzip(request.headers['accept-encoding'])) return reply.send(entry.body);
    const compressed = await cache.gzipOf(entry);
    return reply.header('content-encoding', 'gzip').send(compressed);
  });
  api.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const revision = request.readCacheRevision;
    if (!revision) return payload;
    // Answers of these routes may be gzipped for a client that accepts it (below): caches between
    // must tell them apart (none should keep them: cache-control no-store; Vary says it anyway).
    reply.header('x-cache', 'miss').header('vary', 'accept-encoding');
    if (reply.statusCode !== 200 || typeof payload !== 'string') return payload;
    const body = Buffer.from(payload);
    const headers: Partial<Record<(typeof KEPT_HEADERS)[number], string>> = {};
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name);
      if (typeof value === 'string') headers[name] = value;
    }
    const contentType = reply.getHeader('content-type');
    const answer = { body, contentType: typeof contentType === 'string' ? contentType : 'application/json; charset=utf-8', headers };
    const entry = cache.set(request.tenantId, request.url, revision, answer);
    if (!compressible(answer) || !acceptsGzip(request.headers['accept-encoding'])) return body;
    reply.header('content-encoding', 'gzip');
    return entry ? cache.gzipOf(entry) : gzip(body);
  });
  return cache;
}
