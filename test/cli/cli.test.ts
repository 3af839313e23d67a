import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'refresh.mjs');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('the refresh command, as a new user runs it', () => {
  let child: ChildProcess;
  let output = '';
  let dataDir: string;
  let port: number;
  const env = () => ({ ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', REFRESH_FROM_SOURCE: '1' });

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'refresh-cli-'));
    port = await freePort();
    child = spawn(process.execPath, [bin, 'start'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    const deadline = Date.now() + 90_000;
    while (!/Syncing BambooHR \(sandbox\)… (succeeded|failed)/.test(output) || !/duration/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`refresh start did not finish its first sync:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it('starts embedded: prints the console URL, the API key and a sign-in once, and syncs the sandbox', async () => {
    assert.match(output, new RegExp(`Console: +http://127\\.0\\.0\\.1:${port}/`));
    assert.match(output, /Syncing BambooHR \(sandbox\)… succeeded/);
    const key = output.match(/API key: +(rfk_\S+)/)![1]!;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/employees?limit=5`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: unknown[] };
    assert.equal(body.data.length, 5);
    const password = output.match(/Sign in: +\S+ \/ (\S+)/)![1]!;
    // Nothing secret in the data directory (database, WAL, logs) in plain text; the vault key file is mode 0600.
    for (const file of filesUnder(dataDir)) {
      const text = readFileSync(file).toString('latin1');
      assert.equal(text.includes(key), false, `${file} holds the API key`);
      assert.equal(text.includes(password), false, `${file} holds the admin password`);
    }
    assert.equal(statSync(path.join(dataDir, 'secret.key')).mode & 0o777, 0o600);
  });

  it('runs a sync from the command line and prints the finished run as JSON', async () => {
    const key = output.match(/API key: +(rfk_\S+)/)![1]!;
    const list = (await (await fetch(`http://127.0.0.1:${port}/api/v1/integrations`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] };
    const { stdout } = await run(process.execPath, [bin, 'sync', list.data[0]!.id, '--full', '--json'], { env: env(), timeout: 90_000 });
    const finished = JSON.parse(stdout) as { status: string; mode: string; counts: { unchanged: number } };
    assert.equal(finished.status, 'succeeded');
    assert.equal(finished.mode, 'full');
    assert.ok(finished.counts.unchanged > 200);
  });

  it('explains a person in words with `refresh doctor`', async () => {
    const key = output.match(/API key: +(rfk_\S+)/)![1]!;
    const people = (await (await fetch(`http://127.0.0.1:${port}/api/v1/employees?limit=1&status=active`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { fields: { email: { value: string } } }[] };
    const email = people.data[0]!.fields.email.value;
    const { stdout } = await run(process.execPath, [bin, 'doctor', email.toUpperCase()], { env: env(), timeout: 60_000 });
    assert.match(stdout, /is active, a member\./);
    assert.match(stdout, /BambooHR \(sandbox\): BambooHR id \d+, present, in scope/);
    const missing = await run(process.execPath, [bin, 'doctor', 'nobody@nowhere.example'], { env: env(), timeout: 60_000 }).catch((e: { code: number; stdout: string }) => e);
    assert.equal((missing as { code: number }).code, 1);
    assert.match((missing as { stdout: string }).stdout, /No employee and no source record matches/);
  });

  it('brings its sandbox back after a restart (same address, same people), so the sandbox integration still syncs', async () => {
    const key = output.match(/API key: +(rfk_\S+)/)![1]!;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return (await res.json()) as any;
    };
    const sandboxLine = /Sandbox: +BambooHR simulator at (http:\/\/127\.0\.0\.1:\d+) \((\d+) people/;
    const [, url, people] = output.match(sandboxLine)!;
    const integration = (await api('GET', '/integrations')).data[0];
    assert.equal(integration.settings.baseUrl, url);

    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    output = '';
    child = spawn(process.execPath, [bin, 'start'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    const deadline = Date.now() + 90_000;
    while (!/Logs:/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`refresh start did not come back:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(output.match(sandboxLine)!.slice(1), [url, people], `the sandbox came back as it was:\n${output}`);
    assert.equal((await api('GET', `/integrations/${integration.id}`)).settings.baseUrl, url);

    // Not a leftover: a full sync reads every person from the sandbox again, and health is healthy.
    const { runId } = await api('POST', `/integrations/${integration.id}/sync`, { mode: 'full' });
    let finished: { status: string; counts: { fetched: number }; error: unknown } | undefined;
    while (!finished) {
      const r = await api('GET', `/runs/${runId}`);
      if (r.finishedAt) finished = r;
      else if (Date.now() > deadline + 60_000) throw new Error(`the sync after the restart did not finish:\n${output}`);
      else await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(finished.status, 'succeeded', JSON.stringify(finished.error));
    assert.equal(finished.counts.fetched, Number(people));
    assert.equal((await api('GET', `/integrations/${integration.id}`)).health.state, 'healthy');
  });
});
