import { z } from 'zod';
import { attributeNameProblem, isFieldName, type FieldName } from './fields.ts';
import { validateMapping, type FieldMapping } from './mapping.ts';
import type { Scope } from './scope.ts';
import type { DirectoryGroupSelection } from './directory-groups.ts';

export const CADENCES = ['1h', '4h', '12h', '24h'] as const;
export type Cadence = (typeof CADENCES)[number];
export const CADENCE_MS: Record<Cadence, number> = { '1h': 3_600_000, '4h': 14_400_000, '12h': 43_200_000, '24h': 86_400_000 };

const NEEDS_VALUES = new Set(['in', 'notIn']);

/**
 * How much one scope may ask of every run and preview (issue 10): conditions, values per
 * condition, and values and characters over the whole scope. Tested by sets, a scope at these
 * limits costs a run little; beyond them it is a 400 saying which limit.
 */
export const SCOPE_LIMITS = { groups: 50, conditionsPerGroup: 50, conditions: 200, valuesPerCondition: 10_000, values: 20_000, characters: 1_000_000 } as const;

/** A scope condition tests a ReFresh field (`department`, `custom.team`) or a provider attribute (`source.<name>`). */
function scopeFieldProblem(field: string): string | null {
  if (field.startsWith('source.')) return attributeNameProblem(field.slice('source.'.length));
  return isFieldName(field) ? null : `"${field}" is not a ReFresh field; test a standard field, custom.<key>, or a provider field as source.<name>`;
}

/** Problems are reported on the part at fault (`scope.groups.0.conditions.1.values`), so a form can show them beside it. */
export const ScopeConditionSchema = z
  .strictObject({
    field: z.string().trim().min(1, 'choose the field the condition tests').max(200),
    operator: z.enum(['in', 'notIn', 'empty', 'notEmpty']),
    values: z.array(z.string().max(500)).max(SCOPE_LIMITS.valuesPerCondition, `at most ${SCOPE_LIMITS.valuesPerCondition.toLocaleString('en')} values in one condition`).optional(),
  })
  .superRefine((c, ctx) => {
    const fieldProblem = scopeFieldProblem(c.field);
    if (fieldProblem) ctx.addIssue({ code: 'custom', path: ['field'], message: fieldProblem });
    if (NEEDS_VALUES.has(c.operator) && (c.values ?? []).filter((v) => v.trim() !== '').length === 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'enter at least one value' });
    }
  });
export const ScopeGroupSchema = z.strictObject({
  name: z.string().max(200).optional(),
  conditions: z.array(ScopeConditionSchema).min(1, 'add a condition, or remove this rule group').max(SCOPE_LIMITS.conditionsPerGroup),
});
export const ScopeSchema = z.strictObject({ groups: z.array(ScopeGroupSchema).max(SCOPE_LIMITS.groups) }).superRefine((scope, ctx) => {
  const conditions = scope.groups.flatMap((g) => g.conditions);
  const values = conditions.reduce((n, c) => n + (c.values?.length ?? 0), 0);
  const characters = conditions.reduce((n, c) => n + (c.values ?? []).reduce((m, v) => m + v.length, 0), 0);
  if (conditions.length > SCOPE_LIMITS.conditions) ctx.addIssue({ code: 'custom', path: ['groups'], message: `at most ${SCOPE_LIMITS.conditions} conditions in a scope (this one has ${conditions.length})` });
  if (values > SCOPE_LIMITS.values) ctx.addIssue({ code: 'custom', path: ['groups'], message: `at most ${SCOPE_LIMITS.values.toLocaleString('en')} values in a scope (this one has ${values.toLocaleString('en')})` });
  if (characters > SCOPE_LIMITS.characters) ctx.addIssue({ code: 'custom', path: ['groups'], message: `at most ${SCOPE_LIMITS.characters.toLocaleString('en')} characters of values in a scope` });
});

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
  /** Identity providers: which of their own groups become ReFresh groups (absent: none). */
  readonly directoryGroups?: DirectoryGroupSelection;
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
