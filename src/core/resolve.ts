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

/**
 * Per-field source orders that override the integrations' ranks: for each field, integration ids,
 * first wins (e.g. `{email: [entraId]}` = "e-mail from Entra ID first"). Sources an order does not
 * name follow it, by rank.
 */
export type FieldPriorities = Readonly<Partial<Record<FieldName, readonly string[]>>>;

export interface PersonState {
  readonly status: PersonStatus;
  readonly fields: FieldValues;
  readonly provenance: ProvenanceMap;
}

interface Ranked {
  readonly integrationId: string;
  readonly priority: number;
}

function byRank(a: Ranked, b: Ranked): number {
  return a.priority - b.priority || (a.integrationId < b.integrationId ? -1 : 1);
}

/**
 * The order in which sources decide `field`: those the field's override names, in its order,
 * then the others by rank. Resolution, locks and diagnostics all ask this one question.
 */
export function orderForField<T extends Ranked>(sources: readonly T[], field: FieldName, overrides: FieldPriorities = {}): T[] {
  const ranked = [...sources].sort(byRank);
  const order = overrides[field];
  if (!order || order.length === 0) return ranked;
  const position = new Map(order.map((id, i) => [id, i]));
  const named = ranked.filter((s) => position.has(s.integrationId)).sort((a, b) => position.get(a.integrationId)! - position.get(b.integrationId)!);
  return [...named, ...ranked.filter((s) => !position.has(s.integrationId))];
}

/**
 * For every field, the first enabled source in the field's order (its override, else the ranks)
 * that maps it and has a value wins; a field mapped by enabled sources none of which has a value
 * is cleared; a field no enabled source maps keeps its last value (it is the admin's now). Status
 * comes from the highest-ranked enabled source with an opinion, so only that source can
 * deactivate the person.
 */
export function resolvePerson(current: PersonState, sources: readonly SourceView[], overrides: FieldPriorities = {}): PersonState {
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
    // `ranked` is already the order of a field no override names (a sync plans 100,000 people
    // from one source: sorting a copy of it per field per person was a fifth of resolving).
    const order = overrides[name]?.length ? orderForField(ranked, name, overrides) : ranked;
    const winner = order.find((s) => s.mapped.has(name) && s.values[name] !== undefined);
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
