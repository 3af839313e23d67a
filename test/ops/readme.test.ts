/**
 * The README stands alone (issue 14 §6): it opens with how to run and test the product, names no
 * file outside the repository, and every repository path it names exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README.md', () => {
  it('opens with npm ci && npm start and npm test', () => {
    const firstBlock = readme.match(/```sh\n([\s\S]*?)```/)?.[1] ?? '';
    const commands = firstBlock.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
    assert.deepEqual(commands.slice(0, 2), ['npm ci && npm start', 'npm test']);
    assert.ok(readme.indexOf('```sh') < readme.indexOf('\n## '), 'before any section');
  });

  it('names no file outside the repository, and every path it names exists', () => {
    assert.doesNotMatch(readme, /\.\.\//, 'no ../ paths');
    assert.doesNotMatch(readme, /\b(DESIGN|REVIEW)\.md\b/, 'no design or review notes that live elsewhere');
    assert.doesNotMatch(readme, /\/work\/|shared\/specs/, 'no paths of a particular machine');
    const named = [...readme.matchAll(/`((?:src|test|bench|web|scripts|bin|\.ci)\/[^`\s]*)`/g)].map((m) => m[1]!);
    assert.ok(named.length > 5, `paths found: ${named.join(', ')}`);
    for (const p of named) assert.ok(existsSync(path.join(root, p)), `${p} is in the repository`);
  });
});
