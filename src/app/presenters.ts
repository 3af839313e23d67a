import { STANDARD_FIELDS, type FieldName } from '../core/fields.ts';
import { fieldLocks } from './locks.ts';
import type { FieldPriorities } from '../core/resolve.ts';
import type { Employee } from '../store/employees.ts';
import type { Integration } from '../store/integrations.ts';
import type { Run } from '../store/runs.ts';
import type { EmployeeLinkRow } from '../store/schema.ts';
import type { Health } from './integrations-service.ts';

/** API shapes (DESIGN.md §4): the only place rows become JSON. */
export function presentIntegration(i: Integration, health: Health, lastRun: Run | null) {
  return {
    id: i.id,
    provider: i.provider,
    name: i.name,
    priority: i.priority,
    settings: i.settings,
    connection: { status: i.connection.status, detail: i.connection.detail, changedAt: i.connection.changedAt },
    userSync: {
      enabled: i.userSync.enabled,
      cadence: i.userSync.cadence,
      scope: i.userSync.scope,
      fieldMapping: i.userSync.fieldMapping,
      outOfScopeAction: i.userSync.outOfScopeAction,
      safeguard: i.userSync.safeguard,
      lastRun: lastRun ? presentRun(lastRun) : null,
      nextRunAt: i.nextRunAt,
    },
    groupSync: { enabled: i.groupSync.enabled, mapping: i.groupSync.mapping },
    health,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

export function presentRun(r: Run) {
  return {
    id: r.id,
    integrationId: r.integrationId,
    trigger: r.trigger,
    mode: r.mode,
    dryRun: r.dryRun,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    counts: r.counts,
    progress: r.progress,
    error: r.error,
  };
}

/**
 * Fields with value, winning source and lock. A field is locked when an enabled source linked to
 * the person maps it; the source named is the one whose value won, else the top-ranked mapper.
 */
export function presentEmployee(
  e: Employee,
  links: readonly EmployeeLinkRow[],
  integrations: ReadonlyMap<string, Integration>,
  groups: readonly { id: string; name: string; type: string; origin: string }[] = [],
  overrides: FieldPriorities = {},
) {
  const locks = fieldLocks(links, integrations, overrides);
  const names = new Set<string>([...STANDARD_FIELDS, ...Object.keys(e.fields)]);
  const fields: Record<string, { value: string | null; source: { integrationId: string; provider: string } | null; locked: boolean; lockedBy?: string }> = {};
  for (const name of names) {
    const p = e.provenance[name as FieldName];
    const winner = p ? integrations.get(p.integrationId) : undefined;
    const locker = locks.get(name as FieldName);
    fields[name] = {
      value: e.fields[name as FieldName] ?? null,
      source: winner ? { integrationId: winner.id, provider: winner.provider } : null,
      locked: locker !== undefined,
      ...(locker ? { lockedBy: locker.name } : {}),
    };
  }
  return {
    id: e.id,
    status: e.status,
    role: e.role,
    fields,
    groups: groups.map((g) => ({ id: g.id, name: g.name, type: g.type, origin: g.origin })),
    links: links.map((l) => ({ integrationId: l.integration_id, provider: integrations.get(l.integration_id)?.provider ?? null, externalId: l.external_id, present: l.present === 1 })),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
