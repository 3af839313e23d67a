/**
 * The one list of provider modules: descriptor, connector and sandbox for each id. Adding a
 * provider is adding its folder and one line here (the `satisfies` makes a missing one a type
 * error).
 */
import type { ConnectorOptions, HrisConnector } from '../connectors/types.ts';
import type { ProviderId } from './types.ts';
import { DESCRIPTORS } from './descriptors.ts';
import { bamboohrModule } from './bamboohr/index.ts';
import { hibobModule } from './hibob/index.ts';
import { employmentheroModule } from './employmenthero/index.ts';
import { deelModule } from './deel/index.ts';
import { entraModule } from './entra/index.ts';
import { googleModule } from './google/index.ts';
import type { ProviderModule } from './module.ts';

export type { ProviderModule } from './module.ts';

export const PROVIDER_MODULES = { bamboohr: bamboohrModule, hibob: hibobModule, employmenthero: employmentheroModule, deel: deelModule, entra: entraModule, google: googleModule } as const satisfies { [K in ProviderId]: ProviderModule<K> };

export function providerModule(provider: string): ProviderModule {
  if (!Object.hasOwn(PROVIDER_MODULES, provider)) throw new Error(`unknown provider "${provider}" (known: ${Object.keys(DESCRIPTORS).join(', ')})`);
  return PROVIDER_MODULES[provider as ProviderId] as ProviderModule;
}

export function createConnector(provider: string, opts: ConnectorOptions): HrisConnector {
  return providerModule(provider).createConnector(opts);
}
