/**
 * Employment Hero employee (Get Employees) → canonical SourceRecord.
 *
 * | attribute      | from (Employment Hero field)                                                   |
 * |----------------|--------------------------------------------------------------------------------|
 * | workEmail      | company_email — the work e-mail. `account_email` (the sign-in, often personal)  |
 * |                | and `personal_email` are never used in its place                               |
 * | firstName, lastName, knownAs, jobTitle | first_name, last_name, known_as, job_title             |
 * | employeeCode   | code                                                                           |
 * | managerId      | primary_manager.id                                                             |
 * | costCentre     | primary_cost_centre.name                                                       |
 * | workLocation   | location (the work location's name)                                            |
 * | team, teams    | the teams the person is in ("Get All Employees Of A Team"): the first by name; all, joined |
 * | workPhone      | company_landline, else company_mobile (never personal_mobile_number)            |
 * | companyMobile  | company_mobile                                                                 |
 * | startDate, terminationDate | start_date, termination_date as YYYY-MM-DD                         |
 * | status         | status in lower case: active, terminated, pending                              |
 * | employmentType | employment_type, when sent                                                     |
 * | organisation   | the organisation's name                                                        |
 *
 * `lifecycle.active`: `pending` (invited, not started) is not active; `terminated` is not active
 * unless its termination date is still ahead (it takes effect on that date); `active` is active
 * unless a termination date is today or past. The reference does not list every status value: any
 * other is read from the dates.
 */
import type { RecordFailure, SourceRecord } from '../../../core/source-record.ts';
import { isRecord } from '../../../connectors/http.ts';
import { cleanValue, normalizeDate } from '../../bamboohr/connector/normalize.ts';

export interface EhNormalizeContext {
  readonly organisation: string | undefined;
  /** Team names by employee id, from the teams of the organisation. */
  readonly teams: ReadonlyMap<string, readonly string[]>;
  /** Today, YYYY-MM-DD. */
  readonly today: string;
}

function text(v: unknown): string | undefined {
  return isRecord(v) || Array.isArray(v) ? undefined : cleanValue(v);
}

function nested(v: unknown, key: string): string | undefined {
  return isRecord(v) ? text(v[key]) : undefined;
}

function date(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : normalizeDate(s);
}

export function normalizeEmployee(raw: unknown, ctx: EhNormalizeContext): SourceRecord | RecordFailure {
  if (!isRecord(raw)) return { reason: 'record is not an object' };
  const externalId = text(raw['id']);
  if (externalId === undefined) return { reason: 'employee has no id' };
  const a: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined) a[key] = value;
  };
  put('workEmail', text(raw['company_email']));
  put('accountEmail', text(raw['account_email']));
  put('personalEmail', text(raw['personal_email']));
  put('firstName', text(raw['first_name']));
  put('lastName', text(raw['last_name']));
  put('knownAs', text(raw['known_as']));
  put('jobTitle', text(raw['job_title']));
  put('employeeCode', text(raw['code']));
  put('managerId', nested(raw['primary_manager'], 'id'));
  put('costCentre', nested(raw['primary_cost_centre'], 'name'));
  put('workLocation', text(raw['location']));
  const teams = [...(ctx.teams.get(externalId) ?? [])].sort((x, y) => x.localeCompare(y));
  put('team', teams[0]);
  if (teams.length > 0) a['teams'] = teams.join('; ');
  const landline = text(raw['company_landline']);
  const mobile = text(raw['company_mobile']);
  put('workPhone', landline ?? mobile);
  put('companyMobile', mobile);
  put('personalMobile', text(raw['personal_mobile_number']));
  const startDate = date(raw['start_date']);
  const terminationDate = date(raw['termination_date']);
  put('startDate', startDate);
  put('terminationDate', terminationDate);
  const status = text(raw['status'])?.toLowerCase();
  put('status', status);
  put('employmentType', text(raw['employment_type']));
  put('organisation', ctx.organisation);

  const leftBy = (d: string | undefined) => d !== undefined && d <= ctx.today;
  let active: boolean;
  if (status === 'pending') active = false;
  else if (status === 'terminated') active = terminationDate !== undefined && terminationDate > ctx.today;
  else if (status === 'active') active = !leftBy(terminationDate);
  else active = !leftBy(terminationDate) && !(startDate !== undefined && startDate > ctx.today);
  return {
    externalId,
    attributes: a,
    lifecycle: { active, ...(startDate ? { hireDate: startDate } : {}), ...(terminationDate ? { terminationDate } : {}) },
  };
}

/**
 * One person in several organisations (the same company e-mail) is one record: the id is theirs in
 * the first organisation (in the order synced) that has them, so it stays put; the values come from
 * an organisation where they are active (the first), else from the first; they are active when
 * active anywhere, and their termination date is the latest only when they left everywhere.
 */
export function mergeAcrossOrganisations(records: readonly SourceRecord[]): SourceRecord {
  const first = records[0]!;
  if (records.length === 1) return first;
  const live = records.find((r) => r.lifecycle.active);
  const source = live ?? first;
  const ends = records.map((r) => r.lifecycle.terminationDate).filter((d): d is string => d !== undefined).sort();
  const terminationDate = live ? live.lifecycle.terminationDate : ends.at(-1);
  const organisations = records.map((r) => r.attributes['organisation']).filter((o): o is string => o !== undefined);
  return {
    externalId: first.externalId,
    attributes: { ...source.attributes, ...(organisations.length > 0 ? { organisations: [...new Set(organisations)].join('; ') } : {}), ...(terminationDate ? { terminationDate } : {}) },
    lifecycle: { active: !!live, ...(source.lifecycle.hireDate ? { hireDate: source.lifecycle.hireDate } : {}), ...(terminationDate ? { terminationDate } : {}) },
  };
}
