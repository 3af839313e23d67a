import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/**
 * Marks a statement to run as a named prepared statement: PostgreSQL parses and plans it once per
 * connection, not at every execution. For the sync's bulk statements (hundreds of rows of
 * parameters each, executed hundreds of times a run), parsing and planning each time cost more
 * than the rows' writes. Only for statements whose text repeats: a connection keeps every one.
 */
export const PREPARED = '/*prepared*/';

/**
 * The pool Kysely is given: statements that start with PREPARED go as named statements (their name
 * a hash of their text, so one name never stands for two texts); the rest as before.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    query: ((query: unknown, parameters?: readonly unknown[]) => {
      if (typeof query === 'string' && query.startsWith(PREPARED)) return client.query({ name: statementName(query), text: query, values: parameters as unknown[] });
      return typeof query === 'string' ? client.query(query, parameters as unknown[]) : client.query(query as never);
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) wrapped.set(client, (w = wrap(client)));
      return w;
    },
    end: () => pool.end(),
  };
}

function statementName(text: string): string {
  return `k${createHash('sha1').update(text).digest('hex')}`;
}
