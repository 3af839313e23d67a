import { preparingPool } from './pg-prepared.ts';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.ts';
import { ensurePrivateSqlite } from './private-files.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-admin-auth.ts';
import * as m0003 from './migrations/0003-groups.ts';
import * as m0004 from './migrations/0004-oauth.ts';
import * as m0005 from './migrations/0005-sources.ts';
import * as m0006 from './migrations/0006-apply-watermark.ts';
import * as m0007 from './migrations/0007-integration-removal.ts';
import * as m0008 from './migrations/0008-run-leases.ts';
import * as m0009 from './migrations/0009-versions-and-idempotency.ts';
import * as m0010 from './migrations/0010-sign-in-throttle.ts';
import * as m0011 from './migrations/0011-rate-limits.ts';
import * as m0012 from './migrations/0012-oauth-refresh-locks.ts';
import * as m0014 from './migrations/0014-field-priorities.ts';
import * as m0016 from './migrations/0016-employee-search.ts';
import * as m0017 from './migrations/0017-search-queue-and-headcounts.ts';
import * as m0019 from './migrations/0019-link-sync-index.ts';
import * as m0020 from './migrations/0020-change-bases.ts';
import * as m0024 from './migrations/0024-group-parents.ts';
import * as m0025 from './migrations/0025-read-revision.ts';
import * as m0026 from './migrations/0026-group-sync-state.ts';
import * as m0027 from './migrations/0027-pg-search-side-index.ts';
import * as m0028 from './migrations/0028-api-key-use-not-a-revision.ts';
import * as m0029 from './migrations/0029-pg-statement-parent-checks.ts';
import * as m0031 from './migrations/0031-membership-writes.ts';
import * as m0032 from './migrations/0032-run-fence-keys.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The raw SQLite handle, for bulk writes with prepared statements (see bulk.ts). */
  readonly sqlite?: SQLite.Database;
  /**
   * Proves the database answers, without queueing behind other work: on PostgreSQL over a
   * connection of its own (a busy pool does not make a health check slow), on SQLite on the raw handle.
   */
  ping(): Promise<void>;
  /** Migrations this code has that the database has not applied (readiness: none may be pending). */
  pendingMigrations(): Promise<string[]>;
  /**
   * A token that changes whenever a write could have changed what a read of the tenant's data
   * sees: any commit by another connection or process (the worker), and any write on this store's
   * own connection. Equal tokens read at two moments mean nothing the tenant's reads see was
   * written in between, so an answer read after the token was read may be reused for that token
   * (src/api/read-cache.ts). SQLite: any write to the file moves it (another tenant's too), free
   * for writers. PostgreSQL: only writes of the tenant's data (migration 0025: a row per writing
   * transaction, noted by statement-level triggers), not the rate-limit counters, sessions or
   * audit rows each request may write, nor other tenants' or other databases' commits. A call
   * sees every commit acknowledged before it was made; on PostgreSQL concurrent calls share one
   * query sent after each of them was made (sharedReads).
   */
  readRevision(tenantId: string): Promise<string>;
  /**
   * PostgreSQL only: the API key stored under `keyHash` (hashApiKey) and its tenant's read
   * revision, read in one statement (one snapshot, one round trip). api_keys is one of the tables
   * whose writes move the revision (migration 0025), so while a later readRevision of the tenant
   * answers the same token, the key has not been revoked since: the API-key cache keeps keys on
   * that (src/auth/api-key-cache.ts). Undefined for a key the database does not hold.
   */
  apiKeyWithRevision?(keyHash: string): Promise<ApiKeyRevision | undefined>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; otherwise SQLite. */
  readonly databaseUrl?: string;
  /** SQLite file; `:memory:` for tests. */
  readonly sqliteFile?: string;
  /** PostgreSQL schema (tests isolate themselves in one). */
  readonly pgSchema?: string;
}

