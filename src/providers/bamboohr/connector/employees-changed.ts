/**
 * Which employees changed since a timestamp.
 *
 * OpenAPI operationId: `get-changed-employee-ids` — `GET /api/v1/employees/changed?since=`
 * (`since` an ISO 8601 timestamp). The contract documents XML; BambooHR also answers JSON to
 * `Accept: application/json`, which we ask for, parsing whichever arrives:
 *
 *   JSON: {"latest": "2024-05-01T10:00:00+00:00",
 *          "employees": {"123": {"id": "123", "action": "Updated", "lastChanged": "…"}}}
 *         (`employees` as a list is accepted too)
 *   XML:  <employees latest="…"><employee id="123" action="Updated" lastChanged="…"/></employees>
 *
 * `action` is Inserted, Updated or Deleted (case-insensitive; anything else is read as
 * Updated, so the person is fetched and whatever they are now is what counts). `latest` is the
 * next watermark; `serverDate` (the response `Date` header) is the fallback when it is absent.
 */
import { badData } from '../../../connectors/errors.ts';
import { asArray, isRecord, parseJsonOrXml } from '../../../connectors/http.ts';
import { PROVIDER, type BambooClient } from './client.ts';

export const CHANGED_PATH = '/api/v1/employees/changed';

export type ChangeAction = 'Inserted' | 'Updated' | 'Deleted';

export interface EmployeeChange {
  readonly id: string;
  readonly action: ChangeAction;
  readonly lastChanged?: string;
}

export interface ChangedEmployees {
  /** BambooHR's `latest`, when given. */
  readonly latest: string | undefined;
  /** The response's `Date` header as ISO 8601, when given. */
  readonly serverDate: string | undefined;
  /** One entry per id (the last one wins when an id repeats). */
  readonly changes: readonly EmployeeChange[];
}

export interface ChangedOptions {
  /** `Accept` header; `application/json` by default. */
  readonly accept?: string;
}

function action(value: unknown): ChangeAction {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (v === 'inserted') return 'Inserted';
  if (v === 'deleted') return 'Deleted';
  return 'Updated';
}

function str(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

export async function getChangedEmployees(client: BambooClient, since: string, options: ChangedOptions = {}): Promise<ChangedEmployees> {
  const res = await client.get(CHANGED_PATH, { since }, { accept: options.accept ?? 'application/json' });
  const { format, data } = parseJsonOrXml(PROVIDER, res);

  let latest: string | undefined;
  const entries: Array<{ key?: string; value: Record<string, unknown> }> = [];
  if (format === 'json') {
    if (!isRecord(data)) throw badData(PROVIDER, res.url, 'the answer is not a JSON object');
    latest = str(data['latest']);
    const employees = data['employees'];
    if (Array.isArray(employees)) {
      for (const e of employees) {
        if (!isRecord(e)) throw badData(PROVIDER, res.url, 'a changed employee entry is not an object');
        entries.push({ value: e });
      }
    } else if (isRecord(employees)) {
      for (const [key, e] of Object.entries(employees)) {
        if (!isRecord(e)) throw badData(PROVIDER, res.url, 'a changed employee entry is not an object');
        entries.push({ key, value: e });
      }
    } else if (employees !== undefined && employees !== null) {
      throw badData(PROVIDER, res.url, '"employees" is neither a list nor an object');
    }
  } else {
    const root = (data as Record<string, unknown>)['employees'];
    if (root === undefined) throw badData(PROVIDER, res.url, 'the XML has no <employees> element');
    if (isRecord(root)) {
      latest = str(root['@_latest']);
      for (const e of asArray(root['employee'])) {
        if (!isRecord(e)) throw badData(PROVIDER, res.url, 'an <employee> element has no attributes');
        entries.push({
          value: { id: e['@_id'], action: e['@_action'], lastChanged: e['@_lastChanged'] },
        });
      }
    }
    // `<employees/>` (empty string once parsed) means no changes.
  }

  const byId = new Map<string, EmployeeChange>();
  for (const { key, value } of entries) {
    const id = str(value['id']) ?? key;
    if (id === undefined || id === '') throw badData(PROVIDER, res.url, 'a changed employee has no id');
    const lastChanged = str(value['lastChanged']);
    byId.delete(id);
    byId.set(id, { id, action: action(value['action']), ...(lastChanged === undefined ? {} : { lastChanged }) });
  }

  const date = res.headers.get('date');
  const parsedDate = date ? Date.parse(date) : Number.NaN;
  return {
    latest,
    serverDate: Number.isNaN(parsedDate) ? undefined : new Date(parsedDate).toISOString(),
    changes: [...byId.values()],
  };
}
