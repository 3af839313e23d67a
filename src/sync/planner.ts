import type { Kysely } from 'kysely';
import { normalizeEmail, normalizeEmployeeNumber, correlate } from '../core/correlate.ts';
import type { FieldName, FieldValues } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import { mappedFields } from '../core/mapping.ts';
import { diffFields, resolvePerson, type FieldPriorities, type PersonState, type SourceView } from '../core/resolve.ts';
import { decodeProvenance } from '../store/provenance.ts';
import { sourceViewOf } from './source-view.ts';
import { encodePayload, withManager, type ChangePayload, type CorrelationCaseWrite } from './change-payload.ts';
import type { Lifecycle } from '../core/source-record.ts';
import type { Database, EmployeeLinkRow, EmployeeRow, NewEmployeeLinkRow, NewRunChangeRow } from '../store/schema.ts';
import { employeesByIds, employeesByKeys, searchText, syncBaseHash, type EmployeeWrite } from '../store/employees.ts';
import { linksForEmployees, type LinkIndex } from '../store/links.ts';
import type { Integration } from '../store/integrations.ts';
import { parseJson } from '../store/ids.ts';
import type { ChangeKind } from '../store/run-changes.ts';
import type { RunCounts } from '../core/run-states.ts';
import type { Evaluated } from './evaluate.ts';
import { newId } from '../store/ids.ts';
import type { YieldTurns } from './yield-turns.ts';

export type { ChangePayload };

/** A person the source no longer reports (missing from a complete fetch, or deleted). */
export interface Disappearance {
  readonly externalId: string;
  readonly reason: string;
}

interface ResolveItem {
  readonly e: Evaluated;
  readonly employeeId: string;
  readonly viaCorrelation: boolean;
  /** Values straight from the provider (managerId still an external id), not a stored link. */
  readonly fresh: boolean;
  readonly link: NewEmployeeLinkRow;
}

interface PlanContext {
  readonly db: Kysely<Database>;
  readonly tenantId: string;
  readonly runId: string;
  readonly integration: Integration;
  /** Every integration of the tenant, for priority resolution. */
  readonly integrations: ReadonlyMap<string, Integration>;
  /** Per-field source orders overriding the ranks. */
  readonly fieldPriorities: FieldPriorities;
  readonly index: LinkIndex;
  readonly counts: RunCounts;
  readonly now: string;
  /** Turns of the event loop handed back while planning (see YieldTurns). */
  readonly turns: YieldTurns;
}

/** A change as planned: its row (payload not yet encoded) and what applying it writes. */
export interface PlannedChange {
  readonly row: NewRunChangeRow;
  readonly payload: ChangePayload | undefined;
  /** The manager (external id) whose employee id the change's values name, when not linked before the run. */
  manager?: string;
}

/** A page's changes as the fetch hands them on: applied now with the page, or staged for later. */
export interface DrainedChanges {
  /** Applied in the page's transaction (rows marked applied, without a payload to read back). */
  readonly apply: readonly PlannedChange[];
  /** Staged with their payload, applied after the fetch. */
  readonly stage: readonly NewRunChangeRow[];
}

/** What a resumed run already applied, as its change rows say. */
export type AppliedChangeRow = Pick<NewRunChangeRow, 'seq' | 'kind' | 'external_id' | 'employee_id' | 'after'>;

/**
 * Turns evaluated source records into changes. Nothing is written to employees or links here:
 * the fetch either stages them, applied only after the fetch completed (and the safeguard
 * passed), or, in a run the safeguard cannot hold, applies most of them with their page
 * (see drainApplicable).
 */
