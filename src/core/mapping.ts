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

export function applyMapping(record: SourceRecord, mapping: FieldMapping): FieldValues {
  const values: FieldValues = {};
  for (const [source, target] of Object.entries(mapping)) {
    const value = Object.hasOwn(LIFECYCLE_ATTRIBUTES, source)
      ? LIFECYCLE_ATTRIBUTES[source as keyof typeof LIFECYCLE_ATTRIBUTES](record)
      : Object.hasOwn(record.attributes, source) ? record.attributes[source] : undefined;
    if (typeof value === 'string' && value !== '') values[target] = value;
  }
  return values;
}

/** The ReFresh fields a mapping writes, i.e. the fields an enabled source locks. */
export function mappedFields(mapping: FieldMapping): Set<FieldName> {
  return new Set(Object.values(mapping));
}
