import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { withinTransaction } from '../store/transaction.ts';
import { newId, nowIso } from '../store/ids.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';

export const ADMIN_ROLES = ['organization_admin', 'compliance_manager'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** What the API shows of an admin: never the hash. */
export interface AdminUser {
  readonly id: string;
  readonly tenantId: string;
  readonly email: string;
  readonly role: AdminRole;
  readonly createdAt: string;
}

export function normalizeAdminEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

function toAdminUser(row: { id: string; tenant_id: string; email: string; role: string; created_at: string }): AdminUser {
  return { id: row.id, tenantId: row.tenant_id, email: row.email, role: row.role as AdminRole, createdAt: row.created_at };
}

export class AdminExistsError extends Error {
  readonly code = 'admin_exists';
  constructor(email: string) {
    super(`An admin with the email ${email} already exists; use \`refresh admin reset-password\` to change their password.`);
    this.name = 'AdminExistsError';
  }
}

/** Creates an admin; AdminExistsError when the tenant already has that email. */
export async function createAdminUser(db: Kysely<Database>, input: { tenantId: string; email: string; password: string; role?: AdminRole }): Promise<AdminUser> {
  const created = await insertAdminIfAbsent(db, input);
  if (!created) throw new AdminExistsError(normalizeAdminEmail(input.email));
  return created;
}

/** Inserts unless the email is taken (racing nodes: exactly one wins); undefined when taken. */
async function insertAdminIfAbsent(db: Kysely<Database>, input: { tenantId: string; email: string; password: string; role?: AdminRole }): Promise<AdminUser | undefined> {
  const row = {
    id: newId(),
    tenant_id: input.tenantId,
    email: normalizeAdminEmail(input.email),
    password_hash: await hashPassword(input.password),
    role: input.role ?? 'organization_admin',
    created_at: nowIso(),
  };
  const result = await db.insertInto('admin_users').values(row).onConflict((oc) => oc.columns(['tenant_id', 'email']).doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 ? toAdminUser(row) : undefined;
}

/** The row with its hash, for sign-in only. */
export async function findAdminForLogin(db: Kysely<Database>, tenantId: string, email: string) {
  return db.selectFrom('admin_users').selectAll().where('tenant_id', '=', tenantId).where('email', '=', normalizeAdminEmail(email)).executeTakeFirst();
}

export async function getAdminUser(db: Kysely<Database>, tenantId: string, id: string): Promise<AdminUser | undefined> {
  const row = await db.selectFrom('admin_users').select(['id', 'tenant_id', 'email', 'role', 'created_at']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toAdminUser(row) : undefined;
}

export async function countAdmins(db: Kysely<Database>, tenantId: string): Promise<number> {
  const row = await db.selectFrom('admin_users').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sets a new password and ends the admin's sessions (whoever held one must sign in again). */
export async function setAdminPassword(db: Kysely<Database>, tenantId: string, id: string, password: string): Promise<void> {
  const passwordHash = await hashPassword(password);
  await withinTransaction(db, async (trx) => {
    await trx.updateTable('admin_users').set({ password_hash: passwordHash }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await trx.deleteFrom('admin_sessions').where('tenant_id', '=', tenantId).where('user_id', '=', id).execute();
  });
}

export async function listAdmins(db: Kysely<Database>, tenantId: string): Promise<AdminUser[]> {
  const rows = await db.selectFrom('admin_users').select(['id', 'tenant_id', 'email', 'role', 'created_at']).where('tenant_id', '=', tenantId).orderBy('created_at').execute();
  return rows.map(toAdminUser);
}

/**
 * The first Organization Admin (DESIGN.md §3), on every start of every node. With
 * REFRESH_ADMIN_PASSWORD the configured email signs in with that password (created, or its
 * password reset to the configured one: the environment is the source of truth for that account).
 * Without it, a password is generated only when the tenant has no admin yet, and returned to be
 * printed once; it is stored only as a salted hash. Nodes starting together are safe: the insert
 * is conditional on the (tenant, email) key, so exactly one creates the admin and prints.
 */
export async function ensureFirstAdmin(
  db: Kysely<Database>,
  tenantId: string,
  email: string,
  password: string | undefined,
): Promise<{ email: string; generatedPassword: string | null; created: boolean }> {
  const normalized = normalizeAdminEmail(email);
  if (password) {
    if (await insertAdminIfAbsent(db, { tenantId, email, password })) return { email: normalized, generatedPassword: null, created: true };
    const existing = (await findAdminForLogin(db, tenantId, email))!;
    if (!(await verifyPassword(password, existing.password_hash))) await setAdminPassword(db, tenantId, existing.id, password);
    return { email: existing.email, generatedPassword: null, created: false };
  }
  if ((await countAdmins(db, tenantId)) > 0) return { email: normalized, generatedPassword: null, created: false };
  const generated = generatePassword();
  const created = await insertAdminIfAbsent(db, { tenantId, email, password: generated });
  return { email: normalized, generatedPassword: created ? generated : null, created: !!created };
}
