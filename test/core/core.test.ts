import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideStatus, todayIn } from '../../src/core/lifecycle.ts';
import { correlate, normalizeEmail } from '../../src/core/correlate.ts';
import { applyMapping, validateMapping } from '../../src/core/mapping.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import { evaluateScope, validateScope, type Scope } from '../../src/core/scope.ts';
import { resolvePerson, diffFields, type SourceView } from '../../src/core/resolve.ts';
import { checkSafeguard } from '../../src/core/safeguard.ts';
import { canonicalJson, stableHash } from '../../src/core/hash.ts';
import type { FieldName } from '../../src/core/fields.ts';
import type { SourceRecord } from '../../src/core/source-record.ts';

const record = (attributes: Record<string, string>, lifecycle: SourceRecord['lifecycle'] = { active: true }): SourceRecord => ({ externalId: '1', attributes, lifecycle });

describe('lifecycle', () => {
  const today = '2026-11-25';
  it('deactivates on the termination date itself, not before', () => {
    assert.equal(decideStatus({ active: true, terminationDate: '2026-11-26' }, today).status, 'active');
    assert.equal(decideStatus({ active: true, terminationDate: '2026-11-26' }, today).reviewOn, '2026-11-26');
    assert.equal(decideStatus({ active: true, terminationDate: '2026-11-25' }, today).status, 'inactive');
    assert.equal(decideStatus({ active: true, terminationDate: '2026-11-24' }, today).status, 'inactive');
  });
  it('treats the provider Inactive as authoritative and explains future hires', () => {
    assert.equal(decideStatus({ active: false }, today).status, 'inactive');
    assert.match(decideStatus({ active: false, hireDate: '2027-01-04' }, today).reason, /future hire starting on 2027-01-04/);
    assert.match(decideStatus({ active: false, terminationDate: '2020-01-01' }, today).reason, /terminated on 2020-01-01/);
  });
  it('ignores a termination date older than a rehire', () => {
    const d = decideStatus({ active: true, hireDate: '2025-06-01', terminationDate: '2024-01-31' }, today);
    assert.equal(d.status, 'active');
    assert.match(d.reason, /rehired/);
  });
  it("computes today in the tenant's time zone", () => {
    const instant = new Date('2026-11-25T23:30:00Z');
    assert.equal(todayIn('UTC', instant), '2026-11-25');
    assert.equal(todayIn('Pacific/Auckland', instant), '2026-11-26');
    assert.equal(todayIn('America/Los_Angeles', instant), '2026-11-25');
  });
});

describe('correlation', () => {
  it('normalises work emails: trimmed, case-insensitive, Unicode NFKC', () => {
    assert.equal(normalizeEmail('  Zoë.Müller@ACME.example '), normalizeEmail('zoe\u0308.mu\u0308ller@acme.example'));
    assert.equal(normalizeEmail('ｊｏｓｅ@acme.example'), 'jose@acme.example');
    assert.equal(normalizeEmail('   '), undefined);
  });
  it('matches by email, then employee number, and never merges ambiguously', () => {
    const none = new Set<string>();
    assert.deepEqual(correlate({ byEmail: ['a'], byNumber: [], linkedInSource: none }), { kind: 'match', employeeId: 'a', by: 'email' });
    assert.deepEqual(correlate({ byEmail: [], byNumber: ['b'], linkedInSource: none }), { kind: 'match', employeeId: 'b', by: 'employeeNumber' });
    assert.equal(correlate({ byEmail: ['a', 'b'], byNumber: [], linkedInSource: none }).kind, 'ambiguous');
    assert.equal(correlate({ byEmail: ['a'], byNumber: ['b'], linkedInSource: none }).kind, 'ambiguous');
    assert.equal(correlate({ byEmail: ['a'], byNumber: [], linkedInSource: new Set(['a']) }).kind, 'ambiguous');
    assert.deepEqual(correlate({ byEmail: [], byNumber: [], linkedInSource: none }), { kind: 'new' });
    // A number-only match between two different work emails is not the same person, silently.
    assert.equal(correlate({ byEmail: [], byNumber: ['b'], linkedInSource: none, email: 'x@a.example', emailOf: new Map([['b', 'y@a.example']]) }).kind, 'ambiguous');
    assert.equal(correlate({ byEmail: [], byNumber: ['b'], linkedInSource: none, email: 'x@a.example', emailOf: new Map([['b', null]]) }).kind, 'match');
  });
});