// Migrations are imported statically so the compiled build and tsx behave alike.
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-admin-auth': m0002,
  '0003-groups': m0003,
  '0004-oauth': m0004,
  '0005-sources': m0005,
  '0006-apply-watermark': m0006,
  '0007-integration-removal': m0007,
  '0008-run-leases': m0008,
  '0009-versions-and-idempotency': m0009,
  '0010-sign-in-throttle': m0010,
  '0011-rate-limits': m0011,
  '0012-oauth-refresh-locks': m0012,
  '0014-field-priorities': m0014,
  '0016-employee-search': m0016,
  '0017-search-queue-and-headcounts': m0017,
  '0019-link-sync-index': m0019,
  '0020-change-bases': m0020,
  '0024-group-parents': m0024,
  '0025-read-revision': m0025,
  '0026-group-sync-state': m0026,
  '0027-pg-search-side-index': m0027,
  '0028-api-key-use-not-a-revision': m0028,
  '0029-pg-statement-parent-checks': m0029,
  '0031-membership-writes': m0031,
  '0032-run-fence-keys': m0032,
};
const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.databaseUrl?.startsWith('postgres') ? openPostgres(options.databaseUrl, options.pgSchema) : openSqlite(options.sqliteFile ?? ':memory:');
  if (store.dialect === 'sqlite') {
    await migrateSqlite(store);
    return store;
  }
  // Name the migrator's tables with the schema in use (a search_path in DATABASE_URL included):
  // Kysely otherwise finds another schema's tables and migrates the wrong place.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  const schema = rows[0]?.schema ?? 'public';
  await migrateRacing(store.db, schema);
  return { ...store, pendingMigrations: () => pendingMigrations(store.db, schema) };
}

/**
 * What the migrator's own table lacks of this code's migrations, read directly (Kysely's
 * `getMigrations` introspects every schema, which is slow and races with other schemas' drops).
 * A database migrated by a newer version has more, which is fine; one that lacks ours is not ready.
 */
async function pendingMigrations(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const table = schema ? sql`${sql.id(schema, 'kysely_migration')}` : sql`kysely_migration`;
  const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
  const applied = new Set(rows.map((r) => r.name));
  return Object.keys(MIGRATIONS).filter((name) => !applied.has(name));
}

/**
 * Several nodes starting at once race to create the migrator's own tables; the loser sees a
 * duplicate table or type (PostgreSQL 42P07 / 23505 on pg_type) and retries once they exist. Any
 * other error is a real migration failure and stops start-up at once.
 */
async function migrateRacing(db: Kysely<Database>, schema: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await migrate(db, schema);
    } catch (error) {
      if (attempt >= 5 || !isCreationRace(error, schema)) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 200));
    }
  }
}

function isCreationRace(error: unknown, schema: string): boolean {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause ?? (error as { code?: string; message?: string });
  if (cause?.code === '42P07' || cause?.code === '23505' || cause?.code === '42710') return true;
  // Kysely's introspection reads every schema's tables: another schema dropped meanwhile (another
  // tenant's, a test's) fails that read once (3F000). Our own schema missing is a real error.
  return cause?.code === '3F000' && !String(cause.message).includes(`"${schema}"`);
}

/**
 * Kysely's migrator takes no lock on SQLite and runs its migrations outside a transaction, so two
 * processes opening one file at once (`refresh serve` twice, `refresh sync` beside `refresh
 * start`) both apply the same migration and one fails with "table … already exists". All pending
 * migrations run instead inside one `BEGIN IMMEDIATE` on the migrator's own connection: it is
 * SQLite's write lock across processes (the other waits on busy_timeout, then retries), and DDL
 * in SQLite is transactional, so a crash mid-way leaves no half-applied migration.
 */
async function migrateSqlite(store: Store): Promise<void> {
  const sqlite = store.sqlite!;
  for (let attempt = 1; ; attempt += 1) {
    try {
      sqlite.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
      continue;
    }
    try {
      await migrate(store.db);
      sqlite.exec('COMMIT');
      return;
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw error;
    }
  }
}

/** Statements kept prepared per SQLite connection (the SQL texts Kysely compiles are few and repeat). */
const PREPARED_STATEMENTS = 300;

/**
 * The handle Kysely's SQLite driver queries through, keeping each SQL text's prepared statement:
 * the driver otherwise prepares every statement again on every call, which was a sixth of the
 * CPU of a page of employees. Least recently used dropped beyond PREPARED_STATEMENTS; a
 * statement still iterating (Kysely's stream) is not shared: another is prepared for the call.
 */
function reusingStatements(sqlite: SQLite.Database): Pick<SQLite.Database, 'prepare' | 'close'> {
  const kept = new Map<string, SQLite.Statement>();
  return {
    prepare: ((source: string) => {
      let stmt = kept.get(source);
      if (stmt && !stmt.busy) {
        kept.delete(source);
        kept.set(source, stmt);
        return stmt;
      }
      stmt = sqlite.prepare(source);
      kept.set(source, stmt);
      if (kept.size > PREPARED_STATEMENTS) kept.delete(kept.keys().next().value!);
      return stmt;
    }) as SQLite.Database['prepare'],
    close: () => sqlite.close(),
  };
}

