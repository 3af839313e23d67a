/**
 * Deel, as the product knows it. Followed from Deel's API reference and its published OpenAPI
 * (letsdeel/deel-api-java-sdk `api/openapi.yaml`, operation `getPeopleList`: `GET /rest/v2/people`,
 * `offset` and `limit`, answer `PeopleContainer` {data, page {offset, total_rows, items_per_page}};
 * servers https://api.letsdeel.com/rest/v2, demo https://api-sandbox.demo.deel.com/rest/v2; security
 * `deelToken` (an organization token as Bearer) or `oauth2` with scope `people:read`) and Deel's
 * OAuth2 guide (developer.deel.com/docs/oauth2 and /docs/token-rotation: authorize at
 * https://app.deel.com/oauth2/authorize, tokens at https://app.deel.com/oauth2/tokens with HTTP Basic
 * client authentication; refresh tokens are single-use, and reusing one may revoke the grant).
 *
 * Attribute keys are the connector's (connector/normalize.ts); `providerField` is Deel's field.
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../types.ts';
import { authBaseUrlSetting, baseUrlSetting, OAuthGrantImport, originOf, sandboxSettings, stringSetting } from '../settings.ts';

export const DEEL_API = 'https://api.letsdeel.com';
export const DEEL_AUTH = 'https://app.deel.com';

const Settings = z.object({
  baseUrl: baseUrlSetting(DEEL_API),
  authBaseUrl: authBaseUrlSetting(DEEL_AUTH),
  ...sandboxSettings,
});

export const deel: ProviderDescriptor<'deel'> = {
  id: 'deel',
  name: 'Deel',
  initials: 'DE',
  blurb: 'Employees and contractors from Deel, with departments and managers.',
  docsUrl: 'https://developer.deel.com/api/reference/endpoints/people/get-people',
  statusPageUrl: 'https://status.deel.com',
  officialHosts: ['api.letsdeel.com', 'app.deel.com', 'api-sandbox.demo.deel.com', 'demo.deel.com'],
  defaultBaseUrl: DEEL_API,
  settings: Settings as z.ZodType<Record<string, unknown>>,
  auth: [
    {
      kind: 'api_key',
      label: 'Organization token',
      help: 'Deel → Apps & Perks → Developer Center → Generate New Token, an organization token with the people:read scope.',
      credentials: z
        .object({ apiToken: z.string().trim().min(1, 'credentials.apiToken is required (a Deel organization token)').meta({ title: 'Organization token', description: 'Stored encrypted and never shown again.', writeOnly: true }) })
        .strict(),
      credentialLabel: 'organization token',
    },
    {
      kind: 'oauth2_authorization_code',
      label: 'Sign in with Deel (OAuth 2.0)',
      help: 'You are sent to Deel to approve read access to people, then brought back here.',
      credentials: OAuthGrantImport,
      credentialLabel: 'access token',
    },
  ],
  oauth: {
    authBaseUrl: (settings) => originOf(stringSetting(settings, 'authBaseUrl') ?? DEEL_AUTH, 'authBaseUrl'),
    authorizePath: '/oauth2/authorize',
    tokenPath: '/oauth2/tokens',
    scopes: ['people:read'],
    rotatesRefreshTokens: true,
    clientAuth: 'client_secret_basic',
    officialTokenEndpoint: 'https://app.deel.com/oauth2/tokens',
  },
  capabilities: { incremental: 'none', webhooks: false, groups: true, directoryGroups: false },
  fields: [
    { key: 'workEmail', label: 'Work email', type: 'email', providerField: 'emails[type=work]' },
    { key: 'personalEmail', label: 'Personal email', type: 'email', providerField: 'emails[type=personal]', personal: true },
    { key: 'firstName', label: 'First name', type: 'text', providerField: 'first_name' },
    { key: 'lastName', label: 'Last name', type: 'text', providerField: 'last_name' },
    { key: 'preferredFirstName', label: 'Preferred first name', type: 'text', providerField: 'preferred_first_name' },
    { key: 'jobTitle', label: 'Job title', type: 'text', providerField: 'job_title' },
    { key: 'department', label: 'Department', type: 'text', providerField: 'department.name' },
    { key: 'departmentId', label: 'Department (id)', type: 'id', providerField: 'department.id' },
    { key: 'parentDepartment', label: 'Parent department', type: 'text', providerField: 'department.parent' },
    { key: 'team', label: 'Team (group)', type: 'text', providerField: 'employments[].team.name' },
    { key: 'managerId', label: 'Direct manager', type: 'reference', providerField: 'direct_manager.id' },
    { key: 'workerId', label: 'Worker ID', type: 'text', providerField: 'worker_id' },
    { key: 'hiringType', label: 'Hiring type (employee, contractor, …)', type: 'text', providerField: 'hiring_type' },
    { key: 'hiringStatus', label: 'Hiring status', type: 'status', providerField: 'hiring_status' },
    { key: 'startDate', label: 'Start date', type: 'date', providerField: 'start_date' },
    { key: 'terminationDate', label: 'Last day', type: 'date', providerField: 'termination_last_day' },
    { key: 'workLocation', label: 'Work location', type: 'text', providerField: 'work_location' },
    { key: 'country', label: 'Country', type: 'text', providerField: 'country' },
  ],
  defaultMapping: {
    workEmail: 'email',
    firstName: 'firstName',
    lastName: 'lastName',
    preferredFirstName: 'preferredName',
    jobTitle: 'jobTitle',
    department: 'department',
    parentDepartment: 'division',
    managerId: 'managerId',
    workerId: 'employeeNumber',
    startDate: 'startDate',
    terminationDate: 'endDate',
    hiringStatus: 'employmentStatus',
    hiringType: 'employmentType',
    workLocation: 'location',
  },
  groupAttributes: [
    { attribute: 'division', sourceKey: 'parentDepartment', type: 'Department group' },
    { attribute: 'department', sourceKey: 'department', type: 'Department', parent: 'division' },
    { attribute: 'location', sourceKey: 'workLocation', type: 'Work location' },
  ],
};
