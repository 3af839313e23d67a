/**
 * `GET /providers`: every descriptor as JSON. Schemas go out as JSON Schema (draft 2020-12, from
 * the zod schemas with their `title`/`description`/`writeOnly` metadata) so the console builds
 * its connect forms from them; functions (the authorization server per settings) stay behind.
 */
import { z } from 'zod';
import { DESCRIPTORS, PROVIDER_IDS } from '../providers/descriptors.ts';
import type { ProviderDescriptor } from '../providers/types.ts';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const cache = new Map<string, ReturnType<typeof build>>();

function build(d: ProviderDescriptor) {
  return {
    id: d.id,
    name: d.name,
    initials: d.initials,
    blurb: d.blurb,
    docsUrl: d.docsUrl,
    statusPageUrl: d.statusPageUrl,
    officialHosts: [...d.officialHosts],
    defaultBaseUrl: d.defaultBaseUrl,
    settings: jsonSchema(d.settings),
    auth: d.auth.map((m) => ({ kind: m.kind, label: m.label, help: m.help, credentialLabel: m.credentialLabel, credentials: jsonSchema(m.credentials) })),
    oauth: d.oauth
      ? { scopes: [...d.oauth.scopes], rotatesRefreshTokens: d.oauth.rotatesRefreshTokens, officialTokenEndpoint: d.oauth.officialTokenEndpoint, appConfigured: false }
      : null,
    capabilities: { ...d.capabilities },
    fields: d.fields.map((f) => ({ ...f })),
    defaultMapping: { ...d.defaultMapping },
    groupAttributes: d.groupAttributes.map((g) => ({ ...g })),
  };
}

export type PresentedProvider = ReturnType<typeof build>;

export function presentProvider(d: ProviderDescriptor): PresentedProvider {
  let p = cache.get(d.id);
  if (!p) cache.set(d.id, (p = build(d)));
  return p;
}

export function listProviders(): PresentedProvider[] {
  return PROVIDER_IDS.map((id) => presentProvider(DESCRIPTORS[id]));
}
