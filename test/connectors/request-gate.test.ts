import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestGate } from '../../src/connectors/request-gate.ts';

/** A sleep the test ends by hand: it records what it was asked, and `wake()` ends every sleep so far. */
function fakeTime() {
  const slept: number[] = [];
  const sleeping: (() => void)[] = [];
  return {
    slept,
    sleep: (ms: number) => {
      slept.push(ms);
      return new Promise<void>((r) => sleeping.push(r));
    },
    wake: () => {
      for (const r of sleeping.splice(0)) r();
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));

/** A task the test finishes by hand, so it can look at the gate while tasks are in flight. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('request gate', () => {
  it('holds at most its limit in flight and starts the rest in order as slots free up', async () => {
    const time = fakeTime();
    const gate = new RequestGate(2, time.sleep);
    const tasks = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = tasks.map((t, n) => gate.run(async () => (started.push(n), await t.promise, n)));
    await turn();
    assert.deepEqual(started, [0, 1]);
    assert.equal(gate.active, 2);
    tasks[1]!.resolve();
    await turn();
    assert.deepEqual(started, [0, 1, 2]);
    assert.equal(gate.active, 2);
    for (const t of tasks) t.resolve();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
    assert.equal(gate.active, 0);
  });

  it('a pause (a Retry-After) holds every request until it ends: one wait, however many it holds', async () => {
    const time = fakeTime();
    const gate = new RequestGate(4, time.sleep);
    gate.pause(2000);
    const ran: number[] = [];
    const runs = [1, 2, 3].map((n) => gate.run(async () => void ran.push(n)));
    await turn();
    assert.deepEqual(ran, [], 'no request runs inside the pause');
    gate.pause(500); // asked meanwhile: the requests wait for the later end of both
    time.wake();
    await Promise.all(runs);
    assert.deepEqual(ran.sort(), [1, 2, 3]);
    assert.deepEqual(time.slept, [2000, 500]);
    await gate.run(async () => undefined);
    assert.deepEqual(time.slept, [2000, 500], 'a pause that is over holds nobody');
  });

  it('a request that waits for a slot also waits out a pause asked for meanwhile', async () => {
    const time = fakeTime();
    const gate = new RequestGate(1, time.sleep);
    const hold = deferred();
    const first = gate.run(() => hold.promise);
    let second = false;
    const next = gate.run(async () => void (second = true));
    await turn(); // the first is under way: the pause is for what starts after it
    gate.pause(1000);
    hold.resolve();
    await first;
    await turn();
    assert.equal(second, false);
    time.wake();
    await next;
    assert.equal(second, true);
  });

  it('a slot is freed when the task fails, and an aborted waiter leaves the queue', async () => {
    const time = fakeTime();
    const gate = new RequestGate(1, time.sleep);
    await assert.rejects(gate.run(async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(gate.active, 0);
    const hold = deferred();
    const first = gate.run(() => hold.promise);
    const controller = new AbortController();
    const waiting = gate.run(async () => 'never', controller.signal);
    controller.abort(new Error('stopped'));
    await assert.rejects(waiting, /stopped/);
    hold.resolve();
    await first;
    assert.equal(await gate.run(async () => 'next'), 'next');
    assert.equal(gate.active, 0);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new RequestGate(0, fakeTime().sleep), RangeError);
  });
});
