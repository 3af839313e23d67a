import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.adminEmail, 'admin@example.com');
    assert.equal(c.databaseUrl, undefined);
    assert.match(c.dataDir, /data$/);
  });
  it('stops with one clear line naming the setting at fault', () => {
    for (const [env, expected] of [
      [{ PORT: 'abc' }, /^Invalid configuration: PORT must be a port number/],
      [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/],
      [{ REFRESH_ADMIN_EMAIL: 'nobody' }, /^Invalid configuration: REFRESH_ADMIN_EMAIL must be an email address/],
      [{ REFRESH_ADMIN_PASSWORD: 'short' }, /^Invalid configuration: REFRESH_ADMIN_PASSWORD must be at least 12 characters/],
    ] as const) {
      assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && expected.test(e.message) && !e.message.includes('\n'));
    }
  });
  it('reads REFRESH_ALLOWED_PROVIDER_HOSTS as host patterns and refuses anything else in one line', () => {
    assert.deepEqual(loadConfig({}).allowedProviderHosts, []);
    assert.deepEqual(loadConfig({ REFRESH_ALLOWED_PROVIDER_HOSTS: ' 127.0.0.1:9101, *.corp.example ,[::1]:80' }).allowedProviderHosts, ['127.0.0.1:9101', '*.corp.example', '[::1]:80']);
    for (const bad of ['https://evil.example', 'a b', '*', 'host/path']) {
      assert.throws(() => loadConfig({ REFRESH_ALLOWED_PROVIDER_HOSTS: bad }), (e: Error) => e instanceof ConfigError && /^Invalid configuration: REFRESH_ALLOWED_PROVIDER_HOSTS has ".*", which is not a host pattern/.test(e.message), bad);
    }
  });
  it('takes an API rate limit from 10 to 10,000,000 a minute (a node behind its own gateway may want it high)', () => {
    assert.equal(loadConfig({}).rateLimitPerMinute, 600);
    assert.equal(loadConfig({ REFRESH_RATE_LIMIT_PER_MINUTE: '1000000' }).rateLimitPerMinute, 1_000_000);
    for (const bad of ['9', '20000000', '1.5']) {
      assert.throws(() => loadConfig({ REFRESH_RATE_LIMIT_PER_MINUTE: bad }), (e: Error) => e instanceof ConfigError && /^Invalid configuration: REFRESH_RATE_LIMIT_PER_MINUTE must be a number of requests \(10–10000000\)/.test(e.message), bad);
    }
  });
  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 8080);
  });
});
