import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** The run queue as a whole (every tenant): how many runs wait and since when the oldest does. */
export async function queueStats(db: Kysely<Database>): Promise<{ queued: number; oldestQueuedAt: string | null }> {
  const row = await db
    .selectFrom('runs')
    .select((eb) => [eb.fn.countAll<number | string>().as('queued'), eb.fn.min('created_at').as('oldest')])
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return { queued: Number(row?.queued ?? 0), oldestQueuedAt: (row?.oldest as string | null | undefined) ?? null };
}
