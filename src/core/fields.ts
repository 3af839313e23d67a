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
export type CustomField = `custom.${string}`;
export type FieldName = StandardField | CustomField;

/** Resolved values of one person: only non-empty values are present. */
export type FieldValues = Partial<Record<FieldName, string>>;

const STANDARD = new Set<string>(STANDARD_FIELDS);
const CUSTOM_KEY = /^custom\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function isFieldName(name: string): name is FieldName {
  return STANDARD.has(name) || CUSTOM_KEY.test(name);
}

export const ROLES = ['organization_admin', 'compliance_manager', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Normalises any provider string: trims, folds Unicode to NFC, drops empties. */
export function cleanValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = String(value).normalize('NFC').trim();
  return text === '' ? undefined : text;
}
