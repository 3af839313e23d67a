/**
 * BambooHR, as the product knows it. Followed from BambooHR's published OpenAPI
 * (`shared/specs/bamboohr-public-openapi.yaml`: `servers` https://{companyDomain}.bamboohr.com,
 * `securitySchemes` basic (API key as user name) and oauth (`/authorize.php`, `/token.php`)) and
 * https://documentation.bamboohr.com/docs/getting-started ("OAuth flow": refresh tokens only with
 * the `offline_access` scope). Field names are BambooHR's own (operation `metadata-get-a-list-of-fields`,
 * `GET /api/v1/meta/fields`, lists them per account, custom fields included).
 */
import { z } from 'zod';
import type { ProviderDescriptor } from '../types.ts';
import { authBaseUrlSetting, baseUrlSetting, OAuthGrantImport, originOf, sandboxSettings, SettingsError, stringSetting } from '../settings.ts';

const COMPANY_DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * The API root: `explicit` (a connector option), else `settings.baseUrl`, else
 * `https://{companyDomain}.bamboohr.com`. Throws SettingsError when none can be formed.
 */
export function bambooApiBase(settings: Readonly<Record<string, unknown>>, explicit?: string): string {
  const given = explicit?.trim() || stringSetting(settings, 'baseUrl');
  if (given) return originOf(given, 'The BambooHR address');
  const domain = stringSetting(settings, 'companyDomain');
  if (!domain) throw new SettingsError('The BambooHR integration has no company domain (the "acme" in acme.bamboohr.com); set it in the integration settings.');
  const sub = domain.replace(/\.bamboohr\.com$/i, '');
  if (!COMPANY_DOMAIN.test(sub)) throw new SettingsError(`The BambooHR company domain "${domain}" is not valid (expected the "acme" in acme.bamboohr.com); fix it in the integration settings.`);
  return `https://${sub.toLowerCase()}.bamboohr.com`;
}

/** Scopes the endpoints the connector calls require (the OpenAPI's per-operation `security`), plus refresh tokens. */
export const BAMBOOHR_SCOPES = ['offline_access', 'employee', 'employee_directory', 'field', 'report', 'public.integration', 'webhooks'] as const;

const Settings = z
  .object({
    companyDomain: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,63}$/, 'companyDomain is the subdomain of your BambooHR address (acme for acme.bamboohr.com)')
      .meta({ title: 'Company domain', description: 'The subdomain of your BambooHR address: acme for acme.bamboohr.com.', examples: ['acme'], 'x-suffix': '.bamboohr.com' })
      .optional(),
    baseUrl: baseUrlSetting('https://{companyDomain}.bamboohr.com'),
    authBaseUrl: authBaseUrlSetting('your BambooHR address'),
    extraFields: z.array(z.string().min(1)).max(200).meta({ title: 'Extra fields', description: 'More BambooHR fields to read (custom fields), by their API name.', 'x-advanced': true }).optional(),
    ...sandboxSettings,
  })
  .refine((s) => s.companyDomain || s.baseUrl, 'settings.companyDomain is required (or settings.baseUrl for a sandbox or regional host)');

