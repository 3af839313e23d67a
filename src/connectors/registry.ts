import type { ConnectorOptions, HrisConnector } from './types.ts';
import { createBambooHrConnector } from '../providers/bamboohr/connector/connector.ts';
import { createHibobConnector } from '../providers/hibob/connector/connector.ts';

type Factory = (opts: ConnectorOptions) => HrisConnector;

const FACTORIES: Record<string, Factory> = {
  bamboohr: createBambooHrConnector,
  hibob: createHibobConnector,
};

export const PROVIDERS = Object.keys(FACTORIES);

export function createConnector(provider: string, opts: ConnectorOptions): HrisConnector {
  const factory = FACTORIES[provider];
  if (!factory) throw new Error(`unknown provider "${provider}"`);
  return factory(opts);
}
