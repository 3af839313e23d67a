/**
 * The Google Workspace connector: `HrisConnector` over the Admin SDK Directory API (client.ts,
 * normalize.ts). Settings: `customer` (default `my_customer`) or `domain`, `baseUrl`,
 * `authBaseUrl` (the token host). Credentials: a service account `{clientEmail, privateKey,
 * subject}` (domain-wide delegation) or OAuth tokens (`accessToken`, kept fresh by the platform).
 *
 * Users: `directory.users.list` with `customer=my_customer` (or `domain=`), `maxResults=500` (the
 * method's maximum), `projection=full`, page by page by `pageToken`/`nextPageToken`. A manager is a
 * `relations` entry holding the manager's e-mail, while ReFresh links managers by id: a first, light
 * pass (`fields=nextPageToken,users(id,primaryEmail,aliases)`, the API's standard partial-response
 * parameter) learns every address's user id, then the full pass streams people with `manager` set.
 *
 * Incremental: users.list has no changed-since, so an incremental run reads everyone; deleted users
 * (`showDeleted=true`, listed for 20 days after deletion with `deletionTime`) are explicit delete
 * events (`deletedIds`), so a deletion deactivates even without a full run.
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import type { ChangeFetch, ConnectorOptions, DirectoryGroup, FullFetch, HrisConnector } from '../../../connectors/types.ts';
import { isRecord } from '../../../connectors/http.ts';
import { isRecordFailure } from '../../bamboohr/connector/normalize.ts';
import { stringSetting } from '../../settings.ts';
import { createDirectoryClient, PROVIDER, type DirectoryClient, type Query } from './client.ts';
import { aliasesOf, normalizeGoogleUser } from './normalize.ts';

/** users.list `maxResults`: "Maximum number of results to return. … maximum 500". */
export const USERS_PAGE_MAX = 500;

export interface GoogleInternals {
  readonly now?: () => Date;
}

export function createGoogleConnector(opts: ConnectorOptions, internals: GoogleInternals = {}): HrisConnector {
  let client: DirectoryClient | undefined;
  const api = (): DirectoryClient => (client ??= createDirectoryClient(opts));
  const now = internals.now ?? ((): Date => new Date());
  const pageSize = typeof opts.settings['pageSize'] === 'number' && opts.settings['pageSize'] > 0 ? Math.min(USERS_PAGE_MAX, Math.floor(opts.settings['pageSize'])) : USERS_PAGE_MAX;
  const domain = stringSetting(opts.settings, 'domain');
  /** Either customer or domain (users.list: "Either the customer or the domain parameter must be provided"). */
  const who: Query = domain ? { domain } : { customer: stringSetting(opts.settings, 'customer') ?? 'my_customer' };

  async function managerIds(): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for await (const users of api().pages('/users', { ...who, maxResults: pageSize, fields: 'nextPageToken,users(id,primaryEmail,aliases)' }, 'users')) {
      for (const u of users) {
        if (!isRecord(u) || typeof u['id'] !== 'string') continue;
        if (typeof u['primaryEmail'] === 'string') ids.set(u['primaryEmail'].toLowerCase(), u['id']);
        for (const alias of aliasesOf(u)) if (!ids.has(alias)) ids.set(alias, u['id']);
      }
    }
    return ids;
  }

  async function* roster(): AsyncGenerator<SourcePage> {
    const ids = await managerIds();
    let any = false;
    for await (const users of api().pages('/users', { ...who, maxResults: pageSize, projection: 'full' }, 'users')) {
      const records: SourceRecord[] = [];
      const failures: RecordFailure[] = [];
      for (const raw of users) {
        const r = normalizeGoogleUser(raw, (email) => ids.get(email));
        if (isRecordFailure(r)) failures.push(r);
        else records.push(r);
      }
      any = true;
      yield { records, failures };
    }
    if (!any) yield { records: [], failures: [] };
  }

  async function deletedUserIds(): Promise<string[]> {
    const out: string[] = [];
    for await (const users of api().pages('/users', { ...who, maxResults: pageSize, showDeleted: true, fields: 'nextPageToken,users(id)' }, 'users')) {
      for (const u of users) if (isRecord(u) && typeof u['id'] === 'string') out.push(u['id']);
    }
    return out;
  }

  /**
   * `directory.groups.list` (customer or domain, maxResults ≤ 200) and each group's
   * `directory.members.list` (direct members; `type` USER, GROUP — nesting — or CUSTOMER: "the
   * member represents all users in a domain", its id the customer's, no e-mail; the Member
   * resource, developers.google.com/admin-sdk/directory/reference/rest/v1/members). A CUSTOMER
   * member makes the group everyone's (`everyone`; core/directory-groups.ts expands it to the
   * people the integration syncs); any other type is reported as skipped.
   */
  async function directoryGroups(): Promise<DirectoryGroup[]> {
    const raw: Record<string, unknown>[] = [];
    for await (const groups of api().pages('/groups', { ...who, maxResults: 200 }, 'groups')) for (const g of groups) if (isRecord(g) && typeof g['id'] === 'string') raw.push(g);
    const out: DirectoryGroup[] = [];
    for (const g of raw) {
      const userIds: string[] = [];
      const groupKeys: string[] = [];
      const others: { id: string; name: string; what: string }[] = [];
      let everyone = false;
      for await (const members of api().pages(`/groups/${encodeURIComponent(String(g['id']))}/members`, { maxResults: 200 }, 'members')) {
        for (const m of members) {
          if (!isRecord(m) || typeof m['id'] !== 'string') continue;
          if (m['type'] === 'USER') userIds.push(m['id']);
          else if (m['type'] === 'GROUP') groupKeys.push(m['id']);
          else if (m['type'] === 'CUSTOMER') everyone = true;
          else others.push({ id: m['id'], name: typeof m['email'] === 'string' ? m['email'] : m['id'], what: String(m['type'] ?? 'member').toLowerCase() });
        }
      }
      out.push({ key: String(g['id']), name: typeof g['name'] === 'string' ? g['name'] : String(g['email'] ?? g['id']), email: typeof g['email'] === 'string' ? g['email'] : null, kind: 'Google group', userIds, groupKeys, others, ...(everyone ? { everyone } : {}) });
    }
    return out;
  }

  return {
    provider: PROVIDER,
    fetchDirectoryGroups: directoryGroups,
    async checkConnection(): Promise<void> {
      await api().get(api().url('/users', { ...who, maxResults: 1 }));
    },
    async fetchAll(): Promise<FullFetch> {
      return { watermark: now().toISOString(), pages: roster() };
    },
    async fetchChanges(_since: string): Promise<ChangeFetch> {
      const deletedIds = await deletedUserIds();
      return { watermark: now().toISOString(), pages: roster(), deletedIds, changedCount: deletedIds.length };
    },
  };
}
