/**
 * Field-level priority, the pure decision: a per-field source order overrides the integrations'
 * ranks for that field only; sources it does not name follow it by rank; status keeps deciding
 * by rank.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FieldName } from '../../src/core/fields.ts';
import { orderForField, resolvePerson, type FieldPriorities, type SourceView } from '../../src/core/resolve.ts';

const view = (id: string, priority: number, values: Record<string, string>, opts: { status?: 'active' | 'inactive' | null; enabled?: boolean; mapped?: string[] } = {}): SourceView => ({
  integrationId: id,
  priority,
  enabled: opts.enabled ?? true,
  mapped: new Set((opts.mapped ?? ['email', 'jobTitle', 'phone', 'department']) as FieldName[]),
  values,
  status: opts.status === undefined ? 'active' : opts.status,
  runId: `run-${id}`,
  seenAt: '2026-12-01T00:00:00Z',
});
const empty = { status: 'active' as const, fields: {}, provenance: {} };

describe('field-level priority', () => {
  const bamboo = view('bamboo', 1, { email: 'ana@hr.example', jobTitle: 'Staff Engineer', department: 'Engineering' });
  const entra = view('entra', 2, { email: 'ana@acme.example', jobTitle: 'Engineer', phone: '+49 1' });

  it('"email: Entra first" takes the e-mail from Entra and everything else by rank, each with its source', () => {
    const r = resolvePerson(empty, [bamboo, entra], { email: ['entra'] });
    assert.equal(r.fields.email, 'ana@acme.example');
    assert.equal(r.provenance.email?.integrationId, 'entra');
    assert.equal(r.fields.jobTitle, 'Staff Engineer');
    assert.equal(r.provenance.jobTitle?.integrationId, 'bamboo');
    assert.equal(r.provenance.phone?.integrationId, 'entra', 'a field only one source has comes from it whatever the order');
    const ranks = resolvePerson(empty, [bamboo, entra]);
    assert.equal(ranks.fields.email, 'ana@hr.example', 'without the override, rank 1 wins');
  });

  it('falls through the order when the first source has no value, then to sources the order does not name', () => {
    const noMail = view('entra', 2, { jobTitle: 'Engineer' });
    assert.equal(resolvePerson(empty, [bamboo, noMail], { email: ['entra'] }).provenance.email?.integrationId, 'bamboo');
    const third = view('google', 3, { email: 'ana@gmail-like.example' });
    const r = resolvePerson(empty, [bamboo, noMail, third], { email: ['entra', 'google'] });
    assert.equal(r.fields.email, 'ana@gmail-like.example');
  });

  it('ignores sources that are disabled, do not map the field, or are not linked', () => {
    const disabled = view('entra', 2, { email: 'ana@acme.example' }, { enabled: false });
    assert.equal(resolvePerson(empty, [bamboo, disabled], { email: ['entra'] }).fields.email, 'ana@hr.example');
    const unmapped = view('entra', 2, { email: 'ana@acme.example' }, { mapped: ['jobTitle'] });
    assert.equal(resolvePerson(empty, [bamboo, unmapped], { email: ['entra'] }).fields.email, 'ana@hr.example');
    assert.equal(resolvePerson(empty, [bamboo, entra], { email: ['gone-integration', 'entra'] }).fields.email, 'ana@acme.example');
  });

  it('never changes who decides status: that stays the highest-ranked source with an opinion', () => {
    const leaving = view('entra', 2, { email: 'ana@acme.example' }, { status: 'inactive' });
    const r = resolvePerson(empty, [bamboo, leaving], { email: ['entra'] });
    assert.equal(r.status, 'active');
    assert.equal(r.provenance.status?.integrationId, 'bamboo');
  });

  it('orderForField: the named sources in the override order, then the rest by rank', () => {
    const sources = [{ integrationId: 'c', priority: 3 }, { integrationId: 'a', priority: 1 }, { integrationId: 'b', priority: 2 }, { integrationId: 'd', priority: 4 }];
    assert.deepEqual(orderForField(sources, 'email').map((s) => s.integrationId), ['a', 'b', 'c', 'd']);
    assert.deepEqual(orderForField(sources, 'email', { email: ['d', 'b'] }).map((s) => s.integrationId), ['d', 'b', 'a', 'c']);
    assert.deepEqual(orderForField(sources, 'jobTitle', { email: ['d'] }).map((s) => s.integrationId), ['a', 'b', 'c', 'd'], 'another field keeps the ranks');
  });

  it('property: the winner of every field is the first source in its order that maps it and has a value; arrival order does not matter', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const arbView = fc.record({
      id: fc.constantFrom(...ids),
      priority: fc.integer({ min: 1, max: 4 }),
      email: fc.option(fc.constantFrom('x@e.example', 'y@e.example'), { nil: undefined }),
      jobTitle: fc.option(fc.constantFrom('A', 'B'), { nil: undefined }),
      enabled: fc.boolean(),
    });
    const arbOverrides: fc.Arbitrary<FieldPriorities> = fc.record({ email: fc.uniqueArray(fc.constantFrom(...ids, 'ghost')), jobTitle: fc.uniqueArray(fc.constantFrom(...ids)) }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.uniqueArray(arbView, { selector: (v) => v.id, maxLength: 4 }), arbOverrides, (views, overrides) => {
        const sources = views.map((v) => view(v.id, v.priority, Object.fromEntries(Object.entries({ email: v.email, jobTitle: v.jobTitle }).filter(([, x]) => x !== undefined)) as Record<string, string>, { enabled: v.enabled }));
        const r = resolvePerson(empty, sources, overrides);
        assert.deepEqual(resolvePerson(empty, [...sources].reverse(), overrides), r);
        for (const field of ['email', 'jobTitle'] as const) {
          const expected = orderForField(sources.filter((s) => s.enabled), field, overrides).find((s) => s.values[field] !== undefined);
          assert.equal(r.provenance[field]?.integrationId, expected?.integrationId);
          assert.equal(r.fields[field], expected?.values[field]);
        }
      }),
    );
  });
});
