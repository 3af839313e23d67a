/**
 * Microsoft Graph user (`microsoft.graph.user` in shared/specs/msgraph-v1-users-groups.yaml) →
 * canonical SourceRecord. Attribute keys are Graph's property names, plus:
 *
 * | attribute      | from                                                                          |
 * |----------------|-------------------------------------------------------------------------------|
 * | businessPhone  | the first of `businessPhones`                                                 |
 * | division, costCenter | `employeeOrgData.division`, `.costCenter`                               |
 * | proxyAddresses | the SMTP addresses of `proxyAddresses` (`SMTP:` primary, `smtp:` aliases; other |
 * |                | address types such as `SIP:` left out), primary first, comma-separated        |
 * | manager        | the manager's object id: `manager` (from `$expand=manager`) or the last entry of |
 * |                | `manager@delta` (a delta round; an `@removed` entry means no manager)        |
 * | employeeHireDate, employeeLeaveDateTime | the UTC date of the DateTimeOffset (`YYYY-MM-DD`)    |
 * | accountEnabled | `true` / `false`                                                              |
 * | accountKind    | `guest` (userType Guest, or `#EXT#` in the user principal name), `resource`    |
 * |                | (a disabled account without a person's name or employee data: rooms, shared  |
 * |                | mailboxes), else `person`                                                     |
 *
 * `lifecycle.active`: the account is enabled and its `employeeLeaveDateTime`, when set, is not
 * past (a future leave date takes effect on that date). `accountEnabled: false` is inactive.
 */
import type { RecordFailure, SourceRecord } from '../../../core/source-record.ts';
import { isRecord } from '../../../connectors/http.ts';
import { cleanValue } from '../../bamboohr/connector/normalize.ts';

/** What the connector selects on `/users` and `/users/delta` (the user resource's property names). */
export const USER_SELECT = [
  'id', 'userPrincipalName', 'mail', 'proxyAddresses', 'givenName', 'surname', 'displayName', 'jobTitle', 'department', 'employeeOrgData', 'officeLocation',
  'companyName', 'employeeId', 'employeeType', 'employeeHireDate', 'employeeLeaveDateTime', 'accountEnabled', 'userType', 'businessPhones', 'mobilePhone',
  'city', 'country', 'usageLocation',
] as const;

function text(v: unknown): string | undefined {
  return isRecord(v) || Array.isArray(v) ? undefined : cleanValue(v);
}

/** The UTC date of a DateTimeOffset (`2026-12-31T00:00:00Z` → `2026-12-31`). */
export function utcDate(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().slice(0, 10);
}

/** SMTP addresses of `proxyAddresses`, the primary (`SMTP:`) first, lower-cased and once each. */
export function smtpAddresses(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const entries = v.filter((x): x is string => typeof x === 'string').filter((x) => /^smtp:/i.test(x));
  entries.sort((a, b) => Number(b.startsWith('SMTP:')) - Number(a.startsWith('SMTP:')));
  return [...new Set(entries.map((x) => x.slice(5).trim().toLowerCase()).filter((x) => x !== ''))];
}

/**
 * The manager as the row tells it: an id, `null` when it says there is none (an `@removed`
 * manager@delta entry), or `undefined` when it does not say (a delta row whose manager did not change).
 */
export function managerOf(raw: Record<string, unknown>): string | null | undefined {
  const expanded = raw['manager'];
  if (isRecord(expanded)) return text(expanded['id']) ?? null;
  const delta = raw['manager@delta'];
  if (Array.isArray(delta)) {
    const last = delta.filter(isRecord).at(-1);
    if (!last) return null;
    return last['@removed'] !== undefined ? null : (text(last['id']) ?? null);
  }
  return undefined;
}

export function accountKind(raw: Record<string, unknown>): 'person' | 'guest' | 'resource' {
  const upn = text(raw['userPrincipalName']) ?? '';
  if (text(raw['userType']) === 'Guest' || upn.includes('#EXT#')) return 'guest';
  const named = text(raw['givenName']) !== undefined || text(raw['surname']) !== undefined;
  const employee = text(raw['employeeId']) !== undefined || text(raw['employeeType']) !== undefined;
  if (raw['accountEnabled'] === false && !named && !employee) return 'resource';
  return 'person';
}

export function normalizeUser(raw: unknown, today: string, manager?: string | null): SourceRecord | RecordFailure {
  if (!isRecord(raw)) return { reason: 'the account is not an object' };
  const externalId = typeof raw['id'] === 'string' && raw['id'].trim() !== '' ? raw['id'].trim() : undefined;
  if (externalId === undefined) return { reason: 'the account has no id' };
  const a: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined) a[key] = value;
  };
  for (const key of ['mail', 'userPrincipalName', 'givenName', 'surname', 'displayName', 'jobTitle', 'department', 'officeLocation', 'companyName', 'employeeId', 'employeeType', 'userType', 'mobilePhone', 'city', 'country', 'usageLocation']) {
    put(key, text(raw[key]));
  }
  const smtp = smtpAddresses(raw['proxyAddresses']);
  if (smtp.length > 0) a['proxyAddresses'] = smtp.join(', ');
  put('businessPhone', Array.isArray(raw['businessPhones']) ? raw['businessPhones'].map(text).find((p) => p !== undefined) : undefined);
  const org = isRecord(raw['employeeOrgData']) ? raw['employeeOrgData'] : {};
  put('division', text(org['division']));
  put('costCenter', text(org['costCenter']));
  const managerId = manager !== undefined ? manager : managerOf(raw);
  if (managerId) a['manager'] = managerId;
  const hireDate = utcDate(raw['employeeHireDate']);
  const leaveDate = utcDate(raw['employeeLeaveDateTime']);
  put('employeeHireDate', hireDate);
  put('employeeLeaveDateTime', leaveDate);
  const enabled = raw['accountEnabled'] !== false;
  if (typeof raw['accountEnabled'] === 'boolean') a['accountEnabled'] = String(raw['accountEnabled']);
  a['accountKind'] = accountKind(raw);
  const left = leaveDate !== undefined && leaveDate <= today;
  return { externalId, attributes: a, lifecycle: { active: enabled && !left, ...(hireDate ? { hireDate } : {}), ...(leaveDate ? { terminationDate: leaveDate } : {}) } };
}
