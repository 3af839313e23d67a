import type { FieldName, FieldValues } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { mappedFields } from '../core/mapping.ts';
import type { SourceView } from '../core/resolve.ts';
import type { Integration } from '../store/integrations.ts';
import type { EmployeeLinkRow, NewEmployeeLinkRow } from '../store/schema.ts';

/**
 * A source owns a person's fields and status while it is connected and User Auto-Sync is on.
 * Resolution, locks and re-resolution all ask this one question.
 */
export function isOwningSource(i: Integration | undefined): i is Integration {
  return i !== undefined && i.userSync.enabled && i.connection.status === 'connected';
}

/** One link as the resolver sees it. `mapped` lets callers reuse the mapping's field set. */
export function sourceViewOf(
  link: NewEmployeeLinkRow | EmployeeLinkRow,
  values: FieldValues,
  integration: Integration | undefined,
  mapped: ReadonlySet<FieldName> = mappedFields(integration?.userSync.fieldMapping ?? {}),
): SourceView {
  return {
    integrationId: link.integration_id,
    priority: integration?.priority ?? Number.MAX_SAFE_INTEGER,
    enabled: isOwningSource(integration),
    mapped,
    values,
    status: (link.source_status as PersonStatus | null) ?? null,
    runId: link.last_run_id ?? null,
    seenAt: link.last_seen_at,
  };
}
