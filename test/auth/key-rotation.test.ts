import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { DIALECTS, openTestStore } from '../helpers/dialects.ts';
import { prependKeyFile, rotateVaultKeys, staleCount } from '../../src/auth/key-rotation.ts';
import { parseKeys, Vault } from '../../src/auth/vault.ts';
import { createLogger } from '../../src/logger.ts';
import { DESCRIPTORS } from '../../src/providers/descriptors.ts';
import { DEFAULT_GROUP_SYNC, defaultUserSync } from '../../src/core/integration-settings.ts';
import { createIntegration, readCredentials } from '../../src/store/integrations.ts';
import { getIntegrationSecret, putIntegrationSecret, saveOAuthState } from '../../src/store/oauth.ts';
import { openStore } from '../../src/store/db.ts';
import { ensureTenant, DEFAULT_TENANT_ID } from '../../src/store/tenants.ts';

const key = () => randomBytes(32);

for (const dialect of DIALECTS) {
  describe(`vault key rotation on ${dialect}`, () => {
    it('re-encrypts every credential under the new key; old ciphertexts readable until done; resumable and idempotent', async () => {
      const store = await openTestStore(dialect);
      try {
        await ensureTenant(store.db);
        const oldKey = key();
        const newKey = key();
        const before = new Vault([oldKey]);
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const integration = await createIntegration(store.db, before, {
            tenantId: DEFAULT_TENANT_ID,
            provider: 'bamboohr',
            name: `B${i}`,
            settings: { companyDomain: 'acme' },
            credentials: { authType: 'oauth', accessToken: `at-secret-${i}`, refreshToken: `rt-secret-${i}` },
            connection: { status: 'connected', detail: null },
            userSync: defaultUserSync(DESCRIPTORS.bamboohr.defaultMapping),
            groupSync: DEFAULT_GROUP_SYNC,
          });
          ids.push(integration.id);
          await putIntegrationSecret(store.db, before, DEFAULT_TENANT_ID, integration.id, 'webhook', { secret: `wh-secret-${i}` });
        }
        await saveOAuthState(store.db, before, { state: 'st', tenantId: DEFAULT_TENANT_ID, integrationId: ids[0]!, provider: 'bamboohr', codeVerifier: 'verifier-secret', redirectUri: 'http://x/cb', binding: { kind: 'tenant', value: DEFAULT_TENANT_ID }, ttlMs: 60_000 });

        const both = new Vault([newKey, oldKey]);
        assert.equal(await staleCount(store.db, both), 7);
        // Interrupted after two rows: everything still readable with both keys.
        const partial = await rotateVaultKeys(store.db, both, { maxRows: 2 });
        assert.equal(partial.integrations.reencrypted, 2);
        assert.equal(await staleCount(store.db, both), 5);
        for (const [i, id] of ids.entries()) assert.equal((await readCredentials(store.db, both, DEFAULT_TENANT_ID, id))!['accessToken'], `at-secret-${i}`);
        // Resumed: the rest.
        const rest = await rotateVaultKeys(store.db, both);
        assert.equal(rest.integrations.reencrypted, 1);
        assert.equal(rest.integrations.current, 2);
        assert.equal(rest.integrationSecrets.reencrypted, 3);
        assert.equal(rest.oauthStates.reencrypted, 1);
        assert.equal(await staleCount(store.db, both), 0);
        // Idempotent.
        const again = await rotateVaultKeys(store.db, both);
        assert.equal(again.integrations.reencrypted + again.integrationSecrets.reencrypted + again.oauthStates.reencrypted, 0);
        // The old key is no longer needed.
        const onlyNew = new Vault([newKey]);
        for (const [i, id] of ids.entries()) {
          assert.equal((await readCredentials(store.db, onlyNew, DEFAULT_TENANT_ID, id))!['refreshToken'], `rt-secret-${i}`);
          assert.equal((await getIntegrationSecret<{ secret: string }>(store.db, onlyNew, DEFAULT_TENANT_ID, id, 'webhook'))!.secret, `wh-secret-${i}`);
        }
        const dump = JSON.stringify([await store.db.selectFrom('integrations').selectAll().execute(), await store.db.selectFrom('integration_secrets').selectAll().execute(), await store.db.selectFrom('oauth_states').selectAll().execute()]);
        assert.equal(/secret-\d|verifier-secret/.test(dump), false, 'nothing in plain text');
      } finally {
        await store.close();
      }
    });
  });
}

