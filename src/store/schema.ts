import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Row types, shared by SQLite and PostgreSQL. JSON is stored as text and booleans as 0/1 so one
 * migration set and one set of queries serve both; times are ISO 8601 UTC strings (they sort).
 */
export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  integrations: IntegrationsTable;
  employees: EmployeesTable;
  employee_links: EmployeeLinksTable;
  runs: RunsTable;
  run_changes: RunChangesTable;
  sync_cursors: SyncCursorsTable;
  audit_events: AuditEventsTable;
  correlation_cases: CorrelationCasesTable;
  admin_users: AdminUsersTable;
  admin_sessions: AdminSessionsTable;
  oauth_states: OAuthStatesTable;
  integration_secrets: IntegrationSecretsTable;
  oauth_refresh_locks: OAuthRefreshLocksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  groups: GroupsTable;
  group_memberships: GroupMembershipsTable;
  group_parents: GroupParentsTable;
  group_sync_state: GroupSyncStateTable;
  field_priorities: FieldPrioritiesTable;
  idempotency_keys: IdempotencyKeysTable;
  sign_in_throttle: SignInThrottleTable;
  admin_familiar_addresses: AdminFamiliarAddressesTable;
  rate_limit_counters: RateLimitCountersTable;
}

/** Failed console sign-ins per throttled key, shared by every node (0010). */
export interface SignInThrottleTable {
  /** A keyed hash of the account (and whether the address is familiar to it) or of the address. */
  key: string;
  failures: number;
  last_failure_at: string;
  /** No attempt on this key is checked before then (the growing delay, or the lockout). */
  next_allowed_at: string;
}

/** Addresses an admin signed in from successfully, as keyed hashes (0010). */
export interface AdminFamiliarAddressesTable {
  user_id: string;
  address_hash: string;
  last_seen_at: string;
}

/** One fixed-window request counter per API client, shared by every node (0011). */
export interface RateLimitCountersTable {
  key: string;
  hits: number;
  window_ends_at: string;
}

/** A create retried with the same Idempotency-Key answers what the first one made (0009). */
export interface IdempotencyKeysTable {
  tenant_id: string;
  /** What the key was used for, e.g. 'integration.create'. */
  scope: string;
  key: string;
  /** sha256 of the request it was first used with: the same key for another request is refused. */
  request_hash: string;
  resource_id: string;
  created_at: string;
}

