/**
 * List fields and their options (departments, divisions, locations, …), for Group Sync.
 *
 * OpenAPI operationId: `metadata-get-details-for-list-fields` — `GET /api/v1/meta/lists`,
 * JSON or XML by `Accept`:
 *
 *   JSON: [{"fieldId": 17, "alias": "department", "manageable": "yes", "multiple": "no",
 *           "name": "Department", "options": [{"id": 1, "archived": "no", "name": "Sales"}]}]
 *   XML:  <lists><list fieldId="17" alias="department" manageable="yes" multiple="no">
 *           <name>Department</name>
 *           <options><option id="1" archived="no">Sales</option></options>
 *         </list></lists>
 *
 * Archived options are kept (flagged): history may still reference them.
 */
import { badData } from '../../../connectors/errors.ts';
import { asArray, isRecord, parseJsonOrXml, xmlText } from '../../../connectors/http.ts';
import { PROVIDER, type BambooClient } from './client.ts';
import { cleanValue } from './normalize.ts';

export const META_LISTS_PATH = '/api/v1/meta/lists';

export interface ListFieldOption {
  readonly id: string;
  readonly name: string;
  readonly archived: boolean;
}

export interface ListField {
  readonly fieldId: string;
  readonly alias: string | undefined;
  readonly name: string;
  readonly manageable: boolean;
  readonly multiple: boolean;
  readonly options: readonly ListFieldOption[];
}

function yes(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return v === 'yes' || v === 'true' || v === '1';
}

function fromJson(entry: Record<string, unknown>): ListField | undefined {
  const fieldId = cleanValue(entry['fieldId'] ?? entry['id']);
  if (fieldId === undefined) return undefined;
  const rawOptions = entry['options'];
  const options: ListFieldOption[] = [];
  for (const o of Array.isArray(rawOptions) ? rawOptions : isRecord(rawOptions) ? asArray(rawOptions['option']) : []) {
    if (!isRecord(o)) continue;
    const id = cleanValue(o['id']);
    const name = cleanValue(o['name'] ?? o['value']);
    if (id === undefined || name === undefined) continue;
    options.push({ id, name, archived: yes(o['archived']) });
  }
  return {
    fieldId,
    alias: cleanValue(entry['alias']),
    name: cleanValue(entry['name']) ?? fieldId,
    manageable: yes(entry['manageable']),
    multiple: yes(entry['multiple']),
    options,
  };
}

function fromXml(list: Record<string, unknown>): ListField | undefined {
  const fieldId = cleanValue(list['@_fieldId']);
  if (fieldId === undefined) return undefined;
  const options: ListFieldOption[] = [];
  const container = list['options'];
  for (const o of isRecord(container) ? asArray(container['option']) : []) {
    const id = isRecord(o) ? cleanValue(o['@_id']) : undefined;
    const name = cleanValue(xmlText(o));
    if (id === undefined || name === undefined) continue;
    options.push({ id, name, archived: isRecord(o) && yes(o['@_archived']) });
  }
  return {
    fieldId,
    alias: cleanValue(list['@_alias']),
    name: cleanValue(xmlText(list['name'])) ?? fieldId,
    manageable: yes(list['@_manageable']),
    multiple: yes(list['@_multiple']),
    options,
  };
}

export async function getMetaLists(client: BambooClient, options: { readonly accept?: string } = {}): Promise<ListField[]> {
  const res = await client.get(META_LISTS_PATH, undefined, { accept: options.accept ?? 'application/json' });
  const { format, data } = parseJsonOrXml(PROVIDER, res);
  const out: ListField[] = [];
  if (format === 'json') {
    const entries = Array.isArray(data) ? data : isRecord(data) && Array.isArray(data['lists']) ? data['lists'] : undefined;
    if (!entries) throw badData(PROVIDER, res.url, 'the answer is not a list of list fields');
    for (const e of entries as unknown[]) {
      const f = isRecord(e) ? fromJson(e) : undefined;
      if (f) out.push(f);
    }
    return out;
  }
  const root = (data as Record<string, unknown>)['lists'];
  if (root === undefined) throw badData(PROVIDER, res.url, 'the XML has no <lists> element');
  for (const l of isRecord(root) ? asArray(root['list']) : []) {
    const f = isRecord(l) ? fromXml(l) : undefined;
    if (f) out.push(f);
  }
  return out;
}
