import { z } from 'zod';

/** `GET /health/live`: the process answers (its event loop turns). */
export const Liveness = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });

/** What readiness checked; a 503's `error.details.checks` has the same shape. */
export const ReadinessChecks = z.object({
  database: z.enum(['ok', 'unreachable']).describe('The database answered a query within 2 seconds'),
  migrations: z.enum(['current', 'pending', 'unknown']).describe('Every migration this version has is applied'),
});

/** `GET /health/ready` when this node should get traffic (otherwise 503 `not_ready` saying why). */
export const Readiness = z.object({ status: z.literal('ready'), database: z.enum(['sqlite', 'postgres']), checks: ReadinessChecks }).meta({ id: 'Readiness' });
