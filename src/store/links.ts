import type { Kysely, Transaction } from 'kysely';
import type { Database, EmployeeLinkRow } from './schema.ts';
import { chunks, inValues, LOOKUP_CHUNK } from './employees.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface LinkIndexEntry {
  employeeId: string | null;
  hash: string;
  present: boolean;
  sourceStatus: string | null;
}

/**
 * The links a run consults. A full run loads every link of the source (a few bytes a person);
 * an incremental run loads only the records it meets and the managers they name, page by page.
 */
export class LinkIndex {
  readonly #map: Map<string, LinkIndexEntry>;
  readonly #asked = new Set<string>();
  readonly #complete: boolean;

  private constructor(map: Map<string, LinkIndexEntry>, complete: boolean) {
    this.#map = map;
    this.#complete = complete;
  }

  static async full(db: Db, tenantId: string, integrationId: string): Promise<LinkIndex> {
    return new LinkIndex(await loadLinkIndex(db, tenantId, integrationId), true);
  }

  static lazy(db: Db, tenantId: string, integrationId: string): LinkIndex {
    const index = new LinkIndex(new Map(), false);
    index.#load = async (ids) => {
      for (const row of await linksByExternalIds(db, tenantId, integrationId, ids)) {
        index.#map.set(row.external_id, { employeeId: row.employee_id, hash: row.record_hash, present: row.present === 1, sourceStatus: row.source_status });
      }
    };
    return index;
  }

  #load: (ids: string[]) => Promise<void> = async () => undefined;

  /** Makes `get` answer for these ids (a no-op for a full index). */
  async ensure(ids: Iterable<string>): Promise<void> {
    if (this.#complete) return;
    const missing = [...new Set(ids)].filter((id) => !this.#asked.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.#asked.add(id);
    await this.#load(missing);
  }

  get(externalId: string): LinkIndexEntry | undefined {
    return this.#map.get(externalId);
  }

  /** Every link of the source; only a full index has them all. */
  entries(): IterableIterator<[string, LinkIndexEntry]> {
    if (!this.#complete) throw new Error('a lazy link index cannot list every link');
    return this.#map.entries();
  }
}

/** The source's active linked people, which the safeguard's percentage is of. */
export async function countActiveLinked(db: Db, tenantId: string, integrationId: string): Promise<number> {
  const row = await db
    .selectFrom('employee_links')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('employee_id', 'is not', null)
    .where('present', '=', 1)
    .where('source_status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Everything the fetch phase needs to skip unchanged people: a few bytes per person. */
export async function loadLinkIndex(db: Db, tenantId: string, integrationId: string): Promise<Map<string, LinkIndexEntry>> {
  const rows = await db
    .selectFrom('employee_links')
    .select(['external_id', 'employee_id', 'record_hash', 'present', 'source_status'])
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .execute();
  const index = new Map<string, LinkIndexEntry>();
  for (const r of rows) index.set(r.external_id, { employeeId: r.employee_id, hash: r.record_hash, present: r.present === 1, sourceStatus: r.source_status });
  return index;
}

/** Whether another source of the tenant has linked anyone (otherwise nobody is shared with this one). */
export async function otherSourcesLinked(db: Db, tenantId: string, integrationId: string): Promise<boolean> {
  const others = await db.selectFrom('integrations').select('id').where('tenant_id', '=', tenantId).where('id', '!=', integrationId).execute();
  for (const other of others) {
    const linked = await db.selectFrom('employee_links').select('external_id').where('integration_id', '=', other.id).where('employee_id', 'is not', null).limit(1).executeTakeFirst();
    if (linked) return true;
  }
  return false;
}

export async function linksForEmployees(db: Db, tenantId: string, employeeIds: readonly string[]): Promise<EmployeeLinkRow[]> {
  const out: EmployeeLinkRow[] = [];
  for (const chunk of chunks(employeeIds, LOOKUP_CHUNK)) {
    out.push(...(await db.selectFrom('employee_links').selectAll().where('tenant_id', '=', tenantId).where(inValues(db, 'employee_id', chunk)).execute()));
  }
  return out;
}

export async function linksByExternalIds(db: Db, tenantId: string, integrationId: string, externalIds: readonly string[]): Promise<EmployeeLinkRow[]> {
  const out: EmployeeLinkRow[] = [];
  for (const chunk of chunks(externalIds, LOOKUP_CHUNK)) {
    out.push(
      ...(await db
        .selectFrom('employee_links')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('integration_id', '=', integrationId)
        .where(inValues(db, 'external_id', chunk))
        .execute()),
    );
  }
  return out;
}

/** Links whose lifecycle decision changes by date (a future termination reached). */
export async function dueReviews(db: Db, tenantId: string, integrationId: string, today: string): Promise<EmployeeLinkRow[]> {
  return db
    .selectFrom('employee_links')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('integration_id', '=', integrationId)
    .where('review_on', 'is not', null)
    .where('review_on', '<=', today)
    .execute();
}
