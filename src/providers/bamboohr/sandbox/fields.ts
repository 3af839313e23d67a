/**
 * The sandbox's employee field catalogue: the names served by the `employee` dataset, by
 * `GET /api/v1/employees/{id}` and listed by `GET /api/v1/meta/fields` and
 * `GET /api/v1/datasets/employee/fields`.
 */

/** Dataset field types, as the datasets API documents them (they decide which filter operators apply). */
export type DatasetFieldType = 'text' | 'date' | 'int' | 'options';

export const FIELD_NAMES = [
  'employeeId',
  'employeeNumber',
  'firstName',
  'lastName',
  'preferredName',
  'displayName',
  'workEmail',
  'homeEmail',
  'jobTitle',
  'department',
  'division',
  'location',
  'supervisorEId',
  'supervisorEmail',
  'hireDate',
  'terminationDate',
  'status',
  'employmentHistoryStatus',
  'mobilePhone',
  'workPhone',
  'country',
  'customShirtSize',
  'lastChanged',
] as const;

export type FieldName = (typeof FIELD_NAMES)[number];

export interface FieldDef {
  readonly name: FieldName;
  readonly label: string;
  readonly type: DatasetFieldType;
  /** `/api/v1/meta/fields` type. */
  readonly metaType: string;
  /** `/api/v1/meta/fields` numeric id. */
  readonly metaId: number;
  /** Dataset grouping (`parentName`, `entityName`). */
  readonly section: 'Personal' | 'Job' | 'Contact' | 'Custom';
}

const def = (
  name: FieldName,
  label: string,
  type: DatasetFieldType,
  metaType: string,
  metaId: number,
  section: FieldDef['section'],
): FieldDef => ({ name, label, type, metaType, metaId, section });

export const FIELDS: readonly FieldDef[] = [
  def('employeeId', 'Employee ID', 'int', 'int', 1, 'Personal'),
  def('employeeNumber', 'Employee #', 'text', 'text', 17, 'Personal'),
  def('firstName', 'First Name', 'text', 'text', 2, 'Personal'),
  def('lastName', 'Last Name', 'text', 'text', 3, 'Personal'),
  def('preferredName', 'Preferred Name', 'text', 'text', 1358, 'Personal'),
  def('displayName', 'Display Name', 'text', 'text', 4398, 'Personal'),
  def('workEmail', 'Work Email', 'text', 'email', 15, 'Contact'),
  def('homeEmail', 'Home Email', 'text', 'email', 1357, 'Contact'),
  def('jobTitle', 'Job Title', 'options', 'list', 17071, 'Job'),
  def('department', 'Department', 'options', 'list', 4, 'Job'),
  def('division', 'Division', 'options', 'list', 1355, 'Job'),
  def('location', 'Location', 'options', 'list', 18, 'Job'),
  def('supervisorEId', 'Supervisor ID', 'int', 'int', 4047, 'Job'),
  def('supervisorEmail', 'Supervisor Email', 'text', 'email', 4048, 'Job'),
  def('hireDate', 'Hire Date', 'date', 'date', 19, 'Job'),
  def('terminationDate', 'Termination Date', 'date', 'date', 1361, 'Job'),
  def('status', 'Status', 'options', 'status', 156, 'Personal'),
  def('employmentHistoryStatus', 'Employment Status', 'options', 'list', 1360, 'Job'),
  def('mobilePhone', 'Mobile Phone', 'text', 'phone', 13, 'Contact'),
  def('workPhone', 'Work Phone', 'text', 'phone', 14, 'Contact'),
  def('country', 'Country', 'options', 'country', 12, 'Personal'),
  def('customShirtSize', 'Shirt Size', 'options', 'list', 4001, 'Custom'),
  def('lastChanged', 'Last Changed', 'date', 'timestamp', 4400, 'Personal'),
];

export const FIELD_BY_NAME: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((f) => [f.name, f]));

export function isFieldName(name: string): name is FieldName {
  return FIELD_BY_NAME.has(name);
}

/** List fields served by `/api/v1/meta/lists`, with BambooHR-style field ids. */
export const LIST_FIELDS = [
  { alias: 'department', fieldId: 4, name: 'Department' },
  { alias: 'division', fieldId: 1355, name: 'Division' },
  { alias: 'location', fieldId: 18, name: 'Location' },
  { alias: 'employmentHistoryStatus', fieldId: 1360, name: 'Employment Status' },
] as const;

export type ListFieldAlias = (typeof LIST_FIELDS)[number]['alias'];

export function isListField(alias: string): alias is ListFieldAlias {
  return LIST_FIELDS.some((l) => l.alias === alias);
}

export const EMPLOYMENT_STATUSES = ['Full-Time', 'Part-Time', 'Contractor', 'Terminated'] as const;
export const SHIRT_SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'] as const;
