/**
 * `refresh admin create|reset-password|list`: console admins, for operators. A password is read
 * from stdin with `--password-stdin` (never from the command line, where `ps` would show it) or
 * generated and printed once; it is stored only as a salted scrypt hash.
 */
import { ADMIN_ROLES, createAdminUser, findAdminForLogin, listAdmins, normalizeAdminEmail, setAdminPassword, type AdminRole } from '../auth/admin-users.ts';
import { generatePassword, MIN_PASSWORD_LENGTH } from '../auth/passwords.ts';
import { loadConfig } from '../config.ts';
import { audit, operatorActor } from '../store/audit.ts';
import { readPasswordFromStdin, table, withTenantStore } from './operator-store.ts';

interface PasswordOptions {
  readonly passwordStdin?: boolean;
  readonly tenant?: string;
}

async function chosenPassword(opts: PasswordOptions): Promise<{ password: string; generated: boolean }> {
  if (!opts.passwordStdin) return { password: generatePassword(), generated: true };
  const password = await readPasswordFromStdin();
  if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`The password must be at least ${MIN_PASSWORD_LENGTH} characters.`);
  return { password, generated: false };
}

function checkEmail(email: string): string {
  const normalized = normalizeAdminEmail(email);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized) || normalized.length > 320) throw new Error(`"${email}" is not an email address.`);
  return normalized;
}

export async function adminCreateCommand(email: string, opts: PasswordOptions & { role: string }): Promise<void> {
  const address = checkEmail(email);
  if (!(ADMIN_ROLES as readonly string[]).includes(opts.role)) throw new Error(`--role must be one of: ${ADMIN_ROLES.join(', ')}`);
  const { password, generated } = await chosenPassword(opts);
  await withTenantStore(opts.tenant, async (store, tenantId) => {
    const admin = await store.db.transaction().execute(async (trx) => {
      const made = await createAdminUser(trx, { tenantId, email: address, password, role: opts.role as AdminRole });
      await audit(trx, tenantId, 'admin.created', made.id, null, { email: made.email, role: made.role }, operatorActor());
      return made;
    });
    console.log(`Created ${admin.role} ${admin.email} in ${tenantId}.`);
    if (generated) console.log(`Password (shown once — keep it): ${password}`);
  });
}

export async function adminResetPasswordCommand(email: string, opts: PasswordOptions): Promise<void> {
  const address = checkEmail(email);
  const { password, generated } = await chosenPassword(opts);
  await withTenantStore(opts.tenant, async (store, tenantId) => {
    const admin = await findAdminForLogin(store.db, tenantId, address);
    if (!admin) throw new Error(`No admin ${address} in ${tenantId}; \`refresh admin list\` shows them, \`refresh admin create\` adds one.`);
    await store.db.transaction().execute(async (trx) => {
      await setAdminPassword(trx, tenantId, admin.id, password);
      await audit(trx, tenantId, 'admin.password_reset', admin.id, null, { email: admin.email }, operatorActor());
    });
    console.log(`New password set for ${admin.email}; their sessions were ended.`);
    if (generated) console.log(`Password (shown once — keep it): ${password}`);
    const config = loadConfig();
    if (config.adminPassword && normalizeAdminEmail(config.adminEmail) === admin.email) {
      console.log('Note: REFRESH_ADMIN_PASSWORD is set for this admin, and every start of ReFresh sets it again; unset it to keep this password.');
    }
  });
}

export async function adminListCommand(opts: { tenant?: string }): Promise<void> {
  await withTenantStore(opts.tenant, async (store, tenantId) => {
    const admins = await listAdmins(store.db, tenantId);
    if (admins.length === 0) return console.log(`No admins in ${tenantId}; add one with \`refresh admin create <email>\`.`);
    console.log(table([['EMAIL', 'ROLE · CREATED'], ...admins.map((a) => [a.email, `${a.role} · ${a.createdAt}`] as const)]));
  });
}
