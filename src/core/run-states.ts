/** Run statuses and the only transitions allowed between them (DESIGN.md §4). */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'partial', 'failed', 'blocked', 'rejected'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'failed'],
  // running → running: a worker resumes a run whose previous worker died.
  running: ['running', 'succeeded', 'partial', 'failed', 'blocked'],
  // An approved blocked run goes back to the queue at its apply phase, exactly once.
  blocked: ['queued', 'rejected'],
  succeeded: [],
  partial: [],
  failed: [],
  rejected: [],
};

export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];
export const FINISHED_STATUSES: readonly RunStatus[] = ['succeeded', 'partial', 'failed', 'rejected'];

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export type RunPhase = 'queued' | 'fetching' | 'planned' | 'applying' | 'groups' | 'done';

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

export function emptyCounts(): RunCounts {
  return { fetched: 0, inScope: 0, created: 0, updated: 0, deactivated: 0, reactivated: 0, unchanged: 0, skipped: 0, failed: 0 };
}

/** The kinds of change a run applies to people; the other counts are what it observed. */
export const APPLIED_KINDS = ['created', 'updated', 'deactivated', 'reactivated'] as const;
export type AppliedKind = (typeof APPLIED_KINDS)[number];

export function isAppliedKind(kind: string): kind is AppliedKind {
  return (APPLIED_KINDS as readonly string[]).includes(kind);
}

/** Counts as observed (fetched, in scope, unchanged, skipped, failed) with nothing applied yet. */
export function observedOnly(counts: RunCounts): RunCounts {
  return { ...counts, created: 0, updated: 0, deactivated: 0, reactivated: 0 };
}
