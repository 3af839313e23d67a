/**
 * The BambooHR connector: `HrisConnector` over the endpoint modules in this folder.
 *
 * Settings (`ConnectorOptions.settings`):
 * - `companyDomain` — the "acme" in acme.bamboohr.com; `baseUrl` overrides the host.
 * - `extraFields` — extra BambooHR field names to fetch (custom fields), string[] or "a,b".
 * - `pageSize` — dataset page size (1–1000, default 1000; the list fallback caps it at 100).
 * Credentials: `apiKey` (HTTP Basic) or `accessToken` (OAuth bearer).
 *
 * Full fetch (`fetchAll`): the watermark is taken first — `/employees/changed?since=<now>`'s
 * `latest` (server clock), else that response's `Date` — so nothing changed during the fetch is
 * missed. Then the employee dataset (`get-data-from-dataset`) page by page, or the employee
 * list (`get-employees-list`) when the account has no datasets API. Pages are streamed; a person
 * appearing on two pages is yielded once. Any failure throws from the page iterator, so a
 * partial roster is never mistaken for a complete one.
 *
 * Incremental (`fetchChanges`): `/employees/changed?since=`. Deleted → `deletedIds`. When at
 * most INCREMENTAL_FETCH_LIMIT people were inserted/updated, they are read in bulk with the
 * list's batch fetch (`get-employees-list` with `filter[ids]`, 100 a request, in parallel up to
 * the client's limit); the few the list does not return are read with `get-employee` (404 = gone
 * → deleted; 403 = a RecordFailure). 1,000 changed people are 10 requests, against a large
 * roster's whole dataset; beyond the limit, one full dataset read filtered to the changed ids
 * (people absent from it are left for the next changed call or full sync to settle, never
 * deleted on a guess). The watermark is the changed
 * call's `latest`, else its `Date`, else `since` (re-reading changes is harmless: apply is
 * idempotent).
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import type { ChangeFetch, ConnectorOptions, FullFetch, HrisConnector, OrgUnitInfo } from '../../../connectors/types.ts';
import { getMetaLists } from './meta-lists.ts';
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import { createBambooClient, DATASET_PAGES_AHEAD, MAX_CONCURRENT_REQUESTS, PROVIDER, type BambooClient } from './client.ts';
import {
  datasetPath,
  discoverEmployeeDataset,
  DATASET_UNSUPPORTED_STATUSES,
  DEFAULT_DATASET_FIELDS,
  datasetRequestBody,
  openEmployeeDataset,
  type Row,
} from './datasets-employee.ts';
import { getEmployees } from './employee-get.ts';
import { getChangedEmployees } from './employees-changed.ts';
import { EMPLOYEES_PATH, listEmployees, listEmployeesByIds } from './employees-list.ts';
import { isRecordFailure, normalizeRow } from './normalize.ts';

/** Up to this many changed people are read one by one; more → one filtered full read. */
export const INCREMENTAL_FETCH_LIMIT = 2000;

/** Knobs for tests; production uses the defaults. */
export interface BambooHrConnectorInternals {
  readonly now?: () => Date;
  readonly incrementalFetchLimit?: number;
  /** Requests in flight at most (the client's gate) and people read at once; dataset pages read ahead, up to DATASET_PAGES_AHEAD. */
  readonly concurrency?: number;
}

interface RowPage {
  readonly rows: readonly Row[];
  readonly failures: readonly RecordFailure[];
  readonly total?: number;
}

/** The fields to request: the defaults plus `settings.extraFields`, without duplicates. */
export function bambooFields(settings: Readonly<Record<string, unknown>>): string[] {
  const extra = settings['extraFields'];
  const list = Array.isArray(extra) ? extra : typeof extra === 'string' ? extra.split(',') : [];
  const out = [...DEFAULT_DATASET_FIELDS];
  for (const f of list) {
    if (typeof f !== 'string') continue;
    const name = f.trim();
    if (name !== '' && !name.includes(',') && !out.includes(name)) out.push(name);
  }
  return out;
}

