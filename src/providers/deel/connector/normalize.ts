/**
 * Deel person (`GET /rest/v2/people`) → canonical SourceRecord.
 *
 * | attribute        | from (Deel field)                                                          |
 * |------------------|----------------------------------------------------------------------------|
 * | workEmail        | `emails` entry of type `work`, else an employment's `work_email`. Never the  |
 * |                  | `primary` or `personal` entry: the primary address can be a personal one     |
 * | personalEmail    | `emails` entry of type `personal` (personal data: not in the default mapping) |
 * | firstName, lastName, preferredFirstName | first_name, last_name, preferred_first_name          |
 * | jobTitle         | job_title                                                                  |
 * | department, departmentId, parentDepartment | department.name, .id, .parent                      |
 * | team             | the first employment's team name (Deel "groups")                             |
 * | managerId        | direct_manager.id                                                          |
 * | workerId         | worker_id                                                                  |
 * | hiringType       | hiring_type in lower case (contractor, employee, eor, direct_employee, …)    |
 * | hiringStatus     | hiring_status in lower case (active, inactive, onboarding, offboarding)      |
 * | startDate        | start_date                                                                 |
 * | terminationDate  | direct_employee_termination_last_day, else the latest termination_last_day  |
 * |                  | of the employments when every one of them has one                          |
 * | workLocation, country | work_location, country                                              |
 * | customField.<name> | custom fields, when the integration maps them (see connector.ts)          |
 *
 * `lifecycle.active`: `inactive` is not active; `onboarding` is not active until the start date;
 * `active` and `offboarding` are active until the last day (a future last day takes effect on it).
 * The OpenAPI types hiring_status as a string; any other value is read from the dates.
 */
import type { RecordFailure, SourceRecord } from '../../../core/source-record.ts';
import { isRecord } from '../../../connectors/http.ts';
import { cleanValue, normalizeDate } from '../../bamboohr/connector/normalize.ts';

function text(v: unknown): string | undefined {
  return isRecord(v) || Array.isArray(v) ? undefined : cleanValue(v);
}

function date(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : normalizeDate(s);
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

export function workEmailOf(raw: Record<string, unknown>): string | undefined {
  const typed = records(raw['emails']).find((e) => text(e['type'])?.toLowerCase() === 'work' && text(e['value']));
  return text(typed?.['value']) ?? records(raw['employments']).map((e) => text(e['work_email'])).find((e) => e !== undefined);
}

function lastDay(raw: Record<string, unknown>): string | undefined {
  const direct = date(raw['direct_employee_termination_last_day']);
  if (direct) return direct;
  const employments = records(raw['employments']);
  const days = employments.map((e) => date(e['termination_last_day']));
  if (employments.length === 0 || days.some((d) => d === undefined)) return undefined;
  return (days as string[]).sort().at(-1);
}

export function normalizePerson(raw: unknown, today: string, custom: ReadonlyMap<string, string> = new Map()): SourceRecord | RecordFailure {
  if (!isRecord(raw)) return { reason: 'record is not an object' };
  const externalId = text(raw['id']);
  if (externalId === undefined) return { reason: 'person has no id' };
  const a: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined) a[key] = value;
  };
  put('workEmail', workEmailOf(raw));
  put('personalEmail', text(records(raw['emails']).find((e) => text(e['type'])?.toLowerCase() === 'personal')?.['value']));
  put('firstName', text(raw['first_name']));
  put('lastName', text(raw['last_name']));
  put('preferredFirstName', text(raw['preferred_first_name']));
  put('jobTitle', text(raw['job_title']));
  const dept = isRecord(raw['department']) ? raw['department'] : undefined;
  put('department', text(dept?.['name']));
  put('departmentId', text(dept?.['id']));
  put('parentDepartment', text(dept?.['parent']));
  const team = records(raw['employments']).map((e) => (isRecord(e['team']) ? text(e['team']['name']) : undefined)).find((t) => t !== undefined);
  put('team', team);
  put('managerId', isRecord(raw['direct_manager']) ? text(raw['direct_manager']['id']) : undefined);
  put('workerId', text(raw['worker_id']));
  const hiringType = text(raw['hiring_type'])?.toLowerCase();
  const hiringStatus = text(raw['hiring_status'])?.toLowerCase();
  put('hiringType', hiringType);
  put('hiringStatus', hiringStatus);
  const startDate = date(raw['start_date']);
  const terminationDate = lastDay(raw);
  put('startDate', startDate);
  put('terminationDate', terminationDate);
  put('workLocation', text(raw['work_location']));
  put('country', text(raw['country']));
  for (const [name, value] of custom) put(`customField.${name}`, value);

  const left = terminationDate !== undefined && terminationDate <= today;
  const started = startDate === undefined || startDate <= today;
  let active: boolean;
  if (hiringStatus === 'inactive') active = false;
  else if (hiringStatus === 'onboarding') active = started && !left;
  else if (hiringStatus === 'active' || hiringStatus === 'offboarding') active = !left;
  else active = started && !left;
  return { externalId, attributes: a, lifecycle: { active, ...(startDate ? { hireDate: startDate } : {}), ...(terminationDate ? { terminationDate } : {}) } };
}
