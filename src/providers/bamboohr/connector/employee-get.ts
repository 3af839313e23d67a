/**
 * One employee by id, for incremental runs with few changes.
 *
 * OpenAPI operationId: `get-employee` — `GET /api/v1/employees/{id}?fields=a,b,c`, JSON or XML
 * by `Accept` (`AcceptHeaderParameter`):
 *
 *   JSON: {"id": "123", "firstName": "Ann", …}
 *   XML:  <employee id="123"><field id="firstName">Ann</field>…</employee>
 *         (child elements named after the field, <firstName>Ann</firstName>, are read too)
 *
 * - 404 "if the employee does not exist": the person is gone → `{kind: 'gone'}` (the connector
 *   reports them as deleted).
 * - 403 "if the API user does not have permission to see the requested employee": a per-person
 *   restriction → `{kind: 'forbidden'}` (a RecordFailure; it must not stop everyone else's
 *   changes). A revoked key fails earlier, on /employees/changed.
 * - 400 naming unknown fields: retried once without them (`onUnknownFields` lets the caller
 *   drop them for the following requests).
 * - `getEmployees` runs at most `concurrency` (default 8) requests at a time and keeps order;
 *   the first failure stops the rest and is thrown.
 */
import { badData } from '../../../connectors/errors.ts';
import { asArray, isRecord, parseJsonOrXml, xmlText, type HttpResponse } from '../../../connectors/http.ts';
import { PROVIDER, type BambooClient } from './client.ts';
import { fieldsNamedInError, type Row } from './datasets-employee.ts';

export const DEFAULT_CONCURRENCY = 8;

export type EmployeeGetResult =
  | { readonly kind: 'found'; readonly id: string; readonly row: Row }
  | { readonly kind: 'gone'; readonly id: string }
  | { readonly kind: 'forbidden'; readonly id: string; readonly message: string | undefined };

export interface EmployeeGetOptions {
  readonly fields: readonly string[];
  /** `Accept` header; `application/json` by default. */
  readonly accept?: string;
  /** Called with the fields a 400 named as unknown (they are dropped for the retry). */
  readonly onUnknownFields?: (fields: readonly string[]) => void;
}

function fieldList(fields: readonly string[]): string {
  // `id` is always returned; `employeeId` is a dataset name, harmless to ask for.
  return fields.filter((f) => f !== '' && !f.includes(',')).join(',');
}

/** A parsed get-employee body → a flat row. */
export function employeeRow(res: HttpResponse, requestedId: string): Row {
  const { format, data } = parseJsonOrXml(PROVIDER, res);
  if (format === 'json') {
    if (!isRecord(data)) throw badData(PROVIDER, res.url, 'the answer is not a JSON object');
    const row: Row = { ...data };
    row['id'] ??= requestedId;
    return row;
  }
  const root = (data as Record<string, unknown>)['employee'];
  if (root === undefined) throw badData(PROVIDER, res.url, 'the XML has no <employee> element');
  const row: Row = {};
  if (isRecord(root)) {
    for (const [key, value] of Object.entries(root)) {
      if (key === 'field' || key === '#text') continue;
      if (key.startsWith('@_')) {
        if (key === '@_id') row['id'] = value;
        continue;
      }
      const text = xmlText(value);
      if (text !== undefined) row[key] = text;
    }
    for (const field of asArray(root['field'])) {
      if (!isRecord(field)) continue;
      const name = field['@_id'];
      if (typeof name !== 'string' || name === '') continue;
      row[name] = xmlText(field) ?? '';
    }
  }
  row['id'] ??= requestedId;
  return row;
}

export async function getEmployee(client: BambooClient, id: string, options: EmployeeGetOptions): Promise<EmployeeGetResult> {
  const path = `/api/v1/employees/${encodeURIComponent(id)}`;
  const request = (fields: readonly string[]): Promise<HttpResponse> =>
    client.get(path, { fields: fieldList(fields) }, { accept: options.accept ?? 'application/json', acceptStatus: [403, 404] });

  let res: HttpResponse;
  try {
    res = await request(options.fields);
  } catch (err) {
    const unknown = fieldsNamedInError(err, options.fields);
    if (unknown.length === 0) throw err;
    options.onUnknownFields?.(unknown);
    res = await request(options.fields.filter((f) => !unknown.includes(f)));
  }
  if (res.status === 404) return { kind: 'gone', id };
  if (res.status === 403) return { kind: 'forbidden', id, message: res.providerMessage };
  return { kind: 'found', id, row: employeeRow(res, id) };
}

/** Many employees, at most `concurrency` at a time, results in the order of `ids`. */
export async function getEmployees(
  client: BambooClient,
  ids: readonly string[],
  options: EmployeeGetOptions & { readonly concurrency?: number },
): Promise<EmployeeGetResult[]> {
  const results: EmployeeGetResult[] = new Array<EmployeeGetResult>(ids.length);
  let fields = [...options.fields];
  const perCall: EmployeeGetOptions = {
    ...options,
    get fields() {
      return fields;
    },
    onUnknownFields: (unknown) => {
      fields = fields.filter((f) => !unknown.includes(f));
      options.onUnknownFields?.(unknown);
    },
  };
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < ids.length) {
      const i = next++;
      try {
        results[i] = await getEmployee(client, ids[i] as string, perCall);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, ids.length));
  const outcomes = await Promise.allSettled(Array.from({ length: width }, worker));
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}
