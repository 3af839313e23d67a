import type { SourcePage } from '../core/source-record.ts';
import type { ProviderId, SourceField } from '../providers/types.ts';

export type { ProviderId } from '../providers/types.ts';

export interface ConnectorOptions {
  /**
   * Provider API root, e.g. `https://acme.bamboohr.com` or a sandbox `http://127.0.0.1:9101`.
   * Optional: when absent the connector derives it from `settings` (`settings.baseUrl`, else the
   * provider's default host, e.g. `https://{settings.companyDomain}.bamboohr.com`).
   */
  readonly baseUrl?: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly credentials: Readonly<Record<string, string>>;
  /**
   * The source attributes the integration maps or scopes on (its field mapping's keys, `source.*`
   * scope fields). A connector reads what it always reads plus these, so an admin can map a field
   * the defaults leave alone (a custom field, a personal one) without anyone changing code.
   */
  readonly fields?: readonly string[];
  readonly signal?: AbortSignal;
  /** Called on every retry so runs can say "rate limited, waiting 2 s". */
  readonly onRetry?: (info: RetryInfo) => void;
  /** Retry/timeout policy; defaults are production values, tests shorten them. */
  readonly http?: Partial<HttpPolicy>;
  /** How to wait between attempts (a test seam: tests record the delays instead of sleeping). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RetryInfo {
  /** The attempt that just failed (1-based); the next one starts after `delayMs`. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: 'rate_limited' | 'provider_unavailable' | 'network' | 'bad_body';
  readonly status?: number;
}

export interface HttpPolicy {
  /** Attempts per request, first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** A Retry-After longer than this fails the request as rate_limited instead of waiting. */
  readonly maxRetryAfterMs: number;
}

export interface FullFetch {
  /** A watermark to start the next incremental from, taken before the first page (server time). */
  readonly watermark: string | null;
  /** Every person the provider has, active and inactive, streamed page by page. */
  readonly pages: AsyncIterable<SourcePage>;
}

export interface ChangeFetch {
  /** Where the next incremental starts. */
  readonly watermark: string | null;
  /** People inserted or updated since the cursor. */
  readonly pages: AsyncIterable<SourcePage>;
  /** External ids the provider reports as deleted: an explicit delete event. */
  readonly deletedIds: readonly string[];
  /** How many ids the provider said changed (for counts and progress). */
  readonly changedCount: number;
}

export interface HrisConnector {
  readonly provider: ProviderId;
  /** Fails with a ProviderError when credentials or reachability are wrong. */
  checkConnection(): Promise<void>;
  fetchAll(): Promise<FullFetch>;
  fetchChanges(since: string): Promise<ChangeFetch>;
  /**
   * Optional: the provider's org units (list options) with their stable keys, for Group Sync.
   * `attribute` is the provider's field name (as field mappings name it); renamed units keep `key`.
   */
  fetchOrgUnits?(): Promise<OrgUnitInfo[]>;
  /**
   * Optional: the account's fields from the provider's metadata endpoint (custom fields included),
   * keyed as this connector yields them, for the mapping pickers.
   */
  fetchFields?(): Promise<SourceField[]>;
  /**
   * Optional (identity providers): the provider's own groups with their direct members, for Group
   * Sync's directory groups (Google groups, Entra groups).
   */
  fetchDirectoryGroups?(): Promise<DirectoryGroup[]>;
}

/** One of an identity provider's groups, with its direct members. */
export interface DirectoryGroup {
  /** The provider's id: a rename keeps it. */
  readonly key: string;
  readonly name: string;
  readonly email: string | null;
  /** "Security group", "Microsoft 365 group", "Dynamic group", … (for texts). */
  readonly kind: string;
  /** Direct members that are people: the ids a user record has (`SourceRecord.externalId`). */
  readonly userIds: readonly string[];
  /** Direct members that are groups (their keys): nesting. */
  readonly groupKeys: readonly string[];
  /** Direct members that are neither (service principals, devices, contacts), with what they are. */
  readonly others: readonly { readonly id: string; readonly name: string; readonly what: string }[];
  /** One member stands for every user of the organisation (Google's member type CUSTOMER). */
  readonly everyone?: boolean;
}

export interface OrgUnitInfo {
  readonly attribute: string;
  readonly key: string;
  readonly name: string;
  readonly archived?: boolean;
}
