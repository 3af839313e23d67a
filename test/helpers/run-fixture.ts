import { randomBytes } from 'node:crypto';
import { Vault } from '../../src/auth/vault.ts';
import { defaultUserSync, DEFAULT_GROUP_SYNC } from '../../src/core/integration-settings.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import type { Store } from '../../src/store/db.ts';
import { createIntegration } from '../../src/store/integrations.ts';
import { enqueueRun } from '../../src/store/runs.ts';
import { ensureTenant } from '../../src/store/tenants.ts';

/** Tenant `acme` with a connected BambooHR integration and one queued full run: the parents a run's bulk writes name. */
export async function queuedRun(store: Store) {
  await ensureTenant(store.db, 'acme', 'acme');
  const integration = await createIntegration(store.db, new Vault([randomBytes(32)]), {
    tenantId: 'acme', provider: 'bamboohr', name: 'BambooHR', settings: { companyDomain: 'acme' }, credentials: { apiKey: 'k' },
    connection: { status: 'connected', detail: null }, userSync: defaultUserSync(DESCRIPTORS.bamboohr.defaultMapping), groupSync: DEFAULT_GROUP_SYNC,
  });
  const run = await enqueueRun(store.db, { tenantId: 'acme', integrationId: integration.id, trigger: 'manual', mode: 'full', dryRun: false });
  return { integration, run };
}
