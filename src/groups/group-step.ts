import type { Logger } from 'pino';
import type { EngineDeps } from '../sync/engine.ts';
import type { Integration } from '../store/integrations.ts';
import type { RunRow } from '../store/schema.ts';
import type { RunCounts } from '../sync/run-states.ts';

/**
 * Group Sync's part of a run: called by the engine after the run's people changes are applied
 * (same run), when the integration's Group Sync is enabled. Filled in by the Group Sync work.
 */
export async function runGroupStep(_deps: EngineDeps, _run: RunRow, _integration: Integration, _counts: RunCounts, _log: Logger): Promise<void> {}
