import type { Kysely, Transaction } from 'kysely';
import type { Database, RunChangeRow } from './schema.ts';
import { parseJson } from './ids.ts';
import { normalizeEmail } from '../core/correlate.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type ChangeKind = 'created' | 'updated' | 'deactivated' | 'reactivated' | 'skipped' | 'failed' | 'noop' | GroupChangeKind;
/** Group Sync's changes (src/sync/group-step.ts): recorded applied, in the same run. */
export type GroupChangeKind = 'group_created' | 'group_renamed' | 'group_updated' | 'group_moved' | 'group_archived' | 'group_revived' | 'membership_added' | 'membership_removed';

export interface RunChange {
  readonly seq: number;
  readonly kind: Exclude<ChangeKind, 'noop'>;
  readonly employeeId: string | null;
  readonly externalId: string | null;
  readonly displayName: string | null;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly reason: string | null;
  readonly applied: boolean;
}

/** Whether a change is applied: recorded so (group changes), or at or below its run's watermark. */
export function toRunChange(row: RunChangeRow, appliedThrough: number): RunChange {
  return {
    seq: row.seq,
    kind: row.kind as RunChange['kind'],
    employeeId: row.employee_id,
    externalId: row.external_id,
    displayName: row.display_name,
    before: parseJson(row.before, null),
    after: parseJson(row.after, null),
    reason: row.reason,
    applied: row.applied === 1 || row.seq <= appliedThrough,
  };
}

/** The change list shown to admins: `noop` rows (internal bookkeeping) are hidden. */
export async function listChanges(db: Db, tenantId: string, runId: string, opts: { limit: number; afterSeq?: number; kind?: string }): Promise<RunChange[]> {
  let q = db.selectFrom('run_changes').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', runId).where('kind', '!=', 'noop');
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  if (opts.afterSeq !== undefined) q = q.where('seq', '>', opts.afterSeq);
  const rows = await q.orderBy('seq').limit(opts.limit).execute();
  const run = await db.selectFrom('runs').select('applied_through').where('id', '=', runId).executeTakeFirst();
  return rows.map((r) => toRunChange(r, run?.applied_through ?? 0));
}

/** Staged changes past the run's watermark (group changes are recorded applied and skipped). */
export async function unappliedChanges(db: Db, runId: string, afterSeq: number, limit: number): Promise<RunChangeRow[]> {
  const run = await db.selectFrom('runs').select('applied_through').where('id', '=', runId).executeTakeFirst();
  const from = Math.max(afterSeq, run?.applied_through ?? 0);
  return db.selectFrom('run_changes').selectAll().where('run_id', '=', runId).where('applied', '=', 0).where('seq', '>', from).orderBy('seq').limit(limit).execute();
}

/** Moves the run's apply watermark: every staged change up to `toSeq` is applied. */
export async function markApplied(db: Db, runId: string, toSeq: number): Promise<void> {
  await db.updateTable('runs').set({ applied_through: toSeq }).where('id', '=', runId).execute();
}

export async function deleteChanges(db: Db, runId: string): Promise<void> {
  await db.deleteFrom('run_changes').where('run_id', '=', runId).execute();
}

/** A run's staged changes, not its applied ones (a run resumed mid-fetch plans the rest again). */
export async function deleteUnappliedChanges(db: Db, runId: string): Promise<void> {
  await db.deleteFrom('run_changes').where('run_id', '=', runId).where('applied', '=', 0).execute();
}

const PEOPLE_KINDS: readonly ChangeKind[] = ['created', 'updated', 'deactivated', 'reactivated', 'skipped', 'failed', 'noop'];

/** The people changes a run recorded applied with their page (see Planner.drainApplicable). */
export async function appliedPeopleChanges(db: Db, runId: string): Promise<Pick<RunChangeRow, 'seq' | 'kind' | 'external_id' | 'employee_id' | 'after'>[]> {
  return db.selectFrom('run_changes').select(['seq', 'kind', 'external_id', 'employee_id', 'after']).where('run_id', '=', runId).where('applied', '=', 1).where('kind', 'in', PEOPLE_KINDS).orderBy('seq').execute();
}

export async function changesForEmployee(db: Db, tenantId: string, employeeId: string, limit: number): Promise<(RunChange & { runId: string })[]> {
  const rows = await db
    .selectFrom('run_changes')
    .innerJoin('runs', 'runs.id', 'run_changes.run_id')
    .selectAll('run_changes')
    .select('runs.applied_through')
    .where('run_changes.tenant_id', '=', tenantId)
    .where('run_changes.employee_id', '=', employeeId)
    .where('run_changes.kind', '!=', 'noop')
    .where((eb) => eb.or([eb('run_changes.applied', '=', 1), eb('run_changes.seq', '<=', eb.ref('runs.applied_through'))]))
    .orderBy('run_changes.run_id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...toRunChange(r, r.applied_through), runId: r.run_id }));
}

/**
 * People of a run's plan written since it was planned (their version moved), with what the plan
 * saw (base_hash) and their status and fields now, to tell a real change from a ReFresh-only edit.
 */
export async function movedPeople(db: Db, runId: string): Promise<{ employee_id: string; display_name: string | null; base_hash: string | null; status: string; fields: string }[]> {
  const rows = await db
    .selectFrom('run_changes as c')
    .innerJoin('employees as e', (j) => j.onRef('e.id', '=', 'c.employee_id').onRef('e.tenant_id', '=', 'c.tenant_id'))
    .select(['c.employee_id', 'c.display_name', 'c.base_hash', 'e.status', 'e.fields'])
    .where('c.run_id', '=', runId)
    .where('c.base_version', 'is not', null)
    .whereRef('e.version', '!=', 'c.base_version')
    .execute();
  return rows.map((r) => ({ ...r, employee_id: r.employee_id! }));
}

/** Work e-mails (normalised) of people written after `since`. */
export async function employeesWrittenSince(db: Db, tenantId: string, since: string): Promise<Set<string>> {
  const rows = await db.selectFrom('employees').select('email_norm').where('tenant_id', '=', tenantId).where('updated_at', '>', since).where('email_norm', 'is not', null).execute();
  return new Set(rows.map((r) => r.email_norm!));
}

/** The work e-mails (normalised) of the people a run creates. */
export async function createdEmails(db: Db, runId: string): Promise<string[]> {
  const rows = await db.selectFrom('run_changes').select('after').where('run_id', '=', runId).where('kind', '=', 'created').execute();
  return rows.flatMap((r) => {
    const email = normalizeEmail(parseJson<{ email?: string }>(r.after, {}).email);
    return email ? [email] : [];
  });
}
