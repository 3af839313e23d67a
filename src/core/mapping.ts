import { attributeNameProblem, isFieldName, type FieldName, type FieldValues } from './fields.ts';
import type { SourceRecord } from './source-record.ts';

/** Provider field → ReFresh field. Only mapped fields are written. */
export type FieldMapping = Readonly<Record<string, FieldName>>;

/**
 * Fields derived from the record's lifecycle rather than an attribute; a mapping may name them
 * as a source field like any other.
 */
export const LIFECYCLE_ATTRIBUTES = {
  '$hireDate': (r: SourceRecord) => r.lifecycle.hireDate,
  '$terminationDate': (r: SourceRecord) => r.lifecycle.terminationDate,
} as const;

/** Returns the problems with a mapping, empty when it is valid. */
export function validateMapping(mapping: Record<string, string>): string[] {
  const problems: string[] = [];
  const targets = new Map<string, string>();
  for (const [source, target] of Object.entries(mapping)) {
    const nameProblem = attributeNameProblem(source);
    if (nameProblem) {
      problems.push(nameProblem);
      continue;
    }
    if (!isFieldName(target)) {
      problems.push(`"${target}" (mapped from "${source}") is not a ReFresh field; use one of the standard fields or custom.<key>`);
      continue;
    }
    const other = targets.get(target);
    if (other) problems.push(`"${target}" is mapped from both "${other}" and "${source}"; map each ReFresh field once`);
    targets.set(target, source);
  }
  return problems;
}

type MappingStep = readonly [source: string, target: FieldName, lifecycle: ((r: SourceRecord) => string | undefined) | undefined];

/** Each mapping's pairs, looked up once rather than per record (a run maps every record with one mapping). */
const compiled = new WeakMap<FieldMapping, readonly MappingStep[]>();

function stepsOf(mapping: FieldMapping): readonly MappingStep[] {
  let steps = compiled.get(mapping);
  if (!steps) {
    steps = Object.entries(mapping).map(([source, target]): MappingStep => [source, target, Object.hasOwn(LIFECYCLE_ATTRIBUTES, source) ? LIFECYCLE_ATTRIBUTES[source as keyof typeof LIFECYCLE_ATTRIBUTES] : undefined]);
    compiled.set(mapping, steps);
  }
  return steps;
}

export function applyMapping(record: SourceRecord, mapping: FieldMapping): FieldValues {
  const values: FieldValues = {};
  const attributes = record.attributes;
  for (const [source, target, lifecycle] of stepsOf(mapping)) {
    const value = lifecycle ? lifecycle(record) : Object.hasOwn(attributes, source) ? attributes[source] : undefined;
    if (typeof value === 'string' && value !== '') values[target] = value;
  }
  return values;
}

/** The ReFresh fields a mapping writes, i.e. the fields an enabled source locks. */
export function mappedFields(mapping: FieldMapping): Set<FieldName> {
  return new Set(Object.values(mapping));
}
