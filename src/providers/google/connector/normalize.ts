/**
 * Directory API user (discovery schema `User`, projection=full) → canonical SourceRecord.
 *
 * | attribute   | from                                                                        |
 * |-------------|-----------------------------------------------------------------------------|
 * | primaryEmail | primaryEmail                                                               |
 * | aliases     | `aliases` and the other `emails[].address`, lower-cased, comma-separated     |
 * | givenName, familyName, displayName | name.givenName, name.familyName, name.displayName |
 * | title, department, costCenter, location | the primary entry of `organizations` (else the first) |
 * | orgUnitPath | orgUnitPath (`/Engineering/Platform`)                                        |
 * | employeeId  | the `externalIds` entry of type `organization` (UserExternalId.type)        |
 * | managerEmail | the `relations` entry of type `manager` (UserRelation: its value is an e-mail) |
 * | manager     | that manager's user id, when the manager is a user of the directory         |
 * | workPhone, mobilePhone | `phones` entries of type `work`, `mobile`                       |
 * | suspended, archived, isAdmin | `true` / `false`                                       |
 *
 * The Directory API has no employment dates: `lifecycle.active` is "neither suspended nor
 * archived" (a leaver's account is suspended or archived; a deleted one is gone, see connector.ts).
 */
import type { RecordFailure, SourceRecord } from '../../../core/source-record.ts';
import { isRecord } from '../../../connectors/http.ts';
import { cleanValue } from '../../bamboohr/connector/normalize.ts';

function text(v: unknown): string | undefined {
  return isRecord(v) || Array.isArray(v) ? undefined : cleanValue(v);
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function typed(list: unknown, type: string): string | undefined {
  return records(list).map((e) => (text(e['type'])?.toLowerCase() === type ? text(e['value']) : undefined)).find((v) => v !== undefined);
}

/** Every address of the user but the primary one, lower-cased, once each. */
export function aliasesOf(raw: Record<string, unknown>): string[] {
  const primary = text(raw['primaryEmail'])?.toLowerCase();
  const all = [...(Array.isArray(raw['aliases']) ? raw['aliases'] : []), ...records(raw['emails']).map((e) => e['address'])].map(text).filter((a): a is string => a !== undefined).map((a) => a.toLowerCase());
  return [...new Set(all)].filter((a) => a !== primary);
}

export function managerEmailOf(raw: Record<string, unknown>): string | undefined {
  return typed(raw['relations'], 'manager')?.toLowerCase();
}

export function normalizeGoogleUser(raw: unknown, managerIdOf: (email: string) => string | undefined = () => undefined): SourceRecord | RecordFailure {
  if (!isRecord(raw)) return { reason: 'the user is not an object' };
  const externalId = text(raw['id']);
  if (externalId === undefined) return { reason: 'the user has no id' };
  const a: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined) a[key] = value;
  };
  put('primaryEmail', text(raw['primaryEmail']));
  const aliases = aliasesOf(raw);
  if (aliases.length > 0) a['aliases'] = aliases.join(', ');
  const name = isRecord(raw['name']) ? raw['name'] : {};
  put('givenName', text(name['givenName']));
  put('familyName', text(name['familyName']));
  put('displayName', text(name['displayName']));
  const orgs = records(raw['organizations']);
  const org = orgs.find((o) => o['primary'] === true) ?? orgs[0] ?? {};
  put('title', text(org['title']));
  put('department', text(org['department']));
  put('costCenter', text(org['costCenter']));
  put('location', text(org['location']));
  put('orgUnitPath', text(raw['orgUnitPath']));
  put('employeeId', typed(raw['externalIds'], 'organization'));
  const managerEmail = managerEmailOf(raw);
  put('managerEmail', managerEmail);
  put('manager', managerEmail ? managerIdOf(managerEmail) : undefined);
  put('workPhone', typed(raw['phones'], 'work'));
  put('mobilePhone', typed(raw['phones'], 'mobile'));
  for (const flag of ['suspended', 'archived', 'isAdmin']) if (typeof raw[flag] === 'boolean') a[flag] = String(raw[flag]);
  return { externalId, attributes: a, lifecycle: { active: raw['suspended'] !== true && raw['archived'] !== true } };
}
