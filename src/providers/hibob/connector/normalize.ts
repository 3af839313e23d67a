/**
 * HiBob employee (from `POST /v1/people/search`) → canonical SourceRecord.
 *
 * `externalId` is HiBob's backend employee id (`root.id`). Attributes use the connector's own flat
 * names, so default and custom field mappings can refer to them:
 *
 * | attribute             | from                                                                 |
 * |-----------------------|----------------------------------------------------------------------|
 * | email                 | root.email                                                           |
 * | firstName, surname, displayName | root.firstName, root.surname, root.displayName             |
 * | title                 | work.title's display value (it is a list-item id in machine format)  |
 * | department            | name of work.department's item in the `department` named list       |
 * | departmentId          | work.department (the list-item id)                                   |
 * | departmentPath        | names from the top of the department tree, joined with " / "        |
 * | division              | the top-level name of that path, when the department is nested      |
 * | site, siteId          | the `site` named list's name for work.siteId (else work.site), id   |
 * | reportsTo             | the manager's HiBob id (work.reportsTo.id, else work.manager)        |
 * | employeeIdInCompany   | work.employeeIdInCompany                                             |
 * | workPhone, workMobile | work.workPhone, work.workMobile (HiBob's work numbers)               |
 * | phone                 | work.workPhone, else work.workMobile (never a personal number)       |
 * | <field id>            | any extra field asked for (an admin's mapping, e.g. `home.mobilePhone`) |
 * | startDate, terminationDate | work.startDate, internal.terminationDate as YYYY-MM-DD          |
 * | status                | internal.status, canonically `Active` / `Inactive`                  |
 * | lifecycleStatus       | internal.lifecycleStatus in lower case (`employed`, `hired`, `terminated`, `leave`) |
 * | employmentType        | payroll.employment.type's display value                              |
 * | isManager             | work.isManager as `true` / `false`                                   |
 *
 * Values are strings: trimmed, Unicode NFC, empty values dropped. A list-type field whose name
 * cannot be resolved (no named list, no display value) is dropped rather than stored as a bare id.
 *
 * `lifecycle.active`: `internal.status` decides (HiBob marks terminated people and future starters
 * `Inactive`); without it, `internal.lifecycleStatus` (`employed`/`leave` active; `hired`/`terminated`
 * not); without either, active unless the termination date is on or before `today`.
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import { cleanValue, isRecordFailure, normalizeDate } from '../../bamboohr/connector/normalize.ts';
import { isRecord } from '../../../connectors/http.ts';
import type { NamedList } from './named-lists.ts';
import { fieldValue, humanValue } from './people-search.ts';

export { isRecordFailure };

export interface HibobNormalizeContext {
  /** The `department` named list, when it could be read. */
  readonly departments?: NamedList | undefined;
  /** The `site` named list, when it could be read. */
  readonly sites?: NamedList | undefined;
  /** Today as `YYYY-MM-DD` (UTC by default). */
  readonly today?: string;
  /** Extra field ids requested (see `extraFieldIds`), kept as attributes under their id. */
  readonly extraFields?: readonly string[];
}

/** Named-list ids are numeric (HiBob sends numbers or digit strings). */
const LIST_ID = /^\d{3,}$/;

function text(v: unknown): string | undefined {
  return isRecord(v) || Array.isArray(v) ? undefined : cleanValue(v);
}

