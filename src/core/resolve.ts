import type { FieldName, FieldValues } from './fields.ts';
import type { PersonStatus } from './lifecycle.ts';

export interface Provenance {
  readonly integrationId: string;
  readonly runId: string | null;
  readonly at: string;
}
export type ProvenanceMap = Partial<Record<FieldName | 'status', Provenance>>;

/** One source's view of a person, as the resolver needs it. */
export interface SourceView {
  readonly integrationId: string;
  /** 1 is the highest rank. */
  readonly priority: number;
  /** Only enabled sources own fields and decide status. */
  readonly enabled: boolean;
  readonly mapped: ReadonlySet<FieldName>;
  readonly values: FieldValues;
  /** The source's opinion of the person's status; null when it has none (e.g. out of scope, leave alone). */
  readonly status: PersonStatus | null;
  readonly runId: string | null;
  readonly seenAt: string;
}

export interface PersonState {
  readonly status: PersonStatus;
  readonly fields: FieldValues;
  readonly provenance: ProvenanceMap;
}

function byRank(a: SourceView, b: SourceView): number {
  return a.priority - b.priority || (a.integrationId < b.integrationId ? -1 : 1);
}

/**
 * For every field, the highest-ranked enabled source that maps it and has a value wins; a field
 * mapped by enabled sources none of which has a value is cleared; a field no enabled source maps
 * keeps its last value (it is the admin's now). Status comes from the highest-ranked enabled
 * source with an opinion, so only that source can deactivate the person.
 */
export function resolvePerson(current: PersonState, sources: readonly SourceView[]): PersonState {
  const ranked = sources.filter((s) => s.enabled).sort(byRank);
  const owned = new Set<FieldName>();
  for (const s of ranked) for (const f of s.mapped) owned.add(f);

  const fields: FieldValues = {};
  const provenance: ProvenanceMap = {};
  for (const [name, value] of Object.entries(current.fields) as [FieldName, string][]) {
    if (owned.has(name)) continue;
    fields[name] = value;
    const p = current.provenance[name];
    if (p) provenance[name] = p;
  }
  const stamps = new Map<SourceView, Provenance>();
  const stamp = (s: SourceView) => {
    let p = stamps.get(s);
    if (!p) stamps.set(s, (p = { integrationId: s.integrationId, runId: s.runId, at: s.seenAt }));
    return p;
  };
  for (const name of owned) {
    const winner = ranked.find((s) => s.mapped.has(name) && s.values[name] !== undefined);
    if (!winner) continue;
    fields[name] = winner.values[name]!;
    provenance[name] = stamp(winner);
  }

  const decider = ranked.find((s) => s.status !== null);
  let status = current.status;
  if (decider) {
    status = decider.status!;
    provenance.status = stamp(decider);
  } else if (current.provenance.status) {
    provenance.status = current.provenance.status;
  }
  return { status, fields, provenance };
}

/** The fields whose values differ, as before/after maps for the change log. */
export function diffFields(before: FieldValues, after: FieldValues): { before: FieldValues; after: FieldValues } | null {
  const b: FieldValues = {};
  const a: FieldValues = {};
  let changed = false;
  const names = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<FieldName>;
  for (const name of names) {
    if (before[name] === after[name]) continue;
    changed = true;
    if (before[name] !== undefined) b[name] = before[name];
    if (after[name] !== undefined) a[name] = after[name];
  }
  return changed ? { before: b, after: a } : null;
}

/** Which enabled source locks each field of a person. */
export function fieldOwners(sources: readonly SourceView[]): Map<FieldName, string> {
  const owners = new Map<FieldName, string>();
  for (const s of sources.filter((x) => x.enabled).sort(byRank)) {
    for (const f of s.mapped) if (!owners.has(f)) owners.set(f, s.integrationId);
  }
  return owners;
}
