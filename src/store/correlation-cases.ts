import type { Kysely, Transaction } from 'kysely';
import type { CorrelationCaseRow, Database, NewCorrelationCaseRow } from './schema.ts';
import { parseJson } from './ids.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface CorrelationCase {
  readonly id: string;
  readonly integrationId: string;
  readonly externalId: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly reason: string;
  readonly candidates: string[];
  readonly status: 'open' | 'resolved';
  readonly resolution: { action: 'link' | 'create'; employeeId: string } | null;
  readonly createdAt: string;
  readonly resolvedAt: string | null;
}

export function toCorrelationCase(row: CorrelationCaseRow): CorrelationCase {
  return {
    id: row.id,
    integrationId: row.integration_id,
    externalId: row.external_id,
    displayName: row.display_name,
    email: row.email,
    reason: row.reason,
    candidates: parseJson(row.candidates, []),
    status: row.status as CorrelationCase['status'],
    resolution: parseJson(row.resolution, null),
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

/** A case is opened once per source record and refreshed while it stays open. */
export async function upsertCorrelationCases(db: Db, rows: readonly NewCorrelationCaseRow[]): Promise<void> {
  for (const row of rows) {
    await db
      .insertInto('correlation_cases')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['integration_id', 'external_id'])
          .doUpdateSet((eb) => ({ reason: eb.ref('excluded.reason'), candidates: eb.ref('excluded.candidates'), display_name: eb.ref('excluded.display_name'), email: eb.ref('excluded.email'), run_id: eb.ref('excluded.run_id') }))
          .where('correlation_cases.status', '=', 'open'),
      )
      .execute();
  }
}

export async function listCorrelationCases(db: Db, tenantId: string, opts: { status?: string; limit: number; after?: string; /** Only these cases. */ ids?: readonly string[] }): Promise<CorrelationCase[]> {
  let q = db.selectFrom('correlation_cases').selectAll().where('tenant_id', '=', tenantId);
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.ids) q = q.where('id', 'in', opts.ids.length > 0 ? opts.ids : ['']);
  if (opts.after) q = q.where('id', '>', opts.after);
  return (await q.orderBy('id').limit(opts.limit).execute()).map(toCorrelationCase);
}

export async function getCorrelationCase(db: Db, tenantId: string, id: string): Promise<CorrelationCase | undefined> {
  const row = await db.selectFrom('correlation_cases').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toCorrelationCase(row) : undefined;
}

export async function countCorrelationCases(db: Db, tenantId: string, opts: { status?: string } = {}): Promise<number> {
  let q = db.selectFrom('correlation_cases').select((eb) => eb.fn.countAll<string | number>().as('n')).where('tenant_id', '=', tenantId);
  if (opts.status) q = q.where('status', '=', opts.status);
  return Number((await q.executeTakeFirstOrThrow()).n);
}
