import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../store/private-files.ts';

/**
 * The credential vault: AES-256-GCM with a fresh 96-bit IV per secret and the key id stored in
 * every ciphertext (`v1.<keyId>.<iv>.<tag>.<data>`), so keys can rotate while old ciphertexts
 * stay readable until re-encrypted.
 */
export class Vault {
  readonly #keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('the vault needs at least one key');
    for (const key of keys) {
      if (key.length !== 32) throw new Error('vault keys must be 32 bytes');
      this.#keys.set(keyId(key), key);
    }
    this.currentKeyId = keyId(keys[0]!);
  }

  encrypt(plaintext: string): string {
    const key = this.#keys.get(this.currentKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(this.currentKeyId));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.currentKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  decrypt(ciphertext: string): string {
    const [version, id, iv, tag, data] = ciphertext.split('.');
    if (version !== 'v1' || !id || !iv || !tag || data === undefined) throw new VaultError('vault_malformed', 'the stored secret is not a vault ciphertext');
    const key = this.#keys.get(id);
    if (!key) throw new VaultError('vault_unknown_key', `the stored secret was encrypted with key ${id}, which is not configured`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new VaultError('vault_tampered', 'the stored secret failed authentication', { cause });
    }
  }

  encryptJson(value: unknown): string {
    return this.encrypt(JSON.stringify(value));
  }

  decryptJson<T>(ciphertext: string): T {
    return JSON.parse(this.decrypt(ciphertext)) as T;
  }

  /**
   * A keyed hash (HMAC-SHA256 under the current key) for looking a value up without storing it,
   * e.g. a client address: unlike a plain hash, nobody with only the database can test guesses.
   * A key rotation changes every fingerprint (what they index is short-lived or re-learnt).
   */
  fingerprint(purpose: string, value: string): string {
    return createHmac('sha256', this.#keys.get(this.currentKeyId)!).update(`${purpose}\0${value}`).digest('base64url');
  }

  /** Whether a ciphertext is under an older key and should be re-encrypted. */
  isStale(ciphertext: string): boolean {
    return ciphertext.split('.')[1] !== this.currentKeyId;
  }
}

export class VaultError extends Error {
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VaultError';
  }
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Parses one key: 64 hex chars or base64 of 32 bytes. */
export function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  if (decoded.length === 32) return decoded;
  throw new Error('REFRESH_SECRET_KEY must be 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`); several keys may be given comma-separated, the first encrypting');
}

export function parseKeys(text: string): Buffer[] {
  return text.split(',').filter((k) => k.trim() !== '').map(parseKey);
}

/**
 * Embedded mode: the key lives in DATA_DIR/secret.key (mode 0600), generated on first start.
 */
export function loadOrCreateKeyFile(dataDir: string): Buffer[] {
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    ensurePrivateDir(dataDir);
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return parseKeys(readFileSync(file, 'utf8'));
}
