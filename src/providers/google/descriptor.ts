/**
 * Google Workspace (Admin SDK Directory API), as the product knows it. Followed from Google's
 * discovery document `admin:directory_v1` (`shared/specs/google-admin-directory-v1.json`:
 * `rootUrl` https://admin.googleapis.com/, methods `directory.users.list` (customer or domain,
 * maxResults ≤ 500, pageToken, projection, showDeleted), `directory.groups.list`,
 * `directory.members.list`; schemas `User`, `UserExternalId`, `UserRelation`, `UserOrganization`,
 * `UserPhone`, `Group`, `Member`; `auth.oauth2.scopes` for the read-only scopes) and Google's
 * OAuth 2.0 guides (developers.google.com/identity/protocols/oauth2/service-account: a service
 * account with domain-wide delegation signs a JWT, `sub` = the admin to act as, exchanged at
 * https://oauth2.googleapis.com/token; /oauth2/web-server: authorization code at
 * https://accounts.google.com/o/oauth2/v2/auth with `access_type=offline`, refresh tokens that do
 * not rotate).
 *
 * Attribute keys are the connector's (connector/normalize.ts); `providerField` is the Directory
 * API's field.
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../types.ts';
import { authBaseUrlSetting, baseUrlSetting, OAuthGrantImport, originOf, sandboxSettings, stringSetting } from '../settings.ts';

export const GOOGLE_API = 'https://admin.googleapis.com';
export const GOOGLE_TOKEN_HOST = 'https://oauth2.googleapis.com';
export const GOOGLE_ACCOUNTS = 'https://accounts.google.com';
const SCOPE = 'https://www.googleapis.com/auth/';
/** The read-only scopes (discovery document `auth.oauth2.scopes`): users, groups, members, org units. */
export const GOOGLE_SCOPES = [`${SCOPE}admin.directory.user.readonly`, `${SCOPE}admin.directory.group.readonly`, `${SCOPE}admin.directory.group.member.readonly`, `${SCOPE}admin.directory.orgunit.readonly`] as const;

const Settings = z.object({
  customer: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_]+$/, 'settings.customer must be my_customer or a customer ID such as C01abc23')
    .meta({ title: 'Customer', description: 'my_customer (the account the admin belongs to) or the customer ID. Default my_customer.' })
    .optional(),
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'settings.domain must be a domain name such as acme.example')
    .meta({ title: 'Domain', description: 'Only the users of this domain (of a customer with several). Leave empty for every domain.' })
    .optional(),
  baseUrl: baseUrlSetting(GOOGLE_API),
  authBaseUrl: authBaseUrlSetting(GOOGLE_TOKEN_HOST),
  ...sandboxSettings,
});

const email = (what: string) => z.string().trim().min(1, `${what} is required`).regex(/^[^@\s]+@[^@\s]+$/, `${what} must be an e-mail address`);
const ServiceAccountFlat = z
  .object({
    // `x-key-file`: the member of Google's JSON key file that holds it (the console fills it from the file).
    clientEmail: email('credentials.clientEmail').meta({ title: 'Service account e-mail', description: 'client_email of the JSON key file', 'x-key-file': 'client_email' }),
    privateKey: z.string().min(1, 'credentials.privateKey is required (private_key of the JSON key file)').meta({ title: 'Private key', description: 'private_key of the JSON key file (PEM). Stored encrypted and never shown again.', writeOnly: true, 'x-key-file': 'private_key' }),
    subject: email('credentials.subject').meta({ title: 'Admin to act as', description: 'A super admin (or an admin with read rights on users and groups) of your Workspace.' }),
  })
  .strict();
/** The shape of DESIGN.md §4: `{serviceAccount: {clientEmail, privateKey}, subject}`, stored flat. */
const ServiceAccountNested = z
  .object({
    serviceAccount: z.object({ clientEmail: email('credentials.serviceAccount.clientEmail'), privateKey: z.string().min(1, 'credentials.serviceAccount.privateKey is required'), clientId: z.string().optional() }).strip(),
    subject: email('credentials.subject'),
  })
  .strict()
  .transform((v) => ({ clientEmail: v.serviceAccount.clientEmail, privateKey: v.serviceAccount.privateKey, subject: v.subject }));

const authBase = (settings: Readonly<Record<string, unknown>>, official: string): string => originOf(stringSetting(settings, 'authBaseUrl') ?? official, 'authBaseUrl');

