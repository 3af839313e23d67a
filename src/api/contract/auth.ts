import { z } from 'zod';
import { Timestamp } from './common.ts';

export const LoginBody = z.strictObject({
  email: z.string({ message: 'Enter your email.' }).trim().min(1, 'Enter your email.').max(320),
  password: z.string({ message: 'Enter your password.' }).min(1, 'Enter your password.').max(1024),
  tenantId: z.string().min(1).max(100).optional(),
});

export const AdminUser = z
  .object({ id: z.string(), email: z.string(), role: z.enum(['organization_admin', 'compliance_manager']), tenantId: z.string() })
  .meta({ id: 'AdminUser' });

export const LoginResult = z.object({ user: AdminUser, csrfToken: z.string().describe('Send as X-CSRF-Token on writes made with the session cookie'), expiresAt: Timestamp });

export const Me = z.object({
  user: AdminUser.nullable(),
  csrfToken: z.string().nullable(),
  expiresAt: Timestamp.nullable(),
  via: z.enum(['session', 'api_key']),
});
