/**
 * HiBob named lists for the sandbox: departments (a tree), sites, job titles and employment types.
 *
 * Served by `GET /v1/company/named-lists[/{listName}]` as HiBob documents them:
 * `{name, values: [{id, value, name, archived, children: [...]}]}` — `value` and `name` both carry
 * the display name; `children` nests (departments: division → department → team).
 *
 * Item ids are stable: derived from the list name and the item's path (FNV-1a), not from the seed
 * or the order of creation, so the same department has the same id in every sandbox run.
 */
import { PLACES } from '../../../sandbox/names.ts';
import { DEPARTMENTS, DIVISIONS } from '../../bamboohr/sandbox/generator.ts';

export interface NamedListItem {
  readonly id: string;
  name: string;
  archived: boolean;
  readonly parentId: string | null;
  readonly children: NamedListItem[];
}

export interface NamedList {
  readonly name: string;
  readonly items: NamedListItem[];
}

/** Sub-teams below some departments, so the department tree is three levels deep in places. */
export const SUB_TEAMS: Readonly<Record<string, readonly string[]>> = {
  Engineering: ['Backend', 'Frontend', 'Mobile', 'Quality Engineering'],
  Sales: ['Sales EMEA', 'Sales Americas', 'Sales APAC'],
  Support: ['Support Tier 1', 'Support Tier 2'],
};

export const EMPLOYMENT_TYPES = ['Permanent', 'Part-time', 'Contractor', 'Intern'] as const;

/** FNV-1a over the text → a 9-digit id that never starts with 0 (HiBob list ids are numeric strings). */
export function stableId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(100_000_000 + (h % 900_000_000));
}

/** A registry of named lists with id and name indexes (names are unique per list here). */
export class NamedLists {
  private readonly lists = new Map<string, NamedList>();
  private readonly byId = new Map<string, Map<string, NamedListItem>>();
  private readonly byName = new Map<string, Map<string, NamedListItem>>();

  constructor() {
    this.list('department');
    for (const division of DIVISIONS) {
      const d = this.addItem('department', division, null);
      for (const dept of DEPARTMENTS.filter((x) => x.division === division)) {
        const item = dept.name === division ? d : this.addItem('department', dept.name, d.id);
        for (const team of SUB_TEAMS[dept.name] ?? []) this.addItem('department', team, item.id);
      }
    }
    for (const p of PLACES) this.addItem('site', p.name, null);
    for (const t of EMPLOYMENT_TYPES) this.addItem('employmentType', t, null);
    this.list('title');
  }

  names(): string[] {
    return [...this.lists.keys()];
  }

  get(name: string): NamedList | undefined {
    return this.lists.get(name);
  }

  item(list: string, id: string): NamedListItem | undefined {
    return this.byId.get(list)?.get(id);
  }

  itemByName(list: string, name: string): NamedListItem | undefined {
    return this.byName.get(list)?.get(name);
  }

  /** The item named `name` (created at the top level when missing). */
  ensure(list: string, name: string, parentId: string | null = null): NamedListItem {
    return this.itemByName(list, name) ?? this.addItem(list, name, parentId);
  }

  /** Renames an item in place (it keeps its id). */
  rename(list: string, idOrName: string, to: string): NamedListItem | undefined {
    const item = this.item(list, idOrName) ?? this.itemByName(list, idOrName);
    if (!item) return undefined;
    const names = this.byName.get(list);
    names?.delete(item.name);
    item.name = to;
    names?.set(to, item);
    return item;
  }

  /** Names from the top of the tree down to the item (`Technology`, `Engineering`, `Backend`). */
  path(list: string, id: string): string[] {
    const out: string[] = [];
    let cur = this.item(list, id);
    for (let guard = 0; cur && guard < 50; guard++) {
      out.unshift(cur.name);
      cur = cur.parentId === null ? undefined : this.item(list, cur.parentId);
    }
    return out;
  }

  /** The item and all its descendants' ids. */
  descendants(list: string, id: string): string[] {
    const root = this.item(list, id);
    if (!root) return [];
    const out: string[] = [];
    const walk = (i: NamedListItem): void => {
      out.push(i.id);
      for (const c of i.children) walk(c);
    };
    walk(root);
    return out;
  }

  /** The list as HiBob serves it. */
  toJson(name: string, includeArchived: boolean): { name: string; values: unknown[] } | undefined {
    const list = this.lists.get(name);
    if (!list) return undefined;
    const render = (items: readonly NamedListItem[]): unknown[] =>
      items
        .filter((i) => includeArchived || !i.archived)
        .map((i) => ({ id: i.id, value: i.name, name: i.name, archived: i.archived, children: render(i.children) }));
    return { name, values: render(list.items) };
  }

  private list(name: string): NamedList {
    let l = this.lists.get(name);
    if (!l) {
      l = { name, items: [] };
      this.lists.set(name, l);
      this.byId.set(name, new Map());
      this.byName.set(name, new Map());
    }
    return l;
  }

  private addItem(list: string, name: string, parentId: string | null): NamedListItem {
    const l = this.list(list);
    const ids = this.byId.get(list) as Map<string, NamedListItem>;
    const parent = parentId === null ? undefined : ids.get(parentId);
    const pathKey = parent ? `${this.path(list, parent.id).join('/')}/${name}` : name;
    let id = stableId(`${list}:${pathKey}`);
    while (ids.has(id)) id = String(Number(id) + 1);
    const item: NamedListItem = { id, name, archived: false, parentId: parent ? parent.id : null, children: [] };
    (parent ? parent.children : l.items).push(item);
    ids.set(id, item);
    (this.byName.get(list) as Map<string, NamedListItem>).set(name, item);
    return item;
  }
}
