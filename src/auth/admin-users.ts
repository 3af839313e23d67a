import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
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

export async function createAdminUser(db: Kysely<Database>, input: { tenantId: string; email: string; password: string; role?: AdminRole }): Promise<AdminUser> {
  const row = {
    id: newId(),
    tenant_id: input.tenantId,
    email: normalizeAdminEmail(input.email),
    password_hash: await hashPassword(input.password),
    role: input.role ?? 'organization_admin',
    created_at: nowIso(),
  };
  await db.insertInto('admin_users').values(row).execute();
  return toAdminUser(row);
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

export async function setAdminPassword(db: Kysely<Database>, tenantId: string, id: string, password: string): Promise<void> {
  await db.updateTable('admin_users').set({ password_hash: await hashPassword(password) }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/**
 * The first Organization Admin (DESIGN.md §3). With REFRESH_ADMIN_PASSWORD the configured email
 * signs in with that password (created, or its password reset to the configured one). Without
 * it, a password is generated only when the tenant has no admin yet, and returned to be printed
 * once; it is stored only as a salted hash.
 */
export async function ensureFirstAdmin(
  db: Kysely<Database>,
  tenantId: string,
  email: string,
  password: string | undefined,
): Promise<{ email: string; generatedPassword: string | null; created: boolean }> {
  const existing = await findAdminForLogin(db, tenantId, email);
  if (password) {
    if (!existing) {
      await createAdminUser(db, { tenantId, email, password });
      return { email: normalizeAdminEmail(email), generatedPassword: null, created: true };
    }
    if (!(await verifyPassword(password, existing.password_hash))) await setAdminPassword(db, tenantId, existing.id, password);
    return { email: existing.email, generatedPassword: null, created: false };
  }
  if (existing || (await countAdmins(db, tenantId)) > 0) return { email: existing?.email ?? normalizeAdminEmail(email), generatedPassword: null, created: false };
  const generated = generatePassword();
  await createAdminUser(db, { tenantId, email, password: generated });
  return { email: normalizeAdminEmail(email), generatedPassword: generated, created: true };
}
