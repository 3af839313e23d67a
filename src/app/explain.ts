import type { AppContext } from './context.ts';
import { normalizeEmail } from '../core/correlate.ts';
import { getEmployee, type Employee } from '../store/employees.ts';
import { listIntegrations } from '../store/integrations.ts';
import { parseJson } from '../store/ids.ts';
import { changesForEmployee } from '../store/run-changes.ts';
import type { EmployeeLinkRow } from '../store/schema.ts';
import { descriptorOf, providerName } from '../providers/descriptors.ts';
import { explainGroups } from './groups-service.ts';
import { fieldLocks } from './locks.ts';
import type { FieldName } from '../core/fields.ts';
import type { FieldPriorities } from '../core/resolve.ts';
import { getFieldPriorities } from '../store/field-priorities.ts';
import type { Integration } from '../store/integrations.ts';

export interface Explanation {
  readonly query: string;
  readonly employee: { id: string; status: string; role: string; email: string | null } | null;
  readonly sources: {
    integrationId: string;
    integration: string;
    externalId: string;
    linked: boolean;
    presentInSource: boolean;
    inScope: boolean;
    scopeReason: string;
    status: string | null;
    statusReason: string;
    lastSeenAt: string;
  }[];
  /** Each field: its value, the source it came from and why that one, and who locks it. */
  readonly fields: { field: string; value: string; source: string; why: string; lockedBy: string | null }[];
  readonly lastChange: { runId: string; kind: string; reason: string | null } | null;
  /** The person's groups, each with why (Group Sync rule or added by hand). */
  readonly groups: { id: string; name: string; type: string; origin: string; archived: boolean; why: string }[];
  readonly summary: string[];
}

/** Answers "why is (or isn't) this person synced?" from the records the engine keeps. */
const ROLE_WORDS: Record<string, string> = { organization_admin: 'an Organization Admin', compliance_manager: 'a Compliance Manager', member: 'a member' };

export async function explainPerson(ctx: AppContext, tenantId: string, query: string): Promise<Explanation> {
  const { db } = ctx.store;
  let employee: Employee | undefined = await getEmployee(db, tenantId, query);
  const email = normalizeEmail(query);
  if (!employee && email) {
    const row = await db.selectFrom('employees').select('id').where('tenant_id', '=', tenantId).where('email_norm', '=', email).executeTakeFirst();
    if (row) employee = await getEmployee(db, tenantId, row.id);
  }
  let links: EmployeeLinkRow[] = employee ? await db.selectFrom('employee_links').selectAll().where('tenant_id', '=', tenantId).where('employee_id', '=', employee.id).execute() : [];
  if (!employee && email) {
    // Not an employee: maybe a source has them but did not sync them (out of scope, skipped).
    const candidates = await db.selectFrom('employee_links').selectAll().where('tenant_id', '=', tenantId).where('employee_id', 'is', null).execute();
    links = candidates.filter((l) => normalizeEmail(parseJson<Record<string, string>>(l.field_values, {}).email) === email);
  }
  const integrations = new Map((await listIntegrations(db, tenantId)).map((i) => [i.id, i]));
  const nameOf = (id: string) => integrations.get(id)?.name ?? id;
  const sources = links.map((l) => ({
    integrationId: l.integration_id,
    integration: nameOf(l.integration_id),
    externalId: l.external_id,
    linked: l.employee_id !== null,
    presentInSource: l.present === 1,
    inScope: l.in_scope === 1,
    scopeReason: l.scope_reason,
    status: l.source_status,
    statusReason: l.status_reason,
    lastSeenAt: l.last_seen_at,
  }));
  const overrides = await getFieldPriorities(db, tenantId);
  const locks = employee ? fieldLocks(links, integrations, overrides) : new Map<FieldName, Integration>();
  const fields = employee
    ? Object.entries(employee.fields).map(([field, value]) => {
        const p = employee!.provenance[field as FieldName];
        return { field, value: String(value), source: p ? nameOf(p.integrationId) : 'set in ReFresh', why: whyField(field as FieldName, p?.integrationId, integrations, overrides), lockedBy: locks.get(field as FieldName)?.name ?? null };
      })
    : [];
  const last = employee ? (await changesForEmployee(db, tenantId, employee.id, 1))[0] : undefined;
  const groupsWhy = employee ? await explainGroups(ctx, tenantId, employee.id) : undefined;
  const summary: string[] = [];
  if (!employee && sources.length === 0) summary.push(`No employee and no source record matches "${query}". Check the spelling, or whether the person exists in the HRIS.`);
  if (!employee && sources.length > 0) {
    for (const s of sources) summary.push(`${s.integration} has this person (id ${s.externalId}) but did not sync them: ${s.inScope ? s.statusReason : s.scopeReason}.`);
  }
  if (employee) {
    // Words for an admin: the person's name and role, never their id or the role's code.
    const f = employee.fields;
    const name = f.displayName ?? ([f.preferredName ?? f.firstName, f.lastName].filter(Boolean).join(' ') || f.email || 'This employee');
    summary.push(`${name} is ${employee.status}, ${ROLE_WORDS[employee.role] ?? 'a member'}.`);
    if (sources.length === 0) summary.push('No source is linked: the person was added in ReFresh and only admins change them.');
    for (const s of sources) {
      const source = integrations.get(s.integrationId);
      const provider = source ? providerName(source.provider) : 'the source';
      summary.push(`${s.integration}: ${provider} id ${s.externalId}, ${s.presentInSource ? 'present' : 'no longer present'}, ${s.inScope ? 'in scope' : 'out of scope'} (${s.scopeReason}); status ${s.status ?? 'left alone'}: ${s.statusReason}.`);
    }
    summary.push(...accountNotes(employee, links, [...integrations.values()]));
  }
  return {
    query,
    employee: employee ? { id: employee.id, status: employee.status, role: employee.role, email: employee.fields.email ?? null } : null,
    sources,
    fields,
    lastChange: last ? { runId: last.runId, kind: last.kind, reason: last.reason } : null,
    groups: groupsWhy?.groups ?? [],
    summary: [...summary, ...(groupsWhy?.summary ?? [])],
  };
}

