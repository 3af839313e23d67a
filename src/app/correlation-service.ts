import { ResolveCaseBody } from '../api/contract/audit.ts';
import type { AppContext } from './context.ts';
import { ApiError, notFound } from './errors.ts';
import { audit } from '../store/audit.ts';
import { insertEmployee } from './employees-service.ts';
import type { FieldValues } from '../core/fields.ts';
import { getCorrelationCase, type CorrelationCase } from '../store/correlation-cases.ts';
import { getEmployee } from '../store/employees.ts';
import { nowIso, parseJson } from '../store/ids.ts';

/**
 * An admin decides an ambiguous match: link the source record to an employee, or create a new
 * one. The link is written with an empty record hash so the source's next run re-plans the person
 * and fills their fields through the normal resolution (no values are invented here).
 *
 * Atomic: the case is claimed (open → resolved, compare-and-set) first in one transaction with
 * the link, the new employee and the audit entry, so a second decision made at the same time
 * finds it resolved and answers 409, and a refused decision (an e-mail taken) changes nothing.
 */
export async function resolveCase(ctx: AppContext, tenantId: string, id: string, body: unknown): Promise<CorrelationCase> {
  const parsed = ResolveCaseBody.safeParse(body ?? {});
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'action must be "link" (with employeeId) or "create"', { field: 'action' });
  const decision = parsed.data;
  const found = await getCorrelationCase(ctx.store.db, tenantId, id);
  if (!found) throw notFound('correlation case', id);
  const alreadyResolved = () => new ApiError(409, 'case_resolved', `Correlation case ${id} was already resolved.`);
  if (found.status !== 'open') throw alreadyResolved();
  await ctx.store.db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('correlation_cases')
      .set({ status: 'resolved', resolved_at: nowIso() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw alreadyResolved();
    let employeeId: string;
    if (decision.action === 'link') {
      const target = await getEmployee(trx, tenantId, decision.employeeId);
      if (!target) throw notFound('employee', decision.employeeId);
      const taken = await trx
        .selectFrom('employee_links')
        .select('external_id')
        .where('tenant_id', '=', tenantId)
        .where('integration_id', '=', found.integrationId)
        .where('employee_id', '=', target.id)
        .executeTakeFirst();
      if (taken) throw new ApiError(409, 'already_linked', `Employee ${target.id} is already linked to record ${taken.external_id} of this source.`);
      employeeId = target.id;
    } else {
      const link = await trx.selectFrom('employee_links').select('field_values').where('integration_id', '=', found.integrationId).where('external_id', '=', found.externalId).executeTakeFirst();
      const values = parseJson<FieldValues>(link?.field_values ?? null, {});
      if (!values.email) throw new ApiError(409, 'no_email', 'The source record has no work email, so a new employee cannot be created from it.');
      // A work email another employee already has answers 409 email_taken: link to them instead, or fix the email in the HRIS.
      employeeId = await insertEmployee(trx, tenantId, { fields: values, role: 'member', status: 'active', customConfig: {} }, null);
    }
    await trx
      .updateTable('employee_links')
      .set({ employee_id: employeeId, record_hash: '' })
      .where('tenant_id', '=', tenantId)
      .where('integration_id', '=', found.integrationId)
      .where('external_id', '=', found.externalId)
      .execute();
    await trx.updateTable('correlation_cases').set({ resolution: JSON.stringify({ action: decision.action, employeeId }) }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await audit(trx, tenantId, 'correlation.resolved', id, { reason: found.reason, candidates: found.candidates }, { action: decision.action, employeeId, externalId: found.externalId });
  });
  return (await getCorrelationCase(ctx.store.db, tenantId, id))!;
}
