/**
 * HiBob, as the product knows it. Followed from HiBob's developer docs (apidocs.hibob.com):
 * "API Service Users" (HTTP Basic, service user id and token), "Search for employees" and the
 * "People read API contract" (`POST /v1/people/search`, no paging, no changed-since), "Fields
 * and lists metadata" and "Get all employee fields" (`GET /v1/company/people/fields`,
 * apidocs.hibob.com/reference/get_company-people-fields: each field's `id`, `name`, `categoryId`
 * and `type`). HiBob's work numbers are `work.workPhone` ("Work phone") and `work.workMobile`
 * ("Work mobile"); `home.mobilePhone` ("Mobile phone", category Home) is personal data.
 *
 * Attribute keys are the connector's flat names (connector/normalize.ts); `providerField` is
 * HiBob's field id.
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../types.ts';
import { baseUrlSetting, sandboxSettings } from '../settings.ts';

/** HiBob categories holding personal data: never read unless an admin maps a field of theirs. */
export const PERSONAL_CATEGORIES: readonly string[] = ['home', 'personal', 'address', 'about', 'financial', 'identification', 'emergency', 'payroll.salary'];

const Settings = z.object({
  baseUrl: baseUrlSetting('https://api.hibob.com'),
  ...sandboxSettings,
});

export const hibob: ProviderDescriptor<'hibob'> = {
  id: 'hibob',
  name: 'HiBob',
  initials: 'HB',
  blurb: 'People, departments and sites from HiBob.',
  docsUrl: 'https://apidocs.hibob.com',
  statusPageUrl: 'https://status.hibob.com',
  officialHosts: ['api.hibob.com', 'api.sandbox.hibob.com'],
  defaultBaseUrl: 'https://api.hibob.com',
  settings: Settings as z.ZodType<Record<string, unknown>>,
  auth: [
    {
      kind: 'service_user',
      label: 'Service user (ID and token)',
      help: 'HiBob → Settings → Integrations → Service users. Give it read access to the People categories you sync.',
      credentials: z
        .object({
          serviceUserId: z.string().trim().min(1, 'credentials.serviceUserId is required (the HiBob service user id)').meta({ title: 'Service user ID', description: 'HiBob → Settings → Integrations → Service users.' }),
          token: z.string().trim().min(1, 'credentials.token is required (the service user token)').meta({ title: 'Token', description: 'Shown once when the service user is created. Stored encrypted and never shown again.', writeOnly: true }),
        })
        .strict(),
      credentialLabel: 'service user token',
    },
  ],
  oauth: null,
  capabilities: { incremental: 'none', webhooks: false, groups: true, directoryGroups: false },
  fields: [
    { key: 'email', label: 'Email', type: 'email', providerField: 'root.email' },
    { key: 'firstName', label: 'First name', type: 'text', providerField: 'root.firstName' },
    { key: 'surname', label: 'Last name', type: 'text', providerField: 'root.surname' },
    { key: 'displayName', label: 'Display name', type: 'text', providerField: 'root.displayName' },
    { key: 'title', label: 'Job title', type: 'text', providerField: 'work.title' },
    { key: 'department', label: 'Department', type: 'text', providerField: 'work.department' },
    { key: 'departmentId', label: 'Department (list item id)', type: 'id', providerField: 'work.department' },
    { key: 'departmentPath', label: 'Department path', type: 'text', providerField: 'work.department' },
    { key: 'division', label: 'Division (top of the department tree)', type: 'text', providerField: 'work.department' },
    { key: 'site', label: 'Site', type: 'text', providerField: 'work.site' },
    { key: 'siteId', label: 'Site (list item id)', type: 'id', providerField: 'work.siteId' },
    { key: 'reportsTo', label: 'Reports to', type: 'reference', providerField: 'work.reportsTo' },
    { key: 'employeeIdInCompany', label: 'Employee ID', type: 'text', providerField: 'work.employeeIdInCompany' },
    { key: 'workPhone', label: 'Work phone', type: 'phone', providerField: 'work.workPhone' },
    { key: 'workMobile', label: 'Work mobile', type: 'phone', providerField: 'work.workMobile' },
    { key: 'phone', label: 'Work phone, else work mobile', type: 'phone', providerField: 'work.workPhone' },
    { key: 'startDate', label: 'Start date', type: 'date', providerField: 'work.startDate' },
    { key: 'terminationDate', label: 'Termination date', type: 'date', providerField: 'internal.terminationDate' },
    { key: 'status', label: 'Status', type: 'status', providerField: 'internal.status' },
    { key: 'lifecycleStatus', label: 'Lifecycle status', type: 'status', providerField: 'internal.lifecycleStatus' },
    { key: 'employmentType', label: 'Employment type', type: 'text', providerField: 'payroll.employment.type' },
    { key: 'isManager', label: 'Is a manager', type: 'boolean', providerField: 'work.isManager' },
    { key: 'home.mobilePhone', label: 'Mobile phone (Home)', type: 'phone', providerField: 'home.mobilePhone', personal: true },
  ],
  defaultMapping: {
    email: 'email',
    firstName: 'firstName',
    surname: 'lastName',
    displayName: 'displayName',
    title: 'jobTitle',
    department: 'department',
    division: 'division',
    site: 'location',
    reportsTo: 'managerId',
    employeeIdInCompany: 'employeeNumber',
    phone: 'phone',
    startDate: 'startDate',
    terminationDate: 'endDate',
    status: 'employmentStatus',
    employmentType: 'employmentType',
  },
  groupAttributes: [
    { attribute: 'division', sourceKey: 'division', type: 'Division' },
    { attribute: 'department', sourceKey: 'department', type: 'Department', parent: 'division' },
    { attribute: 'location', sourceKey: 'site', type: 'Site' },
  ],
};
