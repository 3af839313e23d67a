/**
 * `refresh sync` and `refresh doctor` as a script or an operator reads them (issue 14 §6): stdout
 * holds the answer and nothing else (the logs go to the log file, or to stderr with
 * DATABASE_URL), an unknown integration is one plain line and a non-zero exit, and both say which
 * database they use; with none there, they say where they looked. Real processes, on SQLite and
 * PostgreSQL, against a BambooHR sandbox in this process.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DIALECTS } from '../helpers/dialects.ts';
import { bin, cli, freshEnvironment } from '../helpers/cli.ts';
import { loadConfig } from '../../src/config.ts';
import { createContext } from '../../src/app/context.ts';
import { createIntegrationFromRequest, patchIntegrationFromRequest } from '../../src/app/integrations-service.ts';
import { createLogger } from '../../src/logger.ts';
import { providerModule } from '../../src/providers/registry.ts';
import { DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';
import type { SandboxHandle } from '../../src/sandbox/handle.ts';
import { SANDBOX_EMPLOYEES, SANDBOX_SEED } from '../../src/cli/start-sandboxes.ts';
import { EXAMPLE_PERSON, terminateExample } from '../../src/cli/sandbox.ts';

const run = promisify(execFile);

/** What `refresh sync` prints on stdout: its heading, the summary table, and the first changes. */
const SUMMARY_LINE = /^$|^Run \S+ on (SQLite|PostgreSQL):$|^ {2}[a-z ]+? {2,}\S.*$|^First changes:$|^ {2}(created|updated|deactivated|reactivated|skipped|failed) +\S.*$/;

