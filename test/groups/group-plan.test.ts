import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyNameTemplate,
  planGroups,
  subtreeHeadcounts,
  toTree,
  validateGroupMapping,
  type ExistingMembership,
  type ExistingSyncedGroup,
  type GroupMappingEntry,
  type GroupPerson,
  type OrgUnit,
  type PlanInput,
} from '../../src/core/group-plan.ts';

const MAPPING: GroupMappingEntry[] = [
  { attribute: 'division', type: 'Division' },
  { attribute: 'department', type: 'Department', parent: 'division' },
  { attribute: 'location', type: 'Location' },
];

const person = (employeeId: string, department?: string, division?: string, location?: string): GroupPerson => ({ employeeId, values: { department, division, location } });

let counter = 0;
function ids() {
  return () => `g${++counter}`;
}

function plan(over: Partial<PlanInput> & { people: GroupPerson[] }) {
  return planGroups({ mapping: MAPPING, orgUnits: [], existing: [], memberships: [], newId: ids(), ...over });
}

/** Applies a plan to the "database" the planner sees, as the group step does. */
function applied(input: { existing: ExistingSyncedGroup[]; memberships: ExistingMembership[] }, p: ReturnType<typeof planGroups>) {
  const groups = new Map(input.existing.map((g) => [g.id, { ...g }]));
  for (const g of p.groups) groups.set(g.id, { id: g.id, attribute: g.attribute, key: g.key, name: g.name, type: g.type, parentId: g.parentId, archived: false });
  for (const a of p.archived) groups.set(a.id, { ...groups.get(a.id)!, archived: true });
  const removed = new Set(p.membershipsRemoved.map((m) => `${m.groupId}|${m.employeeId}`));
  const memberships = [...input.memberships.filter((m) => !removed.has(`${m.groupId}|${m.employeeId}`)), ...p.membershipsAdded];
  return { existing: [...groups.values()], memberships };
}

describe('group mapping validation', () => {
  it('accepts the issue example', () => {
    assert.deepEqual(validateGroupMapping(MAPPING), []);
  });

  it('names a cycle in words', () => {
    const problems = validateGroupMapping([
      { attribute: 'department', type: 'Department', parent: 'division' },
      { attribute: 'division', type: 'Division', parent: 'department' },
    ]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^department → division → department is a cycle/);
  });

  it('finds longer cycles and self-parents once each', () => {
    const problems = validateGroupMapping([
      { attribute: 'location', type: 'Location', parent: 'location' },
      { attribute: 'custom.team', type: 'Team', parent: 'department' },
      { attribute: 'department', type: 'Department', parent: 'division' },
      { attribute: 'division', type: 'Division', parent: 'custom.team' },
    ]);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('location → location is a cycle')));
    assert.ok(problems.some((p) => p.startsWith('custom.team → department → division → custom.team is a cycle')));
  });

  it('refuses unknown, duplicate, unmapped-parent and unimported attributes with clear messages', () => {
    assert.match(validateGroupMapping([{ attribute: 'email', type: 'X' }])[0]!, /"email" cannot become groups/);
    assert.match(validateGroupMapping([{ attribute: 'nonsense', type: 'X' }])[0]!, /"nonsense" cannot become groups/);
    assert.match(validateGroupMapping([{ attribute: 'department', type: 'A' }, { attribute: 'department', type: 'B' }])[0]!, /mapped twice/);
    assert.match(validateGroupMapping([{ attribute: 'department', type: 'Department', parent: 'division' }])[0]!, /nested under "division", which is not in the mapping/);
    assert.match(validateGroupMapping([{ attribute: 'custom.team', type: 'Team' }], { available: new Set(['department']), sourceName: 'BambooHR' })[0]!, /not imported from BambooHR/);
    assert.match(validateGroupMapping([{ attribute: 'department', type: 'D', nameTemplate: 'Team' }])[0]!, /must contain \{value\}/);
    assert.match(validateGroupMapping([{ attribute: 'department', type: 'D', nameTemplate: '{value} {bogus}' }])[0]!, /\{bogus\} is unknown/);
  });

  it('applies name templates', () => {
    assert.equal(applyNameTemplate('{value} ({type})', { value: 'Sales', type: 'Department', attribute: 'department' }), 'Sales (Department)');
    assert.equal(applyNameTemplate(undefined, { value: 'Sales', type: 'Department', attribute: 'department' }), 'Sales');
  });
});

