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

/**
 * A record's other addresses, in the order they are tried after its work email: each attribute
 * (an identity provider's user principal name, then its proxy addresses / aliases) may hold several,
 * separated by commas, semicolons or spaces. Normalised, once each, the primary left out.
 */
export function alternateEmails(attributes: Readonly<Record<string, string>>, keys: readonly string[], primary?: string): string[] {
  const out: string[] = [];
  // Most providers name no alias attribute: nothing to normalise (the primary included) per record.
  if (keys.length === 0) return out;
  const skip = normalizeEmail(primary);
  for (const key of keys) {
    for (const part of (attributes[key] ?? '').split(/[,;\s]+/)) {
      const email = normalizeEmail(part);
      if (email && email.includes('@') && email !== skip && !out.includes(email)) out.push(email);
    }
  }
  return out;
}

export interface CorrelationCandidates {
  /** Employees whose normalised email equals the record's. */
  readonly byEmail: readonly string[];
  /**
   * For each of the record's other addresses in order (alternateEmails: user principal name,
   * then proxy addresses / aliases), the employees whose work email it is. Tried after the email.
   */
  readonly byAlias?: readonly { readonly address: string; readonly ids: readonly string[] }[];
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
  | { readonly kind: 'match'; readonly employeeId: string; readonly by: 'email' | 'alias' | 'employeeNumber'; readonly address?: string }
  | { readonly kind: 'ambiguous'; readonly reason: string; readonly candidates: readonly string[] };

/**
 * Email first, then the record's other addresses in order (an identity provider's user principal
 * name, then proxy addresses / aliases), then employee number. Never merges silently when two
 * people could be meant or the match already belongs to someone else in the same source.
 */
export function correlate(c: CorrelationCandidates): CorrelationOutcome {
  const what = { email: 'work email', alias: 'address', employeeNumber: 'employee number' } as const;
  const pick = (ids: readonly string[], by: 'email' | 'alias' | 'employeeNumber', address?: string): CorrelationOutcome | undefined => {
    if (ids.length === 0) return undefined;
    const named = address ? `${what[by]} ${address}` : `this ${what[by]}`;
    if (ids.length > 1) return { kind: 'ambiguous', reason: `${ids.length} employees share ${named}`, candidates: ids };
    const [id] = ids as [string];
    if (c.linkedInSource.has(id)) {
      return { kind: 'ambiguous', reason: `the ${address ? named : what[by]} belongs to another person already linked in this source`, candidates: ids };
    }
    return { kind: 'match', employeeId: id, by, ...(address ? { address } : {}) };
  };
  const alias = c.byAlias?.find((a) => a.ids.length > 0);
  const byAddress = pick(c.byEmail, 'email') ?? (alias ? pick(alias.ids, 'alias', alias.address) : undefined);
  if (byAddress?.kind === 'match' && c.byNumber.length > 0 && !c.byNumber.includes(byAddress.employeeId)) {
    return { kind: 'ambiguous', reason: `the ${byAddress.by === 'email' ? 'work email' : `address ${byAddress.address}`} matches one employee and the employee number another`, candidates: [byAddress.employeeId, ...c.byNumber] };
  }
  if (byAddress) return byAddress;
  const byNumber = pick(c.byNumber, 'employeeNumber');
  if (byNumber?.kind === 'match' && c.email) {
    const theirs = c.emailOf?.get(byNumber.employeeId);
    if (theirs && theirs !== c.email) {
      return { kind: 'ambiguous', reason: `the employee number matches an employee whose work email (${theirs}) differs from this record's (${c.email})`, candidates: [byNumber.employeeId] };
    }
  }
  return byNumber ?? { kind: 'new' };
}
