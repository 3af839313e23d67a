import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fairTurns } from '../../src/api/fair-turns.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('fair turns', () => {
  it('lets one waiting request go per turn of the event loop, first come first served', async () => {
    const turn = fairTurns();
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
});
