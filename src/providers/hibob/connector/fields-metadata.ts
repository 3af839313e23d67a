/**
 * `GET /v1/company/people/fields` — every employee field of the account, custom ones included
 * ("Get all employee fields", apidocs.hibob.com/reference/get_company-people-fields; "Fields and
 * lists metadata", apidocs.hibob.com/docs/fields-metadata). Each entry has the field `id` (what
 * the people search takes), its `name`, its `categoryId` (what a service user is granted) and
 * its `type`. Reading the metadata needs no permission.
 *
 * The catalogue is the descriptor's fields (the connector's flat keys) followed by every other
 * field under its HiBob id, which the connector reads once an admin maps it. Fields of personal
 * categories are flagged `personal`. The docs do not say whether the answer is a bare array or
 * wrapped; both are read.
 */
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import type { SourceField, SourceFieldType } from '../../types.ts';
import { hibob, PERSONAL_CATEGORIES } from '../descriptor.ts';
import { PROVIDER, type HibobClient } from './client.ts';
import { FIELD_ID } from './people-search.ts';

export const FIELDS_PATH = '/v1/company/people/fields';

const TYPES: Readonly<Record<string, SourceFieldType>> = {
  date: 'date',
  number: 'number',
  boolean: 'boolean',
  'employee-reference': 'reference',
  employee: 'reference',
};

function isPersonal(id: string, categoryId: string): boolean {
  return PERSONAL_CATEGORIES.some((c) => categoryId === c || id === c || id.startsWith(`${c}.`));
}

export async function getFieldCatalogue(client: HibobClient): Promise<SourceField[]> {
  const res = await client.get(FIELDS_PATH);
  const body = parseJsonBody(PROVIDER, res);
  const entries = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body['fields']) ? body['fields'] : undefined;
  if (!entries) throw badData(PROVIDER, res.url, 'the answer is not a list of fields');
  const out: SourceField[] = hibob.fields.map((f) => ({ ...f }));
  const covered = new Set<string>(hibob.fields.map((f: SourceField) => f.providerField ?? f.key));
  for (const e of entries as unknown[]) {
    if (!isRecord(e) || typeof e['id'] !== 'string' || !FIELD_ID.test(e['id']) || covered.has(e['id'])) continue;
    const id = e['id'];
    covered.add(id);
    const categoryId = typeof e['categoryId'] === 'string' ? e['categoryId'] : id.split('.')[0]!;
    const name = typeof e['name'] === 'string' && e['name'].trim() !== '' ? e['name'].trim() : id;
    const category = typeof e['categoryDisplayName'] === 'string' ? ` (${e['categoryDisplayName']})` : '';
    out.push({ key: id, label: `${name}${category}`, type: TYPES[String(e['type'])] ?? 'text', providerField: id, ...(isPersonal(id, categoryId) ? { personal: true } : {}) });
  }
  return out;
}