export class Planner {
  #seq = 0;
  readonly #changes: PlannedChange[] = [];
  /** New people (external ids) whose creation is applied: their reports can be applied too. */
  readonly #appliedCreates = new Set<string>();
  /** New people planned in this run: externalId → employee id. */
  readonly #created = new Map<string, string>();
  readonly #createdIds = new Set<string>();
  /**
   * Employee ids handed out in this run, by source record: a new person keeps the id a report
   * already pointed at as its manager. Ids are time-ordered so a first sync appends to the
   * employees table instead of scattering 100,000 inserts across its B-tree.
   */
  readonly #ids = new Map<string, string>();
  #idFor(externalId: string): string {
    let id = this.#ids.get(externalId);
    if (!id) this.#ids.set(externalId, (id = newId()));
    return id;
  }
  /** Work emails claimed by people created in this run. */
  readonly #claimedEmails = new Map<string, string>();
  /** People this run linked to an existing employee by correlation: externalId → employee id. */
  readonly #linkedInRun = new Map<string, string>();
  /** Employees this run linked by correlation, whose links may not be stored yet. */
  readonly #correlatedIds = new Set<string>();
  /** Changes whose managerId guessed at a manager this run has not planned yet. */
  readonly #managerGuesses = new Map<string, number[]>();
  /** Unchanged records re-planned only to retry correlation: the same skip again is no news. */
  readonly retries = new Set<string>();
  /** External ids already planned, so a person is staged at most once per run. */
  readonly planned = new Set<string>();
  deactivations = 0;

  constructor(private readonly ctx: PlanContext) {}

  get seq(): number {
    return this.#seq;
  }

  /** Changes planned and not drained yet. */
  get pending(): number {
    return this.#changes.length;
  }

  /** Every change planned since the last drain, staged (payload encoded) to be applied after the fetch. */
  drain(): NewRunChangeRow[] {
    return this.#changes.splice(0, this.#changes.length).map((c) => this.#staged(c));
  }

  /**
   * For a run the safeguard cannot hold: the changes that can be applied right now, with their
   * page, and the rest staged. Held back are status changes (deactivations and reactivations wait
   * for the complete fetch and the safeguard's verdict) and people whose manager is not applied
   * yet (a manager the run has not reached may never be created: its id is a guess, settled after
   * the fetch). A manager created in the same page counts, so a page applies its own hierarchy.
   */
  drainApplicable(): DrainedChanges {
    const pending = this.#changes.splice(0, this.#changes.length);
    const ready = new Set<PlannedChange>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const c of pending) {
        if (ready.has(c) || c.row.kind === 'deactivated' || c.row.kind === 'reactivated') continue;
        if (c.manager !== undefined && !this.#appliedCreates.has(c.manager)) continue;
        ready.add(c);
        grew = true;
        if (c.row.kind === 'created') this.#appliedCreates.add(c.row.external_id!);
      }
    }
    return {
      apply: pending.filter((c) => ready.has(c)).map((c) => ({ ...c, row: { ...c.row, applied: 1 } })),
      stage: pending.filter((c) => !ready.has(c)).map((c) => this.#staged(c)),
    };
  }

  /**
   * Every pending change, applied now: the fetch is complete and the safeguard let the run
   * through (a run that could have been held and kept its few changes in memory).
   */
  drainAll(): PlannedChange[] {
    const pending = this.#changes.splice(0, this.#changes.length);
    for (const c of pending) if (c.row.kind === 'created') this.#appliedCreates.add(c.row.external_id!);
    return pending.map((c) => ({ ...c, row: { ...c.row, applied: 1 } }));
  }

  /**
   * A run resumed after its worker died mid-fetch carries on after what it already applied: the
   * next change numbers follow them, and the people it created keep their ids and e-mails.
   */
  restore(applied: readonly AppliedChangeRow[]): void {
    for (const r of applied) {
      this.#seq = Math.max(this.#seq, r.seq);
      if (r.external_id) this.planned.add(r.external_id);
      if (r.kind !== 'created' || !r.external_id || !r.employee_id) continue;
      this.#created.set(r.external_id, r.employee_id);
      this.#createdIds.add(r.employee_id);
      this.#ids.set(r.external_id, r.employee_id);
      this.#appliedCreates.add(r.external_id);
      const email = normalizeEmail(parseJson<FieldValues>(r.after ?? null, {}).email);
      if (email) this.#claimedEmails.set(email, r.external_id);
    }
  }

  #staged(c: PlannedChange): NewRunChangeRow {
    return { ...c.row, payload: c.payload ? encodePayload(c.payload, this.ctx.now) : null };
  }

  failure(externalId: string | undefined, reason: string): void {
    this.ctx.counts.failed += 1;
    this.#push('failed', { externalId: externalId ?? null, reason });
  }

  /** Plans one batch of records that differ from what the link remembers. */
  async planRecords(batch: readonly Evaluated[]): Promise<void> {
    const linked = batch.filter((e) => this.ctx.index.get(e.externalId)?.employeeId);
    const unlinked = batch.filter((e) => !this.ctx.index.get(e.externalId)?.employeeId);
    for (const e of batch) this.planned.add(e.externalId);

    const matches = await this.#correlate(unlinked);
    const toResolve: { e: Evaluated; employeeId: string; viaCorrelation: boolean }[] = linked.map((e) => ({
      e,
      employeeId: this.ctx.index.get(e.externalId)!.employeeId!,
      viaCorrelation: false,
    }));


    for (const e of unlinked) {
      const turn = this.ctx.turns.turn();
      if (turn) await turn;
      const match = matches.get(e.externalId);
      if (!e.inScope) {
        this.#skip(e, e.scopeReason === '' ? 'out of sync scope' : `out of sync scope: ${e.scopeReason}`);
      } else if (match?.kind === 'ambiguous') {
        this.#skip(e, `not linked: ${match.reason}; held as a correlation case for an admin to resolve`, {
          reason: match.reason,
          candidates: match.candidates,
          email: normalizeEmail(e.values.email) ?? null,
        });
      } else if (match?.kind === 'match') {
        toResolve.push({ e, employeeId: match.employeeId, viaCorrelation: true });
      } else {
        this.#planCreate(e);
      }
    }
    await this.#planResolved(toResolve.map((t) => ({ ...t, fresh: true, link: this.#linkRow(t.e, t.employeeId) })));
  }

  /** Re-plans stored links whose decision changed by date alone (a termination date reached). */
  async planReviews(rows: readonly EmployeeLinkRow[], decide: (row: EmployeeLinkRow) => { status: PersonStatus | null; reason: string; reviewOn: string | null }): Promise<void> {
    const items = [];
    for (const row of rows) {
      if (this.planned.has(row.external_id)) continue;
      this.planned.add(row.external_id);
      const d = decide(row);
      const link: NewEmployeeLinkRow = { ...row, source_status: d.status, status_reason: d.reason, review_on: d.reviewOn, last_run_id: this.ctx.runId, last_seen_at: this.ctx.now };
      if (!row.employee_id) {
        this.#push('noop', { externalId: row.external_id, payload: { link } });
        continue;
      }
      items.push({ e: evaluatedFromLink(row, d.reason), employeeId: row.employee_id, viaCorrelation: false, fresh: false, link });
    }
    await this.#planResolved(items);
  }

  /** Plans people the source no longer has: their link says so, and the resolver decides. */
  async planDisappearances(gone: readonly Disappearance[], links: ReadonlyMap<string, EmployeeLinkRow>): Promise<void> {
    const items: ResolveItem[] = [];
    for (const g of gone) {
      if (this.planned.has(g.externalId)) continue;
      this.planned.add(g.externalId);
      const row = links.get(g.externalId);
      if (!row) continue;
      const link: NewEmployeeLinkRow = { ...row, present: 0, source_status: row.employee_id ? 'inactive' : null, status_reason: g.reason, review_on: null, last_run_id: this.ctx.runId, last_seen_at: this.ctx.now };
      if (!row.employee_id) {
        this.#push('noop', { externalId: g.externalId, payload: { link } });
        continue;
      }
      items.push({ e: evaluatedFromLink(row, g.reason), employeeId: row.employee_id, viaCorrelation: false, fresh: false, link });
    }
    await this.#planResolved(items);
  }

  /** After the fetch: fixes managers guessed for people the run never created. */
  async settleManagerGuesses(load: (seqs: number[]) => Promise<NewRunChangeRow[]>, save: (rows: NewRunChangeRow[]) => Promise<void>): Promise<void> {
    const wrong = this.#wrongGuesses();
    if (wrong.length === 0) return;
    const fix = new Map<number, string | null>();
    for (const [ext, seqs] of wrong) for (const seq of seqs) fix.set(seq, this.#linkedInRun.get(ext) ?? null);
    const rows = await load([...fix.keys()]);
    for (const row of rows) Object.assign(row, withManager({ payload: row.payload ?? null, after: row.after ?? null }, fix.get(row.seq) ?? null));
    await save(rows);
  }

  /** Whether a change names a manager the run never created nor found linked (settled from the staged rows). */
  get guessedWrong(): boolean {
    return this.#wrongGuesses().length > 0;
  }

  #wrongGuesses(): [string, number[]][] {
    return [...this.#managerGuesses.entries()].filter(([ext]) => !this.#created.has(ext) && !this.ctx.index.get(ext)?.employeeId);
  }

  async #correlate(unlinked: readonly Evaluated[]) {
    const candidates = unlinked.filter((e) => e.inScope);
    const emails = [...new Set(candidates.flatMap((e) => [normalizeEmail(e.values.email), ...e.alternateEmails]).filter((x): x is string => !!x))];
    const numbers = [...new Set(candidates.map((e) => normalizeEmployeeNumber(e.values.employeeNumber)).filter((x): x is string => !!x))];
    // People this run created are its own (a streaming run has applied them): a second record
    // with their e-mail is a duplicate of the source (#planCreate says so), not a match.
    const found = (emails.length + numbers.length > 0 ? await employeesByKeys(this.ctx.db, this.ctx.tenantId, emails, numbers) : []).filter((f) => !this.#createdIds.has(f.id));
    const foundIds = [...new Set(found.map((f) => f.id))];
    // Linked in this source: by a stored link, or by this run, whose links may not be written yet
    // (a staged run writes them after the fetch; a streaming run's last page may still be committing).
    const linkedHere = new Set(
      (await linksForEmployees(this.ctx.db, this.ctx.tenantId, foundIds)).filter((l) => l.integration_id === this.ctx.integration.id).map((l) => l.employee_id!),
    );
    for (const id of foundIds) if (this.#correlatedIds.has(id)) linkedHere.add(id);
    const emailOf = new Map(found.map((f) => [f.id, f.email_norm]));
    const out = new Map<string, ReturnType<typeof correlate>>();
    for (const e of candidates) {
      const email = normalizeEmail(e.values.email);
      const number = normalizeEmployeeNumber(e.values.employeeNumber);
      const byEmail = email ? [...new Set(found.filter((f) => f.email_norm === email).map((f) => f.id))] : [];
      const byNumber = number ? [...new Set(found.filter((f) => f.employee_number === number).map((f) => f.id))] : [];
      const byAlias = e.alternateEmails.map((address) => ({ address, ids: [...new Set(found.filter((f) => f.email_norm === address).map((f) => f.id))] }));
      const outcome = correlate({ byEmail, byAlias, byNumber, linkedInSource: linkedHere, ...(email ? { email } : {}), emailOf });
      // Two records of one source never link to the same person, within a page or across pages.
      if (outcome.kind === 'match') {
        linkedHere.add(outcome.employeeId);
        this.#correlatedIds.add(outcome.employeeId);
      }
      out.set(e.externalId, outcome);
    }
    return out;
  }

  #planCreate(e: Evaluated): void {
    const email = normalizeEmail(e.values.email);
    if (!email) return this.#skip(e, 'not created: the record has no work email (mapped to email); add one in the HRIS');
    if (e.sourceStatus !== 'active') return this.#skip(e, `not created: ${e.statusReason}`);
    const claimedBy = this.#claimedEmails.get(email);
    if (claimedBy) return this.#skip(e, `not created: work email ${email} is also used by ${this.ctx.integration.name} person ${claimedBy}`);
    this.#claimedEmails.set(email, e.externalId);
    const id = this.#idFor(e.externalId);
    this.#created.set(e.externalId, id);
    this.#createdIds.add(id);
    const values = this.#translate(e.values);
    const link = this.#linkRow(e, id, values);
    const state = resolvePerson({ status: 'active', fields: {}, provenance: {} }, [this.#view(link, values)], this.ctx.fieldPriorities);
    this.ctx.counts.created += 1;
    // The new person's fields as JSON once: the change's `after` and the employee row's `fields`.
    const fields = JSON.stringify(state.fields);
    const seq = this.#push('created', {
      employeeId: id,
      externalId: e.externalId,
      displayName: displayName(state.fields),
      afterJson: fields,
      reason: null,
      payload: { link, employee: this.#write(id, state, true, fields) },
    });
    this.#noteGuess(e.values.managerId, seq);
  }

  async #planResolved(items: readonly ResolveItem[]): Promise<void> {
    if (items.length === 0) return;
    const ids = [...new Set(items.map((i) => i.employeeId))];
    const employees = await employeesByIds(this.ctx.db, this.ctx.tenantId, ids);
    // Other sources' links by person: a page of 1,000 shared people is not 1,000 scans of every link.
    const otherLinks = new Map<string, EmployeeLinkRow[]>();
    for (const l of await linksForEmployees(this.ctx.db, this.ctx.tenantId, ids)) {
      if (l.integration_id === this.ctx.integration.id || !l.employee_id) continue;
      const list = otherLinks.get(l.employee_id);
      if (list) list.push(l);
      else otherLinks.set(l.employee_id, [l]);
    }
    for (const item of items) {
      const turn = this.ctx.turns.turn();
      if (turn) await turn;
      const row = employees.get(item.employeeId);
      if (!row) {
        this.#skip(item.e, 'the linked employee no longer exists');
        continue;
      }
      const values = parseJson<FieldValues>(item.link.field_values, {});
      const others = otherLinks.get(item.employeeId) ?? [];
      const views = [this.#view(item.link, values), ...others.map((l) => this.#view(l, parseJson<FieldValues>(l.field_values, {})))];
      const current = currentState(row);
      const next = resolvePerson(current, views, this.ctx.fieldPriorities);
      const diff = diffFields(current.fields, next.fields);
      const kind: ChangeKind =
        current.status === 'active' && next.status === 'inactive' ? 'deactivated'
        : current.status === 'inactive' && next.status === 'active' ? 'reactivated'
        : diff || item.viaCorrelation ? 'updated'
        : 'noop';
      if (item.viaCorrelation) this.#linkedInRun.set(item.e.externalId, item.employeeId);
      if (kind === 'deactivated') this.deactivations += 1;
      if (kind === 'noop') this.ctx.counts.unchanged += 1;
      else this.ctx.counts[kind] += 1;
      const reason = kind === 'deactivated' || kind === 'reactivated' ? item.link.status_reason : item.viaCorrelation ? `linked to an existing employee by ${item.e.values.email ? 'work email' : 'employee number'}` : null;
      const seq = this.#push(kind, {
        employeeId: item.employeeId,
        externalId: item.e.externalId,
        displayName: displayName(next.fields),
        before: diff?.before ?? null,
        after: diff?.after ?? null,
        reason,
        payload: { link: item.link, employee: this.#write(item.employeeId, next, false) },
        base: row,
      });
      if (item.fresh) this.#noteGuess(item.e.values.managerId, seq);
    }
  }

  #skip(e: Evaluated, reason: string, correlationCase?: CorrelationCaseWrite): void {
    // Tried again and skipped for the same record: counted as skipped, but listed only in the run
    // that first skipped them (a re-sync writes no row for what did not change).
    if (this.retries.has(e.externalId)) {
      this.ctx.counts.skipped += 1;
      return;
    }
    this.ctx.counts.skipped += 1;
    this.#push('skipped', { externalId: e.externalId, displayName: displayName(e.values), reason, payload: { link: this.#linkRow(e, null), ...(correlationCase ? { correlationCase } : {}) } });
  }

  /** Called right after #push of the change `seq` whose values name this manager. */
  #noteGuess(managerExternalId: string | undefined, seq: number): void {
    if (!managerExternalId || this.ctx.index.get(managerExternalId)?.employeeId) return;
    this.#changes[this.#changes.length - 1]!.manager = managerExternalId;
    if (this.#created.has(managerExternalId)) return;
    const list = this.#managerGuesses.get(managerExternalId) ?? [];
    list.push(seq);
    this.#managerGuesses.set(managerExternalId, list);
  }

  /** Source values with the manager's external id turned into a ReFresh employee id. */
  #translate(values: FieldValues): FieldValues {
    const ext = values.managerId;
    if (!ext) return values;
    const id = this.ctx.index.get(ext)?.employeeId ?? this.#created.get(ext) ?? this.#idFor(ext);
    return { ...values, managerId: id };
  }

  #linkRow(e: Evaluated, employeeId: string | null, translated?: FieldValues): NewEmployeeLinkRow {
    return {
      tenant_id: this.ctx.tenantId,
      integration_id: this.ctx.integration.id,
      external_id: e.externalId,
      employee_id: employeeId,
      record_hash: e.hash,
      field_values: JSON.stringify(translated ?? this.#translate(e.values)),
      lifecycle: JSON.stringify(e.lifecycle),
      source_status: e.sourceStatus,
      status_reason: e.statusReason,
      in_scope: e.inScope ? 1 : 0,
      scope_reason: e.scopeReason,
      review_on: e.reviewOn,
      present: 1,
      last_run_id: this.ctx.runId,
      last_seen_at: this.ctx.now,
      created_at: this.ctx.now,
    };
  }

  #view(link: NewEmployeeLinkRow | EmployeeLinkRow, values: FieldValues): SourceView {
    const integration = this.ctx.integrations.get(link.integration_id);
    const view = sourceViewOf(link, values, integration, this.#mappedOf(integration));
    // The running source owns its people during its own run (a manual run of a paused source too).
    return link.integration_id === this.ctx.integration.id ? { ...view, enabled: true } : view;
  }

  readonly #mapped = new Map<string, ReadonlySet<FieldName>>();
  #mappedOf(integration: Integration | undefined): ReadonlySet<FieldName> {
    if (!integration) return new Set();
    let set = this.#mapped.get(integration.id);
    if (!set) this.#mapped.set(integration.id, (set = mappedFields(integration.userSync.fieldMapping)));
    return set;
  }

  #write(id: string, state: PersonState, create: boolean, storedFields?: string): EmployeeWrite & { create: boolean } {
    return {
      id,
      create,
      ...(storedFields !== undefined && { storedFields }),
      status: state.status,
      fields: state.fields,
      provenance: state.provenance,
      emailNorm: normalizeEmail(state.fields.email) ?? null,
      employeeNumber: normalizeEmployeeNumber(state.fields.employeeNumber) ?? null,
      updatedAt: this.ctx.now,
    };
  }

  #push(
    kind: ChangeKind,
    c: { employeeId?: string | null; externalId?: string | null; displayName?: string | null; before?: unknown; after?: unknown; afterJson?: string; reason?: string | null; payload?: ChangePayload; base?: EmployeeRow },
  ): number {
    this.#seq += 1;
    const row: NewRunChangeRow = {
      tenant_id: this.ctx.tenantId,
      run_id: this.ctx.runId,
      seq: this.#seq,
      kind,
      employee_id: c.employeeId ?? null,
      external_id: c.externalId ?? null,
      display_name: c.displayName ?? null,
      before: c.before ? JSON.stringify(c.before) : null,
      after: c.afterJson ?? (c.after ? JSON.stringify(c.after) : null),
      reason: c.reason ?? null,
      payload: null,
      applied: 0,
      // What the change was planned from: apply compares the version, an approval the hash.
      base_version: c.base?.version ?? null,
      base_hash: c.base ? syncBaseHash(c.base) : null,
    };
    this.#changes.push({ row, payload: c.payload });
    return this.#seq;
  }
}

export function currentState(row: EmployeeRow): PersonState {
  return { status: row.status as PersonStatus, fields: parseJson(row.fields, {}), provenance: decodeProvenance(row.provenance) };
}

export function displayName(fields: FieldValues): string | null {
  if (fields.displayName) return fields.displayName;
  const first = fields.preferredName ?? fields.firstName;
  const name = [first, fields.lastName].filter(Boolean).join(' ');
  return name || fields.email || null;
}

/** Re-evaluates a stored link (for disappearances and date-driven reviews). */
export function evaluatedFromLink(row: EmployeeLinkRow, statusReason: string): Evaluated {
  return {
    externalId: row.external_id,
    values: parseJson(row.field_values, {}),
    lifecycle: parseJson<Lifecycle>(row.lifecycle, { active: false }),
    inScope: row.in_scope === 1,
    scopeReason: row.scope_reason,
    sourceStatus: (row.source_status as PersonStatus | null) ?? null,
    statusReason,
    alternateEmails: [],
    reviewOn: row.review_on,
    hash: row.record_hash,
  };
}

export { searchText };
