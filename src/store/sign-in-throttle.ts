import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { delayAfter, type ThrottlePolicy } from '../core/sign-in-policy.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Takes one attempt on a throttled key, counted as a failure until `releaseAttempt` or
 * `clearKey` says otherwise, in one statement every node runs against the same row: two nodes
 * (or two concurrent requests) never both get the same slot, so N nodes do not allow N× the
 * guesses. A blocked attempt writes nothing; it answers how long to wait instead.
 */
export async function takeAttempt(db: Kysely<Database>, key: string, policy: ThrottlePolicy, now: Date): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }> {
  const t = now.getTime();
  const cutoff = iso(t - policy.windowMs);
  // The wait after the n-th failure for every n up to the lockout, as one CASE over the new count.
  const waits = Array.from({ length: policy.lockAt - 1 }, (_, i) => sql`when ${i + 1} then ${iso(t + delayAfter(i + 1, policy))}`);
  const restarts = sql`sign_in_throttle.last_failure_at < ${cutoff}`;
  const taken = await sql<{ failures: number }>`
    insert into sign_in_throttle (key, failures, last_failure_at, next_allowed_at)
    values (${key}, 1, ${iso(t)}, ${iso(t + delayAfter(1, policy))})
    on conflict (key) do update set
      failures = case when ${restarts} then 1 else sign_in_throttle.failures + 1 end,
      next_allowed_at = case when ${restarts} then ${iso(t + delayAfter(1, policy))}
        else case sign_in_throttle.failures + 1 ${sql.join(waits, sql` `)} else ${iso(t + policy.lockMs)} end end,
      last_failure_at = ${iso(t)}
    where sign_in_throttle.next_allowed_at <= ${iso(t)}
    returning failures`.execute(db);
  if (taken.rows.length > 0) return { allowed: true };
  const row = await db.selectFrom('sign_in_throttle').select('next_allowed_at').where('key', '=', key).executeTakeFirst();
  return { allowed: false, retryAfterMs: Math.max(1000, row ? Date.parse(row.next_allowed_at) - t : 1000) };
}

/**
 * An attempt that turned out not to be a failure (it succeeded, or another key refused it): it no
 * longer counts. The wait it set stays: concurrent failures may have set it too.
 */
export async function releaseAttempt(db: Kysely<Database>, key: string): Promise<void> {
  await db
    .updateTable('sign_in_throttle')
    .set((eb) => ({ failures: eb('failures', '-', 1) }))
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

/** A successful sign-in forgets the account's failures (from that kind of address). */
export async function clearKey(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('key', '=', key).execute();
}

/** Counters idle for longer than the window are worthless: deleted, so storage stays bounded. */
export async function purgeIdleCounters(db: Kysely<Database>, windowMs: number, now: Date): Promise<void> {
  await db
    .deleteFrom('sign_in_throttle')
    .where('last_failure_at', '<', iso(now.getTime() - windowMs))
    .where('next_allowed_at', '<', now.toISOString())
    .execute();
}

/** Familiar addresses are forgotten after this long without a sign-in from them. */
const FAMILIAR_FOR_MS = 90 * 24 * 3_600_000;

export async function isFamiliarAddress(db: Kysely<Database>, userId: string, addressHash: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('admin_familiar_addresses')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('address_hash', '=', addressHash)
    .where('last_seen_at', '>=', iso(now.getTime() - FAMILIAR_FOR_MS))
    .executeTakeFirst();
  return row !== undefined;
}

export async function rememberAddress(db: Kysely<Database>, userId: string, addressHash: string, now: Date): Promise<void> {
  await db
    .insertInto('admin_familiar_addresses')
    .values({ user_id: userId, address_hash: addressHash, last_seen_at: now.toISOString() })
    .onConflict((oc) => oc.columns(['user_id', 'address_hash']).doUpdateSet({ last_seen_at: now.toISOString() }))
    .execute();
  await db.deleteFrom('admin_familiar_addresses').where('user_id', '=', userId).where('last_seen_at', '<', iso(now.getTime() - FAMILIAR_FOR_MS)).execute();
}
