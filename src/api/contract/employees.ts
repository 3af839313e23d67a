import { z } from 'zod';
import { isFieldName, ROLES, STANDARD_FIELDS } from '../../core/fields.ts';
import { Id, QueryBoolean, Timestamp, pageOf, paging } from './common.ts';
import { EMPLOYEE_SORTS } from '../../store/employees.ts';

// ---- requests ----

const FieldValue = z.string().max(500).nullable();

/** Standard fields by name, custom fields as `custom.<key>`; anything else is refused, by name. */
const FieldsSchema = z
  .object(Object.fromEntries(STANDARD_FIELDS.map((f) => [f, FieldValue.optional()])) as Record<(typeof STANDARD_FIELDS)[number], z.ZodOptional<typeof FieldValue>>)
  .catchall(FieldValue)
  .superRefine((fields, ctx) => {
    const names = Object.keys(fields);
    if (names.length > 200) ctx.addIssue({ code: 'custom', message: 'at most 200 fields at once' });
    for (const name of names) {
      if (!isFieldName(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a ReFresh field; use a standard field or custom.<key>` });
    }
  })
  .describe('ReFresh fields by name (email, firstName, …) and custom fields as custom.<key>; null clears a field');

const CustomConfig = z
  .record(z.string().max(100), z.unknown())
  .refine((c) => JSON.stringify(c).length <= 20_000, 'customConfig is at most 20,000 characters as JSON')
  .describe('ReFresh-only configuration: never touched by sync. On PATCH the names given replace theirs and a name set to null is removed (JSON Merge Patch, RFC 7396, at the top level)');

export const PatchEmployeeBody = z
  .strictObject({
    fields: FieldsSchema,
    role: z.enum(ROLES),
    status: z.enum(['active', 'inactive']),
    customConfig: CustomConfig,
  })
  .partial();

export const CreateEmployeeBody = z.strictObject({
  fields: FieldsSchema,
  role: z.enum(ROLES).default('member'),
  status: z.enum(['active', 'inactive']).default('active'),
  customConfig: CustomConfig.default({}),
});

export const EmployeeListQuery = z.strictObject({
  q: z.string().max(200).optional().describe('Searches name, email, employee number and job title'),
  email: z.string().max(320).optional().describe('Exact, case-insensitive'),
  status: z.enum(['active', 'inactive']).optional(),
  integrationId: z.string().max(100).optional().describe('People linked to this source; `none` for people added in ReFresh only'),
  groupId: z.string().max(100).optional().describe('Members of the group or its sub-groups'),
  department: z.string().max(200).optional().describe('Department, exact but case-insensitive (GET /employees/departments lists them)'),
  role: z.enum(ROLES).optional(),
  sort: z.enum(EMPLOYEE_SORTS).optional().describe('Sort column (name as shown, e-mail, department, status, source = the linked integration\'s name, updated = last change); id order when absent. A cursor belongs to its sort and order'),
  order: z.enum(['asc', 'desc']).default('asc'),
  ...paging,
});

// ---- responses ----

export const EmployeeField = z
  .object({
    value: z.string().nullable(),
    source: z.object({ integrationId: z.string(), provider: z.string() }).nullable().describe('The source whose value won'),
    locked: z.boolean(),
    lockedBy: z.string().optional().describe('The integration that manages the field (its name)'),
    lockedByProvider: z.string().optional().describe('That integration\'s provider id (its name is in GET /providers)'),
  })
  .meta({ id: 'EmployeeField' });

export const Employee = z
  .object({
    id: Id,
    status: z.enum(['active', 'inactive']),
    role: z.enum(ROLES),
    fields: z.record(z.string(), EmployeeField),
    customConfig: z.record(z.string(), z.unknown()),
    groups: z.array(z.object({ id: z.string(), name: z.string(), type: z.string(), origin: z.string() })),
    links: z.array(z.object({ integrationId: z.string(), provider: z.string().nullable(), externalId: z.string(), present: z.boolean() })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: z.number().int().describe('Grows at every write, by an admin or a sync; GET /employees/{id} sends it as the ETag ("7"), and PATCH with If-Match: "7" answers 412 once it moved'),
  })
  .meta({ id: 'Employee' });
export type EmployeeT = z.infer<typeof Employee>;

export const EmployeePage = pageOf(Employee).extend({ total: z.number().int().describe('How many people match the filters (all pages)') });

export const DepartmentList = z.object({ data: z.array(z.string()).describe('Departments in use, sorted, each spelled as one of its people has it') });

/** The CSV file itself, sent as the body with Content-Type: text/csv. */
export const ImportCsvBody = z.string().describe('The CSV: a header row, then one row per person');

export const ImportQuery = z.strictObject({
  dryRun: QueryBoolean.optional().describe('true: answer what the import would do (the same report) and write nothing'),
});

export const ImportRow = z.object({
  line: z.number().int().describe('The line in the file (the header is line 1)'),
  status: z.enum(['created', 'updated', 'unchanged', 'failed']).describe('What the row did (with dryRun: what it would do)'),
  employeeId: z.string().optional().describe('The person it created or updated (not for a new person in a dry run)'),
  email: z.string().optional(),
  changes: z
    .array(z.object({ field: z.string(), label: z.string().describe('The field as an admin reads it'), from: z.string().nullable(), to: z.string().nullable() }))
    .optional()
    .describe('What a created or updated row sets; a manager is named by e-mail, role and status by their labels'),
  error: z.string().optional().describe('Why the row was not imported, in words'),
});

export const ImportResult = z
  .object({ dryRun: z.boolean(), created: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), failed: z.number().int(), rows: z.array(ImportRow) })
  .meta({ id: 'ImportResult' });

export const Explanation = z
  .object({
    query: z.string(),
    employee: z.object({ id: z.string(), status: z.string(), role: z.string(), email: z.string().nullable() }).nullable(),
    sources: z.array(
      z.object({
        integrationId: z.string(),
        integration: z.string(),
        externalId: z.string(),
        linked: z.boolean(),
        presentInSource: z.boolean(),
        inScope: z.boolean(),
        scopeReason: z.string(),
        status: z.string().nullable(),
        statusReason: z.string(),
        lastSeenAt: Timestamp,
      }),
    ),
    fields: z.array(z.object({ field: z.string(), value: z.string(), source: z.string(), why: z.string() })),
    lastChange: z.object({ runId: z.string(), kind: z.string(), reason: z.string().nullable() }).nullable(),
    groups: z.array(z.object({ id: z.string(), name: z.string(), type: z.string(), origin: z.string(), archived: z.boolean(), why: z.string() })),
    summary: z.array(z.string()),
  })
  .meta({ id: 'Explanation' });

/** PATCH /employees/{id}: If-Match makes the edit conditional on the version read (RFC 9110 §13.1.1). */
export const IfMatchHeaders = z.object({
  'if-match': z.string().max(200).optional().describe('The ETag from GET /employees/{id} ("7"): the edit is refused with 412 if the employee changed since. Without it the edit applies to the current version.'),
});
