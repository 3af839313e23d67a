import type { ProviderModule } from '../module.ts';
import { createBambooHrConnector } from './connector/connector.ts';
import { bamboohr } from './descriptor.ts';
import { bamboohrSandbox } from './sandbox/handle.ts';

export const bamboohrModule: ProviderModule<'bamboohr'> = { descriptor: bamboohr, sandbox: bamboohrSandbox, createConnector: (opts) => createBambooHrConnector(opts) };
