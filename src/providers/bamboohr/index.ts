import type { ProviderModule } from '../module.ts';
import { createBambooHrConnector } from './connector/connector.ts';
import { bamboohr } from './descriptor.ts';

export const bamboohrModule: ProviderModule<'bamboohr'> = { descriptor: bamboohr, createConnector: (opts) => createBambooHrConnector(opts) };
