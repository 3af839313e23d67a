/**
 * Microsoft Entra ID (Microsoft Graph v1.0), as the product knows it. Followed from Microsoft's
 * published OpenAPI for Graph v1.0 (`shared/specs/msgraph-v1-users-groups.yaml`: operations
 * `user_ListUser`, `user_delta`, `user_ListManager`, `group_ListGroup`, `group_ListMember`,
 * `group_ListTransitiveMember`; schemas `microsoft.graph.user`, `microsoft.graph.group`,
 * `microsoft.graph.employeeOrgData`) and the identity platform's client-credentials grant
 * (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow: `POST
 * https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, scope
 * `https://graph.microsoft.com/.default`).
 *
 * Application permissions the sync needs (learn.microsoft.com/graph/permissions-reference):
 * `User.Read.All` (users, managers, delta), `User-LifeCycleInfo.Read.All` (employeeLeaveDateTime),
 * `GroupMember.Read.All` (groups and their members, for Group Sync).
 *
 * Attribute keys are Graph's property names (connector/normalize.ts), with three the connector
 * derives: `businessPhone` (the first of `businessPhones`), `manager` (the manager's object id) and
 * `accountKind` (person, guest or resource account; what the default scope reads).
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../types.ts';
import { authBaseUrlSetting, baseUrlSetting, sandboxSettings } from '../settings.ts';

export const GRAPH_API = 'https://graph.microsoft.com';
export const ENTRA_LOGIN = 'https://login.microsoftonline.com';
/** The application permissions a user sync and a group sync need, as the permissions reference names them. */
export const ENTRA_USER_PERMISSIONS = ['User.Read.All', 'User-LifeCycleInfo.Read.All'] as const;
export const ENTRA_GROUP_PERMISSIONS = ['GroupMember.Read.All'] as const;

const Settings = z.object({
  tenantId: z
    .string()
    .trim()
    .min(1, 'settings.tenantId is required (the Directory (tenant) ID, or a verified domain such as acme.onmicrosoft.com)')
    .max(200)
    .regex(/^[A-Za-z0-9.-]+$/, 'settings.tenantId must be a tenant ID (a GUID) or a verified domain')
    .meta({ title: 'Tenant ID', description: 'Microsoft Entra admin center → Overview → Tenant ID (or a verified domain).' }),
  baseUrl: baseUrlSetting(GRAPH_API),
  authBaseUrl: authBaseUrlSetting(ENTRA_LOGIN),
  ...sandboxSettings,
});

