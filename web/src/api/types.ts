import type { components } from './schema.gen.ts';

/**
 * The API shapes the console relies on. They mirror src/app/presenters.ts (and DESIGN.md §4);
 * more fields may be added by the API, none of these renamed.
 */

export type ConnectionStatus = 'connected' | 'disconnected' | 'expired' | 'revoked' | 'error';
export type Cadence = '1h' | '4h' | '12h' | '24h';
export type HealthState =
  | 'healthy'
  | 'never_run'
  | 'running'
  | 'disabled'
  | 'authorisation_expired'
  | 'provider_unavailable'
  | 'failing'
  | 'blocked_by_safeguard'
  | 'disconnected';

export type ScopeOperator = 'in' | 'notIn' | 'empty' | 'notEmpty';
export interface ScopeCondition {
  field: string;
  operator: ScopeOperator;
  values?: string[];
}
export interface ScopeGroup {
  name?: string;
  conditions: ScopeCondition[];
}
export interface Scope {
  groups: ScopeGroup[];
}

/** One person in a scope preview sample. */
export interface ScopePreviewPerson {
  externalId: string;
  name: string | null;
  email: string | null;
  department: string | null;
  location: string | null;
  /** Why they are in (the rule group they match) or out (the conditions they miss). */
  reason: string;
  /** Linked to a ReFresh employee today. */
  linked: boolean;
}

/** `POST /integrations/{id}/user-sync/preview`: who a scope keeps and drops, before saving it. */
export interface ScopePreview {
  basis: 'last fetched data' | 'live from the provider';
  total: number;
  inScope: number;
  outOfScope: number;
  /** Synced, active people this scope would deactivate at the next sync. */
  wouldDeactivate: number;
  /** Active people in the source not synced today whom this scope would bring in. */
  wouldAdd: number;
  /** In-scope count per matching rule (reason). */
  byRule: Record<string, number>;
  /** Up to 50 each. */
  sampleIn: ScopePreviewPerson[];
  sampleOut: ScopePreviewPerson[];
}

/** Provider field → ReFresh field. */
export type FieldMapping = Record<string, string>;

export interface Safeguard {
  maxDeactivationPercent: number;
  minPopulation: number;
  maxDeactivations: number | null;
}

export interface Health {
  state: HealthState;
  message: string;
  statusPageUrl: string | null;
}

