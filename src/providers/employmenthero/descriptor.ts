/**
 * Employment Hero (HR API v1), as the product knows it. Followed from Employment Hero's API
 * reference (developer.employmenthero.com/api-references: "Authentication" — OAuth 2.0
 * authorization code at https://oauth.employmenthero.com/oauth2/authorize and /oauth2/token, access
 * tokens living 15 minutes, a new refresh token on every refresh; "Get All Organisations",
 * "Get Employees", "Get All Teams", "Get All Employees Of A Team", "Get All Custom Fields"; base
 * URL https://api.employmenthero.com). Where the reference is silent, the connector's comments
 * say what was chosen.
 *
 * Attribute keys are the connector's (connector/normalize.ts); `providerField` is Employment Hero's
 * field name.
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../types.ts';
import { authBaseUrlSetting, baseUrlSetting, OAuthGrantImport, originOf, sandboxSettings, stringSetting } from '../settings.ts';

export const EMPLOYMENTHERO_API = 'https://api.employmenthero.com';
export const EMPLOYMENTHERO_AUTH = 'https://oauth.employmenthero.com';

/**
 * Scopes are fixed when the application is created in Employment Hero's Developer Portal ("scopes are
 * a one-time selection on application creation"); these are the read scopes the calls need.
 */
export const EMPLOYMENTHERO_SCOPES = ['urn:mainapp:organisations:read', 'urn:mainapp:employees:read', 'urn:mainapp:teams:read'] as const;

const Settings = z.object({
  baseUrl: baseUrlSetting(EMPLOYMENTHERO_API),
  authBaseUrl: authBaseUrlSetting(EMPLOYMENTHERO_AUTH),
  organisationIds: z
    .array(z.string().trim().min(1).max(100))
    .max(50)
    .meta({ title: 'Organisations', description: 'Which Employment Hero organisations to sync (their ids). Leave empty for every organisation the connection can see.' })
    .optional(),
  ...sandboxSettings,
});

export const employmenthero: ProviderDescriptor<'employmenthero'> = {
  id: 'employmenthero',
  name: 'Employment Hero',
  initials: 'EH',
  blurb: 'Employees, teams, cost centres and work locations across your Employment Hero organisations.',
  docsUrl: 'https://developer.employmenthero.com/api-references',
  statusPageUrl: 'https://status.employmenthero.com',
  officialHosts: ['api.employmenthero.com', 'oauth.employmenthero.com'],
  defaultBaseUrl: EMPLOYMENTHERO_API,
  settings: Settings as z.ZodType<Record<string, unknown>>,
  auth: [
    {
      kind: 'oauth2_authorization_code',
      label: 'Sign in with Employment Hero (OAuth 2.0)',
      help: 'You are sent to Employment Hero to approve read access, then brought back here. An existing grant can be imported with its client ID, client secret and refresh token.',
      credentials: OAuthGrantImport,
      credentialLabel: 'access token',
    },
  ],
  oauth: {
    authBaseUrl: (settings) => originOf(stringSetting(settings, 'authBaseUrl') ?? EMPLOYMENTHERO_AUTH, 'authBaseUrl'),
    authorizePath: '/oauth2/authorize',
    tokenPath: '/oauth2/token',
    scopes: EMPLOYMENTHERO_SCOPES,
    rotatesRefreshTokens: true,
    clientAuth: 'client_secret_post',
    officialTokenEndpoint: 'https://oauth.employmenthero.com/oauth2/token',
  },
  capabilities: { incremental: 'none', webhooks: false, groups: true, directoryGroups: false },
  fields: [
    { key: 'workEmail', label: 'Company email', type: 'email', providerField: 'company_email' },
    { key: 'accountEmail', label: 'Account email (sign-in)', type: 'email', providerField: 'account_email', personal: true },
    { key: 'personalEmail', label: 'Personal email', type: 'email', providerField: 'personal_email', personal: true },
    { key: 'firstName', label: 'First name', type: 'text', providerField: 'first_name' },
    { key: 'lastName', label: 'Last name', type: 'text', providerField: 'last_name' },
    { key: 'knownAs', label: 'Known as', type: 'text', providerField: 'known_as' },
    { key: 'jobTitle', label: 'Job title', type: 'text', providerField: 'job_title' },
    { key: 'employeeCode', label: 'Employee code', type: 'text', providerField: 'code' },
    { key: 'team', label: 'Team', type: 'text', providerField: 'teams' },
    { key: 'teams', label: 'Teams (all)', type: 'text', providerField: 'teams' },
    { key: 'costCentre', label: 'Primary cost centre', type: 'text', providerField: 'primary_cost_centre' },
    { key: 'workLocation', label: 'Work location', type: 'text', providerField: 'location' },
    { key: 'managerId', label: 'Primary manager', type: 'reference', providerField: 'primary_manager' },
    { key: 'workPhone', label: 'Company landline, else company mobile', type: 'phone', providerField: 'company_landline' },
    { key: 'companyMobile', label: 'Company mobile', type: 'phone', providerField: 'company_mobile' },
    { key: 'personalMobile', label: 'Personal mobile', type: 'phone', providerField: 'personal_mobile_number', personal: true },
    { key: 'startDate', label: 'Start date', type: 'date', providerField: 'start_date' },
    { key: 'terminationDate', label: 'Termination date', type: 'date', providerField: 'termination_date' },
    { key: 'status', label: 'Status', type: 'status', providerField: 'status' },
    { key: 'employmentType', label: 'Employment type', type: 'text', providerField: 'employment_type' },
    { key: 'organisation', label: 'Organisation', type: 'text', providerField: 'organisation' },
  ],
  defaultMapping: {
    workEmail: 'email',
    firstName: 'firstName',
    lastName: 'lastName',
    knownAs: 'preferredName',
    jobTitle: 'jobTitle',
    team: 'department',
    costCentre: 'custom.costCentre',
    workLocation: 'location',
    managerId: 'managerId',
    employeeCode: 'employeeNumber',
    workPhone: 'phone',
    startDate: 'startDate',
    terminationDate: 'endDate',
    status: 'employmentStatus',
    employmentType: 'employmentType',
  },
  groupAttributes: [
    { attribute: 'department', sourceKey: 'team', type: 'Team' },
    { attribute: 'custom.costCentre', sourceKey: 'costCentre', type: 'Cost centre' },
    { attribute: 'location', sourceKey: 'workLocation', type: 'Work location' },
  ],
};