export const entra: ProviderDescriptor<'entra'> = {
  id: 'entra',
  name: 'Microsoft Entra ID',
  initials: 'EN',
  blurb: 'Accounts and groups from Microsoft Entra ID (Azure AD), incrementally by delta query.',
  docsUrl: 'https://learn.microsoft.com/graph/api/resources/user?view=graph-rest-1.0',
  statusPageUrl: 'https://status.cloud.microsoft',
  officialHosts: ['graph.microsoft.com', 'login.microsoftonline.com'],
  defaultBaseUrl: GRAPH_API,
  settings: Settings as z.ZodType<Record<string, unknown>>,
  auth: [
    {
      kind: 'oauth2_client_credentials',
      label: 'App registration (client credentials)',
      help: 'Microsoft Entra admin center → App registrations → New registration; under API permissions add the Microsoft Graph application permissions User.Read.All, User-LifeCycleInfo.Read.All and GroupMember.Read.All and grant admin consent; under Certificates & secrets create a client secret.',
      credentials: z
        .object({
          clientId: z.string().trim().min(1, 'credentials.clientId is required (the Application (client) ID)').meta({ title: 'Application (client) ID' }),
          clientSecret: z.string().min(1, 'credentials.clientSecret is required (the client secret value, not its ID)').meta({ title: 'Client secret', description: 'The secret value. Stored encrypted and never shown again.', writeOnly: true }),
        })
        .strict(),
      credentialLabel: 'client secret',
    },
  ],
  oauth: null,
  capabilities: { incremental: 'delta', webhooks: false, groups: true, directoryGroups: true },
  fields: [
    { key: 'mail', label: 'Email (mail)', type: 'email', providerField: 'mail' },
    { key: 'userPrincipalName', label: 'User principal name', type: 'email', providerField: 'userPrincipalName' },
    { key: 'proxyAddresses', label: 'Email aliases (proxyAddresses)', type: 'text', providerField: 'proxyAddresses' },
    { key: 'givenName', label: 'First name', type: 'text', providerField: 'givenName' },
    { key: 'surname', label: 'Last name', type: 'text', providerField: 'surname' },
    { key: 'displayName', label: 'Display name', type: 'text', providerField: 'displayName' },
    { key: 'jobTitle', label: 'Job title', type: 'text', providerField: 'jobTitle' },
    { key: 'department', label: 'Department', type: 'text', providerField: 'department' },
    { key: 'division', label: 'Division', type: 'text', providerField: 'employeeOrgData.division' },
    { key: 'costCenter', label: 'Cost center', type: 'text', providerField: 'employeeOrgData.costCenter' },
    { key: 'officeLocation', label: 'Office location', type: 'text', providerField: 'officeLocation' },
    { key: 'companyName', label: 'Company name', type: 'text', providerField: 'companyName' },
    { key: 'manager', label: 'Manager', type: 'reference', providerField: 'manager' },
    { key: 'employeeId', label: 'Employee ID', type: 'text', providerField: 'employeeId' },
    { key: 'employeeType', label: 'Employee type', type: 'text', providerField: 'employeeType' },
    { key: 'employeeHireDate', label: 'Hire date', type: 'date', providerField: 'employeeHireDate' },
    { key: 'employeeLeaveDateTime', label: 'Leave date', type: 'date', providerField: 'employeeLeaveDateTime' },
    { key: 'accountEnabled', label: 'Account enabled', type: 'boolean', providerField: 'accountEnabled' },
    { key: 'userType', label: 'User type (Member, Guest)', type: 'text', providerField: 'userType' },
    { key: 'accountKind', label: 'Account kind (person, guest, resource)', type: 'text' },
    { key: 'businessPhone', label: 'Business phone', type: 'phone', providerField: 'businessPhones' },
    { key: 'mobilePhone', label: 'Mobile phone', type: 'phone', providerField: 'mobilePhone', personal: true },
    { key: 'city', label: 'City', type: 'text', providerField: 'city' },
    { key: 'country', label: 'Country or region', type: 'text', providerField: 'country' },
    { key: 'usageLocation', label: 'Usage location', type: 'text', providerField: 'usageLocation' },
  ],
  defaultMapping: {
    mail: 'email',
    givenName: 'firstName',
    surname: 'lastName',
    displayName: 'displayName',
    jobTitle: 'jobTitle',
    department: 'department',
    division: 'division',
    officeLocation: 'location',
    manager: 'managerId',
    employeeId: 'employeeNumber',
    businessPhone: 'phone',
    employeeHireDate: 'startDate',
    employeeLeaveDateTime: 'endDate',
    employeeType: 'employmentType',
  },
  // Guests (`#EXT#`, userType Guest) and resource accounts (rooms, shared mailboxes: disabled, no
  // person's name) are not people HR knows: out of scope unless the admin changes this rule.
  defaultScope: { groups: [{ name: 'People (not guests or resource accounts)', conditions: [{ field: 'source.accountKind', operator: 'in', values: ['person'] }] }] },
  // mail first (the mapped email), then these (IdP addresses differ from HR's in case and alias).
  correlationAliases: ['userPrincipalName', 'proxyAddresses'],
  groupAttributes: [
    { attribute: 'division', sourceKey: 'division', type: 'Division' },
    { attribute: 'department', sourceKey: 'department', type: 'Department', parent: 'division' },
    { attribute: 'location', sourceKey: 'officeLocation', type: 'Office' },
  ],
};
