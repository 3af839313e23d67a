import { sql, SqliteAdapter, type Kysely } from 'kysely';

/**
 * PostgreSQL: a run's lease number and status become key columns of `runs` (a unique index
 * holds them with the id, unique already by the id), so a write's fence can lock the run's row
 * FOR KEY SHARE instead of updating it (src/store/run-lease.ts, fenceLease).
 *
 * The fence used to be an UPDATE of the row (extending the lease), whose lock every write
 * transaction held until it committed. The worker's heartbeat, an UPDATE of the same row on
 * another connection, waited all that time: a group step writing 284,000 memberships in one
 * transaction held the heartbeat ~10 s at 100,000 people, and a transaction longer than the
 * lease (30 s) would let the lease run out under a live worker, whose run another worker then
 * took over the moment the transaction committed.
 *
 * FOR KEY SHARE conflicts only with an UPDATE of a key column or a DELETE. With the lease number
 * and status key columns, a takeover (lease + 1) and every change of status (finish, cancel,
 * block) still wait for a write in flight, as they did, while the heartbeat (heartbeat_at,
 * lease_until) goes through. SQLite has one writer at a time and keeps the UPDATE.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  await sql`CREATE UNIQUE INDEX IF NOT EXISTS runs_fence ON runs (id, lease, status)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  await sql`DROP INDEX IF EXISTS runs_fence`.execute(db);
}
