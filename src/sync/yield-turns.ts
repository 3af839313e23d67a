import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DialectName } from '../store/db.ts';

/**
 * Hands the event loop back every `every` calls of `turn()` (0: never). Planning a page of 1,000
 * people is tens of milliseconds of synchronous work; meanwhile, on PostgreSQL, the page before is
 * being written, statement after statement, and each statement's answer waits for the loop.
 * Without turns, a PostgreSQL first sync spent as long waiting on Node between its statements as
 * running them. On SQLite a write runs in-process and synchronously: nothing waits for a turn, and
 * none is given (see runTurns).
 */
export class YieldTurns {
  #calls = 0;
  constructor(private readonly every: number) {}

  /**
   * A promise to await when a turn is due, else undefined: the caller awaits nothing otherwise,
   * so no other task's continuation runs in between (as on SQLite, see runTurns).
   */
  turn(): Promise<void> | undefined {
    return this.every > 0 && ++this.#calls % this.every === 0 ? nextTurn() : undefined;
  }
}

/**
 * A run's turns: every 25 people on PostgreSQL; none on SQLite, where a write is synchronous and
 * in-process, so nothing waits for one.
 */
export function runTurns(dialect: DialectName): YieldTurns {
  return new YieldTurns(dialect === 'postgres' ? 25 : 0);
}
