import type { Kysely } from 'kysely';

/**
 * - `employees.version` grows at every write (an admin's or a run's): the ETag of
 *   GET /employees/{id}, the If-Match of PATCH, and what a run's apply compares against the
 *   version it planned from, so an edit made after staging is never overwritten.
 * - `idempotency_keys`: a create retried with the same Idempotency-Key answers the integration it
 *   created the first time instead of a second one.
 * - Dry runs the safeguard held before dry runs were never held (issue 9) are finished as what
 *   they are: succeeded, with the safeguard's verdict, so they stop blocking their integration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('employees').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'scope', 'key'])
    .execute();
  await finishHeldDryRuns(db);
}

/** Dry runs an older version held: finished as succeeded, with the safeguard's verdict kept. */
export async function finishHeldDryRuns(db: Kysely<any>): Promise<void> {
  const held = await db.selectFrom('runs').select(['id', 'error', 'heartbeat_at', 'created_at']).where('dry_run', '=', 1).where('status', '=', 'blocked').execute();
  for (const run of held as { id: string; error: string | null; heartbeat_at: string | null; created_at: string }[]) {
    const reason = run.error ? ((JSON.parse(run.error) as { message?: string }).message ?? 'held by the safeguard') : 'held by the safeguard';
    await db
      .updateTable('runs')
      .set({ status: 'succeeded', phase: 'done', error: null, finished_at: run.heartbeat_at ?? run.created_at, safeguard: JSON.stringify({ wouldHold: true, reason }) })
      .where('id', '=', run.id)
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').ifExists().execute();
  await db.schema.alterTable('employees').dropColumn('version').execute();
}
