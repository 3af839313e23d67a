import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Counts `count` requests (one, or a block a node hands out itself: rate-limit.ts) in a client's
 * fixed window, shared by every node on the database: one statement, so concurrent requests on
 * several nodes each count. A new window starts when the last has ended. Answers the count so far
 * (these included) and the milliseconds until the window ends.
 */
export async function countRequest(db: Kysely<Database>, key: string, windowMs: number, now: Date, count = 1): Promise<{ hits: number; ttlMs: number }> {
  const t = now.getTime();
  const ended = sql`rate_limit_counters.window_ends_at <= ${iso(t)}`;
  const { rows } = await sql<{ hits: number; window_ends_at: string }>`
    insert into rate_limit_counters (key, hits, window_ends_at) values (${key}, ${count}, ${iso(t + windowMs)})
    on conflict (key) do update set
      hits = case when ${ended} then ${count} else rate_limit_counters.hits + ${count} end,
      window_ends_at = case when ${ended} then ${iso(t + windowMs)} else rate_limit_counters.window_ends_at end
    returning hits, window_ends_at`.execute(db);
  const row = rows[0]!;
  return { hits: Number(row.hits), ttlMs: Math.max(0, Date.parse(row.window_ends_at) - t) };
}

/** Reads a client's count without counting (0 when its window has ended). */
export async function readRequests(db: Kysely<Database>, key: string, now: Date): Promise<{ hits: number; ttlMs: number }> {
  const row = await db.selectFrom('rate_limit_counters').select(['hits', 'window_ends_at']).where('key', '=', key).executeTakeFirst();
  const ttlMs = row ? Date.parse(row.window_ends_at) - now.getTime() : 0;
  return row && ttlMs > 0 ? { hits: Number(row.hits), ttlMs } : { hits: 0, ttlMs: 0 };
}

/** Windows that have ended hold nothing: deleted, so storage stays bounded by active clients. */
export async function purgeEndedWindows(db: Kysely<Database>, now: Date): Promise<number> {
  const result = await db.deleteFrom('rate_limit_counters').where('window_ends_at', '<=', now.toISOString()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
