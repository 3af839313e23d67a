/** The ReFresh field catalogue (DESIGN.md §4). Custom fields are `custom.<key>`. */
export const STANDARD_FIELDS = [
  'email',
  'firstName',
  'lastName',
  'preferredName',
  'displayName',
  'jobTitle',
  'department',
  'division',
  'location',
  'managerId',
  'employeeNumber',
  'phone',
  'startDate',
  'endDate',
  'employmentStatus',
  'employmentType',
] as const;

export type StandardField = (typeof STANDARD_FIELDS)[number];

/** What an admin reads for each field, on the server and in the console (web/src/format.ts reads it from here). */
export const STANDARD_LABELS: Record<StandardField, string> = {
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  preferredName: 'Preferred name',
  displayName: 'Display name',
  jobTitle: 'Job title',
  department: 'Department',
  division: 'Division',
  location: 'Location',
  managerId: 'Manager',
  employeeNumber: 'Employee number',
  phone: 'Phone',
  startDate: 'Start date',
  endDate: 'End date',
  employmentStatus: 'Employment status',
  employmentType: 'Employment type',
};

/** A field's label: the standard one, or a custom field's key with "(custom)". */
export function fieldLabelOf(name: string): string {
  if (name in STANDARD_LABELS) return STANDARD_LABELS[name as StandardField];
  return name.startsWith('custom.') ? `${name.slice(7)} (custom)` : name;
}
export type CustomField = `custom.${string}`;
export type FieldName = StandardField | CustomField;

/** Resolved values of one person: only non-empty values are present. */
export type FieldValues = Partial<Record<FieldName, string>>;

const STANDARD = new Set<string>(STANDARD_FIELDS);
const CUSTOM_KEY = /^custom\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Names no field may have: as object keys they reach Object.prototype. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** A standard field, or `custom.<key>` whose key (and each dotted part of it) is not a reserved name. */
export function isFieldName(name: string): name is FieldName {
  return STANDARD.has(name) || (CUSTOM_KEY.test(name) && !name.slice('custom.'.length).split('.').some((part) => RESERVED_NAMES.has(part)));
}
const ATTRIBUTE_NAME = /^[^\u0000-\u001f\u007f]{1,200}$/;

/**
 * What is wrong with a provider attribute's name as a field mapping or a `source.*` scope
 * condition names it (whether the provider has it is checked against its catalogue elsewhere).
 */
export function attributeNameProblem(name: string): string | null {
  if (RESERVED_NAMES.has(name.trim())) return `"${name}" is not a field name`;
  if (name.trim() === '') return 'a provider field name is empty';
  if (!ATTRIBUTE_NAME.test(name)) return `"${name.slice(0, 50)}" is not a field name (1–200 characters, no control characters)`;
  return null;
}

export const ROLES = ['organization_admin', 'compliance_manager', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Normalises any provider string: trims, folds Unicode to NFC, drops empties. */
export function cleanValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value).normalize('NFC').trim();
  return text === '' ? undefined : text;
}
