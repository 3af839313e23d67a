import { descriptorOf } from '../providers/descriptors.ts';
import { STANDARD_FIELDS, type FieldName } from '../core/fields.ts';
import { fieldLocks } from './locks.ts';
import type { FieldPriorities } from '../core/resolve.ts';
import type { Employee } from '../store/employees.ts';
import type { Integration } from '../store/integrations.ts';
import type { Run } from '../store/runs.ts';
import type { EmployeeLinkRow } from '../store/schema.ts';
import type { Health } from './integrations-service.ts';
import type { IntegrationT } from '../api/contract/integrations.ts';
import type { RunT } from '../api/contract/runs.ts';
import type { EmployeeT } from '../api/contract/employees.ts';
import { asContract } from '../api/contract/common.ts';

/** API shapes (DESIGN.md §4): the only place rows become JSON. */
export function presentIntegration(i: Integration, health: Health, lastRun: Run | null): IntegrationT {
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
      scope: asContract<IntegrationT['userSync']['scope']>(i.userSync.scope),
      fieldMapping: i.userSync.fieldMapping,
      outOfScopeAction: i.userSync.outOfScopeAction,
      safeguard: i.userSync.safeguard,
      lastRun: lastRun ? presentRun(lastRun) : null,
      nextRunAt: i.nextRunAt,
    },
    groupSync: { enabled: i.groupSync.enabled, mapping: asContract<IntegrationT['groupSync']['mapping']>(i.groupSync.mapping), ...(descriptorOf(i.provider)?.capabilities.directoryGroups ? { directoryGroups: asContract<IntegrationT['groupSync']['directoryGroups']>(i.groupSync.directoryGroups ?? null) } : {}) },
    health,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

/**
 * How far a run is, 0–100, when it can be known: fetching is the first 60 % (known only when the
 * provider tells how many people it has), applying the next 35 %, groups the rest.
 */
export function progressPercent(r: Pick<Run, 'status' | 'progress'>): number | null {
  if (r.status !== 'queued' && r.status !== 'running') return r.status === 'blocked' ? 60 : 100;
  const p = r.progress;
  const share = (done: number, of: number) => (of > 0 ? Math.min(1, done / of) : 1);
  switch (p.phase) {
    case 'queued':
      return 0;
    case 'fetching':
      return p.total ? Math.floor(share(p.fetched, p.total) * 60) : null;
    case 'planned':
      return 60;
    case 'applying':
      return 60 + Math.floor(share(p.applied, p.toApply) * 35);
    case 'groups':
      return 95;
    default:
      return 99;
  }
}

export function presentRun(r: Run): RunT {
  const retry = r.progress.retry ?? null;
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
    planned: r.planned,
    safeguard: r.safeguard,
    progress: {
      phase: r.progress.phase,
      fetched: r.progress.fetched,
      total: r.progress.total,
      applied: r.progress.applied,
      toApply: r.progress.toApply,
      percent: progressPercent(r),
      message: r.progress.message,
      // A wait that is over is no longer news.
      retry: retry && (r.status === 'running' || r.status === 'queued') ? retry : null,
    },
    error: r.error,
  };
}

/**
 * fieldLocks for a page of people: the locks depend only on which sources own a person's fields
 * (the links fieldLocks counts), so people with the same ones share a result, worked out once.
 */
export function lockMemo(integrations: ReadonlyMap<string, Integration>, overrides: FieldPriorities): (links: readonly EmployeeLinkRow[]) => ReadonlyMap<FieldName, Integration> {
  const known = new Map<string, ReadonlyMap<FieldName, Integration>>();
  return (links) => {
    const key = links
      .filter((l) => l.present === 1 || l.source_status !== null)
      .map((l) => l.integration_id)
      .sort()
      .join(',');
    let locks = known.get(key);
    if (!locks) known.set(key, (locks = fieldLocks(links, integrations, overrides)));
    return locks;
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
  locksOf: (links: readonly EmployeeLinkRow[]) => ReadonlyMap<FieldName, Integration> = (l) => fieldLocks(l, integrations, overrides),
): EmployeeT {
  const locks = locksOf(links);
  const names = new Set<string>([...STANDARD_FIELDS, ...Object.keys(e.fields)]);
  const fields: EmployeeT['fields'] = {};
  for (const name of names) {
    const p = e.provenance[name as FieldName];
    const winner = p ? integrations.get(p.integrationId) : undefined;
    const locker = locks.get(name as FieldName);
    fields[name] = {
      value: e.fields[name as FieldName] ?? null,
      source: winner ? { integrationId: winner.id, provider: winner.provider } : null,
      locked: locker !== undefined,
      ...(locker ? { lockedBy: locker.name, lockedByProvider: locker.provider } : {}),
    };
  }
  return {
    id: e.id,
    status: e.status,
    role: e.role,
    fields,
    customConfig: e.customConfig,
    groups: groups.map((g) => ({ id: g.id, name: g.name, type: g.type, origin: g.origin })),
    links: links.map((l) => ({ integrationId: l.integration_id, provider: integrations.get(l.integration_id)?.provider ?? null, externalId: l.external_id, present: l.present === 1 })),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    version: e.version,
  };
}
