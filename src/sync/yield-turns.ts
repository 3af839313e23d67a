import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Hands the event loop back every `every` calls of `turn()`. Planning a page of 1,000 people is
 * tens of milliseconds of synchronous work; meanwhile the page before is being written, statement
 * after statement, and each statement's answer waits for the loop. Without turns, a PostgreSQL
 * first sync spent as long waiting on Node between its statements as running them.
 */
export class YieldTurns {
  #calls = 0;
  constructor(private readonly every = 25) {}

  async turn(): Promise<void> {
    if (++this.#calls % this.every === 0) await nextTurn();
  }
}
