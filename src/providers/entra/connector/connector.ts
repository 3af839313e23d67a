/**
 * The Microsoft Entra ID connector: `HrisConnector` over Microsoft Graph v1.0 (graph.ts,
 * normalize.ts). Settings: `tenantId`, `baseUrl` (Graph), `authBaseUrl` (the token host).
 * Credentials: `{clientId, clientSecret}` (client credentials, application permissions).
 *
 * Full fetch: `GET /v1.0/users?$select=…&$expand=manager($select=id)&$top=999` (operation
 * `user_ListUser`; `$top` up to 999 for users, learn.microsoft.com/graph/paging), page by page by
 * `@odata.nextLink`. Before the first page the watermark is taken: `GET /users/delta?$select=…&
 * $deltaToken=latest` answers a `@odata.deltaLink` for "now" and no users
 * (learn.microsoft.com/graph/delta-query-overview, "Retrieve only the latest delta token"), so
 * nothing that changes while the roster is read is missed.
 *
 * Incremental: the stored `@odata.deltaLink` is followed (operation `user_delta`), then its
 * `@odata.nextLink`s, to a new `@odata.deltaLink` (the next watermark). A round holds only users
 * whose *selected* properties changed (learn.microsoft.com/graph/delta-query-users): those with
 * every selected property; removed ones as `{id, "@removed": {"reason": "changed"|"deleted"}}`
 * (soft-deleted or gone for good; either way no longer in the directory: an explicit delete); the
 * manager, tracked by selecting `manager`, as `manager@delta` when it changed (`$expand` is not
 * supported on user delta). A changed user whose row says nothing of the manager keeps theirs:
 * it is read with `GET /users/{id}/manager?$select=id` (operation `user_ListManager`; 404 = none).
 * A `410 Gone` (`syncStateNotFound`: the token expired or the directory's sync state was reset) or
 * a stored cursor that is not a delta link of this API → CursorExpiredError: the engine runs full
 * once, which stores a fresh delta link.
 *
 * `deletedIds`, `changedCount` and `watermark` of a ChangeFetch are complete once its pages have
 * been read to the end (the engine reads them after the pages).
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import type { ChangeFetch, ConnectorOptions, DirectoryGroup, FullFetch, HrisConnector } from '../../../connectors/types.ts';
import { CursorExpiredError, badData } from '../../../connectors/errors.ts';
import { isRecord } from '../../../connectors/http.ts';
import { isRecordFailure } from '../../bamboohr/connector/normalize.ts';
import { ENTRA_GROUP_PERMISSIONS, ENTRA_USER_PERMISSIONS } from '../descriptor.ts';
import { createGraphClient, PROVIDER, type GraphClient } from './graph.ts';
import { normalizeUser, USER_SELECT } from './normalize.ts';

const USERS_TOP = 999;
const MANAGER_LOOKUPS = 4;

export interface EntraInternals {
  readonly now?: () => Date;
}

export function createEntraConnector(opts: ConnectorOptions, internals: EntraInternals = {}): HrisConnector {
  let client: GraphClient | undefined;
  const graph = (): GraphClient => (client ??= createGraphClient(opts));
  const now = internals.now ?? ((): Date => new Date());
  const pageSize = typeof opts.settings['pageSize'] === 'number' && opts.settings['pageSize'] > 0 ? Math.min(USERS_TOP, Math.floor(opts.settings['pageSize'])) : USERS_TOP;
  const permissions = ENTRA_USER_PERMISSIONS;
  const deltaSelect = [...USER_SELECT, 'manager'].join(',');

  const usersUrl = (top = pageSize): URL => graph().url('/users', { $select: USER_SELECT.join(','), $expand: 'manager($select=id)', $top: String(top) });

  function toPage(rows: readonly unknown[], today: string, managers: ReadonlyMap<string, string | null> = new Map()): SourcePage {
    const records: SourceRecord[] = [];
    const failures: RecordFailure[] = [];
    for (const raw of rows) {
      const id = isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : undefined;
      const r = normalizeUser(raw, today, id !== undefined && managers.has(id) ? managers.get(id) : undefined);
      if (isRecordFailure(r)) failures.push(r);
      else records.push(r);
    }
    return { records, failures };
  }

  async function latestDeltaLink(): Promise<string> {
    const { body, response } = await graph().get(graph().url('/users/delta', { $select: deltaSelect, $deltatoken: 'latest' }), { permissions });
    const link = isRecord(body) ? body['@odata.deltaLink'] : undefined;
    if (typeof link !== 'string' || link === '') throw badData(PROVIDER, response.url, 'the delta answer has no "@odata.deltaLink"');
    return link;
  }

  async function* roster(): AsyncGenerator<SourcePage> {
    const today = now().toISOString().slice(0, 10);
    let any = false;
    for await (const { value } of graph().pages(usersUrl(), { permissions })) {
      any = true;
      yield toPage(value, today);
    }
    if (!any) yield { records: [], failures: [] };
  }

  /** Managers of changed users whose delta rows did not say (their manager did not change). */
  async function managersOf(ids: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const { status, body } = await graph().get(graph().url(`/users/${encodeURIComponent(id)}/manager`, { $select: 'id' }), { permissions, accept: [404] });
        out.set(id, status === 404 || !isRecord(body) || typeof body['id'] !== 'string' ? null : body['id']);
      }
    };
    await Promise.all(Array.from({ length: Math.min(MANAGER_LOOKUPS, ids.length) }, worker));
    return out;
  }

  /** The stored cursor as a delta link of this API, or CursorExpiredError. */
  function deltaLinkOf(since: string): URL {
    let u: URL;
    try {
      u = new URL(since);
    } catch {
      throw new CursorExpiredError('the stored cursor is not a Microsoft Graph delta link', PROVIDER);
    }
    if (u.origin !== new URL(graph().base).origin || !/\/users\/(?:microsoft\.graph\.)?delta(?:\(\))?$/.test(u.pathname)) {
      throw new CursorExpiredError('the stored delta link is not one of this API (its address changed)', PROVIDER);
    }
    return u;
  }

  /**
   * Groups (operation `group_ListGroup`) and each one's direct members (`group_ListMember`; members
   * carry `@odata.type`: `#microsoft.graph.user`, `.group` (nesting), `.servicePrincipal`, `.device`,
   * `.orgContact`). Direct members rather than `/transitiveMembers`, so the nesting is kept: a
   * group's headcount includes its sub-groups in ReFresh. Dynamic groups are read as they are (their
   * members are whoever the rule holds now).
   */
  async function directoryGroups(): Promise<DirectoryGroup[]> {
    const perms = ENTRA_GROUP_PERMISSIONS;
    const raw: Record<string, unknown>[] = [];
    for await (const { value } of graph().pages(graph().url('/groups', { $select: 'id,displayName,mail,groupTypes,securityEnabled,mailEnabled', $top: '999' }), { permissions: perms })) {
      for (const g of value) if (isRecord(g) && typeof g['id'] === 'string') raw.push(g);
    }
    const out: DirectoryGroup[] = new Array(raw.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < raw.length) {
        const i = next++;
        const g = raw[i]!;
        const userIds: string[] = [];
        const groupKeys: string[] = [];
        const others: { id: string; name: string; what: string }[] = [];
        const url = graph().url(`/groups/${encodeURIComponent(String(g['id']))}/members`, { $select: 'id,displayName,userPrincipalName', $top: '999' });
        for await (const { value } of graph().pages(url, { permissions: perms })) {
          for (const m of value) {
            if (!isRecord(m) || typeof m['id'] !== 'string') continue;
            const type = typeof m['@odata.type'] === 'string' ? m['@odata.type'].replace('#microsoft.graph.', '') : 'directoryObject';
            if (type === 'user') userIds.push(m['id']);
            else if (type === 'group') groupKeys.push(m['id']);
            else others.push({ id: m['id'], name: typeof m['displayName'] === 'string' ? m['displayName'] : m['id'], what: type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() });
          }
        }
        const types = Array.isArray(g['groupTypes']) ? (g['groupTypes'] as unknown[]) : [];
        const kind = types.includes('DynamicMembership') ? 'Dynamic group' : types.includes('Unified') ? 'Microsoft 365 group' : g['securityEnabled'] === true ? 'Security group' : 'Distribution group';
        out[i] = { key: String(g['id']), name: typeof g['displayName'] === 'string' ? g['displayName'] : String(g['id']), email: typeof g['mail'] === 'string' ? g['mail'] : null, kind, userIds, groupKeys, others };
      }
    };
    await Promise.all(Array.from({ length: Math.min(MANAGER_LOOKUPS, raw.length) }, worker));
    return out;
  }

  return {
    provider: PROVIDER,
    async checkConnection(): Promise<void> {
      for await (const _ of graph().pages(usersUrl(1), { permissions })) break;
    },
    fetchDirectoryGroups: directoryGroups,
    async fetchAll(): Promise<FullFetch> {
      const watermark = await latestDeltaLink();
      return { watermark, pages: roster() };
    },
    async fetchChanges(since: string): Promise<ChangeFetch> {
      const today = now().toISOString().slice(0, 10);
      const pages = graph().pages(deltaLinkOf(since), { permissions });
      // The first page is read here, so an expired delta link (410) is known before any page is handed out.
      const first = await pages.next();
      const deletedIds: string[] = [];
      let deltaLink: string | null = null;
      let changed = 0;
      async function* read(): AsyncGenerator<SourcePage> {
        let page = first;
        let any = false;
        while (!page.done) {
          const { value, body, url } = page.value;
          const rows: unknown[] = [];
          for (const row of value) {
            if (isRecord(row) && row['@removed'] !== undefined && typeof row['id'] === 'string') deletedIds.push(row['id']);
            else rows.push(row);
            changed++;
          }
          const silent = rows.filter((r) => isRecord(r) && typeof r['id'] === 'string' && r['manager@delta'] === undefined).map((r) => (r as Record<string, unknown>)['id'] as string);
          any = true;
          yield toPage(rows, today, await managersOf(silent));
          const link = body['@odata.deltaLink'];
          if (typeof link === 'string') deltaLink = link;
          page = await pages.next();
          if (page.done && deltaLink === null) throw badData(PROVIDER, url, 'the delta round ended without "@odata.deltaLink"');
        }
        if (!any) yield { records: [], failures: [] };
      }
      return {
        pages: read(),
        deletedIds,
        get watermark() {
          return deltaLink;
        },
        get changedCount() {
          return changed;
        },
      };
    },
  };
}