export interface TenantsTable {
  id: string;
  name: string;
  time_zone: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  /** sha256 of the key; the key itself is shown once and never stored. */
  key_hash: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

export interface IntegrationsTable {
  id: string;
  tenant_id: string;
  provider: string;
  name: string;
  priority: number;
  /** JSON: provider settings (companyDomain, baseUrl, …). */
  settings: string;
  /** Vault ciphertext of the credentials JSON, or null when disconnected. */
  credentials: string | null;
  connection_status: string;
  connection_detail: string | null;
  connection_changed_at: string;
  /** JSON: {enabled, cadence, scope, fieldMapping, outOfScopeAction}. */
  user_sync: string;
  /** JSON: {enabled, mapping}. */
  group_sync: string;
  next_run_at: string | null;
  created_at: string;
  updated_at: string;
  /** Set when an admin removed the integration; its history stays. */
  removed_at: Generated<string | null>;
}

export interface EmployeesTable {
  id: string;
  tenant_id: string;
  status: string;
  role: string;
  email_norm: string | null;
  employee_number: string | null;
  /** Lower-cased name and email, for `q` search. */
  search_text: string;
  /** JSON FieldValues: the resolved value of every field. */
  fields: string;
  /** JSON ProvenanceMap: which source, run and time each value came from. */
  provenance: string;
  /** JSON: ReFresh-only configuration, never written by sync. */
  custom_config: string;
  created_at: string;
  updated_at: string;
  /** Grows at every write, by an admin or a run (0009): the ETag, and what a run's apply compares against. */
  version: Generated<number>;
}

export interface EmployeeLinksTable {
  tenant_id: string;
  integration_id: string;
  external_id: string;
  /** Null while the record is known but not synced (out of scope, failed correlation). */
  employee_id: string | null;
  record_hash: string;
  /** JSON FieldValues as this source maps them. */
  field_values: string;
  /** JSON Lifecycle from the provider. */
  lifecycle: string;
  /** The source's opinion on status: 'active' | 'inactive' | null (no opinion). */
  source_status: string | null;
  status_reason: string;
  in_scope: number;
  scope_reason: string;
  /** Re-evaluate on this date (YYYY-MM-DD) even if the record does not change. */
  review_on: string | null;
  present: number;
  last_run_id: string | null;
  last_seen_at: string;
  created_at: string;
}

export interface RunsTable {
  id: string;
  tenant_id: string;
  integration_id: string;
  trigger: string;
  mode: string;
  dry_run: number;
  status: string;
  /** Where a running run is: fetching → applying → finishing (resume point after a crash). */
  phase: string;
  started_at: string | null;
  finished_at: string | null;
  /** JSON counts. */
  counts: string;
  /** JSON {code, message} or null. */
  error: string | null;
  /** JSON progress for the console and CLI. */
  progress: string;
  cursor_after: string | null;
  /** Which worker holds the run and when it last said so; a stale heartbeat means it crashed. */
  worker_id: string | null;
  heartbeat_at: string | null;
  created_at: string;
  /** Staged changes with seq ≤ this are applied (apply goes in seq order, batch by batch). */
  applied_through: Generated<number>;
  /** Fencing token: grows at every claim; a worker's writes check it (0008-run-leases). */
  lease: Generated<number>;
  /** When the holder's lease runs out unless renewed; then another worker may take the run over. */
  lease_until: Generated<string | null>;
  /** JSON {wouldHold, reason}: the safeguard's verdict on the plan, or null before planning. */
  safeguard: Generated<string | null>;
  /** JSON counts the plan staged (`counts` holds what was applied). */
  planned: Generated<string | null>;
  /** JSON PlanBasis: what the plan was made from, to tell a stale plan at approval. */
  plan_basis: Generated<string | null>;
}

export interface RunChangesTable {
  tenant_id: string;
  run_id: string;
  seq: number;
  kind: string;
  employee_id: string | null;
  external_id: string | null;
  display_name: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  /** JSON: what apply writes (link state, new employee), so apply can resume after a crash. */
  payload: string | null;
  applied: number;
  /** The person's employees.version when the change was planned (0020); null for new people and group changes. */
  base_version: Generated<number | null>;
  /** Hash of the person's status and fields when the change was planned (0020), to tell a stale plan at approval. */
  base_hash: Generated<string | null>;
}

export interface SyncCursorsTable {
  integration_id: string;
  tenant_id: string;
  value: string;
  /** Hash of the mapping and scope the cursor was reached with; a change forces a full run. */
  config_hash: string;
  updated_at: string;
}

export interface AuditEventsTable {
  id: string;
  tenant_id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: string | null;
  after: string | null;
}

export interface AdminUsersTable {
  id: string;
  tenant_id: string;
  /** Lower-cased; unique per tenant. */
  email: string;
  /** scrypt$N$r$p$salt$hash — never the password itself. */
  password_hash: string;
  role: string;
  created_at: string;
}

export interface AdminSessionsTable {
  /** sha256 of the session id; the id itself lives only in the browser's httpOnly cookie. */
  id_hash: string;
  tenant_id: string;
  user_id: string;
  /** sha256 of the session's CSRF token. */
  csrf_token_hash: string;
  created_at: string;
  expires_at: string;
}

export interface CorrelationCasesTable {
  id: string;
  tenant_id: string;
  integration_id: string;
  external_id: string;
  display_name: string | null;
  email: string | null;
  reason: string;
  /** JSON array of candidate employee ids. */
  candidates: string;
  status: string;
  /** JSON {action: 'link'|'create', employeeId} once resolved. */
  resolution: string | null;
  run_id: string | null;
  created_at: string;
  resolved_at: string | null;
}

export interface GroupsTable {
  id: string;
  tenant_id: string;
  name: string;
  /** The type label: "Department", "Location", … */
  type: string;
  parent_id: string | null;
  /** 'synced' | 'manual'. */
  origin: string;
  /** The source of a synced group; null for manual groups. */
  integration_id: string | null;
  /** The ReFresh attribute a synced group comes from (department, division, custom.team, …). */
  attribute: string | null;
  /** The provider's key for the unit (`id:<list option id>`), else `name:<normalised name>`. */
  source_key: string | null;
  archived: number;
  archived_at: string | null;
  /** Distinct active people in the group and its non-archived sub-groups (src/store/group-headcounts.ts). */
  headcount: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface GroupMembershipsTable {
  tenant_id: string;
  group_id: string;
  employee_id: string;
  /** 'synced' (follows the HRIS) | 'manual' (never removed by sync). */
  origin: string;
  integration_id: string | null;
  created_at: string;
}

/** A group's parents besides its place in the tree, `groups.parent_id` (0024-group-parents). */
/** What an integration's last group step left in step (migration 0026, src/sync/group-step.ts). */
export interface GroupSyncStateTable {
  integration_id: string;
  tenant_id: string;
  links_digest: string | null;
  people_digest: string | null;
  run_id: string | null;
  updated_at: string;
}

export interface GroupParentsTable {
  tenant_id: string;
  group_id: string;
  parent_id: string;
  /** The integration whose sync nests the group there. */
  integration_id: string | null;
  created_at: string;
}

/** Per-field source orders overriding integration ranks (0014-field-priorities). */
export interface FieldPrioritiesTable {
  tenant_id: string;
  field: string;
  /** JSON array of integration ids, first wins. */
  source_order: string;
  updated_at: string;
}

/** One OAuth authorization request (0004-oauth): single-use, expiring, bound to its initiator. */
export interface OAuthStatesTable {
  /** sha256 of the `state`; the state itself is only in the authorize URL. */
  state_hash: string;
  tenant_id: string;
  integration_id: string;
  provider: string;
  /** Vault ciphertext of the PKCE code verifier. */
  code_verifier: string;
  redirect_uri: string;
  /** 'tenant' (API key) or 'session' (console session). */
  binding_kind: string;
  /** sha256 of the binding value (tenant id, or console session id). */
  binding_hash: string;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
}

/** Vault ciphertexts kept with an integration outside its credentials (0004-oauth). */
export interface IntegrationSecretsTable {
  integration_id: string;
  /** 'oauth_client' | 'webhook' */
  kind: string;
  tenant_id: string;
  ciphertext: string;
  created_at: string;
  updated_at: string;
}

/** Webhook signatures already accepted, to refuse replays (0004-oauth). */
export interface WebhookDeliveriesTable {
  integration_id: string;
  signature_hash: string;
  tenant_id: string;
  received_at: string;
}

export type Tenant = Selectable<TenantsTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type EmployeeRow = Selectable<EmployeesTable>;
export type NewEmployeeRow = Insertable<EmployeesTable>;
export type EmployeeLinkRow = Selectable<EmployeeLinksTable>;
export type NewEmployeeLinkRow = Insertable<EmployeeLinksTable>;
export type RunRow = Selectable<RunsTable>;
export type RunUpdate = Updateable<RunsTable>;
export type RunChangeRow = Selectable<RunChangesTable>;
export type NewRunChangeRow = Insertable<RunChangesTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type CorrelationCaseRow = Selectable<CorrelationCasesTable>;
export type NewCorrelationCaseRow = Insertable<CorrelationCasesTable>;
export type GroupRow = Selectable<GroupsTable>;
export type GroupMembershipRow = Selectable<GroupMembershipsTable>;
export type { Generated };

export interface OAuthRefreshLocksTable {
  integration_id: string;
  tenant_id: string;
  /** Who refreshes now (a random id per attempt). */
  holder: string;
  /** ISO time the lease lapses (a crashed holder blocks no longer). */
  expires_at: string;
}