function openSqlite(file: string): Store {
  // DATA_DIR 0700, the database 0600 before SQLite opens it (its WAL and SHM then follow its mode).
  if (file !== ':memory:') ensurePrivateSqlite(file);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Statement journals in memory, not in temporary files: an insert into employees runs the
  // search-queue trigger, so each row's statement journals the pages it changes, and through a
  // temporary file that cost a 100,000-person first sync ~3 s (its employee inserts 2.7 -> 1.5 s,
  // its link upserts 3.6 -> 1.4 s).
  sqlite.pragma('temp_store = MEMORY');
  // A file's log is checkpointed by a thread of its own, not in this connection's commits.
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(sqlite, file);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(sqlite) }) });
  const probe = sqlite.prepare('select 1');
  // data_version moves when another connection (another process: `refresh worker`, `refresh sync`)
  // commits; total_changes() counts every row this connection's statements wrote, trigger rows
  // included, committed or not (a write still open inside a transaction holds Kysely's only
  // connection, so no page is read through it before that transaction ends). Both only grow.
  // Read on the raw handle, synchronously: a few microseconds, and never behind a transaction.
  const revision = sqlite.prepare('select total_changes() as c, (select data_version from pragma_data_version) as v').raw();
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    ping: async () => void probe.get(),
    pendingMigrations: () => pendingMigrations(db),
    readRevision: async () => {
      const [changes, version] = revision.get() as [number, number];
      return `${version}.${changes}`;
    },
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

function openPostgres(url: string, schema?: string): Store {
  const safeSchema = schema?.replace(/[^A-Za-z0-9_]/g, '');
  const options = safeSchema ? { options: `-c search_path=${safeSchema}` } : {};
  const pool = new pg.Pool({ connectionString: url, max: 10, ...options });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  const probe = new pg.Pool({ connectionString: url, max: 1, idleTimeoutMillis: 60_000, ...options });
  const revision = postgresRevision(pool);
  return {
    db,
    dialect: 'postgres',
    ping: async () => void (await probe.query('select 1')),
    pendingMigrations: () => pendingMigrations(db),
    readRevision: (tenantId) => revision.read(tenantId),
    apiKeyWithRevision: (keyHash) => revision.apiKey(keyHash),
    close: async () => {
      await db.destroy();
      await probe.end();
    },
  };
}

/** Log rows of a tenant beyond which a read folds them into its compacted count. */
const REVISION_LOG_FOLD = 200;

/**
 * Revision reads of one tenant on their way at once (each shared by the callers that arrived
 * before it was sent). One: with three, 50 clients cost the API node more CPU per answer (more
 * queries) and p99 was no better, on two cores shared with PostgreSQL and the load.
 */
const REVISION_READS_IN_FLIGHT = 1;

/** An API key's row read with its tenant's read revision, in one snapshot (Store.apiKeyWithRevision). */
export interface ApiKeyRevision {
  readonly keyId: string;
  readonly tenantId: string;
  readonly lastUsedAt: string | null;
  /** The tenant's read revision in the snapshot that found the key (Store.readRevision's token). */
  readonly revision: string;
}

/** The revision as Store.readRevision answers it, from one snapshot's compacted count and log rows. */
const revisionOf = (compacted: string | number | null, logged: string | number) => String(Number(compacted ?? 0) + Number(logged));

/**
 * PostgreSQL's read revision (migration 0025): in one statement's snapshot, the tenant's compacted
 * count plus its log rows, one per committed transaction that wrote the tenant's data.
 * The race: the token is read before the page. A commit in between is then in the page but not
 * in the token, and the page is stored under the older token; any request reading the token after
 * that commit counts its row and never asks for it, and one that read the older token before the
 * commit may be served the newer page, as if it had read a moment later. Never the other way: a
 * write committed after the token was read adds a row the token did not count, so no page read
 * before a commit is stored under a token read after it. Folding rows into the compacted count is
 * one statement, so a snapshot sees both its delete and its addition or neither: the sum stays.
 * A prepared statement (named): one round trip, parsed and planned once per connection, shared
 * by the callers that arrive together (sharedReads).
 */
