import type { Lifecycle } from './source-record.ts';

export type PersonStatus = 'active' | 'inactive';

export interface StatusDecision {
  readonly status: PersonStatus;
  readonly reason: string;
  /** The next date (YYYY-MM-DD) on which this decision changes by itself, if any. */
  readonly reviewOn?: string;
}

/** Today's date (YYYY-MM-DD) in a tenant's IANA time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * What a provider's lifecycle means for a person today. The provider's Inactive is authoritative;
 * a future termination date on an active person takes effect on the date itself (tenant time).
 * A termination date earlier than the latest hire date belongs to an earlier employment (a rehire).
 */
export function decideStatus(lifecycle: Lifecycle, today: string): StatusDecision {
  const { active, hireDate, terminationDate } = lifecycle;
  const rehired = terminationDate !== undefined && hireDate !== undefined && hireDate > terminationDate;
  const termination = rehired ? undefined : terminationDate;
  if (!active) {
    if (hireDate !== undefined && hireDate > today && termination === undefined) {
      return { status: 'inactive', reason: `future hire starting on ${hireDate}` };
    }
    return { status: 'inactive', reason: termination ? `terminated on ${termination}` : 'inactive in the HRIS' };
  }
  if (termination === undefined) return { status: 'active', reason: rehired ? `rehired on ${hireDate}` : 'active in the HRIS' };
  if (termination <= today) return { status: 'inactive', reason: `terminated on ${termination}` };
  return { status: 'active', reason: `leaving on ${termination}`, reviewOn: termination };
}