export const google: ProviderDescriptor<'google'> = {
  id: 'google',
  name: 'Google Workspace',
  initials: 'GW',
  blurb: 'Users, groups and org units from Google Workspace (Admin SDK Directory API).',
  docsUrl: 'https://developers.google.com/admin-sdk/directory/reference/rest/v1/users/list',
  statusPageUrl: 'https://www.google.com/appsstatus/dashboard/',
  officialHosts: ['admin.googleapis.com', 'oauth2.googleapis.com', 'accounts.google.com'],
  defaultBaseUrl: GOOGLE_API,
  settings: Settings as z.ZodType<Record<string, unknown>>,
  auth: [
    {
      kind: 'service_account_jwt',
      label: 'Service account with domain-wide delegation',
      help: 'Google Cloud console → IAM & Admin → Service accounts → Keys → Add key (JSON). Then Google Admin console → Security → Access and data control → API controls → Domain-wide delegation → Add new: the service account\'s client ID with the read-only Directory scopes.',
      credentials: z.union([ServiceAccountFlat, ServiceAccountNested]) as unknown as z.ZodType<Record<string, string>>,
      credentialLabel: 'service account key',
    },
    {
      kind: 'oauth2_authorization_code',
      label: 'Sign in with Google (OAuth 2.0)',
      help: 'A Workspace admin signs in with Google and approves read-only access to users, groups and org units.',
      credentials: OAuthGrantImport,
      credentialLabel: 'access token',
    },
  ],
  oauth: {
    authBaseUrl: (settings) => authBase(settings, GOOGLE_ACCOUNTS),
    tokenBaseUrl: (settings) => authBase(settings, GOOGLE_TOKEN_HOST),
    authorizePath: '/o/oauth2/v2/auth',
    tokenPath: '/token',
    scopes: GOOGLE_SCOPES,
    rotatesRefreshTokens: false,
    clientAuth: 'client_secret_post',
    officialTokenEndpoint: 'https://oauth2.googleapis.com/token',
    // A refresh token only comes with offline access; consent again so one always comes.
    officialParams: { authorize: { access_type: 'offline', prompt: 'consent' } },
  },
  capabilities: { incremental: 'none', webhooks: false, groups: true, directoryGroups: true },
  fields: [
    { key: 'primaryEmail', label: 'Primary email', type: 'email', providerField: 'primaryEmail' },
    { key: 'aliases', label: 'Email aliases', type: 'text', providerField: 'aliases' },
    { key: 'givenName', label: 'First name', type: 'text', providerField: 'name.givenName' },
    { key: 'familyName', label: 'Last name', type: 'text', providerField: 'name.familyName' },
    { key: 'displayName', label: 'Display name', type: 'text', providerField: 'name.displayName' },
    { key: 'title', label: 'Job title', type: 'text', providerField: 'organizations[primary].title' },
    { key: 'department', label: 'Department', type: 'text', providerField: 'organizations[primary].department' },
    { key: 'costCenter', label: 'Cost center', type: 'text', providerField: 'organizations[primary].costCenter' },
    { key: 'location', label: 'Location', type: 'text', providerField: 'organizations[primary].location' },
    { key: 'orgUnitPath', label: 'Organizational unit', type: 'text', providerField: 'orgUnitPath' },
    { key: 'employeeId', label: 'Employee ID', type: 'text', providerField: 'externalIds[type=organization]' },
    { key: 'manager', label: 'Manager', type: 'reference', providerField: 'relations[type=manager]' },
    { key: 'managerEmail', label: 'Manager email', type: 'email', providerField: 'relations[type=manager]' },
    { key: 'workPhone', label: 'Work phone', type: 'phone', providerField: 'phones[type=work]' },
    { key: 'mobilePhone', label: 'Mobile phone', type: 'phone', providerField: 'phones[type=mobile]', personal: true },
    { key: 'suspended', label: 'Suspended', type: 'boolean', providerField: 'suspended' },
    { key: 'archived', label: 'Archived', type: 'boolean', providerField: 'archived' },
    { key: 'isAdmin', label: 'Super admin', type: 'boolean', providerField: 'isAdmin' },
  ],
  defaultMapping: {
    primaryEmail: 'email',
    givenName: 'firstName',
    familyName: 'lastName',
    displayName: 'displayName',
    title: 'jobTitle',
    department: 'department',
    location: 'location',
    employeeId: 'employeeNumber',
    manager: 'managerId',
    workPhone: 'phone',
    orgUnitPath: 'custom.orgUnitPath',
  },
  // mail first (the mapped email), then these (IdP addresses differ from HR's in case and alias).
  correlationAliases: ['aliases'],
  groupAttributes: [
    { attribute: 'custom.orgUnitPath', sourceKey: 'orgUnitPath', type: 'Org unit' },
    { attribute: 'department', sourceKey: 'department', type: 'Department' },
    { attribute: 'location', sourceKey: 'location', type: 'Location' },
  ],
};
