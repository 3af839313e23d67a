/** Every registered provider's connector against its sandbox: the conformance kit (conformance.ts). */
import { PROVIDER_IDS } from '../../src/providers/descriptors.ts';
import { PROVIDER_MODULES } from '../../src/providers/registry.ts';
import { conformanceSuite } from './conformance.ts';

for (const id of PROVIDER_IDS) conformanceSuite(PROVIDER_MODULES[id]);
