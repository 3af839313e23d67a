import { outboundPolicy } from './outbound-policy.ts';

/** Settings that name an address provider calls go to. */
export const ADDRESS_SETTINGS = ['baseUrl', 'authBaseUrl'] as const;

/**
 * The first address setting the outbound-request policy would refuse (a `file:` or `javascript:`
 * URL, a host that is not the provider's, a private or metadata address), with why, so it can be
 * refused before it is stored. Addresses are checked again, resolved, at every call.
 */
export function refusedSettingAddress(provider: string, settings: Readonly<Record<string, unknown>>): { field: string; message: string } | undefined {
  for (const key of ADDRESS_SETTINGS) {
    const value = settings[key];
    if (value === undefined || value === null || value === '') continue;
    try {
      outboundPolicy().check(provider, String(value));
    } catch (error) {
      return { field: `settings.${key}`, message: (error as Error).message };
    }
  }
  return undefined;
}