function date(v: unknown): string | undefined {
  const s = text(v);
  return s === undefined ? undefined : (normalizeDate(s) ?? s);
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/** One raw employee → a SourceRecord, or a RecordFailure when it has no id. */
export function normalizeEmployee(raw: unknown, ctx: HibobNormalizeContext = {}): SourceRecord | RecordFailure {
  if (!isRecord(raw)) return { reason: 'record is not an object' };
  const get = (field: string): unknown => fieldValue(raw, field);
  const human = (field: string): string | undefined => text(humanValue(raw, field));
  const externalId = text(get('root.id'));
  if (externalId === undefined) return { reason: 'record has no employee id' };

  const a: Record<string, string> = {};
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined) a[key] = value;
  };
  put('email', text(get('root.email')));
  put('firstName', text(get('root.firstName')));
  put('surname', text(get('root.surname')));
  put('displayName', text(get('root.displayName')));

  const titleRaw = text(get('work.title'));
  put('title', human('work.title') ?? (titleRaw !== undefined && !LIST_ID.test(titleRaw) ? titleRaw : undefined));

  const deptRaw = text(get('work.department'));
  const dept = deptRaw === undefined ? undefined : ctx.departments?.byId.get(deptRaw);
  if (dept) {
    put('department', dept.name);
    put('departmentId', dept.id);
    put('departmentPath', dept.path.join(' / '));
    if (dept.path.length > 1) put('division', dept.path[0]);
  } else if (deptRaw !== undefined) {
    const isId = LIST_ID.test(deptRaw);
    put('department', human('work.department') ?? (isId ? undefined : deptRaw));
    if (isId) put('departmentId', deptRaw);
  }

  const siteId = text(get('work.siteId'));
  const siteRaw = text(get('work.site'));
  const site = (siteId !== undefined ? ctx.sites?.byId.get(siteId) : undefined) ?? (siteRaw !== undefined ? ctx.sites?.byId.get(siteRaw) : undefined);
  put('site', site?.name ?? human('work.site') ?? (siteRaw !== undefined && !LIST_ID.test(siteRaw) ? siteRaw : undefined));
  put('siteId', siteId ?? site?.id);

  const reportsTo = get('work.reportsTo');
  put('reportsTo', (isRecord(reportsTo) ? text(reportsTo['id']) : text(reportsTo)) ?? text(get('work.manager')));
  put('employeeIdInCompany', text(get('work.employeeIdInCompany')));
  const workPhone = text(get('work.workPhone'));
  const workMobile = text(get('work.workMobile'));
  put('workPhone', workPhone);
  put('workMobile', workMobile);
  put('phone', workPhone ?? workMobile);
  for (const id of ctx.extraFields ?? []) put(id, text(humanValue(raw, id)) ?? text(get(id)));
  put('startDate', date(get('work.startDate')));
  put('terminationDate', date(get('internal.terminationDate')));

  const statusRaw = text(get('internal.status'))?.toLowerCase();
  if (statusRaw === 'active') a['status'] = 'Active';
  else if (statusRaw === 'inactive') a['status'] = 'Inactive';
  else put('status', text(get('internal.status')));
  const lifecycleStatus = text(get('internal.lifecycleStatus'))?.toLowerCase();
  put('lifecycleStatus', lifecycleStatus);
  const typeRaw = text(get('payroll.employment.type'));
  put('employmentType', human('payroll.employment.type') ?? (typeRaw !== undefined && !LIST_ID.test(typeRaw) ? typeRaw : undefined));
  const isManager = get('work.isManager');
  if (typeof isManager === 'boolean') a['isManager'] = isManager ? 'true' : 'false';

  const hireDate = a['startDate'] === undefined ? undefined : normalizeDate(a['startDate']);
  const terminationDate = a['terminationDate'] === undefined ? undefined : normalizeDate(a['terminationDate']);
  const today = ctx.today ?? todayUtc();
  let active: boolean;
  if (statusRaw === 'active') active = true;
  else if (statusRaw === 'inactive') active = false;
  else if (lifecycleStatus === 'employed' || lifecycleStatus === 'leave') active = true;
  else if (lifecycleStatus === 'hired' || lifecycleStatus === 'terminated') active = false;
  else active = !(terminationDate !== undefined && terminationDate <= today);

  return {
    externalId,
    attributes: a,
    lifecycle: {
      active,
      ...(hireDate === undefined ? {} : { hireDate }),
      ...(terminationDate === undefined ? {} : { terminationDate }),
    },
  };
}

/** Raw employees → one SourcePage. */
export function normalizeEmployees(raws: Iterable<unknown>, ctx: HibobNormalizeContext = {}): SourcePage {
  const records: SourceRecord[] = [];
  const failures: RecordFailure[] = [];
  for (const raw of raws) {
    const r = normalizeEmployee(raw, ctx);
    if (isRecordFailure(r)) failures.push(r);
    else records.push(r);
  }
  return { records, failures };
}