describe('group planning', () => {
  const people = [
    person('e1', 'Engineering', 'Technology', 'Berlin'),
    person('e2', 'Engineering', 'Technology', 'Lisbon'),
    person('e3', 'Engineering', 'Corporate', 'Berlin'),
    person('e4', 'Sales', 'Go-to-Market', 'Berlin'),
    person('e5', 'Sales', undefined, undefined),
    person('e6', undefined, undefined, undefined),
  ];

  it('creates divisions, departments nested under the majority division, and locations', () => {
    const p = plan({ people });
    const byName = new Map(p.groups.map((g) => [g.name, g]));
    assert.deepEqual([...byName.keys()].sort(), ['Berlin', 'Corporate', 'Engineering', 'Go-to-Market', 'Lisbon', 'Sales', 'Technology']);
    assert.equal(byName.get('Engineering')!.parentId, byName.get('Technology')!.id, 'two of three engineers are in Technology');
    assert.equal(byName.get('Sales')!.parentId, byName.get('Go-to-Market')!.id, 'people without a division do not vote');
    assert.equal(byName.get('Technology')!.parentId, null);
    assert.equal(byName.get('Berlin')!.type, 'Location');
    assert.equal(p.created.length, 7);
    assert.equal(p.membershipsAdded.length, 3 * 4 + 1, 'one per value held');
    assert.equal(byName.get('Engineering')!.key, 'name:engineering');
  });

  it('breaks parent ties by the current parent, else by name', () => {
    const tie = [person('a', 'Ops', 'Zeta'), person('b', 'Ops', 'Alpha')];
    const first = plan({ people: tie });
    const ops = first.groups.find((g) => g.name === 'Ops')!;
    const alpha = first.groups.find((g) => g.name === 'Alpha')!;
    const zeta = first.groups.find((g) => g.name === 'Zeta')!;
    assert.equal(ops.parentId, alpha.id);
    const state = applied({ existing: [], memberships: [] }, first);
    state.existing = state.existing.map((g) => (g.id === ops.id ? { ...g, parentId: zeta.id } : g));
    const again = planGroups({ mapping: MAPPING, people: tie, existing: state.existing, memberships: state.memberships, newId: ids() });
    assert.equal(again.groups.find((g) => g.id === ops.id)!.parentId, zeta.id, 'a tie keeps the current parent');
    assert.equal(again.moved.length, 0);
  });

  it('keys by provider unit id and renames the same group when the unit is renamed', () => {
    const units: OrgUnit[] = [{ attribute: 'department', key: '17', name: 'Engineering' }];
    const first = plan({ people: [person('e1', 'Engineering')], orgUnits: units });
    const eng = first.groups.find((g) => g.attribute === 'department')!;
    assert.equal(eng.key, 'id:17');
    const state = applied({ existing: [], memberships: [] }, first);
    const renamedUnits: OrgUnit[] = [{ attribute: 'department', key: '17', name: 'Product Engineering' }];
    const second = planGroups({ mapping: MAPPING, people: [person('e1', 'Product Engineering')], orgUnits: renamedUnits, ...state, newId: ids() });
    assert.deepEqual(second.renamed, [{ id: eng.id, from: 'Engineering', to: 'Product Engineering' }]);
    assert.equal(second.created.length, 0);
    assert.equal(second.archived.length, 0);
    assert.equal(second.membershipsAdded.length + second.membershipsRemoved.length, 0, 'memberships kept');
  });

  it('without provider ids, a rename is a new unit (old archived, new created)', () => {
    const first = plan({ people: [person('e1', 'Engineering')] });
    const state = applied({ existing: [], memberships: [] }, first);
    const second = planGroups({ mapping: MAPPING, people: [person('e1', 'Product Engineering')], ...state, newId: ids() });
    assert.equal(second.created.length, 1);
    assert.equal(second.archived.length, 1);
    assert.equal(second.archived[0]!.reason, 'vanished');
  });

  it('matches names case- and space-insensitively, keeping the majority spelling', () => {
    const p = plan({ people: [person('a', 'Sales'), person('b', ' sales '), person('c', 'Sales')] });
    const sales = p.groups.filter((g) => g.attribute === 'department');
    assert.equal(sales.length, 1);
    assert.equal(sales[0]!.name, 'Sales');
    assert.equal(sales[0]!.members.size, 3);
  });

  it('moves a membership when a person changes department, and archives and revives units', () => {
    const first = plan({ people: [person('a', 'Sales'), person('b', 'Support')] });
    let state = applied({ existing: [], memberships: [] }, first);
    const support = first.groups.find((g) => g.name === 'Support')!;
    const sales = first.groups.find((g) => g.name === 'Sales')!;
    const moved = planGroups({ mapping: MAPPING, people: [person('a', 'Sales'), person('b', 'Sales')], ...state, newId: ids() });
    assert.deepEqual(moved.membershipsAdded, [{ groupId: sales.id, employeeId: 'b' }]);
    assert.deepEqual(moved.membershipsRemoved, [{ groupId: support.id, employeeId: 'b' }]);
    assert.deepEqual(moved.archived.map((a) => [a.id, a.reason]), [[support.id, 'vanished']]);
    state = applied(state, moved);
    const back = planGroups({ mapping: MAPPING, people: [person('a', 'Sales'), person('b', 'Support')], ...state, newId: ids() });
    assert.deepEqual(back.revived, [{ id: support.id, name: 'Support' }]);
    assert.equal(back.created.length, 0);
    assert.equal(back.groups.find((g) => g.id === support.id)!.status, 'revived');
  });

  it('archives groups of an attribute taken out of the mapping, and units the provider archived', () => {
    const first = plan({ people: [person('a', 'Sales', undefined, 'Berlin')] });
    const state = applied({ existing: [], memberships: [] }, first);
    const unmapped = planGroups({ mapping: [{ attribute: 'department', type: 'Department' }], people: [person('a', 'Sales', undefined, 'Berlin')], ...state, newId: ids() });
    assert.deepEqual(unmapped.archived.map((a) => a.reason), ['unmapped']);
    const units: OrgUnit[] = [{ attribute: 'location', key: '3', name: 'Berlin', archived: true }];
    const archivedInSource = planGroups({ mapping: MAPPING, people: [person('a', 'Sales', undefined, 'Berlin')], orgUnits: units, existing: [{ id: 'loc', attribute: 'location', key: 'id:3', name: 'Berlin', type: 'Location', parentId: null, archived: false }], memberships: [{ groupId: 'loc', employeeId: 'a' }], newId: ids() });
    assert.deepEqual(archivedInSource.archived.map((a) => [a.id, a.reason]), [['loc', 'archived_in_source']]);
    assert.deepEqual(archivedInSource.membershipsRemoved, [{ groupId: 'loc', employeeId: 'a' }]);
  });

  it('is stable: planning the applied state again changes nothing', () => {
    const first = plan({ people, orgUnits: [{ attribute: 'department', key: '9', name: 'Engineering' }] });
    const state = applied({ existing: [], memberships: [] }, first);
    const again = planGroups({ mapping: MAPPING, people, orgUnits: [{ attribute: 'department', key: '9', name: 'Engineering' }], ...state, newId: ids() });
    for (const k of ['created', 'renamed', 'retyped', 'moved', 'archived', 'revived', 'membershipsAdded', 'membershipsRemoved'] as const) assert.equal(again[k].length, 0, k);
  });

  it('renames and retypes when the mapping changes its template or type', () => {
    const first = plan({ people: [person('a', 'Sales')] });
    const state = applied({ existing: [], memberships: [] }, first);
    const mapping: GroupMappingEntry[] = [{ attribute: 'department', type: 'Team', nameTemplate: '{value} team' }];
    const p = planGroups({ mapping, people: [person('a', 'Sales')], ...state, newId: ids() });
    assert.deepEqual(p.renamed.map((r) => r.to), ['Sales team']);
    assert.deepEqual(p.retyped.map((r) => r.to), ['Team']);
  });
});

describe('headcounts and trees', () => {
  it('counts sub-groups once and only people who count', () => {
    const groups = [
      { id: 'div', parentId: null, name: 'Technology' },
      { id: 'eng', parentId: 'div', name: 'Engineering' },
      { id: 'plat', parentId: 'div', name: 'Platform' },
    ];
    const members = new Map([
      ['div', ['a']],
      ['eng', ['a', 'b', 'x']],
      ['plat', ['b', 'c']],
    ]);
    const counts = subtreeHeadcounts(groups, members, (e) => e !== 'x');
    assert.deepEqual(Object.fromEntries(counts), { div: 3, eng: 2, plat: 2 });
    const tree = toTree(groups);
    assert.equal(tree.length, 1);
    assert.deepEqual((tree[0]!.children as { name: string }[]).map((c) => c.name), ['Engineering', 'Platform']);
  });
});
