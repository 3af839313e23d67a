/**
 * Files and logs (issue 10 §7): DATA_DIR is 0700 and the database, its WAL and SHM, the vault key
 * and the log are 0600 whatever the umask; secrets in query strings (the OAuth callback's code and
 * state, any token or key parameter) never reach a log line.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { DIALECTS } from '../helpers/dialects.ts';
import { openHarness, serveApi, testConfig, type Harness } from '../helpers/harness.ts';
import { createLogger, redactUrl } from '../../src/logger.ts';
import { loggerFor } from '../../src/cli/runtime.ts';
import { createContext } from '../../src/app/context.ts';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('DATA_DIR permissions', () => {
  it('creates DATA_DIR 0700 and refresh.db, its WAL and SHM, secret.key and refresh.log 0600 under a permissive umask', async () => {
    const previous = process.umask(0o022);
    try {
      const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'refresh-perms-')), 'data');
      const config = testConfig(dataDir);
      const logger = loggerFor({ ...config, secretKey: undefined }, 'file');
      const ctx = await createContext({ ...config, secretKey: undefined }, logger, { worker: { schedule: false } });
      try {
        // A write makes SQLite create its WAL and SHM files.
        await ctx.store.db.updateTable('tenants').set({ name: 'Perms' }).execute();
        logger.info('a line');
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
        assert.equal(mode(dataDir), 0o700, 'DATA_DIR');
        assert.equal(mode(path.join(dataDir, 'logs')), 0o700, 'logs/');
        for (const name of ['refresh.db', 'refresh.db-wal', 'refresh.db-shm', 'secret.key', 'logs/refresh.log']) {
          assert.equal(mode(path.join(dataDir, name)), 0o600, name);
        }
      } finally {
        await ctx.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  it('tightens a data directory left world-readable by an earlier version', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'refresh-perms-')), 'data');
    mkdirSync(path.join(dataDir, 'logs'), { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    for (const name of ['refresh.db', 'refresh.db-wal', 'logs/refresh.log']) {
      writeFileSync(path.join(dataDir, name), '');
      chmodSync(path.join(dataDir, name), 0o644);
    }
    const config = testConfig(dataDir);
    const ctx = await createContext(config, loggerFor(config, 'file'), { worker: { schedule: false } });
    try {
      assert.equal(mode(dataDir), 0o700);
      for (const name of ['refresh.db', 'refresh.db-wal', 'logs/refresh.log']) assert.equal(mode(path.join(dataDir, name)), 0o600, name);
    } finally {
      await ctx.close();
    }
  });
});

describe('redactUrl', () => {
  it('hides the OAuth callback query entirely and secret parameters anywhere', () => {
    assert.equal(redactUrl('/api/v1/oauth/callback/bamboohr?code=abc&state=def&iss=x'), '/api/v1/oauth/callback/bamboohr?[redacted]');
    assert.equal(redactUrl('/api/v1/employees?limit=5&token=t0k&KEY=k&q=ann'), '/api/v1/employees?limit=5&token=[redacted]&KEY=[redacted]&q=ann');
    assert.equal(redactUrl('https://h.example/x?refresh_token=a&access_token=b&client_secret=c&code=d&state=e&page=2'), 'https://h.example/x?refresh_token=[redacted]&access_token=[redacted]&client_secret=[redacted]&code=[redacted]&state=[redacted]&page=2');
    assert.equal(redactUrl('/x?%63ode=abc'), '/x?%63ode=[redacted]', 'percent-encoded names too');
    assert.equal(redactUrl('/x?%E0%A4%A=1'), '/x?[redacted]', 'unparsable: dropped');
    assert.equal(redactUrl('/api/v1/health'), '/api/v1/health');
  });

  it('applies to any `url` logged by hand', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
    log.info({ url: 'https://api.example/token?client_secret=s3cr3t&grant_type=x' }, 'called');
    log.child({ run: 1 }).warn({ url: '/y?state=st4te' }, 'again');
    assert.doesNotMatch(lines.join(''), /s3cr3t|st4te/);
    assert.match(lines.join(''), /grant_type=x/);
  });
});

for (const dialect of DIALECTS) {
  describe(`request logs on ${dialect}`, () => {
    let h: Harness;
    let api: { app: FastifyInstance; base: string; key: string };
    before(async () => {
      h = await openHarness(dialect, { employees: 3, seed: 4, enable: false });
      api = await serveApi(h);
    });
    after(async () => {
      await api.app.close();
      await h.close();
    });

    it("never writes the OAuth callback's code and state, nor token/key parameters, to the log", async () => {
      const secrets = ['AUTHCODE-1f2e3d', 'STATE-9a8b7c', 'TOKEN-5d6e', 'KEY-77aa', 'REFRESH-1234', 'ACCESS-5678', 'CLIENTSECRET-9'];
      const before = h.logs.length;
      const callback = await fetch(`${api.base}/api/v1/oauth/callback/bamboohr?code=${secrets[0]}&state=${secrets[1]}`);
      assert.ok(callback.status < 500, `callback answered ${callback.status}`);
      const query = `token=${secrets[2]}&key=${secrets[3]}&refresh_token=${secrets[4]}&access_token=${secrets[5]}&client_secret=${secrets[6]}`;
      await fetch(`${api.base}/api/v1/employees?${query}`, { headers: { authorization: `Bearer ${api.key}` } });
      await fetch(`${api.base}/api/v1/no-such-route?${query}`);
      const written = h.logs.slice(before).join('');
      assert.match(written, /oauth\/callback\/bamboohr\?\[redacted\]/, 'the request was logged, without its query');
      assert.match(written, /token=\[redacted\]/);
      for (const secret of secrets) assert.equal(written.includes(secret), false, `${secret} reached the log`);
    });
  });
}
