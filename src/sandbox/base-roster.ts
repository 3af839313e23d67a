/**
 * One company behind every sandbox, so the sources tell one story: the same person has the same
 * work e-mail and employee number in every sandbox that holds them, and each source also has people
 * of its own. BambooHR's sandbox, the HR system of record, holds the whole company; Google
 * Workspace and Entra ID draw the same people from the same seed and domain; every other source
 * holds a deterministic share of the company (SOURCE_SHARES) plus people only it has.
 *
 * The people of their own of all sources come from one pool, handed out source by source with one
 * e-mail allocator and one run of employee numbers: two sources never give two different people the
 * same work e-mail or employee number (correlation matches on both), and nobody outside the company
 * shares either with a company person.
 */
import { EmailAllocator, generateCompany, todayUtc, type GeneratedCompany, type SeedEmployee } from '../providers/bamboohr/sandbox/generator.ts';

export type { SeedEmployee } from '../providers/bamboohr/sandbox/generator.ts';

/** The company's work e-mail domain in every sandbox. */
export const COMPANY_DOMAIN = 'acme.example';

/**
 * The share of the company each source (other than the system of record) holds, in the order their
 * own people are handed out. A new sandbox that is a partial source adds its line here.
 */
export const SOURCE_SHARES = { hibob: 0.75, employmenthero: 0.6, deel: 0.5 } as const;
export type PartialSource = keyof typeof SOURCE_SHARES;

/** The people of their own per person a source holds. */
const OWN_RATE = 0.05;
/** Mixed into the seed for the pool of people outside the company. */
const POOL_SALT = 0x0e75;

export interface BaseRosterOptions {
  readonly employees: number;
  readonly seed: number;
  readonly today?: string;
}

/** The whole company (people, and the departments, divisions and locations they use), as BambooHR's sandbox holds it. */
export function generateBaseCompany(opts: BaseRosterOptions & { readonly teams?: number }): GeneratedCompany {
  return generateCompany({ employees: opts.employees, seed: opts.seed, today: opts.today ?? todayUtc(), emailDomain: COMPANY_DOMAIN, ...(opts.teams ? { teams: opts.teams } : {}) });
}

/** The company's people. */
export function baseCompany(opts: BaseRosterOptions): SeedEmployee[] {
  return generateBaseCompany(opts).employees;
}

/** A stable number in [0, 1) for (source, person): who of the company a source holds. */
function share01(source: string, id: string): number {
  let h = 2166136261;
  for (const ch of `${source}:${id}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h / 4294967296;
}

export interface SourceRosterOptions extends BaseRosterOptions {
  /** The source's id, e.g. `hibob`: its share and its place in the pool of people of their own. */
  readonly source: PartialSource;
}

export interface SourceRoster {
  /** The people the source holds: company people (same e-mail and employee number as everywhere) then its own. */
  readonly people: SeedEmployee[];
  /** How many of `people` are the source's own (at the end). */
  readonly own: number;
}

function heldBy(company: readonly SeedEmployee[], source: PartialSource): SeedEmployee[] {
  return company.filter((p, i) => i === 0 || share01(source, p.id) < SOURCE_SHARES[source]);
}

function ownCountOf(held: number): number {
  return held > 0 ? Math.max(1, Math.round(held * OWN_RATE)) : 0;
}

/**
 * The people a source holds. Company people keep their ids (for managers), e-mails and employee
 * numbers; a manager the source does not hold is replaced by the nearest one up the line it does.
 * Its own people have e-mails and employee numbers no one else has (numbers from 90001, or past the
 * company's for a company that large); their managers are among them or the company's head.
 */
export function sourceRoster(opts: SourceRosterOptions): SourceRoster {
  const today = opts.today ?? todayUtc();
  const company = baseCompany({ ...opts, today });
  const byId = new Map(company.map((p) => [p.id, p]));
  const held = heldBy(company, opts.source);
  const heldIds = new Set(held.map((p) => p.id));
  const managerIn = (id: string | null): string | null => {
    for (let cur = id, hops = 0; cur !== null && hops < 64; hops++) {
      if (heldIds.has(cur)) return cur;
      cur = byId.get(cur)?.supervisorEId ?? null;
    }
    return null;
  };
  const people = held.map((p) => ({ ...p, supervisorEId: managerIn(p.supervisorEId) }));

  // Where this source's slice of the pool starts, and how long it is.
  const sources = Object.keys(SOURCE_SHARES) as PartialSource[];
  let offset = 0;
  let total = 0;
  let ownCount = 0;
  for (const s of sources) {
    const n = s === opts.source ? ownCountOf(held.length) : ownCountOf(heldBy(company, s).length);
    if (s === opts.source) {
      offset = total;
      ownCount = n;
    }
    total += n;
  }
  if (ownCount === 0) return { people, own: 0 };

  const pool = generateCompany({ employees: total, seed: (opts.seed ^ POOL_SALT) >>> 0, today, emailDomain: COMPANY_DOMAIN }).employees;
  const emails = new EmailAllocator(COMPANY_DOMAIN);
  for (const p of company) if (p.workEmail) emails.claim(p.workEmail);
  const emailOf: string[] = pool.map((o, i) => {
    if (o.workEmail && emails.claim(o.workEmail)) return o.workEmail;
    const [first, last] = (o.workEmail ?? `person.${i}`).split('@')[0]!.split('.');
    return emails.allocate(first ?? 'person', last ?? String(i));
  });
  const firstNumber = Math.max(90001, 10001 + company.length + 1000);
  const firstId = company.reduce((max, p) => Math.max(max, Number(p.id) || 0), 0) + 1000;
  const slice = new Set(pool.slice(offset, offset + ownCount).map((o) => o.id));
  const idOf = new Map(pool.map((o, i) => [o.id, String(firstId + i)]));
  const head = people[0]?.id ?? null;
  pool.forEach((o, i) => {
    if (!slice.has(o.id)) return;
    people.push({
      ...o,
      id: idOf.get(o.id)!,
      employeeNumber: String(firstNumber + i),
      workEmail: emailOf[i]!,
      supervisorEId: o.supervisorEId !== null && slice.has(o.supervisorEId) ? idOf.get(o.supervisorEId)! : head,
    });
  });
  return { people, own: ownCount };
}
