/** Every registered provider's connector against its sandbox: the conformance kit (conformance.ts). */
import { PROVIDER_IDS } from '../../src/providers/descriptors.ts';
import { PROVIDER_MODULES } from '../../src/providers/registry.ts';
import { googleOAuthSandbox } from '../../src/providers/google/sandbox/handle.ts';
import { conformanceSuite } from './conformance.ts';

for (const id of PROVIDER_IDS) conformanceSuite(PROVIDER_MODULES[id]);
// Google by its other auth method: OAuth 2.0 (a refresh token for an admin) instead of the service account.
conformanceSuite({ ...PROVIDER_MODULES.google, sandbox: googleOAuthSandbox }, 'Google Workspace (OAuth 2.0)');
