import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';

/**
 * Everything a sync writes, by content rather than by id (ids differ between two stores): each
 * person with their manager named by email, each link by external id, each group and membership
 * by name. Two runs that reach the same state give equal values.
 */
export async function syncedState(db: Kysely<Database>): Promise<{ employees: string[]; links: string[]; groups: string[]; memberships: string[] }> {
  const rows = await db.selectFrom('employees').select(['id', 'status', 'role', 'fields', 'custom_config']).execute();
  const emailOf = new Map(rows.map((r) => [r.id, (JSON.parse(r.fields) as { email?: string }).email ?? `(no email ${r.id})`]));
  const employees = rows
    .map((r) => {
      const fields = JSON.parse(r.fields) as Record<string, string>;
      if (fields.managerId) fields.managerId = emailOf.get(fields.managerId) ?? 'dangling';
      return JSON.stringify([r.status, r.role, fields, r.custom_config]);
    })
    .sort();
  const linkRows = await db.selectFrom('employee_links').select(['external_id', 'employee_id', 'record_hash', 'present', 'source_status', 'in_scope']).execute();
  const links = linkRows.map((l) => JSON.stringify([l.external_id, l.employee_id ? emailOf.get(l.employee_id) : null, l.record_hash, l.present, l.source_status, l.in_scope])).sort();
  const groupRows = await db.selectFrom('groups').select(['id', 'name', 'type', 'parent_id', 'origin', 'archived']).execute();
  const nameOf = new Map(groupRows.map((g) => [g.id, g.name]));
  const groups = groupRows.map((g) => JSON.stringify([g.name, g.type, g.parent_id ? nameOf.get(g.parent_id) : null, g.origin, g.archived])).sort();
  const memberRows = await db.selectFrom('group_memberships').select(['group_id', 'employee_id', 'origin']).execute();
  const memberships = memberRows.map((m) => JSON.stringify([nameOf.get(m.group_id), emailOf.get(m.employee_id), m.origin])).sort();
  return { employees, links, groups, memberships };
}

/** People by work email: each must be exactly one employee. */
export async function duplicateEmails(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('employees').select('email_norm').where('email_norm', 'is not', null).execute();
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const r of rows) {
    if (seen.has(r.email_norm!)) dupes.push(r.email_norm!);
    seen.add(r.email_norm!);
  }
  return dupes;
}
