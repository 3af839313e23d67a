/**
 * BambooHR sandbox data: the seeded generator, the roster (data store + change log) and the
 * shared name helpers. In-process, no HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateCompany, todayUtc, type SeedEmployee } from '../../src/providers/bamboohr/sandbox/generator.ts';
import { BambooRoster, RosterError } from '../../src/providers/bamboohr/sandbox/roster.ts';
import { asciiFold, emailLocalPart } from '../../src/sandbox/names.ts';

const TODAY = todayUtc();

function company(employees: number, seed = 1) {
  return generateCompany({ employees, seed, today: TODAY });
}

function assertTree(people: readonly SeedEmployee[]): void {
  const byId = new Map(people.map((p) => [p.id, p]));
  const roots = people.filter((p) => p.supervisorEId === null);
  assert.equal(roots.length, 1, 'exactly one person (the CEO) has no supervisor');
  assert.equal(roots[0]?.jobTitle, 'Chief Executive Officer');
  for (const p of people) {
    if (p.supervisorEId === null) continue;
    assert.notEqual(p.supervisorEId, p.id, `${p.id} supervises themselves`);
    assert.ok(byId.has(p.supervisorEId), `${p.id} reports to missing ${p.supervisorEId}`);
    // Walk up: must reach the CEO without a cycle.
    let cursor: string | null = p.id;
    let hops = 0;
    while (cursor !== null) {
      cursor = byId.get(cursor)?.supervisorEId ?? null;
      assert.ok(++hops < 50, `reporting cycle above ${p.id}`);
    }
  }
}

describe('generator', () => {
  it('is deterministic for a seed and count, and differs across seeds', () => {
    const a = company(300, 42);
    const b = company(300, 42);
    const c = company(300, 43);
    assert.deepEqual(a, b);
    assert.notDeepEqual(
      a.employees.map((e) => e.workEmail),
      c.employees.map((e) => e.workEmail),
    );
  });

  it('makes realistic people: Unicode names, folded unique e-mails, numeric ids, a real org', () => {
    const { employees } = company(2000, 7);
    assert.equal(employees.length, 2000);
    const ids = employees.map((e) => e.id);
    assert.ok(ids.every((id) => /^\d+$/.test(id)), 'ids are numeric strings');
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids, [...ids].sort((x, y) => Number(x) - Number(y)), 'ids ascend');

    const names = employees.map((e) => `${e.firstName} ${e.lastName}`);
    assert.ok(names.some((n) => /[^\x00-\x7f]/.test(n)), 'some non-ASCII names');
    assert.ok(names.some((n) => /\p{Script=Han}/u.test(n)), 'some CJK names');
    assert.ok(names.some((n) => /\p{Script=Greek}/u.test(n)) || names.some((n) => /\p{Script=Cyrillic}/u.test(n)), 'Greek or Cyrillic names');
    assert.ok(names.some((n) => n.includes("'")), 'apostrophes (O’Connor style)');
    assert.ok(names.some((n) => /\p{L}-\p{L}/u.test(n)), 'hyphenated names');

    const emails = employees.map((e) => e.workEmail ?? '');
    assert.equal(new Set(emails.map((e) => e.toLowerCase())).size, emails.length, 'work e-mails are unique');
    for (const e of emails) assert.match(e, /^[a-z0-9][a-z0-9.-]*@acme\.example$/, `e-mail ${e} is lower-case ASCII`);

    const divisions = new Set(employees.map((e) => e.division));
    const departments = new Set(employees.map((e) => e.department));
    const locations = new Set(employees.map((e) => e.location));
    assert.ok(divisions.size >= 4 && divisions.size <= 6, `4–6 divisions, got ${divisions.size}`);
    assert.ok(departments.size >= 15, `about 20 departments, got ${departments.size}`);
    assert.ok(locations.size >= 6, `about 8 locations, got ${locations.size}`);
    assert.ok(new Set(employees.map((e) => e.country)).size >= 5, 'several countries');
    // Each department sits under exactly one division.
    const divisionOf = new Map<string, string>();
    for (const e of employees) {
      const seen = divisionOf.get(e.department ?? '');
      if (seen) assert.equal(seen, e.division, `${e.department} is under one division`);
      else divisionOf.set(e.department ?? '', e.division ?? '');
    }
    assertTree(employees);

    assert.ok(employees.some((e) => e.mobilePhone === null) && employees.some((e) => e.mobilePhone !== null));
    assert.ok(employees.some((e) => e.workPhone === null) && employees.some((e) => e.workPhone !== null));
    assert.ok(employees.some((e) => e.customShirtSize !== null) && employees.some((e) => e.customShirtSize === null));
    assert.ok(new Set(employees.map((e) => e.employeeNumber)).size === employees.length, 'employee numbers unique');
  });

  it('has terminated people, future hires and future terminations with consistent status', () => {
    const { employees } = company(2000, 3);
    const terminated = employees.filter((e) => e.terminationDate !== null && e.terminationDate <= TODAY);
    const futureHires = employees.filter((e) => e.hireDate > TODAY);
    const futureTerms = employees.filter((e) => e.terminationDate !== null && e.terminationDate > TODAY);
    assert.ok(terminated.length >= 80 && terminated.length <= 120, `about 5 % terminated, got ${terminated.length}`);
    for (const e of terminated) {
      assert.equal(e.status, 'Inactive');
      assert.equal(e.employmentHistoryStatus, 'Terminated');
      assert.ok(e.hireDate <= (e.terminationDate as string));
    }
    assert.ok(futureHires.length >= 2);
    for (const e of futureHires) assert.equal(e.status, 'Inactive', 'future hires are Inactive');
    assert.ok(futureTerms.length >= 2);
    for (const e of futureTerms) assert.equal(e.status, 'Active', 'a future termination is still Active');
    const others = employees.filter((e) => !terminated.includes(e) && !futureHires.includes(e));
    assert.ok(others.every((e) => e.status === 'Active' && e.hireDate <= TODAY));
    assert.deepEqual(
      new Set(others.map((e) => e.employmentHistoryStatus)),
      new Set(['Full-Time', 'Part-Time', 'Contractor']),
    );
    // Seeded change stamps are in the past.
    assert.ok(employees.every((e) => e.changedMs < Date.now() && e.createdMs <= e.changedMs));
  });

  it('generates 100,000 people with unique ids and e-mails and a valid tree', () => {
    const { employees } = company(100_000, 11);
    assert.equal(employees.length, 100_000);
    assert.equal(new Set(employees.map((e) => e.id)).size, 100_000);
    assert.equal(new Set(employees.map((e) => e.workEmail)).size, 100_000);
    assertTree(employees);
  });

  it('handles tiny companies', () => {
    assert.equal(company(0).employees.length, 0);
    const one = company(1).employees;
    assert.equal(one.length, 1);
    assert.equal(one[0]?.supervisorEId, null);
    assertTree(company(5).employees);
  });
});

describe('names', () => {
  it('folds to ASCII for e-mail addresses', () => {
    assert.equal(emailLocalPart('José', 'Álvarez'), 'jose.alvarez');
    assert.equal(emailLocalPart('Siobhán', 'Ó Briain'), 'siobhan.obriain');
    assert.equal(emailLocalPart('Åsa', 'Ødegård'), 'asa.odegard');
    assert.equal(emailLocalPart('Łukasz', 'Wójcik'), 'lukasz.wojcik');
    assert.equal(emailLocalPart('Ana-María', "O'Connor"), 'ana-maria.oconnor');
    assert.equal(emailLocalPart('Zoë', 'Müller'), 'zoe.muller');
    assert.equal(emailLocalPart('Þórunn', 'Strauß'), 'thorunn.strauss');
    assert.equal(emailLocalPart('Thị Hương', 'Nguyễn'), 'thihuong.nguyen');
    assert.equal(emailLocalPart('Ωραιοζήλη', 'Βλάχος'), 'oraiozili.vlachos');
    assert.equal(asciiFold('İbrahim Yılmaz'), 'Ibrahim Yilmaz');
    assert.equal(emailLocalPart('太郎', '山田'), 'taro.yamada', 'known native-script names are romanised');
    assert.equal(emailLocalPart('未知', '名前'), '', 'CJK without a known romanisation has no ASCII form');
  });
});

describe('roster', () => {
  it('adds, updates, terminates, rehires and removes, stamping a strictly increasing lastChanged', () => {
    const roster = new BambooRoster(company(50, 5), { seed: 5 });
    assert.equal(roster.size, 50);
    const before = roster.latest();

    const zoe = roster.add({ firstName: 'Zoë', lastName: 'Müller', department: 'Engineering', location: 'Berlin' });
    assert.equal(roster.size, 51);
    assert.equal(zoe.workEmail, 'zoe.muller@acme.example');
    assert.equal(zoe.status, 'Active');
    assert.equal(zoe.hireDate, TODAY);
    assert.equal(zoe.country, 'Germany');
    assert.equal(zoe.division, 'Technology');
    assert.ok(zoe.supervisorEId && roster.get(zoe.supervisorEId), 'a new hire gets a manager');
    assert.ok(zoe.lastChanged > before);
    assert.equal(roster.add({ firstName: 'Zoe', lastName: 'Muller' }).workEmail, 'zoe.muller2@acme.example');

    const updated = roster.update(zoe.id, { jobTitle: 'Staff Engineer', lastName: 'Müller-Lüdenscheidt' });
    assert.equal(updated.jobTitle, 'Staff Engineer');
    assert.equal(updated.displayName, 'Zoë Müller-Lüdenscheidt');
    assert.ok(updated.lastChanged > zoe.lastChanged);
    assert.equal(roster.update(zoe.id, { jobTitle: 'Staff Engineer' }).lastChanged, updated.lastChanged, 'a no-op update changes nothing');

    const terminated = roster.terminate(zoe.id);
    assert.equal(terminated.status, 'Inactive');
    assert.equal(terminated.terminationDate, TODAY);
    assert.equal(terminated.employmentHistoryStatus, 'Terminated');
    assert.ok(terminated.lastChanged > updated.lastChanged);

    const future = roster.terminate(roster.list()[10]?.id as string, '2999-01-01');
    assert.equal(future.status, 'Active', 'a future termination keeps the person Active');

    const rehired = roster.rehire(zoe.id, TODAY);
    assert.equal(rehired.status, 'Active');
    assert.equal(rehired.terminationDate, null);
    assert.equal(rehired.employmentHistoryStatus, zoe.employmentHistoryStatus, 'rehire restores the employment status');

    roster.remove(zoe.id);
    assert.equal(roster.get(zoe.id), undefined);
    assert.equal(roster.size, 51);
  });

  it('reports changes since a point, with Inserted/Updated/Deleted and type filters', () => {
    const roster = new BambooRoster(company(20, 9), { seed: 9 });
    const { latest: since } = roster.changedSince(Date.now() + 1);
    const sinceMs = Date.parse(since);
    const a = roster.add({});
    const existing = roster.list()[3] as { id: string };
    roster.update(existing.id, { mobilePhone: '+1 801-555-0199' });
    const gone = roster.list()[5] as { id: string };
    roster.remove(gone.id);

    const { latest, changes } = roster.changedSince(sinceMs);
    const byId = new Map(changes.map((c) => [c.id, c.action]));
    assert.equal(byId.get(a.id), 'Inserted');
    assert.equal(byId.get(existing.id), 'Updated');
    assert.equal(byId.get(gone.id), 'Deleted');
    assert.ok(Date.parse(latest) >= Math.max(...changes.map((c) => Date.parse(c.lastChanged))));
    assert.deepEqual(roster.changedSince(sinceMs, 'deleted').changes.map((c) => c.id), [gone.id]);
    assert.deepEqual(roster.changedSince(sinceMs, 'inserted').changes.map((c) => c.id), [a.id]);

    // A change made right after reading `latest` is strictly after it: never lost.
    const next = roster.changedSince(Date.parse(latest));
    assert.equal(next.changes.length, 0);
    roster.update(a.id, { jobTitle: 'Changed at once' });
    assert.deepEqual(roster.changedSince(Date.parse(next.latest)).changes.map((c) => c.id), [a.id]);
  });

  it('renames a list option in place, keeping its id, and touches its people', () => {
    const roster = new BambooRoster(company(200, 4), { seed: 4 });
    const dept = roster.lists().find((l) => l.alias === 'department');
    const option = dept?.options.find((o) => o.name === 'Engineering');
    assert.ok(option);
    const engineers = roster.list().filter((e) => e.department === 'Engineering');
    assert.ok(engineers.length > 0);
    const affected = roster.renameListOption('department', 'Engineering', 'Software Engineering');
    assert.equal(affected, engineers.length);
    const renamed = roster.lists().find((l) => l.alias === 'department')?.options.find((o) => o.id === option.id);
    assert.equal(renamed?.name, 'Software Engineering');
    for (const e of engineers) {
      const now = roster.get(e.id);
      assert.equal(now?.department, 'Software Engineering');
      assert.ok((now?.lastChanged ?? '') > e.lastChanged);
    }
    assert.throws(() => roster.renameListOption('department', 'Nope', 'X'), RosterError);
    assert.throws(() => roster.renameListOption('department', 'Finance', 'Legal'), RosterError);
    assert.throws(() => roster.renameListOption('firstName', 'a', 'b'), RosterError);
  });

  it('refuses bad input', () => {
    const roster = new BambooRoster(company(20, 2), { seed: 2 });
    const id = roster.list()[4]?.id as string;
    const ceo = roster.list()[0]?.id as string;
    assert.throws(() => roster.update(id, { hireDate: '2024-02-31' }), /YYYY-MM-DD/);
    assert.throws(() => roster.update(id, { status: 'Gone' as 'Active' }), /status/);
    assert.throws(() => roster.update(id, { nonsense: 'x' } as never), /unknown/);
    assert.throws(() => roster.update(id, { supervisorEId: '999999' }), /not an employee/);
    assert.throws(() => roster.update(ceo, { supervisorEId: id }), /cycle/);
    assert.throws(() => roster.update('424242', { jobTitle: 'x' }), (e: unknown) => e instanceof RosterError && e.code === 'not_found');
    assert.throws(() => roster.add({ firstName: 'Only' }), /lastName/);
    const other = roster.list()[6];
    assert.throws(() => roster.update(id, { workEmail: other?.workEmail ?? '' }), /already in use/);
    assert.throws(() => roster.rehire(ceo), /not terminated/);
  });
});
