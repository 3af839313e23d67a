import type { ProviderModule } from '../module.ts';
import { createHibobConnector } from './connector/connector.ts';
import { hibob } from './descriptor.ts';
import { hibobSandbox } from './sandbox/handle.ts';

export const hibobModule: ProviderModule<'hibob'> = { descriptor: hibob, sandbox: hibobSandbox, createConnector: (opts) => createHibobConnector(opts) };
