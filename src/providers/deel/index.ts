import type { ProviderModule } from '../module.ts';
import { createDeelConnector } from './connector/connector.ts';
import { deel } from './descriptor.ts';
import { deelSandbox } from './sandbox/handle.ts';

export const deelModule: ProviderModule<'deel'> = { descriptor: deel, sandbox: deelSandbox, createConnector: (opts) => createDeelConnector(opts) };
