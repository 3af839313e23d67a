import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Vault, loadOrCreateKeyFile, parseKey } from '../../src/auth/vault.ts';

describe('credential vault', () => {
  it('round-trips secrets and never shows the plaintext in the ciphertext', () => {
    const vault = new Vault([randomBytes(32)]);
    const secret = JSON.stringify({ apiKey: 'super-secret-key-123' });
    const sealed = vault.encrypt(secret);
    assert.equal(sealed.includes('super-secret'), false);
    assert.equal(sealed.split('.')[1], vault.currentKeyId);
    assert.equal(vault.decrypt(sealed), secret);
    assert.notEqual(vault.encrypt(secret), sealed, 'a fresh IV every time');
  });
  it('reads old ciphertexts after a key rotation and flags them stale', () => {
    const oldKey = randomBytes(32);
    const sealed = new Vault([oldKey]).encrypt('x');
    const rotated = new Vault([randomBytes(32), oldKey]);
    assert.equal(rotated.decrypt(sealed), 'x');
    assert.equal(rotated.isStale(sealed), true);
    assert.equal(rotated.isStale(rotated.encrypt('x')), false);
  });
  it('refuses tampered ciphertexts and unknown keys', () => {
    const vault = new Vault([randomBytes(32)]);
    const sealed = vault.encrypt('hello');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('HELLO').toString('base64url');
    assert.throws(() => vault.decrypt(parts.join('.')), /failed authentication/);
    assert.throws(() => new Vault([randomBytes(32)]).decrypt(sealed), /not configured/);
  });
  it('generates the embedded key file with mode 0600 and keeps it across starts', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vault-'));
    const first = loadOrCreateKeyFile(dir);
    assert.equal(statSync(path.join(dir, 'secret.key')).mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateKeyFile(dir), first);
  });
  it('accepts hex and base64 keys and explains a bad one', () => {
    assert.equal(parseKey(randomBytes(32).toString('hex')).length, 32);
    assert.equal(parseKey(randomBytes(32).toString('base64')).length, 32);
    assert.throws(() => parseKey('short'), /REFRESH_SECRET_KEY must be 32 bytes/);
  });
});
