#!/usr/bin/env node
// Runs every test file with node:test under tsx. PostgreSQL-backed tests need a server: when none
// answers, they are skipped with a plain message, except under CI=true where that is a failure.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';

const root = path.resolve(import.meta.dirname, '..');
const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const only = process.argv.slice(2);

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findTests(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

const pgUp = await reachable(pgUrl);
const env = { ...process.env, NODE_ENV: 'test' };
if (pgUp) {
  env.TEST_DATABASE_URL = pgUrl;
  console.log(`PostgreSQL: ${new URL(pgUrl).host} — storage tests run on SQLite and PostgreSQL`);
} else if (process.env.CI === 'true') {
  console.error(`PostgreSQL is not reachable at ${new URL(pgUrl).host}, and CI=true requires it. Failing.`);
  process.exit(1);
} else {
  delete env.TEST_DATABASE_URL;
  console.log(`PostgreSQL is not reachable at ${new URL(pgUrl).host}: the PostgreSQL half of the tests is SKIPPED; only SQLite runs.`);
}

const files = (only.length ? only : findTests(path.join(root, 'test'))).sort();
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files];
const child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: root });
child.on('exit', (code, signal) => {
  if (!pgUp) console.log('Note: PostgreSQL tests were skipped (no server).');
  process.exit(code ?? (signal ? 1 : 0));
});
