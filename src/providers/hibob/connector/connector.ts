/**
 * The HiBob connector: `HrisConnector` over `people-search.ts` and `named-lists.ts`.
 *
 * Settings (`ConnectorOptions.settings`): `baseUrl` (optional; default `https://api.hibob.com`).
 * Credentials: `{serviceUserId, token}` (HTTP Basic).
 *
 * Full fetch (`fetchAll`): the `department` and `site` named lists once per run (with archived
 * items), then one `POST /v1/people/search` with `showInactive: true` and `humanReadable: APPEND`,
 * which answers every person at once (HiBob has no paging). The records are normalised and
 * yielded in pages of `PAGE_SIZE`, lazily, so the engine streams them; a person appearing twice is
 * yielded once. Any failure throws before the first page, so a partial roster is never mistaken
 * for a complete one. The watermark is the search response's `Date` (server clock), else now.
 *
 * Incremental (`fetchChanges`): HiBob has no changed-since, so it is the same full read; the
 * engine skips unchanged people by comparing record hashes. No explicit delete events exist:
 * `deletedIds` is empty (people who vanish are settled by the full-fetch rules) and
 * `changedCount` is the number of people read.
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import type { ChangeFetch, ConnectorOptions, FullFetch, HrisConnector } from '../../../connectors/types.ts';
import { createHibobClient, PROVIDER, type HibobClient } from './client.ts';
import { getNamedList, type NamedList } from './named-lists.ts';
import { isRecordFailure, normalizeEmployee, type HibobNormalizeContext } from './normalize.ts';
import { extraFieldIds, searchPeople, SEARCH_FIELDS } from './people-search.ts';
import { getFieldCatalogue } from './fields-metadata.ts';

export const PAGE_SIZE = 1000;

/** Knobs for tests; production uses the defaults. */
export interface HibobConnectorInternals {
  readonly now?: () => Date;
  readonly pageSize?: number;
}

interface Roster {
  readonly watermark: string;
  readonly employees: readonly unknown[];
  readonly ctx: HibobNormalizeContext;
}

export function createHibobConnector(opts: ConnectorOptions, internals: HibobConnectorInternals = {}): HrisConnector {
  let client: HibobClient | undefined;
  // Created on first use, so unusable settings surface as a ProviderError from the call.
  const getClient = (): HibobClient => (client ??= createHibobClient(opts));
  const now = internals.now ?? ((): Date => new Date());
  const pageSize = Math.max(1, Math.floor(internals.pageSize ?? PAGE_SIZE));

  const extraSetting = opts.settings['extraFields'];
  const extraFields = extraFieldIds([...(opts.fields ?? []), ...(Array.isArray(extraSetting) ? extraSetting : [])]);

  async function readRoster(): Promise<Roster> {
    const c = getClient();
    const departments: NamedList | undefined = await getNamedList(c, 'department');
    const sites: NamedList | undefined = await getNamedList(c, 'site');
    const result = await searchPeople(c, { fields: [...SEARCH_FIELDS, ...extraFields], showInactive: true, humanReadable: 'APPEND' });
    const at = now();
    return {
      watermark: result.serverDate ?? at.toISOString(),
      employees: result.employees,
      ctx: { departments, sites, today: at.toISOString().slice(0, 10), extraFields },
    };
  }

  async function* pages(roster: Roster): AsyncGenerator<SourcePage> {
    const seen = new Set<string>();
    const { employees, ctx } = roster;
    if (employees.length === 0) {
      yield { records: [], failures: [] };
      return;
    }
    for (let start = 0; start < employees.length; start += pageSize) {
      const records: SourceRecord[] = [];
      const failures: RecordFailure[] = [];
      const end = Math.min(employees.length, start + pageSize);
      for (let i = start; i < end; i++) {
        const r = normalizeEmployee(employees[i], ctx);
        if (isRecordFailure(r)) failures.push(r);
        else if (!seen.has(r.externalId)) {
          seen.add(r.externalId);
          records.push(r);
        }
      }
      yield { records, failures };
    }
  }

  return {
    provider: PROVIDER,

    async checkConnection(): Promise<void> {
      // The cheapest read that proves both the credentials and the people permission.
      await searchPeople(getClient(), { fields: ['root.id'], showInactive: false });
    },

    async fetchAll(): Promise<FullFetch> {
      const roster = await readRoster();
      return { watermark: roster.watermark, pages: pages(roster) };
    },

    async fetchChanges(_since: string): Promise<ChangeFetch> {
      const roster = await readRoster();
      return { watermark: roster.watermark, pages: pages(roster), deletedIds: [], changedCount: roster.employees.length };
    },

    fetchFields: () => getFieldCatalogue(getClient()),

    /**
     * Org units for Group Sync: every department (the whole tree, archived included) and site,
     * keyed by their named-list item ids, which survive renames. `attribute` is the record
     * attribute holding the unit's name (`department`, `site`).
     */
    async fetchOrgUnits(): Promise<{ attribute: string; key: string; name: string; archived: boolean }[]> {
      const c = getClient();
      const out: { attribute: string; key: string; name: string; archived: boolean }[] = [];
      for (const [attribute, listName] of [['department', 'department'], ['site', 'site']] as const) {
        const list = await getNamedList(c, listName);
        for (const item of list?.items ?? []) out.push({ attribute, key: item.id, name: item.name, archived: item.archived });
      }
      return out;
    },
  };
}