describe('field mapping', () => {
  it('writes only mapped fields, from the BambooHR defaults', () => {
    const values = applyMapping(record({ workEmail: 'a@b.c', jobTitle: 'CTO', homeEmail: 'x@y.z', supervisorEId: '7' }), DESCRIPTORS.bamboohr.defaultMapping);
    assert.deepEqual(values, { email: 'a@b.c', jobTitle: 'CTO', managerId: '7' });
  });
  it('rejects unknown targets and a field mapped twice', () => {
    assert.deepEqual(validateMapping({ workEmail: 'email', customShirtSize: 'custom.shirtSize' }), []);
    assert.equal(validateMapping({ workEmail: 'mail' }).length, 1);
    assert.equal(validateMapping({ workEmail: 'email', homeEmail: 'email' }).length, 1);
  });
});

describe('scope rules', () => {
  const scope: Scope = {
    groups: [
      { name: 'Engineering in Berlin', conditions: [{ field: 'department', operator: 'in', values: ['Engineering'] }, { field: 'location', operator: 'in', values: ['Berlin'] }] },
      { conditions: [{ field: 'source.employmentHistoryStatus', operator: 'in', values: ['contractor'] }] },
    ],
  };
  it('ANDs within a group, ORs across groups, and compares case-insensitively', () => {
    const inBerlin = evaluateScope(scope, { department: 'ENGINEERING', location: 'berlin' }, record({}));
    assert.equal(inBerlin.inScope, true);
    assert.match(inBerlin.reason, /Engineering in Berlin/);
    assert.equal(evaluateScope(scope, { department: 'Engineering', location: 'Paris' }, record({})).inScope, false);
    assert.equal(evaluateScope(scope, {}, record({ employmentHistoryStatus: 'Contractor' })).inScope, true);
    const out = evaluateScope(scope, { department: 'Sales' }, record({}));
    assert.equal(out.inScope, false);
    assert.match(out.reason, /rule "Engineering in Berlin" needs department is one of "Engineering"/);
  });
  it('excludes with notIn and tests emptiness', () => {
    const s: Scope = { groups: [{ conditions: [{ field: 'division', operator: 'notIn', values: ['Contractors'] }, { field: 'custom.team', operator: 'notEmpty' }] }] };
    assert.equal(evaluateScope(s, { division: 'Sales', 'custom.team': 'A' }, record({})).inScope, true);
    assert.equal(evaluateScope(s, { division: 'contractors', 'custom.team': 'A' }, record({})).inScope, false);
    assert.equal(evaluateScope(s, { division: 'Sales' }, record({})).inScope, false);
  });
  it('puts everyone in scope without rules, and rejects empty conditions', () => {
    assert.equal(evaluateScope({ groups: [] }, {}, record({})).inScope, true);
    assert.equal(validateScope({ groups: [{ conditions: [] }] }).length, 1);
    assert.equal(validateScope({ groups: [{ conditions: [{ field: 'department', operator: 'in', values: [] }] }] }).length, 1);
  });
});

