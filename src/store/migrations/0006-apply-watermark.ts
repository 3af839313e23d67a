import type { Kysely } from 'kysely';

// Apply progress is one watermark per run ("applied through seq N") instead of a flag rewritten on
// every change row: a 100,000-person first sync no longer writes its change log twice.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('applied_through', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('applied_through').execute();
}
