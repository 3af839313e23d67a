import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { AppContext } from '../app/context.ts';
import { ApiError } from '../app/errors.ts';
import { sessionOf } from '../auth/sessions.ts';
import type { Database } from '../store/schema.ts';
import { countRequest, purgeEndedWindows, readRequests } from '../store/rate-limits.ts';

const WINDOW_MS = 60_000;

/**
 * Where the counters live. Several API nodes on one PostgreSQL share theirs through the database
 * (a client limited on one node is limited on all). SQLite is the embedded, single-process mode:
 * its counters stay in the process (the plugin's bounded LRU), since a write per request there
 * would queue behind a sync's write transactions. Tests choose `database` on SQLite too.
 */
export type RateLimitStoreKind = 'database' | 'memory';

export interface RateLimitSettings {
  /** Requests per minute per API key, console user, or unauthenticated address. */
  readonly perMinute: number;
  readonly store: RateLimitStoreKind;
  readonly clock: () => Date;
}

export type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The most of a client's limit one node claims at once: a hundredth (at least one request). */
const BLOCK_SHARE = 100;

/** A run of a client's counts a node claimed in the shared row and hands out itself. */
interface Block {
  readonly windowEndsAt: number;
  /** The count the next request here gets. */
  next: number;
  /** The last count of the block (the row's count when it was claimed). */
  readonly upTo: number;
  readonly size: number;
}

/** Adds `size` to a client's shared count in its window: the count after, and the ms until the window ends. */
export type ClaimCounts = (key: string, windowMs: number, now: Date, size: number) => Promise<{ hits: number; ttlMs: number }>;

/**
 * One node's share of the shared counters: it claims a client's counts in blocks and hands them
 * out in order, so a request's count is its place in the client's window whichever node took it.
 * The first request of a window claims one, each further claim twice the last, up to a hundredth
 * of the limit (BLOCK_SHARE) and, while under the limit, never past its last count. A busy client
 * thus costs the database one write per block, not one per request: on PostgreSQL that was two
 * commits (address and client) on every request, each waiting for its WAL flush. Nothing is
 * over-admitted (a count is never handed out twice); what a node claimed and did not hand out
 * before the window ended is lost to the client, so with its load spread over N nodes it may be
 * refused up to N hundredths of its limit early. A limit under 200 is counted one by one, as before.
 */
export class BlockCounter {
  readonly #claim: ClaimCounts;
  readonly #clock: () => Date;
  readonly #blocks = new Map<string, Block>();
  readonly #claims = new Map<string, Promise<unknown>>();

  constructor(claim: ClaimCounts, clock: () => Date) {
    this.#claim = claim;
    this.#clock = clock;
  }

  /** Counts one request of `key`: its count in the window (over `max`: refused) and the ms left. */
  async incr(key: string, windowMs: number, max: number): Promise<{ current: number; ttl: number }> {
    for (;;) {
      const taken = this.#take(key);
      if (taken) return taken;
      // One claim per key at a time on this node: requests arriving meanwhile take from its block.
      const pending = this.#claims.get(key);
      if (pending) {
        await pending;
        continue;
      }
      const claim = this.#claimBlock(key, windowMs, max);
      const settled = claim.then(
        () => this.#claims.delete(key),
        () => this.#claims.delete(key),
      );
      this.#claims.set(key, settled);
      await claim;
    }
  }

  /** Forgets blocks of windows that have ended (they are never handed out). */
  forgetEnded(now: Date): void {
    for (const [key, block] of this.#blocks) if (block.windowEndsAt <= now.getTime()) this.#blocks.delete(key);
  }

  #take(key: string): { current: number; ttl: number } | undefined {
    const now = this.#clock().getTime();
    const block = this.#blocks.get(key);
    if (!block || now >= block.windowEndsAt || block.next > block.upTo) return undefined;
    return { current: block.next++, ttl: block.windowEndsAt - now };
  }

