/**
 * Every provider's descriptor, by id: the one table of providers. It holds data only (no
 * connector or sandbox code), so error messages, services and routes can all read it.
 */
import type { ProviderDescriptor, ProviderId } from './types.ts';
import { bamboohr } from './bamboohr/descriptor.ts';
import { hibob } from './hibob/descriptor.ts';
import { employmenthero } from './employmenthero/descriptor.ts';
import { deel } from './deel/descriptor.ts';
import { entra } from './entra/descriptor.ts';
import { google } from './google/descriptor.ts';

export type { ProviderDescriptor, ProviderId } from './types.ts';

export const DESCRIPTORS = { bamboohr, hibob, employmenthero, deel, entra, google } as const satisfies Record<ProviderId, ProviderDescriptor>;

/** Every provider id, in catalogue order. */
export const PROVIDER_IDS = Object.keys(DESCRIPTORS) as ProviderId[];

export function isProviderId(value: string): value is ProviderId {
  return Object.hasOwn(DESCRIPTORS, value);
}

export function descriptorOf(provider: string): ProviderDescriptor | undefined {
  return isProviderId(provider) ? DESCRIPTORS[provider] : undefined;
}

/** The descriptor, or an Error naming the providers there are (for ids that passed validation). */
export function requireDescriptor(provider: string): ProviderDescriptor {
  const d = descriptorOf(provider);
  if (!d) throw new Error(`unknown provider "${provider}" (known: ${PROVIDER_IDS.join(', ')})`);
  return d;
}

/** The provider's display name for messages (`bamboohr` → `BambooHR`); the id itself when unknown. */
export function providerName(provider: string): string {
  return descriptorOf(provider)?.name ?? provider;
}

/** "Location in BambooHR": the label of one of the provider's source attributes, for pickers and texts. */
export function sourceFieldLabel(provider: string, key: string): string {
  const field = descriptorOf(provider)?.fields.find((f) => f.key === key);
  return `${field?.label ?? key} in ${providerName(provider)}`;
}
