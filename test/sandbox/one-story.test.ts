/**
 * Sandboxes that tell one story (issue 11 pt 7): every provider's sandbox draws from one company
 * (src/sandbox/base-roster.ts). Read through each provider's own connector and default mapping — as
 * the product sees them — the same person has the same work e-mail and employee number in every
 * source that holds them, no two people share either across sources, and each source also has
 * people of its own (the directories: guests and admin accounts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyMapping } from '../../src/core/mapping.ts';
import { PROVIDER_MODULES } from '../../src/providers/registry.ts';
import type { ProviderId } from '../../src/providers/types.ts';
import { SOURCE_SHARES } from '../../src/sandbox/base-roster.ts';
import type { SandboxHandle } from '../../src/sandbox/handle.ts';
import { collect } from '../helpers/connectors.ts';
import { FAST_HTTP } from '../helpers/harness.ts';

const EMPLOYEES = 120;
const SEED = 42;
/** Identity providers: the whole company, plus accounts of their own. */
const DIRECTORIES: ReadonlySet<string> = new Set(['google', 'entra']);

interface Person {
  readonly email: string;
  readonly number: string;
  readonly phone: string | undefined;
}

describe('one company behind every sandbox', () => {
  const handles = new Map<ProviderId, SandboxHandle>();
  const people = new Map<ProviderId, Person[]>();

  before(async () => {
    for (const [id, module] of Object.entries(PROVIDER_MODULES) as [ProviderId, (typeof PROVIDER_MODULES)[ProviderId]][]) {
      const sb = await module.sandbox.start({ employees: EMPLOYEES, seed: SEED });
      handles.set(id, sb);
      const connector = module.createConnector({ settings: { ...sb.connection.settings }, credentials: { ...sb.connectorCredentials }, http: FAST_HTTP });
      const { records, failures } = await collect((await connector.fetchAll()).pages);
      assert.deepEqual(failures, [], id);
      const mapped = records.map((r) => applyMapping(r, module.descriptor.defaultMapping));
      people.set(
        id,
        mapped.map((m) => ({ email: String(m['email'] ?? '').toLowerCase(), number: String(m['employeeNumber'] ?? ''), phone: m['phone'] as string | undefined })),
      );
    }
  });
  after(async () => {
    for (const sb of handles.values()) await sb.close();
  });

  it('the same person has the same work e-mail and employee number wherever they appear; nobody shares either with someone else', () => {
    const numberOf = new Map<string, { number: string; source: ProviderId }>();
    const emailOf = new Map<string, { email: string; source: ProviderId }>();
    for (const [source, list] of people) {
      for (const p of list) {
        // Directories also hold accounts that are nobody's employment (guests, admin accounts).
        if (!p.email.endsWith('@acme.example') || p.number === '') {
          assert.ok(DIRECTORIES.has(source), `${source}: ${p.email} is a company address with an employee number`);
          continue;
        }
        const seen = numberOf.get(p.email);
        if (seen) assert.equal(p.number, seen.number, `${p.email}: employee number in ${source} and ${seen.source}`);
        else numberOf.set(p.email, { number: p.number, source });
        // A directory may hold someone under a changed address (the one HR knows kept as an alias).
        if (DIRECTORIES.has(source)) continue;
        const holder = emailOf.get(p.number);
        if (holder) assert.equal(p.email, holder.email, `employee number ${p.number}: ${source} and ${holder.source} give it to different people`);
        else emailOf.set(p.number, { email: p.email, source });
      }
    }
  });

  it('each source holds part of the company and people of its own; the system of record holds people the others lack', () => {
    const emails = (id: ProviderId) => new Set(people.get(id)!.map((p) => p.email));
    const bamboo = emails('bamboohr');
    assert.equal(bamboo.size, EMPLOYEES, 'BambooHR holds the whole company');
    for (const id of handles.keys()) {
      if (id === 'bamboohr') continue;
      const mine = emails(id);
      const shared = [...mine].filter((e) => bamboo.has(e));
      const own = [...mine].filter((e) => !bamboo.has(e));
      assert.ok(shared.length >= EMPLOYEES * 0.3, `${id} shares ${shared.length} people with BambooHR`);
      assert.ok(own.length >= 1, `${id} has people of its own`);
      if (Object.hasOwn(SOURCE_SHARES, id)) assert.ok([...bamboo].some((e) => !mine.has(e)), `BambooHR has people ${id} lacks`);
      for (const other of handles.keys()) {
        if (other === id || other === 'bamboohr') continue;
        const theirs = emails(other);
        assert.ok([...mine].some((e) => theirs.has(e)), `${id} and ${other} share people`);
        assert.equal(own.filter((e) => theirs.has(e)).length, 0, `${id}'s own people are nowhere else`);
      }
    }
  });

  it('HiBob holds work phones for people BambooHR has none for (the two-source demo shows them)', () => {
    const bamboo = new Map(people.get('bamboohr')!.map((p) => [p.email, p]));
    const filled = people.get('hibob')!.filter((p) => p.phone && bamboo.has(p.email) && !bamboo.get(p.email)!.phone);
    assert.ok(filled.length >= 2, `${filled.length} people have a phone only in HiBob`);
  });

  it('the same seed and size tell the same story twice', async () => {
    const again = await PROVIDER_MODULES.hibob.sandbox.start({ employees: EMPLOYEES, seed: SEED });
    try {
      const c = PROVIDER_MODULES.hibob.createConnector({ settings: { ...again.connection.settings }, credentials: { ...again.connectorCredentials }, http: FAST_HTTP });
      const { records } = await collect((await c.fetchAll()).pages);
      const emails = records.map((r) => String(applyMapping(r, PROVIDER_MODULES.hibob.descriptor.defaultMapping)['email']).toLowerCase()).sort();
      assert.deepEqual(emails, people.get('hibob')!.map((p) => p.email).sort());
    } finally {
      await again.close();
    }
  });
});
