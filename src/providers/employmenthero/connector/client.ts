/**
 * Employment Hero's HR API v1 client, and its paging.
 *
 * Base URL https://api.employmenthero.com (settings.baseUrl for a sandbox), paths under `/api/v1`,
 * `Authorization: Bearer <access token>` (API reference, "Authentication").
 *
 * Lists are paged by `page_index` (1-based) and `item_per_page` (at most 100) and answer
 * `{"data": {"items": [...], "page_index", "item_per_page", "total_pages", "total_items"}}`. We read
 * pages until `total_pages`; a page answered twice (a server ignoring `page_index`) or fewer
 * distinct items than the first page's `total_items` is bad data, never a roster with holes. The
 * reference writes the size parameter `item_per_page`; some clients send `items_per_page`, so both are
 * sent (an unknown parameter is ignored). Where `total_pages` is missing, an empty page ends the list.
 */
import type { ConnectorOptions } from '../../../connectors/types.ts';
import { badData } from '../../../connectors/errors.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import { createBearerClient, type JsonApiClient, type Query } from '../../../connectors/json-api.ts';
import { EMPLOYMENTHERO_API } from '../descriptor.ts';

export const PROVIDER = 'employmenthero' as const;
export const MAX_PAGE_SIZE = 100;
const MAX_PAGES = 100_000;

export function createEmploymentHeroClient(opts: ConnectorOptions): JsonApiClient {
  return createBearerClient(opts, { provider: PROVIDER, official: EMPLOYMENTHERO_API, credentialLabel: 'access token', token: opts.credentials['accessToken'], pathPrefix: '/api/v1' });
}

function toInt(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Every item of a paged list, page by page. */
export async function* pagedItems(client: JsonApiClient, path: string, query: Query = {}, pageSize = MAX_PAGE_SIZE): AsyncGenerator<unknown[]> {
  const size = Math.min(MAX_PAGE_SIZE, Math.max(1, pageSize));
  const seenPages = new Set<number>();
  const seenIds = new Set<string>();
  let anonymous = 0;
  let firstTotal: number | undefined;
  let lastTotal: number | undefined;
  let lastUrl = client.url(path).toString();
  for (let page = 1; page <= MAX_PAGES; page++) {
    const res = await client.get(path, { ...query, page_index: page, item_per_page: size, items_per_page: size });
    lastUrl = res.url;
    const body = parseJsonBody(PROVIDER, res);
    const data = isRecord(body) ? body['data'] : undefined;
    if (!isRecord(data) || !Array.isArray(data['items'])) throw badData(PROVIDER, res.url, 'the answer has no "data.items" list');
    const answered = toInt(data['page_index']) ?? page;
    if (seenPages.has(answered)) throw badData(PROVIDER, res.url, `page ${answered} was answered twice`);
    seenPages.add(answered);
    const items = data['items'] as unknown[];
    for (const item of items) {
      const id = isRecord(item) && (typeof item['id'] === 'string' || typeof item['id'] === 'number') ? String(item['id']) : undefined;
      if (id === undefined) anonymous++;
      else seenIds.add(id);
    }
    const total = toInt(data['total_items']);
    if (total !== undefined) {
      firstTotal ??= total;
      lastTotal = total;
    }
    yield items;
    const totalPages = toInt(data['total_pages']);
    if (totalPages !== undefined ? answered >= totalPages : items.length === 0) break;
  }
  // People removed while we read are not counted against us: the lower of the first and last totals.
  const expected = firstTotal === undefined || lastTotal === undefined ? undefined : Math.min(firstTotal, lastTotal);
  if (expected !== undefined && seenIds.size + anonymous < expected) {
    throw badData(PROVIDER, lastUrl, `${seenIds.size + anonymous} items were read but Employment Hero reported ${expected}; the list changed while it was read`);
  }
}