for (const dialect of DIALECTS) {
  describe(`refresh sync and doctor output on ${dialect}`, () => {
    let env: NodeJS.ProcessEnv;
    let drop: () => Promise<void>;
    let sandbox: SandboxHandle;
    let integrationId: string;

    before(async () => {
      ({ env, drop } = await freshEnvironment(dialect));
      // The company npm start runs, so the README's example names someone in it.
      sandbox = await providerModule('bamboohr').sandbox.start({ port: 0, employees: SANDBOX_EMPLOYEES, seed: SANDBOX_SEED });
      // Production mode (DATABASE_URL) calls only official provider hosts unless the operator lists more.
      env = { ...env, LOG_LEVEL: 'debug', REFRESH_ALLOWED_PROVIDER_HOSTS: new URL(sandbox.url).host };
      const config = loadConfig(env);
      const ctx = await createContext(config, createLogger('silent'), { worker: { schedule: false } });
      try {
        const integration = await createIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, { provider: 'bamboohr', settings: sandbox.connection.settings, credentials: sandbox.connection.credentials });
        integrationId = integration.id;
        // Turned on here, its first run is queued: `refresh sync` follows it.
        await patchIntegrationFromRequest(ctx, DEFAULT_TENANT_ID, integrationId, { userSync: { enabled: true } });
      } finally {
        await ctx.close();
      }
    });
    after(async () => {
      await sandbox.close();
      await drop();
    });

    it('prints only the summary on stdout; the log goes to the log file or, with DATABASE_URL, to stderr', async () => {
      const res = await cli(env, ['sync', integrationId, '--full']);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.split('\n');
      for (const line of lines) assert.match(line, SUMMARY_LINE, `a line on stdout that is not the summary: ${JSON.stringify(line)}\n${res.stdout}`);
      assert.match(res.stdout, /^ {2}status +succeeded$/m);
      assert.match(res.stdout, /^ {2}created +\d+$/m);
      if (dialect === 'postgres') {
        assert.match(res.stderr, /^\{.*"msg"/m, 'the log lines went to stderr');
      } else {
        const log = readFileSync(path.join(env['DATA_DIR']!, 'logs', 'refresh.log'), 'utf8');
        assert.match(log, new RegExp(`"runId"`), 'the run logged to the log file');
        assert.doesNotMatch(res.stderr, /^\{/m, 'and not to the terminal');
      }
    });

    it('the terminate example of the README and `refresh sandbox --help` works as written: that person is deactivated at the next sync', async () => {
      const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
      const help = (await cli(env, ['sandbox', '--help'])).stdout;
      const example = terminateExample();
      assert.ok(readme.split('\n').includes(example), `the README shows ${example}`);
      assert.ok(help.split('\n').includes(`  ${example}`), `refresh sandbox --help shows ${example}`);
      assert.match(readme, new RegExp(`Terminate ${EXAMPLE_PERSON.name} \\(BambooHR id ${EXAMPLE_PERSON.id}\\)`));
      // Run as written, on this test's sandbox's port.
      const { stdout } = await run('sh', ['-c', example.replace('127.0.0.1:9101', new URL(sandbox.url).host)]);
      const terminated = JSON.parse(stdout) as { id: string; status: string; firstName: string; lastName: string };
      assert.deepEqual([terminated.id, terminated.status, `${terminated.firstName} ${terminated.lastName}`], [EXAMPLE_PERSON.id, 'Inactive', EXAMPLE_PERSON.name]);
      const res = await cli(env, ['sync', integrationId]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^ {2}deactivated +1$/m);
      assert.match(res.stdout, new RegExp(`^ {2}deactivated +${EXAMPLE_PERSON.name} — `, 'm'));
    });

    it('an unknown integration is one plain line naming the ones there are, and exit code 1', async () => {
      const res = await cli(env, ['sync', 'no-such-integration']);
      assert.equal(res.code, 1);
      assert.equal(res.stdout, '');
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, no stack trace:\n${res.stderr}`);
      assert.match(lines[0]!, new RegExp(`^No integration "no-such-integration" in ${dialect === 'sqlite' ? 'SQLite \\S+refresh\\.db' : 'PostgreSQL \\S+'} .*; the integrations are ${integrationId} \\(BambooHR\\)\\.$`));
    });

    it('`refresh doctor` says which database it reads', async () => {
      const res = await cli(env, ['doctor', 'nobody@nowhere.example']);
      assert.equal(res.code, 1);
      const where = dialect === 'sqlite' ? `SQLite ${path.join(env['DATA_DIR']!, 'refresh.db')} (DATA_DIR)` : 'PostgreSQL 127.0.0.1:5432/test (DATABASE_URL)';
      assert.equal(res.stdout.split('\n')[0], `Database: ${where}`);
      assert.match(res.stdout, /No employee and no source record matches/);
    });
  });
}

describe('refresh sync and doctor without a database', () => {
  it('say where they looked and how to point them elsewhere, creating nothing', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'refresh-none-'));
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: empty, REFRESH_FROM_SOURCE: '1', LOG_LEVEL: 'warn' };
    delete env['DATABASE_URL'];
    for (const args of [['sync', 'x'], ['doctor', 'someone@example.com']]) {
      const res = await cli(env, args);
      assert.equal(res.code, 1, args.join(' '));
      assert.equal(res.stderr.trim(), `No ReFresh database at ${path.join(empty, 'refresh.db')} (DATA_DIR is ${empty}). Start ReFresh once (npm start), or set DATA_DIR to the folder it used, or DATABASE_URL for PostgreSQL.`);
    }
    assert.deepEqual(readdirSync(empty), [], 'no empty database was created');
  });

  it('without DATA_DIR, use the repository’s data folder, as npm start does, from any directory', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, REFRESH_FROM_SOURCE: '1', LOG_LEVEL: 'warn' };
    delete env['DATA_DIR'];
    delete env['DATABASE_URL'];
    const file = path.resolve(import.meta.dirname, '../../data/refresh.db');
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'refresh-cwd-'));
    // Whether or not npm start has run in this checkout, the command names that file.
    const output = await new Promise<string>((resolve) => {
      execFile(process.execPath, [bin, 'doctor', 'nobody@nowhere.example'], { env, cwd: elsewhere, timeout: 60_000 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    assert.ok(output.includes(file), output);
    assert.deepEqual(readdirSync(elsewhere), [], 'nothing was made in the working directory');
  });
});