function todayUtc(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function createBambooHrConnector(opts: ConnectorOptions, internals: BambooHrConnectorInternals = {}): HrisConnector {
  let client: BambooClient | undefined;
  // Created on first use, so unusable settings surface as a ProviderError from the call.
  const concurrency = internals.concurrency ?? MAX_CONCURRENT_REQUESTS;
  const pagesAhead = Math.min(concurrency, DATASET_PAGES_AHEAD);
  const getClient = (): BambooClient => (client ??= createBambooClient(opts, { maxConcurrent: concurrency }));
  const now = internals.now ?? ((): Date => new Date());
  const limit = internals.incrementalFetchLimit ?? INCREMENTAL_FETCH_LIMIT;
  const rawPageSize = opts.settings['pageSize'];
  const pageSize = typeof rawPageSize === 'number' || typeof rawPageSize === 'string' ? Number(rawPageSize) : undefined;
  let fields = bambooFields(opts.settings);
  const dropFields = (unknown: readonly string[]): void => {
    fields = fields.filter((f) => !unknown.includes(f));
  };

  let dataset: Promise<string> | undefined;
  const employeeDataset = (c: BambooClient): Promise<string> => (dataset ??= discoverEmployeeDataset(c).catch((e) => ((dataset = undefined), Promise.reject(e))));

  /** Rows of the whole roster: dataset, or the list when there is no datasets API. */
  async function openRoster(c: BambooClient): Promise<AsyncIterable<RowPage>> {
    const opening = await openEmployeeDataset(c, { fields, pageSize, dataset: await employeeDataset(c), ahead: pagesAhead });
    if (opening.supported) {
      dropFields(opening.droppedFields);
      return opening.pages;
    }
    return listEmployees(c, { fields, pageSize });
  }

  async function* normalized(source: AsyncIterable<RowPage>, today: string, keep?: ReadonlySet<string>): AsyncGenerator<SourcePage> {
    const seen = new Set<string>();
    for await (const page of source) {
      const records: SourceRecord[] = [];
      const failures: RecordFailure[] = keep ? [] : [...page.failures];
      for (const row of page.rows) {
        const r = normalizeRow(row, { today });
        if (isRecordFailure(r)) {
          if (!keep) failures.push(r);
          continue;
        }
        if (keep && !keep.has(r.externalId)) continue;
        if (seen.has(r.externalId)) continue;
        seen.add(r.externalId);
        records.push(r);
      }
      // The whole roster's size, when BambooHR reports it (not for the changed-people subset).
      yield { records, failures, ...(!keep && page.total !== undefined ? { total: page.total } : {}) };
    }
  }

  async function watermarkNow(c: BambooClient): Promise<string | null> {
    const changed = await getChangedEmployees(c, now().toISOString());
    return changed.latest ?? changed.serverDate ?? null;
  }

  return {
    provider: PROVIDER,

    async checkConnection(): Promise<void> {
      const c = getClient();
      const res = await c.post(datasetPath(await employeeDataset(c)), { page: 1, page_size: 1 }, datasetRequestBody(['employeeId']), {
        acceptStatus: DATASET_UNSUPPORTED_STATUSES,
      });
      if (!DATASET_UNSUPPORTED_STATUSES.includes(res.status)) {
        const body = parseJsonBody(PROVIDER, res);
        if (!isRecord(body) || !Array.isArray(body['data'])) throw badData(PROVIDER, res.url, 'the answer has no "data" list');
        return;
      }
      const list = await c.get(EMPLOYEES_PATH, { 'page[limit]': 1 });
      const body = parseJsonBody(PROVIDER, list);
      if (!isRecord(body) || !Array.isArray(body['data'])) throw badData(PROVIDER, list.url, 'the answer has no "data" list');
    },

    async fetchAll(): Promise<FullFetch> {
      const c = getClient();
      const watermark = await watermarkNow(c);
      const today = todayUtc(now());
      const source = await openRoster(c);
      return { watermark, pages: normalized(source, today) };
    },

    async fetchChanges(since: string): Promise<ChangeFetch> {
      const c = getClient();
      const changed = await getChangedEmployees(c, since);
      const watermark = changed.latest ?? changed.serverDate ?? since;
      const today = todayUtc(now());
      const deleted = new Set(changed.changes.filter((ch) => ch.action === 'Deleted').map((ch) => ch.id));
      const upserts = changed.changes.filter((ch) => ch.action !== 'Deleted').map((ch) => ch.id);
      const base = { watermark, changedCount: changed.changes.length };

      if (upserts.length === 0) {
        return { ...base, pages: fromArray([]), deletedIds: [...deleted] };
      }
      if (upserts.length <= limit) {
        // In bulk: 100 people a list request; only those the list did not return are asked one by one.
        const listed = await listEmployeesByIds(c, upserts, { fields });
        const singles = await getEmployees(c, listed.missing, { fields, concurrency, onUnknownFields: dropFields });
        const records: SourceRecord[] = [];
        const failures: RecordFailure[] = [];
        const found = (id: string, row: Row): void => {
          const n = normalizeRow(row, { today });
          if (isRecordFailure(n)) failures.push({ externalId: id, reason: n.reason });
          else records.push(n);
        };
        for (const row of listed.rows) found(String(row['employeeId'] ?? row['id']), row);
        for (const r of singles) {
          if (r.kind === 'gone') {
            deleted.add(r.id);
          } else if (r.kind === 'forbidden') {
            failures.push({
              externalId: r.id,
              reason: `BambooHR did not allow reading this employee (403)${r.message ? `: ${r.message}` : ''}`,
            });
          } else {
            found(r.id, r.row);
          }
        }
        return { ...base, pages: fromArray([{ records, failures }]), deletedIds: [...deleted] };
      }
      const source = await openRoster(c);
      return { ...base, pages: normalized(source, today, new Set(upserts)), deletedIds: [...deleted] };
    },

    /** List fields' options (`/meta/lists`): option ids stay the same when an option is renamed. */
    async fetchOrgUnits(): Promise<OrgUnitInfo[]> {
      const lists = await getMetaLists(getClient());
      return lists.flatMap((l) => l.options.map((o) => ({ attribute: l.alias ?? l.fieldId, key: o.id, name: o.name, archived: o.archived })));
    },
  };
}

async function* fromArray(pages: readonly SourcePage[]): AsyncGenerator<SourcePage> {
  yield* pages;
}
