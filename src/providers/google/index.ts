import type { ProviderModule } from '../module.ts';
import { createGoogleConnector } from './connector/connector.ts';
import { google } from './descriptor.ts';
import { googleSandbox } from './sandbox/handle.ts';

export const googleModule: ProviderModule<'google'> = { descriptor: google, sandbox: googleSandbox, createConnector: (opts) => createGoogleConnector(opts) };