export const bamboohr: ProviderDescriptor<'bamboohr'> = {
  id: 'bamboohr',
  name: 'BambooHR',
  initials: 'BH',
  blurb: 'People, org structure and terminations from BambooHR.',
  docsUrl: 'https://documentation.bamboohr.com/reference',
  statusPageUrl: 'https://status.bamboohr.com',
  officialHosts: ['*.bamboohr.com'],
  defaultBaseUrl: null,
  settings: Settings as z.ZodType<Record<string, unknown>>,
  auth: [
    {
      kind: 'api_key',
      label: 'API key',
      help: 'Create one in BambooHR under your name → API Keys, as a user who may see every employee.',
      credentials: z.object({ apiKey: z.string().min(1, 'credentials.apiKey is required').meta({ title: 'API key', description: 'BambooHR → your name → API Keys. Stored encrypted and never shown again.', writeOnly: true }) }).strict(),
      credentialLabel: 'API key',
    },
    {
      kind: 'oauth2_authorization_code',
      label: 'Sign in with BambooHR (OAuth 2.0)',
      help: 'You are sent to BambooHR to approve read access, then brought back here.',
      credentials: OAuthGrantImport,
      credentialLabel: 'access token',
    },
  ],
  oauth: {
    // BambooHR's authorization server is the customer's own host.
    authBaseUrl: (settings) => (stringSetting(settings, 'authBaseUrl') ? originOf(stringSetting(settings, 'authBaseUrl')!, 'authBaseUrl') : bambooApiBase(settings)),
    authorizePath: '/authorize.php',
    tokenPath: '/token.php',
    // BambooHR documents no RFC 7009 endpoint; `/revoke.php` is tried on disconnect and a refusal is harmless.
    revokePath: '/revoke.php',
    scopes: BAMBOOHR_SCOPES,
    rotatesRefreshTokens: true,
    clientAuth: 'client_secret_post',
    officialTokenEndpoint: 'https://*.bamboohr.com/token.php',
    // BambooHR's own `request=authorize|token`; only on the real host (on a standard server `request` is RFC 9101's request object).
    officialParams: { authorize: { request: 'authorize' }, token: { request: 'token' } },
  },
  capabilities: { incremental: 'changed_since', webhooks: true, groups: true, directoryGroups: false },
  fields: [
    { key: 'employeeId', label: 'Employee ID', type: 'id' },
    { key: 'employeeNumber', label: 'Employee #', type: 'text' },
    { key: 'firstName', label: 'First name', type: 'text' },
    { key: 'lastName', label: 'Last name', type: 'text' },
    { key: 'preferredName', label: 'Preferred name', type: 'text' },
    { key: 'displayName', label: 'Display name', type: 'text' },
    { key: 'workEmail', label: 'Work email', type: 'email' },
    { key: 'homeEmail', label: 'Home email', type: 'email', personal: true },
    { key: 'jobTitle', label: 'Job title', type: 'text' },
    { key: 'department', label: 'Department', type: 'text' },
    { key: 'division', label: 'Division', type: 'text' },
    { key: 'location', label: 'Location', type: 'text' },
    { key: 'supervisorEId', label: 'Supervisor (employee ID)', type: 'reference' },
    { key: 'supervisorEmail', label: 'Supervisor email', type: 'email' },
    { key: 'hireDate', label: 'Hire date', type: 'date' },
    { key: 'terminationDate', label: 'Termination date', type: 'date' },
    { key: 'status', label: 'Status', type: 'status' },
    { key: 'employmentHistoryStatus', label: 'Employment status', type: 'text' },
    { key: 'mobilePhone', label: 'Mobile phone', type: 'phone' },
    { key: 'workPhone', label: 'Work phone', type: 'phone' },
    { key: 'country', label: 'Country', type: 'text' },
  ],
  defaultMapping: {
    workEmail: 'email',
    firstName: 'firstName',
    lastName: 'lastName',
    preferredName: 'preferredName',
    displayName: 'displayName',
    jobTitle: 'jobTitle',
    department: 'department',
    division: 'division',
    location: 'location',
    supervisorEId: 'managerId',
    employeeNumber: 'employeeNumber',
    mobilePhone: 'phone',
    hireDate: 'startDate',
    terminationDate: 'endDate',
    status: 'employmentStatus',
    employmentHistoryStatus: 'employmentType',
  },
  groupAttributes: [
    { attribute: 'division', sourceKey: 'division', type: 'Division' },
    { attribute: 'department', sourceKey: 'department', type: 'Department', parent: 'division' },
    { attribute: 'location', sourceKey: 'location', type: 'Location' },
  ],
};
