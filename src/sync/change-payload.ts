import { normalizeEmail, normalizeEmployeeNumber } from '../core/correlate.ts';
import type { FieldValues } from '../core/fields.ts';
import type { PersonStatus } from '../core/lifecycle.ts';
import type { Lifecycle } from '../core/source-record.ts';
import type { EmployeeWrite } from '../store/employees.ts';
import type { NewEmployeeLinkRow } from '../store/schema.ts';
import { compactProvenance, expandProvenance, type CompactProvenance } from '../store/provenance.ts';

/** What apply writes for one change (in memory). */
export interface ChangePayload {
  readonly link?: NewEmployeeLinkRow;
  readonly employee?: EmployeeWrite & { readonly create: boolean };
  /** An ambiguous match held for an admin to decide. */
  readonly correlationCase?: CorrelationCaseWrite;
}

export interface CorrelationCaseWrite {
  readonly reason: string;
  readonly candidates: readonly string[];
  readonly email: string | null;
}

/**
 * The stored form is compact because a first sync stages one payload per person: ids, times and
 * derived keys come from the change row and the run, values are stored once (a new person's
 * fields are the change's `after`), and provenance is stored per source, not per field.
 */
interface StoredPayload {
  t: string;
  l?: { e: string | null; h: string; v: FieldValues | '='; lc: Lifecycle; ss: string | null; sr: string; s: 0 | 1; sc: string; ro: string | null; p: 0 | 1; c: string };
  e?: { c: 0 | 1; s: PersonStatus; f?: FieldValues; p: CompactProvenance };
  k?: CorrelationCaseWrite;
}

export function encodePayload(p: ChangePayload, now: string): string {
  const stored: StoredPayload = { t: now };
  const creating = p.employee?.create === true;
  if (p.link) {
    const l = p.link;
    stored.l = {
      e: l.employee_id ?? null,
      h: l.record_hash,
      v: creating ? '=' : (JSON.parse(l.field_values) as FieldValues),
      lc: JSON.parse(l.lifecycle) as Lifecycle,
      ss: l.source_status ?? null,
      sr: l.status_reason,
      s: l.in_scope ? 1 : 0,
      sc: l.scope_reason,
      ro: l.review_on ?? null,
      p: l.present ? 1 : 0,
      c: l.created_at,
    };
  }
  if (p.correlationCase) stored.k = p.correlationCase;
  if (p.employee) {
    stored.e = { c: creating ? 1 : 0, s: p.employee.status, p: compactProvenance(p.employee.provenance), ...(creating ? {} : { f: p.employee.fields }) };
  }
  return JSON.stringify(stored);
}

export interface PayloadContext {
  readonly tenantId: string;
  readonly integrationId: string;
  readonly runId: string;
}

export function decodePayload(row: { payload: string | null; external_id: string | null; employee_id: string | null; after: string | null }, ctx: PayloadContext): ChangePayload {
  if (!row.payload) return {};
  const stored = JSON.parse(row.payload) as StoredPayload;
  const after = row.after ? (JSON.parse(row.after) as FieldValues) : {};
  const out: { link?: NewEmployeeLinkRow; employee?: EmployeeWrite & { create: boolean }; correlationCase?: CorrelationCaseWrite } = {};
  if (stored.k) out.correlationCase = stored.k;
  if (stored.e) {
    const fields = stored.e.f ?? after;
    out.employee = {
      id: row.employee_id!,
      create: stored.e.c === 1,
      status: stored.e.s,
      fields,
      get provenance() {
        return expandProvenance(stored.e!.p);
      },
      storedProvenance: JSON.stringify(stored.e.p),
      // A new person's fields are the change's `after`, already JSON.
      ...(!stored.e.f && row.after ? { storedFields: row.after } : {}),
      emailNorm: normalizeEmail(fields.email) ?? null,
      employeeNumber: normalizeEmployeeNumber(fields.employeeNumber) ?? null,
      updatedAt: stored.t,
    };
  }
  if (stored.l) {
    const l = stored.l;
    out.link = {
      tenant_id: ctx.tenantId,
      integration_id: ctx.integrationId,
      external_id: row.external_id!,
      employee_id: l.e,
      record_hash: l.h,
      field_values: JSON.stringify(l.v === '=' ? after : l.v),
      lifecycle: JSON.stringify(l.lc),
      source_status: l.ss,
      status_reason: l.sr,
      in_scope: l.s,
      scope_reason: l.sc,
      review_on: l.ro,
      present: l.p,
      last_run_id: ctx.runId,
      last_seen_at: stored.t,
      created_at: l.c,
    };
  }
  return out;
}

/**
 * Corrects a managerId guessed for a manager the run had not reached (see
 * Planner.settleManagerGuesses): the right employee id, or none when the manager is not synced.
 */
export function withManager(row: { payload: string | null; after: string | null }, managerId: string | null): { payload: string | null; after: string | null } {
  const set = (values: FieldValues) => {
    if (managerId) values.managerId = managerId;
    else delete values.managerId;
  };
  const after = row.after ? (JSON.parse(row.after) as FieldValues) : null;
  if (after && 'managerId' in after) set(after);
  if (!row.payload) return { payload: null, after: after ? JSON.stringify(after) : null };
  const stored = JSON.parse(row.payload) as StoredPayload;
  if (stored.l && stored.l.v !== '=') set(stored.l.v);
  if (stored.e?.f && 'managerId' in stored.e.f) set(stored.e.f);
  return { payload: JSON.stringify(stored), after: after ? JSON.stringify(after) : null };
}
