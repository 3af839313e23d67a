import type { Kysely, Transaction } from 'kysely';
import { CADENCE_MS } from '../core/integration-settings.ts';
import { parseJson } from '../store/ids.ts';
import { getIntegration, type Integration } from '../store/integrations.ts';
import type { Database } from '../store/schema.ts';
import { isOwningSource } from './source-view.ts';

type Db = Kysely<Database> | Transaction<Database>;

const RETRY_BASE_MS = 2 * 60_000;
const RETRYABLE = new Set(['provider_unavailable', 'rate_limited', 'internal_error']);

/**
 * The next scheduled run after the one finishing now: one cadence after a success; after failures
 * of the provider (unavailable, rate limited) sooner, backing off 2, 4, 8 … minutes up to the
 * cadence. A source that does not own its people (paused, disconnected, revoked) has no next run:
 * it waits for the admin. `undefined` when the integration is gone.
 */
export async function nextRunAt(db: Db, integration: Integration, failedCode: string | null, now: Date): Promise<string | null | undefined> {
  const fresh = await getIntegration(db, integration.tenantId, integration.id);
  if (!fresh) return undefined;
  if (!isOwningSource(fresh)) return null;
  const cadence = CADENCE_MS[fresh.userSync.cadence];
  // The finishing run is still running: it counts through failedCode, the finished ones from the table.
  const failures = failedCode === null ? 0 : (await consecutiveFailures(db, fresh)).count + 1;
  const retryable = failures > 0 && RETRYABLE.has(failedCode ?? '');
  const delay = retryable ? Math.min(cadence, RETRY_BASE_MS * 2 ** Math.min(failures - 1, 10)) : cadence;
  return new Date(now.getTime() + delay).toISOString();
}

/** Failed runs since the last run that was not a failure (dry runs aside). */
export async function consecutiveFailures(db: Db, integration: Integration): Promise<{ count: number; lastCode: string | null }> {
  const recent = await db
    .selectFrom('runs')
    .select(['status', 'error'])
    .where('tenant_id', '=', integration.tenantId)
    .where('integration_id', '=', integration.id)
    .where('dry_run', '=', 0)
    .where('status', 'in', ['succeeded', 'partial', 'failed'])
    .orderBy('id', 'desc')
    .limit(20)
    .execute();
  let count = 0;
  for (const r of recent) {
    if (r.status !== 'failed') break;
    count += 1;
  }
  const lastCode = count > 0 ? (parseJson<{ code?: string } | null>(recent[0]!.error, null)?.code ?? null) : null;
  return { count, lastCode };
}
