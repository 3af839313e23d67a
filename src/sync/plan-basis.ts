import type { Kysely, Transaction } from 'kysely';
import { stableHash } from '../core/hash.ts';
import type { FieldPriorities } from '../core/resolve.ts';
import { syncBaseHash } from '../store/employees.ts';
import { getFieldPriorities } from '../store/field-priorities.ts';
import { getIntegration, listIntegrations, type Integration } from '../store/integrations.ts';
import { createdEmails, employeesWrittenSince, movedPeople } from '../store/run-changes.ts';
import { laterAppliedRun } from '../store/runs.ts';
import type { Database, RunRow } from '../store/schema.ts';
import { getTenant } from '../store/tenants.ts';
import { isOwningSource } from './source-view.ts';
import { configHash } from './evaluate.ts';

/** What a plan was made from, stored on the run (`runs.plan_basis`) when it is planned. */
export interface PlanBasis {
  /** The settings the plan depends on (see planFingerprint). */
  readonly fingerprint: string;
  /** When the fetch began: people written after it may collide with a person the plan creates. */
  readonly plannedAt: string;
  /** Set when the run is held on group archives (its people applied): what an approval archives. */
  readonly heldArchives?: HeldArchives;
}

/** The group archives a run holds for approval, and what they were planned from. */
export interface HeldArchives {
  /** groupFingerprint of the integration when they were held. */
  readonly fingerprint: string;
  readonly heldAt: string;
  /** The groups an approval archives (no other). */
  readonly groups: readonly string[];
}

/** The settings a group plan depends on: Group Sync's own (mapping, directory groups) and the field mapping its attributes come through. */
export function groupFingerprint(integration: Integration): string {
  return stableHash({ groupSync: integration.groupSync, fieldMapping: integration.userSync.fieldMapping });
}

/**
 * The settings a plan depends on: the run's scope, field mapping and out-of-scope action, the
 * tenant's time zone, and for every source its rank, whether it owns its people and what it maps
 * (they decide shared people's fields), plus the per-field orders. Any change makes a held plan stale.
 */
export function planFingerprint(integration: Integration, all: readonly Integration[], overrides: FieldPriorities, timeZone: string): string {
  const sources = all
    .map((i) => (i.id === integration.id ? integration : i))
    .map((i) => [i.id, i.priority, i.id === integration.id || isOwningSource(i), i.userSync.fieldMapping] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return stableHash({ config: configHash(integration.userSync, timeZone), enabled: integration.userSync.enabled, sources, overrides });
}

/** The fingerprint of the settings as they stand now. */
export async function currentFingerprint(db: Kysely<Database>, tenantId: string, integrationId: string): Promise<string | null> {
  const integration = await getIntegration(db, tenantId, integrationId);
  const tenant = await getTenant(db, tenantId);
  if (!integration || !tenant) return null;
  return planFingerprint(integration, await listIntegrations(db, tenantId), await getFieldPriorities(db, tenantId), tenant.time_zone);
}

/** Why a held run's plan no longer holds; empty when it applies exactly as staged. */
export interface Staleness {
  readonly reasons: string[];
  /** People of the plan whose status or fields were changed since (a few, to name them). */
  readonly people: { id: string; name: string | null }[];
}

/**
 * Checks, for a run held with its people not yet applied, that nothing it depends on moved since
 * it was planned: no later run of the integration applied anything, its settings (scope,
 * mapping, ranks, field orders) are the same, none of its people had their status or fields
 * written (a ReFresh-only edit — role, custom configuration, memberships — does not count), and
 * nobody took an e-mail a person it creates would get. `fingerprint` is computed by the caller
 * (currentFingerprint) before its transaction.
 */
export async function planStaleness(trx: Transaction<Database>, run: RunRow, fingerprint: string | null): Promise<Staleness> {
  const reasons: string[] = [];
  const basis = run.plan_basis ? (JSON.parse(run.plan_basis) as PlanBasis) : null;
  const later = await laterAppliedRun(trx, run);
  if (later) reasons.push(`run ${later} of this integration applied changes after this one was planned`);
  if (!basis || basis.fingerprint !== fingerprint) reasons.push("the integration's scope, field mapping or source priorities changed");
  const moved = (await movedPeople(trx, run.id)).filter((m) => m.base_hash !== syncBaseHash(m));
  if (moved.length > 0) reasons.push(`${moved.length === 1 ? 'one of its people was' : `${moved.length} of its people were`} edited since`);
  if (basis) {
    const written = await employeesWrittenSince(trx, run.tenant_id, basis.plannedAt);
    if (written.size > 0) {
      const taken = (await createdEmails(trx, run.id)).filter((e) => written.has(e));
      if (taken.length > 0) reasons.push(`${taken.length === 1 ? 'a work e-mail' : `${taken.length} work e-mails`} it would give new people ${taken.length === 1 ? 'is' : 'are'} now used by someone else`);
    }
  }
  return { reasons, people: moved.slice(0, 3).map((m) => ({ id: m.employee_id, name: m.display_name })) };
}

/**
 * Checks, for a run held on group archives (people already applied), that what they were planned
 * from still holds: the Group Sync settings and field mapping are the same, no later run of the
 * integration applied anything, and none of the held groups was changed since (renamed, moved,
 * archived, unlinked from its source by an admin or a removal).
 */
export async function heldArchivesStaleness(trx: Transaction<Database>, run: RunRow, integration: Integration | undefined): Promise<Staleness> {
  const held = run.plan_basis ? (JSON.parse(run.plan_basis) as PlanBasis).heldArchives : undefined;
  if (!held) return { reasons: ['the group archives it holds were not recorded with it'], people: [] };
  const reasons: string[] = [];
  if (!integration || groupFingerprint(integration) !== held.fingerprint) reasons.push("the integration's Group Sync settings or field mapping changed");
  const later = await laterAppliedRun(trx, run);
  if (later) reasons.push(`run ${later} of this integration applied changes after this one was held`);
  const rows = held.groups.length === 0 ? [] : await trx.selectFrom('groups').select(['id', 'name', 'updated_at', 'archived', 'origin', 'integration_id']).where('tenant_id', '=', run.tenant_id).where('id', 'in', [...held.groups]).execute();
  const changed = rows.filter((g) => g.updated_at > held.heldAt || g.archived === 1 || g.origin !== 'synced' || g.integration_id !== run.integration_id);
  const gone = held.groups.length - rows.length;
  const n = changed.length + gone;
  if (n > 0) {
    const names = changed.slice(0, 3).map((g) => g.name).join(', ');
    reasons.push(`${n === 1 ? 'one of the groups it would archive was' : `${n} of the groups it would archive were`} changed since${names ? ` (${names}${n > 3 ? ', …' : ''})` : ''}`);
  }
  return { reasons, people: [] };
}
