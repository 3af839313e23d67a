/**
 * Vault key rotation: re-encrypts every stored secret under the vault's first key.
 *
 * Safe to run while the service runs and to interrupt: each row is rewritten with a
 * compare-and-set on its old ciphertext (a concurrent token refresh wins and is left alone), old
 * ciphertexts stay readable as long as the old key is configured, and a second run only touches
 * what is still under an older key.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { loadOrCreateKeyFile, parseKeys, type Vault } from './vault.ts';
import type { Database } from '../store/schema.ts';

export interface RotationCounts {
  /** Ciphertexts seen. */
  total: number;
  /** Re-encrypted by this run. */
  reencrypted: number;
  /** Already under the current key. */
  current: number;
  /** Changed by someone else meanwhile (they wrote under the current key), or unreadable. */
  skipped: number;
}

export type RotationReport = Record<'integrations' | 'integrationSecrets' | 'oauthStates', RotationCounts>;

const empty = (): RotationCounts => ({ total: 0, reencrypted: 0, current: 0, skipped: 0 });

export async function rotateVaultKeys(db: Kysely<Database>, vault: Vault, opts: { maxRows?: number } = {}): Promise<RotationReport> {
  const report: RotationReport = { integrations: empty(), integrationSecrets: empty(), oauthStates: empty() };
  let budget = opts.maxRows ?? Number.POSITIVE_INFINITY;
  const step = (c: RotationCounts, old: string): string | null => {
    c.total += 1;
    if (!vault.isStale(old)) {
      c.current += 1;
      return null;
    }
    if (budget <= 0) return null;
    try {
      return vault.encrypt(vault.decrypt(old));
    } catch {
      c.skipped += 1;
      return null;
    }
  };

  for (const row of await db.selectFrom('integrations').select(['id', 'credentials']).where('credentials', 'is not', null).orderBy('id').execute()) {
    const next = step(report.integrations, row.credentials!);
    if (next === null) continue;
    budget -= 1;
    const r = await db.updateTable('integrations').set({ credentials: next }).where('id', '=', row.id).where('credentials', '=', row.credentials!).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) report.integrations.reencrypted += 1;
    else report.integrations.skipped += 1;
  }
  for (const row of await db.selectFrom('integration_secrets').select(['integration_id', 'kind', 'ciphertext']).orderBy('integration_id').orderBy('kind').execute()) {
    const next = step(report.integrationSecrets, row.ciphertext);
    if (next === null) continue;
    budget -= 1;
    const r = await db.updateTable('integration_secrets').set({ ciphertext: next }).where('integration_id', '=', row.integration_id).where('kind', '=', row.kind).where('ciphertext', '=', row.ciphertext).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) report.integrationSecrets.reencrypted += 1;
    else report.integrationSecrets.skipped += 1;
  }
  for (const row of await db.selectFrom('oauth_states').select(['state_hash', 'code_verifier']).where('consumed_at', 'is', null).orderBy('state_hash').execute()) {
    const next = step(report.oauthStates, row.code_verifier);
    if (next === null) continue;
    budget -= 1;
    const r = await db.updateTable('oauth_states').set({ code_verifier: next }).where('state_hash', '=', row.state_hash).where('code_verifier', '=', row.code_verifier).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) report.oauthStates.reencrypted += 1;
    else report.oauthStates.skipped += 1;
  }
  return report;
}

/** Whether anything is still encrypted under an older key. */
export async function staleCount(db: Kysely<Database>, vault: Vault): Promise<number> {
  const rows = [
    ...(await db.selectFrom('integrations').select('credentials as c').where('credentials', 'is not', null).execute()),
    ...(await db.selectFrom('integration_secrets').select('ciphertext as c').execute()),
    ...(await db.selectFrom('oauth_states').select('code_verifier as c').where('consumed_at', 'is', null).execute()),
  ];
  return rows.filter((r) => r.c !== null && vault.isStale(r.c)).length;
}

/**
 * Embedded mode: prepends a new key to DATA_DIR/secret.key (mode 0600, written atomically), the
 * old ones kept so their ciphertexts stay readable. Returns the keys, the new one first.
 */
export function prependKeyFile(dataDir: string): Buffer[] {
  const file = path.join(dataDir, 'secret.key');
  const existing = existsSync(file) ? readFileSync(file, 'utf8').trim() : loadOrCreateKeyFile(dataDir).map((k) => k.toString('base64')).join(',');
  const next = `${randomBytes(32).toString('base64')},${existing.split(/[\s,]+/).filter(Boolean).join(',')}\n`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, next, { mode: 0o600 });
  renameSync(tmp, file);
  chmodSync(file, 0o600);
  return parseKeys(next);
}
