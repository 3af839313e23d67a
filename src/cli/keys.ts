/**
 * `refresh keys …`: the organization's API keys (create, list, revoke) and the vault key (rotate).
 */
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { loadOrCreateKeyFile, parseKeys, Vault } from '../auth/vault.ts';
import { prependKeyFile, rotateVaultKeys, staleCount } from '../auth/key-rotation.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../store/tenants.ts';
import { audit, operatorActor } from '../store/audit.ts';
import { openStoreFor, table, withTenantStore } from './operator-store.ts';

/** `refresh keys create --name`: a new API key, printed once (only its hash is stored). */
export async function keysCreateCommand(opts: { name: string; tenant?: string }): Promise<void> {
  await withTenantStore(opts.tenant, async (store, tenantId) => {
    // The key and its audit entry commit together, as through the API.
    const { key, info } = await store.db.transaction().execute(async (trx) => {
      const made = await createApiKey(trx, tenantId, opts.name);
      await audit(trx, tenantId, 'api_key.created', made.info.id, null, { name: made.info.name, prefix: made.info.prefix }, operatorActor());
      return made;
    });
    console.log(`API key ${info.id} ("${info.name}") for ${tenantId}, shown once — keep it:\n${key}`);
  });
}

/** `refresh keys list`: id, name, prefix, created, last used; never the keys. */
export async function keysListCommand(opts: { tenant?: string }): Promise<void> {
  await withTenantStore(opts.tenant, async (store, tenantId) => {
    const keys = await listApiKeys(store.db, tenantId);
    if (keys.length === 0) return console.log(`No API keys for ${tenantId}; create one with \`refresh keys create --name …\`.`);
    console.log(table([['ID', 'NAME · PREFIX · CREATED · LAST USED'], ...keys.map((k) => [k.id, `${k.name} · ${k.prefix}… · ${k.createdAt} · ${k.lastUsedAt ?? 'never'}`] as const)]));
  });
}

/** `refresh keys revoke <id>`: the key stops working at once. */
export async function keysRevokeCommand(id: string, opts: { tenant?: string }): Promise<void> {
  await withTenantStore(opts.tenant, async (store, tenantId) => {
    const revoked = await store.db.transaction().execute(async (trx) => {
      const gone = await revokeApiKey(trx, tenantId, id);
      if (gone) await audit(trx, tenantId, 'api_key.revoked', gone.id, { name: gone.name, prefix: gone.prefix }, null, operatorActor());
      return gone;
    });
    if (!revoked) throw new Error(`No API key ${id} for ${tenantId}; \`refresh keys list\` shows their ids.`);
    console.log(`Revoked API key ${revoked.id} ("${revoked.name}", ${revoked.prefix}…).`);
  });
}

/**
 * `refresh keys rotate`: re-encrypts every stored credential under a new vault key.
 *
 * Production: set REFRESH_SECRET_KEY="new,old" on every node first (the first key encrypts, all
 * decrypt), run this once, then drop the old key when it reports nothing left under it.
 * Embedded: a new key is generated and prepended in DATA_DIR/secret.key (mode 0600); restart
 * `refresh start` afterwards so the running process knows the new key. Interrupted runs resume:
 * a second run re-encrypts only what is still under an older key.
 */
export async function keysRotateCommand(): Promise<void> {
  const config = loadConfig();
  const store = await openStoreFor(config);
  try {
    let vault: Vault;
    if (config.secretKey) {
      vault = new Vault(parseKeys(config.secretKey));
      console.log(`Re-encrypting under key ${vault.currentKeyId} (the first of REFRESH_SECRET_KEY).`);
    } else if (config.databaseUrl) {
      throw new Error('Invalid configuration: REFRESH_SECRET_KEY is required with DATABASE_URL; set it to "new-key,old-key" on every node, then run this again');
    } else {
      const existing = new Vault(loadOrCreateKeyFile(config.dataDir));
      const keys = loadOrCreateKeyFile(config.dataDir);
      if (keys.length > 1 && (await staleCount(store.db, existing)) > 0) {
        vault = existing;
        console.log(`Resuming an interrupted rotation to key ${vault.currentKeyId}.`);
      } else {
        vault = new Vault(prependKeyFile(config.dataDir));
        console.log(`New key ${vault.currentKeyId} added to ${path.join(config.dataDir, 'secret.key')} (old keys kept for decryption).`);
      }
    }
    const report = await rotateVaultKeys(store.db, vault);
    const rows: [string, string][] = Object.entries(report).map(([name, c]) => [name, `${c.reencrypted} re-encrypted, ${c.current} already current, ${c.skipped} skipped (of ${c.total})`]);
    console.log(table(rows));
    const left = await staleCount(store.db, vault);
    console.log(left === 0 ? 'Done: every secret is under the new key.' : `${left} secrets are still under an older key (changed meanwhile?); run this again.`);
    if (!config.secretKey && !config.databaseUrl) console.log('Restart `refresh start` so the running process uses the new key.');
    process.exitCode = left === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}