describe('priority resolution', () => {
  const view = (id: string, priority: number, values: Record<string, string>, status: 'active' | 'inactive' | null = 'active', enabled = true): SourceView => ({
    integrationId: id,
    priority,
    enabled,
    mapped: new Set(Object.keys(values).concat(['phone', 'jobTitle']) as FieldName[]),
    values,
    status,
    runId: `run-${id}`,
    seenAt: '2026-11-25T00:00:00Z',
  });
  const empty = { status: 'active' as const, fields: {}, provenance: {} };

  it('takes each field from the highest-ranked source with a value', () => {
    const r = resolvePerson(empty, [view('hibob', 2, { jobTitle: 'Engineer', phone: '+49 1' }), view('bamboo', 1, { jobTitle: 'Staff Engineer' })]);
    assert.equal(r.fields.jobTitle, 'Staff Engineer');
    assert.equal(r.provenance.jobTitle?.integrationId, 'bamboo');
    assert.equal(r.fields.phone, '+49 1');
    assert.equal(r.provenance.phone?.integrationId, 'hibob');
  });
  it('lets only the highest-ranked source with an opinion decide status', () => {
    assert.equal(resolvePerson(empty, [view('a', 1, {}, 'active'), view('b', 2, {}, 'inactive')]).status, 'active');
    assert.equal(resolvePerson(empty, [view('a', 1, {}, null), view('b', 2, {}, 'inactive')]).status, 'inactive');
  });
  it('keeps the last value of a field no enabled source maps, and clears a mapped field the source emptied', () => {
    const current = { status: 'active' as const, fields: { jobTitle: 'Old', department: 'Kept' }, provenance: {} };
    const r = resolvePerson(current, [view('a', 1, {})]);
    assert.equal(r.fields.department, 'Kept');
    assert.equal(r.fields.jobTitle, undefined);
    const disabled = resolvePerson(current, [view('a', 1, { jobTitle: 'New' }, 'inactive', false)]);
    assert.equal(disabled.fields.jobTitle, 'Old');
    assert.equal(disabled.status, 'active');
  });
  it('is independent of the order sources arrive in (property)', () => {
    const arbView = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      priority: fc.integer({ min: 1, max: 4 }),
      jobTitle: fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: undefined }),
      phone: fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: undefined }),
      status: fc.constantFrom<'active' | 'inactive' | null>('active', 'inactive', null),
      enabled: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbView, { selector: (v) => v.id, maxLength: 4 }), (views) => {
        const sources = views.map((v) => view(v.id, v.priority, Object.fromEntries(Object.entries({ jobTitle: v.jobTitle, phone: v.phone }).filter(([, x]) => x !== undefined)) as Record<string, string>, v.status, v.enabled));
        const forward = resolvePerson(empty, sources);
        const backward = resolvePerson(empty, [...sources].reverse());
        assert.deepEqual(forward, backward);
      }),
    );
  });
  it('diffs only the fields that changed', () => {
    assert.deepEqual(diffFields({ a: '1', b: '2' } as never, { a: '1', b: '3', c: '4' } as never), { before: { b: '2' }, after: { b: '3', c: '4' } });
    assert.equal(diffFields({ a: '1' } as never, { a: '1' } as never), null);
  });
});

describe('safeguard', () => {
  const settings = { maxDeactivationPercent: 20, minPopulation: 10, maxDeactivations: null };
  it('blocks strictly above the threshold: threshold − 1, threshold and threshold + 1', () => {
    // 40 active people, 20 % → threshold 8.
    assert.equal(checkSafeguard(settings, 40, 7).blocked, false);
    assert.equal(checkSafeguard(settings, 40, 8).blocked, false);
    assert.equal(checkSafeguard(settings, 40, 9).blocked, true);
    assert.match(checkSafeguard(settings, 40, 9).reason, /deactivate 9 people, more than 8/);
  });
  it('does not apply below the minimum population, and honours an absolute cap', () => {
    assert.equal(checkSafeguard(settings, 9, 9).blocked, false);
    assert.equal(checkSafeguard({ ...settings, maxDeactivations: 3 }, 9, 4).blocked, true);
    assert.equal(checkSafeguard({ ...settings, maxDeactivations: 3 }, 9, 3).blocked, false);
  });
});

describe('record hash', () => {
  it('ignores key order and changes with any value', () => {
    assert.equal(stableHash({ a: 1, b: { c: 2, d: 3 } }), stableHash({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(stableHash({ a: 1 }), stableHash({ a: 2 }));
    assert.equal(canonicalJson({ b: undefined, a: [1, 'x'] }), '{"a":[1,"x"]}');
  });
});
