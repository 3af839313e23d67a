import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fairTurns } from '../../src/api/fair-turns.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('fair turns', () => {
  it('with no budget, lets one waiting request go per turn of the event loop, first come first served', async () => {
    const turn = fairTurns({ budgetMs: 0 });
    const served: string[] = [];
    const all = ['a', 'b', 'c'].map((name) => turn().then(() => served.push(name)));
    await nextTurn();
    assert.deepEqual(served, ['a'], 'one per turn: the loop polls sockets (e.g. /health) before the next');
    await nextTurn();
    assert.deepEqual(served, ['a', 'b']);
    await Promise.all(all);
    assert.deepEqual(served, ['a', 'b', 'c']);
    // Idle again: a newcomer is served on the next turn.
    const late = turn().then(() => served.push('d'));
    await nextTurn();
    await late;
    assert.deepEqual(served, ['a', 'b', 'c', 'd']);
  });

  it('serves requests in a turn, in order, until its budget of work is spent, then lets the loop poll', async () => {
    let clock = 0;
    const turn = fairTurns({ budgetMs: 1, now: () => clock });
    const served: string[] = [];
    // Each request's work takes 0.4 ms, done after a few awaits (as a hook chain runs): counted once all of it has run.
    const all = ['a', 'b', 'c', 'd', 'e'].map((name) =>
      turn().then(async () => {
        await null;
        await null;
        clock += 0.4;
        served.push(name);
      }),
    );
    await nextTurn();
    assert.deepEqual(served, ['a', 'b', 'c'], 'started at 0, 0.4 and 0.8 ms into the turn; the fourth would start past its 1 ms');
    await nextTurn();
    assert.deepEqual(served, ['a', 'b', 'c', 'd', 'e']);
    await Promise.all(all);
  });

  it('ends a turn after one request that alone spends the budget', async () => {
    let clock = 0;
    const turn = fairTurns({ budgetMs: 1, now: () => clock });
    const served: string[] = [];
    const all = ['slow', 'next'].map((name) =>
      turn().then(async () => {
        await null;
        clock += 5;
        served.push(name);
      }),
    );
    await nextTurn();
    assert.deepEqual(served, ['slow']);
    await nextTurn();
    assert.deepEqual(served, ['slow', 'next']);
    await Promise.all(all);
  });
});
