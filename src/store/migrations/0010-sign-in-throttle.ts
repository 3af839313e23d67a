import type { Kysely } from 'kysely';

/**
 * Console sign-in throttling shared by every API node (issue 10 §4).
 *
 * `sign_in_throttle` holds one counter per throttled key (an account as seen from familiar or
 * unfamiliar addresses, or a client address), never one row per attempt: a flood of attempts,
 * blocked or not, updates the same rows, and rows idle past the window are deleted. Keys are
 * keyed hashes (HMAC), so neither e-mails nor addresses are stored in the clear.
 *
 * `admin_familiar_addresses` is where each admin has signed in successfully before (the address
 * as a keyed hash): failures from other addresses do not lock them out from these (smart lockout,
 * as Microsoft Entra ID's).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'text', (c) => c.notNull())
    .addColumn('next_allowed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_throttle_last_failure').on('sign_in_throttle').column('last_failure_at').execute();

  await db.schema
    .createTable('admin_familiar_addresses')
    .addColumn('user_id', 'text', (c) => c.notNull().references('admin_users.id').onDelete('cascade'))
    .addColumn('address_hash', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('admin_familiar_addresses_pk', ['user_id', 'address_hash'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_familiar_addresses').ifExists().execute();
  await db.schema.dropTable('sign_in_throttle').ifExists().execute();
}
