import type { Kysely } from 'kysely';

// Reserved: filled in by the work that needs it (kept as a no-op so numbering stays stable).
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