  async #claimBlock(key: string, windowMs: number, max: number): Promise<void> {
    const now = this.#clock();
    const last = this.#blocks.get(key);
    let size = 1;
    if (last && now.getTime() < last.windowEndsAt) {
      const grown = Math.min(last.size * 2, Math.floor(max / BLOCK_SHARE));
      const left = max - last.upTo;
      size = Math.max(1, left > 0 ? Math.min(grown, left) : grown);
    }
    const { hits, ttlMs } = await this.#claim(key, windowMs, now, size);
    this.#blocks.set(key, { windowEndsAt: now.getTime() + ttlMs, next: hits - size + 1, upTo: hits, size });
  }
}

/**
 * @fastify/rate-limit with a store on our database: every node counts in the same row, in blocks
 * (BlockCounter). Ended windows are purged at most once a minute per node (the rows and the
 * blocks), so storage is bounded by active clients.
 */
function databaseStore(db: Kysely<Database>, clock: () => Date): new () => FastifyRateLimitStore {
  const counter = new BlockCounter((key, windowMs, now, size) => countRequest(db, key, windowMs, now, size), clock);
  let nextPurge = 0;
  const purge = (now: Date) => {
    if (now.getTime() < nextPurge) return;
    nextPurge = now.getTime() + WINDOW_MS;
    counter.forgetEnded(now);
    void purgeEndedWindows(db, now).catch(() => undefined);
  };
  type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      counter.incr(key, timeWindow, max).then(
        (result) => {
          purge(clock());
          callback(null, result);
        },
        (error: unknown) => callback(error as Error),
      );
    }
    read(key: string, callback: Callback): void {
      readRequests(db, key, clock()).then(({ hits, ttlMs }) => callback(null, { current: hits, ttl: ttlMs }), (error: unknown) => callback(error as Error));
    }
    child(): FastifyRateLimitStore {
      return this;
    }
  }
  return DatabaseRateLimitStore;
}

/**
 * Registers the rate limits on the API scope and answers two limiters for its hooks:
 * `byAddress` runs before authentication on every request from a client address (floods of bad
 * keys included), at four times the per-client limit so a shared office address is not starved;
 * `byClient` runs after it, per API key, per console user, or per address for open routes.
 * Over the limit: 429 `rate_limited` with Retry-After.
 */
export async function registerRateLimits(api: FastifyInstance, ctx: AppContext, settings: RateLimitSettings): Promise<{ byAddress: Limiter; byClient: Limiter }> {
  await api.register(rateLimit, { global: false, ...(settings.store === 'database' ? { store: databaseStore(ctx.store.db, settings.clock) } : {}) });
  // An address's fingerprint (an HMAC under the vault's key) is the same for each of its
  // requests: worked out once per address, up to 10,000 remembered (then all forgotten at once).
  const fingerprints = new Map<string, string>();
  const address = (request: FastifyRequest) => {
    let fingerprint = fingerprints.get(request.ip);
    if (fingerprint === undefined) {
      if (fingerprints.size >= 10_000) fingerprints.clear();
      fingerprint = ctx.vault.fingerprint('rate-limit-address', request.ip);
      fingerprints.set(request.ip, fingerprint);
    }
    return fingerprint;
  };
  const limiter = (max: number, keyOf: (request: FastifyRequest) => string, headers: boolean): Limiter => {
    const check = api.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: keyOf });
    return async (request, reply) => {
      const result = await check(request);
      if (result.isAllowed) return;
      if (headers) {
        reply.header('x-ratelimit-limit', result.max);
        reply.header('x-ratelimit-remaining', result.remaining);
        reply.header('x-ratelimit-reset', result.ttlInSeconds);
      }
      if (!result.isExceeded) return;
      const seconds = Math.max(1, result.ttlInSeconds);
      throw new ApiError(429, 'rate_limited', `Too many requests: at most ${result.max} a minute. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`, { retryAfterSeconds: seconds, limit: result.max });
    };
  };
  return {
    byAddress: limiter(settings.perMinute * 4, (request) => `address:${address(request)}`, false),
    byClient: limiter(
      settings.perMinute,
      (request) => {
        if (request.apiKeyId) return `client:key:${request.apiKeyId}`;
        const session = sessionOf(request);
        return session ? `client:user:${session.user.id}` : `client:address:${address(request)}`;
      },
      true,
    ),
  };
}