/** Why a field's value came from where it did: the field's own source order, or the ranks. */
function whyField(field: FieldName, winner: string | undefined, integrations: ReadonlyMap<string, Integration>, overrides: FieldPriorities): string {
  if (!winner) return 'no enabled source maps this field';
  const order = (overrides[field] ?? []).filter((id) => integrations.has(id));
  if (order.length > 0) {
    const names = order.map((id) => integrations.get(id)!.name).join(' > ');
    return order.includes(winner)
      ? `first source with a value in the field priority for ${field} (${names}, then the ranks)`
      : `none of the field priority for ${field} (${names}) has a value; highest-ranked enabled source with one (rank ${integrations.get(winner)?.priority ?? '?'})`;
  }
  return `highest-ranked enabled source with a value (rank ${integrations.get(winner)?.priority ?? '?'})`;
}

/** Whether a provider is an identity provider (accounts, not employment: Google Workspace, Entra ID). */
function isIdentityProvider(provider: string): boolean {
  return (descriptorOf(provider)?.correlationAliases?.length ?? 0) > 0;
}

/**
 * An HR person without an account, and an account without an HR person: both normal, both said.
 * For each enabled identity provider with no account linked: how it was looked for. For an employee
 * whom only identity providers know: that no HR source has them.
 */
function accountNotes(employee: Employee, links: readonly EmployeeLinkRow[], integrations: readonly Integration[]): string[] {
  const enabled = integrations.filter((i) => i.userSync.enabled);
  const linked = new Set(links.map((l) => l.integration_id));
  const notes: string[] = [];
  const email = employee.fields.email ?? null;
  const number = employee.fields.employeeNumber ?? null;
  for (const idp of enabled.filter((i) => isIdentityProvider(i.provider) && !linked.has(i.id))) {
    const keys = [email ? `mail, user principal name or alias ${email}` : null, number ? `employee ID ${number}` : null].filter(Boolean).join(', nor ');
    notes.push(
      `${idp.name} has no account linked to this person: no account in its sync scope has ${keys || 'a matching address'}. That is normal for people without a sign-in (contractors, people not yet started); if they should have one, create the account or give it this work email as mail or alias.`,
    );
  }
  const hrLinked = enabled.some((i) => !isIdentityProvider(i.provider) && linked.has(i.id));
  const hrSources = enabled.filter((i) => !isIdentityProvider(i.provider));
  if (!hrLinked && hrSources.length > 0 && links.some((l) => isIdentityProvider(integrations.find((i) => i.id === l.integration_id)?.provider ?? ''))) {
    notes.push(
      `No HR source (${hrSources.map((i) => i.name).join(', ')}) has this person: they come from an identity provider account only (an admin, service or shared account, or someone HR has not entered yet). Leave such accounts out with a scope rule on the identity provider, or add the person in the HRIS.`,
    );
  }
  return notes;
}
