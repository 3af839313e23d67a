/**
 * `GET /v1/company/named-lists/{listName}` — a company list (departments, sites, …) by name.
 *
 * Followed from HiBob's "Get a specific company list by name" reference and "Fields and lists
 * metadata" (apidocs.hibob.com/reference/get_company-named-lists-listname,
 * apidocs.hibob.com/docs/fields-metadata): list-type employee fields (e.g. `work.department`, whose
 * metadata says `typeData.listId: "department"`) hold a list item's id; the list maps ids to names.
 * Answer: `{name, values: [{id, value, name, archived, children: [...]}]}` — `children` nests
 * (departments form a tree). `?includeArchived=true` also returns archived items, which people may
 * still hold, so we always ask for them.
 *
 * A list that does not exist (404) is `undefined`: the connector then falls back to the display
 * values of the people search. Ids are kept as strings (HiBob sends numbers or numeric strings).
 */
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import { PROVIDER, type HibobClient } from './client.ts';

export const NAMED_LISTS_PATH = '/v1/company/named-lists';

export interface NamedListItem {
  readonly id: string;
  readonly name: string;
  readonly archived: boolean;
  readonly parentId: string | null;
  /** Names from the top of the tree down to this item. */
  readonly path: readonly string[];
}

export interface NamedList {
  readonly name: string;
  /** Every item, depth-first, the tree flattened. */
  readonly items: readonly NamedListItem[];
  readonly byId: ReadonlyMap<string, NamedListItem>;
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return undefined;
}

function nameOf(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.normalize('NFC').trim() : undefined;
}

/** Parses a list body; throws bad_data when it is not one. */
export function parseNamedList(body: unknown, url: string, fallbackName: string): NamedList {
  if (!isRecord(body) || !Array.isArray(body['values'])) throw badData(PROVIDER, url, `the "${fallbackName}" list has no "values"`);
  const items: NamedListItem[] = [];
  const byId = new Map<string, NamedListItem>();
  const walk = (values: readonly unknown[], parent: NamedListItem | null, depth: number): void => {
    if (depth > 50) throw badData(PROVIDER, url, `the "${fallbackName}" list is nested more than 50 levels deep`);
    for (const v of values) {
      if (!isRecord(v)) continue;
      const id = idOf(v['id']);
      const name = nameOf(v['name']) ?? nameOf(v['value']);
      if (id === undefined || name === undefined) continue;
      const item: NamedListItem = {
        id,
        name,
        archived: v['archived'] === true,
        parentId: parent ? parent.id : null,
        path: parent ? [...parent.path, name] : [name],
      };
      items.push(item);
      if (!byId.has(id)) byId.set(id, item);
      if (Array.isArray(v['children'])) walk(v['children'] as unknown[], item, depth + 1);
    }
  };
  walk(body['values'] as unknown[], null, 0);
  return { name: nameOf(body['name']) ?? fallbackName, items, byId };
}

export async function getNamedList(client: HibobClient, listName: string): Promise<NamedList | undefined> {
  const res = await client.get(`${NAMED_LISTS_PATH}/${encodeURIComponent(listName)}`, { includeArchived: 'true' }, { acceptStatus: [404] });
  if (res.status === 404) return undefined;
  return parseNamedList(parseJsonBody(PROVIDER, res), res.url, listName);
}
