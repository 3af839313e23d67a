/**
 * Deel's people list and its paging, per the published OpenAPI (operation `getPeopleList`,
 * `GET /rest/v2/people`, answer {data, page {offset, total_rows, items_per_page}}).
 *
 * Offset paging: the next offset is the last one plus the rows received, never plus `limit` (a
 * page can be shorter than asked for; the OpenAPI caps `items_per_page` below the `limit` it
 * accepts). The list ends at `total_rows` or on an empty page. Fewer distinct people than
 * `total_rows` (the lower of the first and last page's figure, so people removed meanwhile do not
 * count) is bad data: a partial roster must never look complete. An offset that does not move is
 * bad data too (a server ignoring `offset` would loop).
 */
import type { ConnectorOptions } from '../../../connectors/types.ts';
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import { createBearerClient, type JsonApiClient } from '../../../connectors/json-api.ts';
import { DEEL_API } from '../descriptor.ts';

export const PROVIDER = 'deel' as const;
/** The guide's range for `limit` is 1–100. */
export const PAGE_LIMIT = 100;
const MAX_PAGES = 1_000_000;

export function createDeelClient(opts: ConnectorOptions): JsonApiClient {
  const oauth = opts.credentials['accessToken'];
  return createBearerClient(opts, { provider: PROVIDER, official: DEEL_API, credentialLabel: oauth ? 'access token' : 'organization token', token: oauth ?? opts.credentials['apiToken'], pathPrefix: '/rest/v2' });
}

function toInt(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

export async function* peoplePages(client: JsonApiClient, limit = PAGE_LIMIT): AsyncGenerator<unknown[]> {
  let offset = 0;
  let firstTotal: number | undefined;
  let lastTotal: number | undefined;
  const ids = new Set<string>();
  let anonymous = 0;
  let url = client.url('/people').toString();
  for (let n = 0; n < MAX_PAGES; n++) {
    const res = await client.get('/people', { offset, limit: Math.min(PAGE_LIMIT, Math.max(1, limit)) });
    url = res.url;
    const body = parseJsonBody(PROVIDER, res);
    if (!isRecord(body) || !Array.isArray(body['data'])) throw badData(PROVIDER, res.url, 'the answer has no "data" list');
    const rows = body['data'] as unknown[];
    const page = isRecord(body['page']) ? body['page'] : {};
    const total = toInt(page['total_rows']);
    if (total !== undefined) {
      firstTotal ??= total;
      lastTotal = total;
    }
    for (const r of rows) {
      const id = isRecord(r) && typeof r['id'] === 'string' && r['id'] !== '' ? r['id'] : undefined;
      if (id === undefined) anonymous++;
      else ids.add(id);
    }
    if (rows.length > 0) yield rows;
    if (rows.length === 0 || (total !== undefined && offset + rows.length >= total)) break;
    offset += rows.length;
  }
  const expected = firstTotal === undefined || lastTotal === undefined ? undefined : Math.min(firstTotal, lastTotal);
  if (expected !== undefined && ids.size + anonymous < expected) {
    throw badData(PROVIDER, url, `${ids.size + anonymous} people were read but Deel reported ${expected}; the list changed while it was read`);
  }
}