describe('embedded key file and the CLI', () => {
  it('prepends a new key in DATA_DIR/secret.key with mode 0600', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'refresh-keys-'));
    const old = randomBytes(32).toString('base64');
    writeFileSync(path.join(dir, 'secret.key'), `${old}\n`, { mode: 0o600 });
    const keys = prependKeyFile(dir);
    assert.equal(keys.length, 2);
    assert.equal(keys[1]!.toString('base64'), old);
    assert.equal(statSync(path.join(dir, 'secret.key')).mode & 0o777, 0o600);
    assert.equal(parseKeys(readFileSync(path.join(dir, 'secret.key'), 'utf8')).length, 2);
  });

  it('`refresh keys rotate` in embedded mode re-encrypts and reports counts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'refresh-keys-'));
    const old = randomBytes(32);
    writeFileSync(path.join(dir, 'secret.key'), `${old.toString('base64')}\n`, { mode: 0o600 });
    const store = await openStore({ sqliteFile: path.join(dir, 'refresh.db') });
    await ensureTenant(store.db);
    const integration = await createIntegration(store.db, new Vault([old]), {
      tenantId: DEFAULT_TENANT_ID,
      provider: 'bamboohr',
      name: 'B',
      settings: { companyDomain: 'acme' },
      credentials: { apiKey: 'api-key-secret' },
      connection: { status: 'connected', detail: null },
      userSync: defaultUserSync(DESCRIPTORS.bamboohr.defaultMapping),
      groupSync: DEFAULT_GROUP_SYNC,
    });
    await store.close();
    const env = { ...process.env, DATA_DIR: dir, REFRESH_SECRET_KEY: '', DATABASE_URL: '', LOG_LEVEL: 'silent' };
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'rotate'], { env, encoding: 'utf8' });
    assert.match(out, /integrations\s+1 re-encrypted/);
    assert.match(out, /Done/);
    const keys = parseKeys(readFileSync(path.join(dir, 'secret.key'), 'utf8'));
    assert.equal(keys.length, 2);
    const reopened = await openStore({ sqliteFile: path.join(dir, 'refresh.db') });
    assert.equal((await readCredentials(reopened.db, new Vault([keys[0]!]), DEFAULT_TENANT_ID, integration.id))!['apiKey'], 'api-key-secret');
    await reopened.close();
  });
});

describe('log redaction', () => {
  it('logs nothing secret from credentials, tokens, OAuth and webhook secrets', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
    const secrets = ['api-key-LEAK1', 'access-LEAK2', 'refresh-LEAK3', 'client-secret-LEAK4', 'Bearer bearer-LEAK5', 'verifier-LEAK6', 'webhook-LEAK7', 'private-LEAK8', 'at-LEAK9', 'rt-LEAK10', 'pw-LEAK11'];
    logger.info({ credentials: { apiKey: secrets[0], accessToken: secrets[1], refreshToken: secrets[2] } }, 'a');
    logger.info({ integration: { id: 'i1', credentials: { apiKey: secrets[0] } } }, 'b');
    logger.info({ accessToken: secrets[1], refreshToken: secrets[2], clientSecret: secrets[3], headers: { authorization: secrets[4] } }, 'c');
    logger.info({ oauth: { codeVerifier: secrets[5], clientSecret: secrets[3] }, webhook: { secret: secrets[6], privateKey: secrets[7] } }, 'd');
    logger.info({ response: { access_token: secrets[8], refresh_token: secrets[9] }, password: secrets[10] }, 'e');
    const all = lines.join('');
    assert.equal(lines.length, 5);
    for (const s of secrets) assert.equal(all.includes(s.replace('Bearer ', '')), false, `${s} leaked`);
    assert.match(all, /\[redacted\]/);
    assert.match(all, /"id":"i1"/, 'the rest is still logged');
  });
});
