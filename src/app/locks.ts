import type { FieldName } from '../core/fields.ts';
import { mappedFields } from '../core/mapping.ts';
import { orderForField, type FieldPriorities } from '../core/resolve.ts';
import type { Integration } from '../store/integrations.ts';
import type { EmployeeLinkRow } from '../store/schema.ts';
import { isOwningSource } from '../sync/source-view.ts';

export { isOwningSource };

/**
 * Which source locks each field of a person: the first owning source in the field's order (its
 * field-priority override, else the ranks) that maps it. Disabling, disconnecting or unmapping
 * releases the lock (the last value stays).
 */
export function fieldLocks(links: readonly EmployeeLinkRow[], integrations: ReadonlyMap<string, Integration>, overrides: FieldPriorities = {}): Map<FieldName, Integration> {
  const owners = links
    .filter((l) => l.present === 1 || l.source_status !== null)
    .map((l) => integrations.get(l.integration_id))
    .filter(isOwningSource)
    .map((i) => ({ integrationId: i.id, priority: i.priority, integration: i, mapped: mappedFields(i.userSync.fieldMapping) }));
  const fields = new Set(owners.flatMap((o) => [...o.mapped]));
  const locks = new Map<FieldName, Integration>();
  for (const field of fields) {
    const owner = orderForField(owners, field, overrides).find((o) => o.mapped.has(field));
    if (owner) locks.set(field, owner.integration);
  }
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
