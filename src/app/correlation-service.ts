import { ResolveCaseBody } from '../api/contract/audit.ts';
import type { AppContext } from './context.ts';
import { ApiError, notFound } from './errors.ts';
import { audit } from '../store/audit.ts';
import { insertEmployee } from './employees-service.ts';
import type { FieldValues } from '../core/fields.ts';
import type { Kysely } from 'kysely';
import { normalizeEmail } from '../core/correlate.ts';
import type { Database } from '../store/schema.ts';
import { countCorrelationCases, getCorrelationCase, listCorrelationCases, type CorrelationCase } from '../store/correlation-cases.ts';
import { employeesByIds, getEmployee } from '../store/employees.ts';
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

/**
 * The employee a case suggests: its only candidate, or the one candidate whose work e-mail is the
 * record's (e-mail is the stronger key: a number match beside it is the doubt). None when the
 * candidates are equally likely (several people share the e-mail or the number).
 */
export function suggestionOf(c: Pick<CorrelationCase, 'candidates' | 'email'>, emailOf: ReadonlyMap<string, string | null>): string | null {
  if (c.candidates.length === 1) return c.candidates[0]!;
  const email = normalizeEmail(c.email ?? undefined);
  if (!email) return null;
  const same = c.candidates.filter((id) => emailOf.get(id) === email);
  return same.length === 1 ? same[0]! : null;
}

/** Cases with their suggestion (one query for every candidate's e-mail). */
export async function withSuggestions<C extends CorrelationCase>(db: Kysely<Database>, tenantId: string, cases: readonly C[]): Promise<(C & { suggestedEmployeeId: string | null })[]> {
  const found = await employeesByIds(db, tenantId, [...new Set(cases.flatMap((c) => c.candidates))]);
  const emailOf = new Map([...found.values()].map((e) => [e.id, e.email_norm]));
  return cases.map((c) => ({ ...c, suggestedEmployeeId: c.status === 'open' ? suggestionOf(c, emailOf) : null }));
}

/** At most this many cases are decided per request (each in its own transaction). */
export const BULK_CASES_MAX = 500;

/** Why a case was not decided, in words an admin reads (no ids). */
function refusalInWords(error: ApiError, action: 'link' | 'create', email: string | null): string {
  switch (error.code) {
    case 'already_linked':
      return 'the suggested employee is already linked to another person from this source';
    case 'email_taken':
      return `another employee already has the work email ${email ?? ''}; link the case to them instead`.replace('  ', ' ');
    case 'no_email':
      return 'the record has no work email, so no employee can be created from it';
    case 'case_resolved':
      return 'someone resolved it meanwhile';
    case 'not_found':
      return action === 'link' ? 'the suggested employee no longer exists' : 'the case no longer exists';
    default:
      return error.message;
  }
}

export interface BulkOutcome {
  readonly action: 'link-suggested' | 'create';
  readonly succeeded: number;
  readonly failed: { readonly caseId: string; readonly name: string; readonly reason: string }[];
  /** Open cases this request did not reach (it decides at most BULK_CASES_MAX): send it again. */
  readonly remaining: number;
}

/**
 * "Link all suggested" or "Create all as new" over the open cases (or the ones named): each case
 * is decided on its own, atomically, exactly as one decision (resolveCase); the answer counts
 * the successes and says for each failure who it was and why, in words.
 */
export async function resolveCasesInBulk(ctx: AppContext, tenantId: string, body: { action: 'link-suggested' | 'create'; caseIds?: string[] | undefined }): Promise<BulkOutcome> {
  const db = ctx.store.db;
  const open = await listCorrelationCases(db, tenantId, { status: 'open', limit: BULK_CASES_MAX + 1, ...(body.caseIds ? { ids: body.caseIds } : {}) });
  const cases = await withSuggestions(db, tenantId, open.slice(0, BULK_CASES_MAX));
  const remaining = open.length > BULK_CASES_MAX ? (await countCorrelationCases(db, tenantId, { status: 'open' })) - cases.length : 0;
  const failed: BulkOutcome['failed'][number][] = [];
  let succeeded = 0;
  const named = new Set(cases.map((c) => c.id));
  for (const id of body.caseIds ?? []) if (!named.has(id)) failed.push({ caseId: id, name: 'A case', reason: 'is not open (already resolved, or not in this account)' });
  for (const c of cases) {
    const name = c.displayName ?? c.email ?? 'Someone without a name';
    if (body.action === 'link-suggested' && !c.suggestedEmployeeId) {
      failed.push({ caseId: c.id, name, reason: `could be any of ${c.candidates.length} employees; pick one` });
      continue;
    }
    try {
      await resolveCase(ctx, tenantId, c.id, body.action === 'create' ? { action: 'create' } : { action: 'link', employeeId: c.suggestedEmployeeId });
      succeeded += 1;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failed.push({ caseId: c.id, name, reason: refusalInWords(error, body.action === 'create' ? 'create' : 'link', c.email) });
    }
  }
  return { action: body.action, succeeded, failed, remaining };
}
