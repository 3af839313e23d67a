import type { ProviderModule } from '../module.ts';
import { createHibobConnector } from './connector/connector.ts';
import { hibob } from './descriptor.ts';

export const hibobModule: ProviderModule<'hibob'> = { descriptor: hibob, createConnector: (opts) => createHibobConnector(opts) };
