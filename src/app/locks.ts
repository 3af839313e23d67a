import type { FieldName } from '../core/fields.ts';
import { mappedFields } from '../core/mapping.ts';
import type { Integration } from '../store/integrations.ts';
import type { EmployeeLinkRow } from '../store/schema.ts';
import { isOwningSource } from '../sync/source-view.ts';

export { isOwningSource };

/**
 * Which source locks each field of a person: the highest-ranked owning source that maps it.
 * Disabling, disconnecting or unmapping releases the lock (the last value stays).
 */
export function fieldLocks(links: readonly EmployeeLinkRow[], integrations: ReadonlyMap<string, Integration>): Map<FieldName, Integration> {
  const owners = links
    .filter((l) => l.present === 1 || l.source_status !== null)
    .map((l) => integrations.get(l.integration_id))
    .filter(isOwningSource)
    .sort((a, b) => a.priority - b.priority);
  const locks = new Map<FieldName, Integration>();
  for (const owner of owners) for (const field of mappedFields(owner.userSync.fieldMapping)) if (!locks.has(field)) locks.set(field, owner);
  return locks;
}

/** The source deciding the person's status, if any (the same rule as field locks). */
export function statusOwner(links: readonly EmployeeLinkRow[], integrations: ReadonlyMap<string, Integration>): Integration | undefined {
  return links
    .filter((l) => l.source_status !== null)
    .map((l) => integrations.get(l.integration_id))
    .filter(isOwningSource)
    .sort((a, b) => a.priority - b.priority)[0];
}
