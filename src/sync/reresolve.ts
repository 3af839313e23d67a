import type { Kysely, Transaction } from 'kysely';
import type { FieldValues } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { diffFields, resolvePerson, type FieldPriorities, type SourceView } from '../core/resolve.ts';
import { sourceViewOf } from './source-view.ts';
import { audit } from '../store/audit.ts';
import { chunks, employeesByIds, stateColumns } from '../store/employees.ts';
import { nowIso, parseJson } from '../store/ids.ts';
import { listIntegrations, type Integration } from '../store/integrations.ts';
import { getFieldPriorities } from '../store/field-priorities.ts';
import { linksForEmployees } from '../store/links.ts';
import { decodeProvenance, encodeProvenance } from '../store/provenance.ts';
import type { Database } from '../store/schema.ts';
import type { RunWriter } from './fenced-run.ts';

/** People linked to two or more sources, optionally among `among`. */
export async function sharedEmployees(db: Kysely<Database>, tenantId: string, among?: readonly string[]): Promise<string[]> {
  const query = (ids?: readonly string[]) => {
    let q = db.selectFrom('employee_links').select('employee_id').where('tenant_id', '=', tenantId).where('employee_id', 'is not', null);
    if (ids) q = q.where('employee_id', 'in', ids);
    return q.groupBy('employee_id').having((eb) => eb.fn.countAll(), '>', 1).execute();
  };
  if (!among) return (await query()).map((r) => r.employee_id!);
  const out: string[] = [];
  for (const chunk of chunks(among, 500)) out.push(...(await query(chunk)).map((r) => r.employee_id!));
  return out;
}

/** What resolution needs besides the people: every source of the tenant and the per-field orders. */
export interface ResolveContext {
  readonly integrations: ReadonlyMap<string, Integration>;
  readonly overrides: FieldPriorities;
  /** The source whose run this is: it owns its people during its own run (as the planner sees it). */
  readonly owner?: string;
}

export async function resolveContext(db: Kysely<Database>, tenantId: string, owner?: string): Promise<ResolveContext> {
  return {
    integrations: new Map((await listIntegrations(db, tenantId)).map((i) => [i.id, i])),
    overrides: await getFieldPriorities(db, tenantId),
    ...(owner ? { owner } : {}),
  };
}

/**
 * Resolves people again from their stored per-source values — after a rank or field-priority change, or after a
 * run for people several sources share (another source's value may now fill a field) — and
 * writes what changed with an audit entry saying why. Within a run, `writer` fences each write.
 */
export async function reresolveEmployees(db: Kysely<Database>, tenantId: string, ids: readonly string[], why: string, writer: RunWriter = { write: (fn) => db.transaction().execute(fn) }): Promise<number> {
  const rc = await resolveContext(db, tenantId);
  let changed = 0;
  for (const chunk of chunks(ids, 500)) changed += await writer.write((trx) => resolveAgain(trx, tenantId, chunk, why, rc));
  return changed;
}

/**
 * Resolves `ids` again inside `trx`, reading and writing there: each person is written only at
 * the version just read (compare-and-set), and read again when someone wrote them meanwhile, so
 * an edit committed between the read and the write is never overwritten. Each write moves the
 * version and commits with its audit entry. Answers how many people changed.
 */
export async function resolveAgain(trx: Transaction<Database>, tenantId: string, ids: readonly string[], why: string, rc: ResolveContext): Promise<number> {
  let changed = 0;
  let pending = [...ids];
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    if (attempt >= 10) throw new Error(`could not resolve ${pending.length} people again: they kept changing underneath`);
    const employees = await employeesByIds(trx, tenantId, pending);
    const links = await linksForEmployees(trx, tenantId, pending);
    const retry: string[] = [];
    for (const id of pending) {
      const row = employees.get(id);
      if (!row) continue;
      const current = { status: row.status as PersonStatus, fields: parseJson<FieldValues>(row.fields, {}), provenance: decodeProvenance(row.provenance) };
      const views: SourceView[] = links
        .filter((l) => l.employee_id === id)
        .map((l) => {
          const view = sourceViewOf(l, parseJson<FieldValues>(l.field_values, {}), rc.integrations.get(l.integration_id));
          return l.integration_id === rc.owner ? { ...view, enabled: true } : view;
        });
      const next = resolvePerson(current, views, rc.overrides);
      const diff = diffFields(current.fields, next.fields);
      const statusChanged = next.status !== current.status;
      if (!diff && !statusChanged && encodeProvenance(next.provenance) === encodeProvenance(current.provenance)) continue;
      const result = await trx
        .updateTable('employees')
        .set((eb) => ({ ...stateColumns(next, nowIso()), version: eb('version', '+', 1) }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('version', '=', row.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        retry.push(id);
        continue;
      }
      changed += 1;
      if (diff || statusChanged) {
        await audit(
          trx,
          tenantId,
          'employee.resolved',
          id,
          { ...diff?.before, ...(statusChanged ? { status: current.status } : {}) },
          { ...diff?.after, ...(statusChanged ? { status: next.status } : {}), reason: why },
          { type: 'system', id: null },
        );
      }
    }
    pending = retry;
  }
  return changed;
}
