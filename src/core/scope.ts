import type { FieldValues } from './fields.ts';
import type { SourceRecord } from './source-record.ts';

/**
 * Sync scope: OR across groups, AND within a group. No groups = everyone is in scope.
 * A condition's field is a ReFresh field (`department`, `custom.shirtSize`) or, prefixed with
 * `source.`, a raw provider attribute that need not be mapped (`source.employmentHistoryStatus`).
 */
export interface ScopeCondition {
  readonly field: string;
  readonly operator: 'in' | 'notIn' | 'empty' | 'notEmpty';
  readonly values?: readonly string[];
}
export interface ScopeGroup {
  readonly name?: string;
  readonly conditions: readonly ScopeCondition[];
}
export interface Scope {
  readonly groups: readonly ScopeGroup[];
}

export const EVERYONE: Scope = { groups: [] };

export type ScopeVerdict =
  | { readonly inScope: true; readonly reason: string }
  | { readonly inScope: false; readonly reason: string };

function fold(value: string): string {
  return value.normalize('NFKC').trim().toLocaleLowerCase('en');
}

/** Own properties only: a field named like `constructor` reads nothing from Object.prototype. */
function own(from: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  if (!Object.hasOwn(from, key)) return undefined;
  const value = from[key];
  return typeof value === 'string' ? value : undefined;
}

function valueOf(field: string, values: FieldValues, record: SourceRecord): string | undefined {
  if (field.startsWith('source.')) return own(record.attributes, field.slice('source.'.length));
  return own(values, field);
}

/**
 * Each condition's values, folded once into a set: a person is tested in one lookup, so a scope
 * costs O(people), not O(people × values). Kept per condition object for as long as it lives.
 */
const wantedSets = new WeakMap<ScopeCondition, ReadonlySet<string>>();
function wanted(condition: ScopeCondition): ReadonlySet<string> {
  let set = wantedSets.get(condition);
  if (!set) {
    set = new Set((condition.values ?? []).map(fold));
    wantedSets.set(condition, set);
  }
  return set;
}

function matches(condition: ScopeCondition, value: string | undefined): boolean {
  switch (condition.operator) {
    case 'empty':
      return value === undefined;
    case 'notEmpty':
      return value !== undefined;
    case 'in':
    case 'notIn': {
      const hit = value !== undefined && wanted(condition).has(fold(value));
      return condition.operator === 'in' ? hit : !hit;
    }
  }
}

/** Values a reason names before "and N more": a reason is read by a person, and built per person. */
const LISTED_VALUES = 5;
const descriptions = new WeakMap<ScopeCondition, string>();
function describe(c: ScopeCondition): string {
  let text = descriptions.get(c);
  if (text === undefined) {
    text = describeNow(c);
    descriptions.set(c, text);
  }
  return text;
}

function describeNow(c: ScopeCondition): string {
  const values = c.values ?? [];
  const more = values.length - LISTED_VALUES;
  const list = values.slice(0, LISTED_VALUES).map((v) => `"${v}"`).join(', ') + (more > 0 ? ` and ${more.toLocaleString('en')} more` : '');
  switch (c.operator) {
    case 'in': return `${c.field} is one of ${list}`;
    case 'notIn': return `${c.field} is not one of ${list}`;
    case 'empty': return `${c.field} is empty`;
    case 'notEmpty': return `${c.field} is not empty`;
  }
}

function groupLabel(group: ScopeGroup, index: number): string {
  return group.name ? `rule "${group.name}"` : `rule ${index + 1}`;
}

/** Decides whether a person is synced, and says by which rule (for diagnostics). */
export function evaluateScope(scope: Scope, values: FieldValues, record: SourceRecord): ScopeVerdict {
  if (scope.groups.length === 0) return { inScope: true, reason: 'no scope rules: everyone is synced' };
  const misses: string[] = [];
  for (const [index, group] of scope.groups.entries()) {
    const failed = group.conditions.find((c) => !matches(c, valueOf(c.field, values, record)));
    if (!failed) return { inScope: true, reason: `matches ${groupLabel(group, index)}` };
    misses.push(`${groupLabel(group, index)} needs ${describe(failed)}`);
  }
  return { inScope: false, reason: `matches no scope rule: ${misses.join('; ')}` };
}

export function validateScope(scope: Scope): string[] {
  const problems: string[] = [];
  scope.groups.forEach((group, g) => {
    if (group.conditions.length === 0) problems.push(`scope group ${g + 1} has no conditions`);
    group.conditions.forEach((c, i) => {
      if ((c.operator === 'in' || c.operator === 'notIn') && (c.values ?? []).length === 0) {
        problems.push(`scope group ${g + 1}, condition ${i + 1} (${c.field} ${c.operator}) needs at least one value`);
      }
    });
  });
  return problems;
}
