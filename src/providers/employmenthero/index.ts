import type { ProviderModule } from '../module.ts';
import { createEmploymentHeroConnector } from './connector/connector.ts';
import { employmenthero } from './descriptor.ts';
import { employmentheroSandbox } from './sandbox/handle.ts';

export const employmentheroModule: ProviderModule<'employmenthero'> = { descriptor: employmenthero, sandbox: employmentheroSandbox, createConnector: (opts) => createEmploymentHeroConnector(opts) };