function postgresRevision(pool: pg.Pool): { read(tenantId: string): Promise<string>; apiKey(keyHash: string): Promise<ApiKeyRevision | undefined> } {
  const folding = new Set<string>();
  const fold = (tenantId: string) => {
    if (folding.has(tenantId)) return;
    folding.add(tenantId);
    pool
      .query({
        name: 'read_revision_fold',
        text: `with gone as (delete from read_revision_writes where tenant_id = $1::text returning 1)
          insert into read_revisions (tenant_id, compacted) select $1::text, count(*) from gone
          on conflict (tenant_id) do update set compacted = read_revisions.compacted + excluded.compacted`,
        values: [tenantId],
      })
      .catch(() => undefined)
      .finally(() => folding.delete(tenantId));
  };
  const query = async (tenantId: string): Promise<string> => {
    const { rows } = await pool.query<{ c: string; n: string }>({
      name: 'read_revision',
      text: `select coalesce((select compacted from read_revisions where tenant_id = $1), 0) as c,
        (select count(*) from read_revision_writes where tenant_id = $1) as n`,
      values: [tenantId],
    });
    const { c, n } = rows[0]!;
    if (Number(n) > REVISION_LOG_FOLD) fold(tenantId);
    return revisionOf(c, n);
  };
  return {
    read: sharedReads(query),
    async apiKey(keyHash) {
      const { rows } = await pool.query<{ id: string; tenant_id: string; last_used_at: string | null; c: string | null; n: string }>({
        name: 'api_key_with_read_revision',
        text: `select k.id, k.tenant_id, k.last_used_at,
          (select compacted from read_revisions r where r.tenant_id = k.tenant_id) as c,
          (select count(*) from read_revision_writes w where w.tenant_id = k.tenant_id) as n
          from api_keys k where k.key_hash = $1`,
        values: [keyHash],
      });
      const row = rows[0];
      if (!row) return undefined;
      if (Number(row.n) > REVISION_LOG_FOLD) fold(row.tenant_id);
      return { keyId: row.id, tenantId: row.tenant_id, lastUsedAt: row.last_used_at, revision: revisionOf(row.c, row.n) };
    },
  };
}

/**
 * `query` per key, shared by concurrent callers without giving up freshness (single flight): a
 * call answers the result of a query sent after it was made, never of one already on its way
 * (whose snapshot may predate a commit the caller has seen acknowledged). So a caller sees every
 * commit acknowledged before it asked, exactly as with a query of its own. At most
 * REVISION_READS_IN_FLIGHT queries per key are on their way; callers arriving meanwhile wait for
 * the next one, sent as soon as one answers, and all of them share it. Under 50 concurrent
 * clients that is one round trip per batch of requests instead of one per request (each a pool
 * connection, a socket write and a backend woken), for at most one round trip more of latency.
 * A failed query fails the callers that shared it, as their own would have.
 */
export function sharedReads<T>(query: (key: string) => Promise<T>): (key: string) => Promise<T> {
  /** Per key: the queries on their way, and the callers waiting for the next one (not sent yet). */
  interface Flight {
    inFlight: number;
    next?: { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void };
  }
  const flights = new Map<string, Flight>();
  const send = (key: string, flight: Flight): Promise<T> => {
    flight.inFlight += 1;
    const sent = query(key);
    const landed = () => {
      flight.inFlight -= 1;
      const waiting = flight.next;
      if (waiting) {
        // Sent now, after every waiter asked: its answer is theirs.
        flight.next = undefined;
        send(key, flight).then(waiting.resolve, waiting.reject);
      } else if (flight.inFlight === 0) flights.delete(key);
    };
    sent.then(landed, landed);
    return sent;
  };
  return (key) => {
    let flight = flights.get(key);
    if (!flight) {
      flight = { inFlight: 0 };
      flights.set(key, flight);
    }
    // A query not sent yet is sent after this caller asked: join it.
    if (flight.next) return flight.next.promise;
    if (flight.inFlight < REVISION_READS_IN_FLIGHT) return send(key, flight);
    // Those on their way were sent before this caller asked: wait for the next (shared by every caller until it is sent).
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    flight.next = { promise, resolve, reject };
    return promise;
  };
}

/**
 * Runs pending migrations. In a non-default PostgreSQL schema the migrator's own tables must be
 * named with it: Kysely otherwise finds another schema's lock table and races with it.
 */
export async function migrate(db: Kysely<Database>, schema?: string): Promise<void> {
  // Engineers reserve migration numbers by range, so one may land after a higher-numbered one.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
