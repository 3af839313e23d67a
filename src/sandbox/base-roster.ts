/**
 * One company behind every sandbox, so the sources tell one story: the same person has the same
 * work e-mail and employee number in every sandbox that holds them, and each source also has people
 * of its own. The company is the seeded generator's (BambooHR's sandbox, the HR system of record,
 * holds all of it; Google Workspace and Entra ID draw the same people from the same seed and
 * domain); other sources hold a deterministic share of it plus their own people.
 */
import { createRng } from './names.ts';
import { EmailAllocator, generateCompany, todayUtc, type SeedEmployee } from '../providers/bamboohr/sandbox/generator.ts';

export type { SeedEmployee } from '../providers/bamboohr/sandbox/generator.ts';

/** The company's work e-mail domain in every sandbox. */
export const COMPANY_DOMAIN = 'acme.example';

export interface BaseRosterOptions {
  readonly employees: number;
  readonly seed: number;
  readonly today?: string;
}

/** The whole company, as BambooHR's sandbox holds it. */
export function baseCompany(opts: BaseRosterOptions): SeedEmployee[] {
  return generateCompany({ employees: opts.employees, seed: opts.seed, today: opts.today ?? todayUtc(), emailDomain: COMPANY_DOMAIN }).employees;
}

/** A stable number in [0, 1) for (source, person): who of the company a source holds. */
function share01(source: string, id: string): number {
  let h = 2166136261;
  for (const ch of `${source}:${id}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h / 4294967296;
}

export interface SourceRosterOptions extends BaseRosterOptions {
  /** The source's id, e.g. `hibob`: salts who it holds and who its own people are. */
  readonly source: string;
  /** Share of the company the source holds (0–1). */
  readonly share: number;
  /** People only this source has (default: about 5 % of what it holds, at least 1 when it holds anyone). */
  readonly own?: number;
}

export interface SourceRoster {
  /** The people the source holds: company people (same e-mail and employee number as everywhere) then its own. */
  readonly people: SeedEmployee[];
  /** How many of `people` are the source's own (at the end). */
  readonly own: number;
}

/**
 * The people a source holds. Company people keep their ids (for managers), e-mails and employee
 * numbers; a manager the source does not hold is replaced by the nearest one up the line it does.
 * Its own people get e-mails no company person has and employee numbers from 90001.
 */
export function sourceRoster(opts: SourceRosterOptions): SourceRoster {
  const company = baseCompany(opts);
  const byId = new Map(company.map((p) => [p.id, p]));
  const held = company.filter((p, i) => i === 0 || share01(opts.source, p.id) < opts.share);
  const heldIds = new Set(held.map((p) => p.id));
  const managerIn = (id: string | null): string | null => {
    for (let cur = id, hops = 0; cur !== null && hops < 64; hops++) {
      if (heldIds.has(cur)) return cur;
      cur = byId.get(cur)?.supervisorEId ?? null;
    }
    return null;
  };
  const people = held.map((p) => ({ ...p, supervisorEId: managerIn(p.supervisorEId) }));
  const ownCount = opts.own ?? (held.length > 0 ? Math.max(1, Math.round(held.length * 0.05)) : 0);
  if (ownCount === 0) return { people, own: 0 };

  const emails = new EmailAllocator(COMPANY_DOMAIN);
  for (const p of company) if (p.workEmail) emails.claim(p.workEmail);
  const salt = [...opts.source].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
  const others = generateCompany({ employees: ownCount, seed: (opts.seed ^ salt) >>> 0, today: opts.today ?? todayUtc(), emailDomain: COMPANY_DOMAIN }).employees;
  const rng = createRng(opts.seed ^ salt);
  let nextId = Math.max(0, ...company.map((p) => Number(p.id) || 0)) + 1000;
  const idOf = new Map<string, string>();
  for (const o of others) idOf.set(o.id, String(nextId++));
  const head = people[0]?.id ?? null;
  others.forEach((o, i) => {
    const local = (o.workEmail ?? `person${i}@x`).split('@')[0] ?? `person${i}`;
    const [first, last] = local.split('.');
    people.push({
      ...o,
      id: idOf.get(o.id)!,
      employeeNumber: String(90001 + i),
      workEmail: emails.allocate(first ?? local, last ?? String(rng.int(1, 99))),
      supervisorEId: o.supervisorEId !== null ? (idOf.get(o.supervisorEId) ?? head) : head,
    });
  });
  return { people, own: others.length };
}
