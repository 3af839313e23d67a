import type { Kysely } from 'kysely';

// Removing an integration keeps its runs and their changes (the audit log needs them), so the
// row stays with a removal time and every read of "the integrations" skips it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('integrations').addColumn('removed_at', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('integrations').dropColumn('removed_at').execute();
}
