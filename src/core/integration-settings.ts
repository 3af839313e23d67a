import { z } from 'zod';
import { isFieldName, type FieldName } from './fields.ts';
import { validateMapping, type FieldMapping } from './mapping.ts';
import type { Scope } from './scope.ts';

export const CADENCES = ['1h', '4h', '12h', '24h'] as const;
export type Cadence = (typeof CADENCES)[number];
export const CADENCE_MS: Record<Cadence, number> = { '1h': 3_600_000, '4h': 14_400_000, '12h': 43_200_000, '24h': 86_400_000 };

const NEEDS_VALUES = new Set(['in', 'notIn']);

/** Problems are reported on the part at fault (`scope.groups.0.conditions.1.values`), so a form can show them beside it. */
export const ScopeConditionSchema = z
  .strictObject({
    field: z.string().trim().min(1, 'choose the field the condition tests').max(200),
    operator: z.enum(['in', 'notIn', 'empty', 'notEmpty']),
    values: z.array(z.string().max(500)).max(1000).optional(),
  })
  .superRefine((c, ctx) => {
    if (NEEDS_VALUES.has(c.operator) && (c.values ?? []).filter((v) => v.trim() !== '').length === 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'enter at least one value' });
    }
  });
export const ScopeGroupSchema = z.strictObject({
  name: z.string().max(200).optional(),
  conditions: z.array(ScopeConditionSchema).min(1, 'add a condition, or remove this rule group').max(50),
});
export const ScopeSchema = z.strictObject({ groups: z.array(ScopeGroupSchema).max(50) });

export const FieldMappingSchema = z.record(z.string(), z.string()).superRefine((mapping, ctx) => {
  for (const problem of validateMapping(mapping)) ctx.addIssue({ code: 'custom', message: problem });
});

export const SafeguardSchema = z.object({
  /** Block when deactivations exceed this share of the source's active linked people. */
  maxDeactivationPercent: z.number().min(0).max(100).default(20),
  /** …but only when the source has at least this many active linked people. */
  minPopulation: z.number().int().min(0).default(10),
  /** Optional absolute cap: block when deactivations exceed this count. */
  maxDeactivations: z.number().int().min(0).nullable().default(null),
});
export type Safeguard = z.infer<typeof SafeguardSchema>;
/** A change to the safeguard: only the fields given change (no defaults filled in). */
export const SafeguardPatchSchema = z.strictObject({
  maxDeactivationPercent: z.number().min(0).max(100),
  minPopulation: z.number().int().min(0).max(10_000_000),
  maxDeactivations: z.number().int().min(0).nullable(),
}).partial();

export interface UserSyncSettings {
  readonly enabled: boolean;
  readonly cadence: Cadence;
  readonly scope: Scope;
  readonly fieldMapping: FieldMapping;
  readonly outOfScopeAction: 'deactivate' | 'ignore';
  readonly safeguard: Safeguard;
}

export interface GroupSyncSettings {
  readonly enabled: boolean;
  readonly mapping: readonly { attribute: string; type: string; parent?: string; nameTemplate?: string }[];
}

export const DEFAULT_SAFEGUARD: Safeguard = { maxDeactivationPercent: 20, minPopulation: 10, maxDeactivations: null };

export function defaultUserSync(mapping: FieldMapping, scope: Scope = { groups: [] }): UserSyncSettings {
  return { enabled: false, cadence: '4h', scope, fieldMapping: mapping, outOfScopeAction: 'deactivate', safeguard: DEFAULT_SAFEGUARD };
}

export const DEFAULT_GROUP_SYNC: GroupSyncSettings = { enabled: false, mapping: [] };

export function asFieldMapping(mapping: Record<string, string>): FieldMapping {
  return Object.fromEntries(Object.entries(mapping).filter(([, t]) => isFieldName(t))) as Record<string, FieldName>;
}

/** The source attributes an integration reads: its field mapping's keys and the `source.*` fields its scope tests. */
export function sourceFieldsOf(userSync: Pick<UserSyncSettings, 'fieldMapping' | 'scope'>): string[] {
  const fields = new Set(Object.keys(userSync.fieldMapping));
  for (const g of userSync.scope.groups) for (const c of g.conditions) if (c.field.startsWith('source.')) fields.add(c.field.slice('source.'.length));
  return [...fields];
}
