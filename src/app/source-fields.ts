/**
 * The provider fields an integration may map or scope on (`source.<name>`), checked against the
 * provider's catalogue before a setting is saved or previewed: the descriptor's fields (from the
 * provider's published field list), the lifecycle attributes, the custom fields the settings ask
 * for (`settings.extraFields`), the account's own catalogue when the connector can list it
 * (the provider's metadata endpoint, custom fields included), and what the integration already
 * reads. A name outside all of them is a 400 naming it: it would only ever read nothing.
 */
import { sourceFieldsOf } from '../core/integration-settings.ts';
import { LIFECYCLE_ATTRIBUTES } from '../core/mapping.ts';
import type { Scope } from '../core/scope.ts';
import { descriptorOf, providerName } from '../providers/descriptors.ts';
import type { Integration } from '../store/integrations.ts';
import { connectorFor } from '../sync/connector.ts';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';

/** A provider field a request names, and where in the request (`userSync.fieldMapping.workEmail`). */
export interface NamedSourceField {
  readonly name: string;
  readonly at: string;
}

export function mappingSourceFields(mapping: Readonly<Record<string, string>>, at: string): NamedSourceField[] {
  return Object.keys(mapping).map((name) => ({ name, at: `${at}.${name}` }));
}

export function scopeSourceFields(scope: Scope, at: string): NamedSourceField[] {
  return scope.groups.flatMap((g, gi) =>
    g.conditions.flatMap((c, ci) => (c.field.startsWith('source.') ? [{ name: c.field.slice('source.'.length), at: `${at}.groups.${gi}.conditions.${ci}.field` }] : [])),
  );
}

function extraFields(settings: Readonly<Record<string, unknown>>): string[] {
  const extra = settings['extraFields'];
  if (Array.isArray(extra)) return extra.filter((x): x is string => typeof x === 'string');
  return typeof extra === 'string' ? extra.split(',').map((x) => x.trim()) : [];
}

/** The account's catalogue from the provider, or none when it cannot say (not connected, no metadata endpoint, unreachable). */
async function accountFields(ctx: AppContext, integration: Integration): Promise<string[]> {
  if (integration.connection.status !== 'connected') return [];
  try {
    const connector = await connectorFor(ctx.engine, integration);
    return connector.fetchFields ? (await connector.fetchFields()).flatMap((f) => [f.key, ...(f.providerField ? [f.providerField] : [])]) : [];
  } catch {
    return [];
  }
}

export async function requireKnownSourceFields(ctx: AppContext, integration: Integration, settings: Readonly<Record<string, unknown>>, named: readonly NamedSourceField[]): Promise<void> {
  const descriptor = descriptorOf(integration.provider);
  const known = new Set<string>([
    ...(descriptor?.fields ?? []).flatMap((f) => [f.key, ...(f.providerField ? [f.providerField] : [])]),
    ...Object.keys(LIFECYCLE_ATTRIBUTES),
    ...extraFields(settings),
    ...sourceFieldsOf(integration.userSync),
  ]);
  let unknown = named.filter((n) => !known.has(n.name));
  if (unknown.length === 0) return;
  for (const name of await accountFields(ctx, integration)) known.add(name);
  unknown = unknown.filter((n) => !known.has(n.name));
  const first = unknown[0];
  if (!first) return;
  const provider = providerName(integration.provider);
  const extra = descriptor && 'shape' in descriptor.settings && Object.hasOwn((descriptor.settings as { shape: object }).shape, 'extraFields');
  throw new ApiError(
    400,
    'invalid_request',
    `${first.at}: "${first.name}" is not a field ${provider} has; use one of its fields (GET /providers lists them)${extra ? ', or name a custom field in settings.extraFields first' : ''}`,
    { field: first.at, unknownFields: unknown.map((n) => n.name) },
  );
}
