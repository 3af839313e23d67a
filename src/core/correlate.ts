/**
 * Correlation keys. Work email is compared trimmed, Unicode-normalised (NFKC folds full-width
 * and compatibility forms) and case-insensitively; employee numbers trimmed and NFKC-folded.
 */
export function normalizeEmail(email: string | undefined | null): string | undefined {
  if (email === undefined || email === null) return undefined;
  const folded = email.normalize('NFKC').trim().toLocaleLowerCase('en');
  return folded === '' ? undefined : folded;
}

export function normalizeEmployeeNumber(value: string | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  const folded = value.normalize('NFKC').trim();
  return folded === '' ? undefined : folded;
}

export interface CorrelationCandidates {
  /** Employees whose normalised email equals the record's. */
  readonly byEmail: readonly string[];
  /** Employees whose employee number equals the record's. */
  readonly byNumber: readonly string[];
  /** Employees already linked to another record of the same source. */
  readonly linkedInSource: ReadonlySet<string>;
  /** The record's normalised work email, and the candidates' (to refuse number-only matches between different emails). */
  readonly email?: string;
  readonly emailOf?: ReadonlyMap<string, string | null>;
}

export type CorrelationOutcome =
  | { readonly kind: 'new' }
  | { readonly kind: 'match'; readonly employeeId: string; readonly by: 'email' | 'employeeNumber' }
  | { readonly kind: 'ambiguous'; readonly reason: string; readonly candidates: readonly string[] };

/**
 * Email first, then employee number. Never merges silently when two people could be meant
 * or the match already belongs to someone else in the same source.
 */
export function correlate(c: CorrelationCandidates): CorrelationOutcome {
  const pick = (ids: readonly string[], by: 'email' | 'employeeNumber'): CorrelationOutcome | undefined => {
    if (ids.length === 0) return undefined;
    if (ids.length > 1) return { kind: 'ambiguous', reason: `${ids.length} employees share this ${by === 'email' ? 'work email' : 'employee number'}`, candidates: ids };
    const [id] = ids as [string];
    if (c.linkedInSource.has(id)) {
      return { kind: 'ambiguous', reason: `the ${by === 'email' ? 'work email' : 'employee number'} belongs to another person already linked in this source`, candidates: ids };
    }
    return { kind: 'match', employeeId: id, by };
  };
  const byEmail = pick(c.byEmail, 'email');
  if (byEmail?.kind === 'match' && c.byNumber.length > 0 && !c.byNumber.includes(byEmail.employeeId)) {
    return { kind: 'ambiguous', reason: 'the work email matches one employee and the employee number another', candidates: [byEmail.employeeId, ...c.byNumber] };
  }
  if (byEmail) return byEmail;
  const byNumber = pick(c.byNumber, 'employeeNumber');
  if (byNumber?.kind === 'match' && c.email) {
    const theirs = c.emailOf?.get(byNumber.employeeId);
    if (theirs && theirs !== c.email) {
      return { kind: 'ambiguous', reason: `the employee number matches an employee whose work email (${theirs}) differs from this record's (${c.email})`, candidates: [byNumber.employeeId] };
    }
  }
  return byNumber ?? { kind: 'new' };
}