export interface Integration {
  id: string;
  provider: string;
  name: string;
  priority: number;
  settings: Record<string, unknown>;
  connection: { status: ConnectionStatus; detail: string | null; changedAt?: string };
  userSync: {
    enabled: boolean;
    cadence: Cadence;
    scope: Scope;
    fieldMapping: FieldMapping;
    outOfScopeAction: 'deactivate' | 'ignore';
    safeguard?: Safeguard;
    lastRun: Run | null;
    nextRunAt: string | null;
  };
  groupSync: { enabled: boolean; mapping: GroupMappingEntry[] };
  health: Health;
  createdAt: string;
  updatedAt: string;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'blocked' | 'rejected';
export type RunPhase = 'queued' | 'fetching' | 'planned' | 'applying' | 'done';

export interface RunCounts {
  fetched: number;
  inScope: number;
  created: number;
  updated: number;
  deactivated: number;
  reactivated: number;
  unchanged: number;
  skipped: number;
  failed: number;
}

export interface RunProgress {
  phase: RunPhase;
  fetched: number;
  total: number | null;
  applied: number;
  toApply: number;
  message: string | null;
}

export interface Run {
  id: string;
  integrationId: string;
  trigger: string;
  mode: 'full' | 'incremental';
  dryRun: boolean;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  counts: RunCounts;
  progress: RunProgress;
  error: { code: string; message: string } | null;
}

export type ChangeKind = 'created' | 'updated' | 'deactivated' | 'reactivated' | 'skipped' | 'failed';

export interface RunChange {
  seq: number;
  kind: ChangeKind;
  employeeId: string | null;
  externalId: string | null;
  displayName: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  applied: boolean;
}

export type Role = 'organization_admin' | 'compliance_manager' | 'member';

export interface EmployeeField {
  value: string | null;
  source: { integrationId: string; provider: string } | null;
  locked: boolean;
  lockedBy?: string;
}

export interface EmployeeGroup {
  id: string;
  name: string;
  type: string;
  origin: string;
}

export interface Employee {
  id: string;
  status: 'active' | 'inactive';
  role: Role;
  fields: Record<string, EmployeeField>;
  groups: EmployeeGroup[];
  links?: { integrationId: string; provider: string | null; externalId: string; present: boolean }[];
  createdAt: string;
  updatedAt: string;
}

export interface Explanation {
  query: string;
  employee: { id: string; status: string; role: string; email: string | null } | null;
  sources: {
    integrationId: string;
    integration: string;
    externalId: string;
    linked: boolean;
    presentInSource: boolean;
    inScope: boolean;
    scopeReason: string;
    status: string | null;
    statusReason: string;
    lastSeenAt: string;
  }[];
  fields: { field: string; value: string; source: string; why: string }[];
  lastChange: { runId: string; kind: string; reason: string | null } | null;
  summary: string[];
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface AdminUser {
  id: string;
  email: string;
  role: 'organization_admin' | 'compliance_manager';
  tenantId: string;
}

export interface LoginResponse {
  user: AdminUser;
  csrfToken: string;
  expiresAt: string;
}

export interface MeResponse {
  user: AdminUser | null;
  csrfToken: string | null;
  expiresAt: string | null;
  via: 'session' | 'api_key';
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export interface GroupMappingEntry {
  attribute: string;
  type: string;
  parent?: string;
  nameTemplate?: string;
}

/** A group as the Groups API presents it (src/app/groups-service.ts presentGroup). */
export interface Group {
  id: string;
  name: string;
  type: string;
  parentId: string | null;
  headcount: number;
  origin: 'synced' | 'manual';
  archived: boolean;
  integrationId: string | null;
  source: { integrationId: string | null; provider: string | null; attribute: string | null; key: string | null } | null;
  locked: boolean;
  lockedBy?: string;
  createdAt: string;
  updatedAt: string;
}

/** `GET /groups?view=tree`: each group with its sub-groups. */
export interface GroupNode extends Group {
  children: GroupNode[];
}

export interface GroupMember {
  employeeId: string;
  displayName: string | null;
  email: string | null;
  status: string;
  origin: 'synced' | 'manual';
  integrationId: string | null;
  since: string;
}

export interface GroupDetail extends Group {
  path: { id: string; name: string }[];
  children: Group[];
  members: GroupMember[];
  membersNextCursor: string | null;
}

export interface PreviewNode {
  id: string | null;
  name: string;
  type: string;
  attribute: string;
  parentId: string | null;
  status: string;
  headcount: number;
  members: number;
  children: PreviewNode[];
}

export interface GroupSyncPreview {
  mapping: GroupMappingEntry[];
  basedOn: { people: number; lastRunId: string | null; lastRunFinishedAt: string | null };
  groups: PreviewNode[];
  changes: { create: number; rename: number; move: number; archive: number; revive: number; membershipsAdded: number; membershipsRemoved: number; archived: { id: string; name: string; reason: string }[] };
  note?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { type: 'admin' | 'system' | 'run'; id: string | null; integrationId?: string | null };
  action: string;
  entity: { type: string; id: string | null; name?: string | null };
  before: unknown;
  after: unknown;
  reason?: string | null;
}

export interface ImportRow {
  line: number;
  status: 'created' | 'failed';
  employeeId?: string;
  email?: string;
  error?: string;
}

export interface ImportResult {
  created: number;
  failed: number;
  rows: ImportRow[];
}

export interface CorrelationCase {
  id: string;
  integrationId: string;
  externalId: string;
  displayName: string | null;
  email: string | null;
  reason: string;
  candidates: string[];
  status: 'open' | 'resolved';
  resolution: { action: 'link' | 'create'; employeeId: string } | null;
  createdAt: string;
  resolvedAt: string | null;
}

export interface OAuthStart {
  authorizeUrl: string;
  expiresAt: string;
  redirectUri: string;
}

export const STANDARD_FIELDS = [
  'email',
  'firstName',
  'lastName',
  'preferredName',
  'displayName',
  'jobTitle',
  'department',
  'division',
  'location',
  'managerId',
  'employeeNumber',
  'phone',
  'startDate',
  'endDate',
  'employmentStatus',
  'employmentType',
] as const;

export const CADENCES: readonly Cadence[] = ['1h', '4h', '12h', '24h'];

/** An API key as listed: never the key itself (generated from the API contract). */
export type ApiKeyInfo = components['schemas']['ApiKey'];
