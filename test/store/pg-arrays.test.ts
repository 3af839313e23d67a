import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PG_URL } from '../helpers/dialects.ts';
import { pgArray } from '../../src/store/pg-arrays.ts';

/** Text the array's binary form must carry as it is: array syntax, quotes, backslashes, NULL as a word, empty, multi-byte. */
const TEXTS = ['', 'NULL', 'O\'Brien "Bob" \\ {a,b}', 'line\nbreak\ttab', 'ü 漢字 😀', '{"x":"\\"y\\""}', 'x'.repeat(70_000)];

describe('PostgreSQL array parameters (binary)', () => {
  it('refuses an int4 element that is not a 32-bit integer, rather than send it wrong', () => {
    for (const bad of [1.5, 2 ** 31, -(2 ** 31) - 1, '7', true]) assert.throws(() => pgArray([1, bad], 'int4'), /not a 32-bit integer/, String(bad));
  });

  it('lays out a one-dimensional array: dimensions, null flag, element type, length, lower bound, elements', () => {
    const buffer = pgArray(['ab', null], 'text');
    assert.deepEqual([0, 4, 8, 12, 16].map((at) => buffer.readInt32BE(at)), [1, 1, 25, 2, 1]);
    assert.equal(buffer.readInt32BE(20), 2);
    assert.equal(buffer.toString('utf8', 24, 26), 'ab');
    assert.equal(buffer.readInt32BE(26), -1);
    assert.equal(buffer.length, 30);
  });

  if (!PG_URL) return;

  it('reach the server as the values given, nulls included, for text and int4', async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const texts = [...TEXTS, null];
      const numbers = [0, -1, 2 ** 31 - 1, -(2 ** 31), null, 42];
      const { rows } = await client.query<{ t: (string | null)[]; n: (number | null)[]; lengths: number[] }>(
        'select $1::text[] as t, $2::int4[] as n, (select array_agg(coalesce(length(x), -1)) from unnest($1::text[]) as x) as lengths',
        [pgArray(texts, 'text'), pgArray(numbers, 'int4')],
      );
      assert.deepEqual(rows[0]!.t, texts);
      assert.deepEqual(rows[0]!.n, numbers);
      assert.deepEqual(rows[0]!.lengths, texts.map((t) => (t === null ? -1 : [...t].length)));
      // A lone surrogate becomes U+FFFD, as pg sends a string parameter.
      const lone = await client.query<{ t: string[] }>('select $1::text[] as t', [pgArray(['a\uD800b'], 'text')]);
      assert.deepEqual(lone.rows[0]!.t, ['a\uFFFDb']);
    } finally {
      await client.end();
    }
  });
});
