import type { Kysely } from 'kysely';
import { normalizeEmail, normalizeEmployeeNumber } from '../core/correlate.ts';
import type { FieldValues } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { diffFields, resolvePerson, type SourceView } from '../core/resolve.ts';
import { sourceViewOf } from './source-view.ts';
import { chunks, employeesByIds, searchText } from '../store/employees.ts';
import { newId, nowIso, parseJson } from '../store/ids.ts';
import { listIntegrations } from '../store/integrations.ts';
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

/**
 * Resolves people again from their stored per-source values — after a rank or field-priority change, or after a
 * run for people several sources share (another source's value may now fill a field) — and
 * writes what changed with an audit entry saying why. Within a run, `writer` fences each write.
 */
export async function reresolveEmployees(db: Kysely<Database>, tenantId: string, ids: readonly string[], why: string, writer: RunWriter = { write: (fn) => db.transaction().execute(fn) }): Promise<number> {
  const integrations = new Map((await listIntegrations(db, tenantId)).map((i) => [i.id, i]));
  const overrides = await getFieldPriorities(db, tenantId);
  let changed = 0;
  for (const chunk of chunks(ids, 500)) {
    const employees = await employeesByIds(db, tenantId, chunk);
    const links = await linksForEmployees(db, tenantId, chunk);
    for (const id of chunk) {
      const row = employees.get(id);
      if (!row) continue;
      const current = { status: row.status as PersonStatus, fields: parseJson<FieldValues>(row.fields, {}), provenance: decodeProvenance(row.provenance) };
      const views: SourceView[] = links
        .filter((l) => l.employee_id === id)
        .map((l) => sourceViewOf(l, parseJson<FieldValues>(l.field_values, {}), integrations.get(l.integration_id)));
      const next = resolvePerson(current, views, overrides);
      const diff = diffFields(current.fields, next.fields);
      const statusChanged = next.status !== current.status;
      if (!diff && !statusChanged && encodeProvenance(next.provenance) === encodeProvenance(current.provenance)) continue;
      changed += 1;
      const now = nowIso();
      await writer.write(async (trx) => {
        await trx
          .updateTable('employees')
          .set({
            status: next.status,
            fields: JSON.stringify(next.fields),
            provenance: encodeProvenance(next.provenance),
            email_norm: normalizeEmail(next.fields.email) ?? null,
            employee_number: normalizeEmployeeNumber(next.fields.employeeNumber) ?? null,
            search_text: searchText(next.fields),
            updated_at: now,
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
        if (diff || statusChanged) {
          await trx
            .insertInto('audit_events')
            .values({
              id: newId(),
              tenant_id: tenantId,
              at: now,
              actor_type: 'system',
              actor_id: null,
              action: 'employee.resolved',
              entity_type: 'employee',
              entity_id: id,
              before: JSON.stringify({ ...diff?.before, ...(statusChanged ? { status: current.status } : {}) }),
              after: JSON.stringify({ ...diff?.after, ...(statusChanged ? { status: next.status } : {}), reason: why }),
            })
            .execute();
        }
      });
    }
  }
  return changed;
}
