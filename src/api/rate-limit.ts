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

/**
 * @fastify/rate-limit with a store on our database: every node counts in the same row. Ended
 * windows are purged at most once a minute per node, so storage is bounded by active clients.
 */
function databaseStore(db: Kysely<Database>, clock: () => Date): new () => FastifyRateLimitStore {
  let nextPurge = 0;
  const purge = (now: Date) => {
    if (now.getTime() < nextPurge) return;
    nextPurge = now.getTime() + WINDOW_MS;
    void purgeEndedWindows(db, now).catch(() => undefined);
  };
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const now = clock();
      countRequest(db, key, timeWindow, now).then(
        ({ hits, ttlMs }) => {
          purge(now);
          callback(null, { current: hits, ttl: ttlMs });
        },
        (error: unknown) => callback(error as Error),
      );
    }
    read(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
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
  const address = (request: FastifyRequest) => ctx.vault.fingerprint('rate-limit-address', request.ip);
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
