import type { ProviderModule } from '../module.ts';
import { createEntraConnector } from './connector/connector.ts';
import { entra } from './descriptor.ts';
import { entraSandbox } from './sandbox/handle.ts';

export const entraModule: ProviderModule<'entra'> = { descriptor: entra, sandbox: entraSandbox, createConnector: (opts) => createEntraConnector(opts) };
