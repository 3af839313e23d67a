import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from './context.ts';
import { badCursor, cursorKey } from './errors.ts';
import { parseJson } from '../store/ids.ts';

/**
 * The audit log is two streams merged at read time: admin and system events (`audit_events`)
 * and every change a sync run applied (`run_changes`, timed by its run). Writing a second copy of
 * each synced change would double the cost of a 100,000-person first sync for no new fact.
 */
export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: { type: 'admin' | 'system' | 'run' | 'operator'; id: string | null; integrationId?: string | null };
  readonly action: string;
  readonly entity: { type: string; id: string | null; name?: string | null };
  readonly before: unknown;
  readonly after: unknown;
  readonly reason?: string | null;
}

export interface AuditQuery {
  readonly employeeId?: string;
  readonly integrationId?: string;
  readonly actor?: 'admin' | 'system' | 'run' | 'operator';
  readonly limit: number;
  readonly cursor?: string;
}

interface Position {
  /** Last audit event consumed: [at, id]. */
  a?: [string, string];
  /** Last run change consumed: [at, runId, seq]. */
  c?: [string, string, number];
  /** A stream that is exhausted. */
  ad?: 1;
  cd?: 1;
}

const Key = z.string().min(1).max(100);
/** A cursor as `listAudit` writes it, and nothing else: a forged one is a 400, never a query. */
const PositionSchema = z.strictObject({
  a: z.tuple([Key, Key]).optional(),
  c: z.tuple([Key, Key, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).optional(),
  ad: z.literal(1).optional(),
  cd: z.literal(1).optional(),
});

function decode(cursor: string | undefined): Position {
  const text = cursorKey(cursor, (key) => key.startsWith('{'));
  if (text === undefined) return {};
  try {
    const parsed = PositionSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: refused below
  }
  throw badCursor();
}

export async function listAudit(ctx: AppContext, tenantId: string, q: AuditQuery): Promise<{ data: AuditEntry[]; nextCursor: string | null }> {
  const { db } = ctx.store;
  const pos = decode(q.cursor);
  const take = q.limit + 1;

  let events: AuditEntry[] = [];
  if (!pos.ad && q.actor !== 'run') {
    let e = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
    if (q.employeeId) e = e.where('entity_id', '=', q.employeeId);
    if (q.integrationId) e = e.where((eb) => eb.or([eb('entity_id', '=', q.integrationId!), eb('after', 'like', `%${q.integrationId}%`)]));
    if (q.actor) e = e.where('actor_type', '=', q.actor);
    if (pos.a) {
      const [at, id] = pos.a;
      e = e.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await e.orderBy('at', 'desc').orderBy('id', 'desc').limit(take).execute();
    events = rows.map((r) => ({
      id: `a:${r.id}`,
      at: r.at,
      actor: { type: r.actor_type as AuditEntry['actor']['type'], id: r.actor_id },
      action: r.action,
      entity: { type: r.entity_type, id: r.entity_id },
      before: parseJson(r.before, null),
      after: parseJson(r.after, null),
    }));
  }

  let changes: (AuditEntry & { key: [string, string, number] })[] = [];
  if (!pos.cd && (q.actor === undefined || q.actor === 'run')) {
    const at = sql<string>`coalesce(runs.finished_at, runs.started_at, runs.created_at)`;
    let c = db
      .selectFrom('run_changes')
      .innerJoin('runs', 'runs.id', 'run_changes.run_id')
      .select(['run_changes.run_id', 'run_changes.seq', 'run_changes.kind', 'run_changes.employee_id', 'run_changes.external_id', 'run_changes.display_name', 'run_changes.before', 'run_changes.after', 'run_changes.reason', 'runs.integration_id', at.as('at')])
      .where('run_changes.tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('run_changes.applied', '=', 1), eb('run_changes.seq', '<=', eb.ref('runs.applied_through'))]))
      .where('run_changes.kind', 'not in', ['noop', 'skipped', 'failed'])
      .where('runs.dry_run', '=', 0);
    if (q.employeeId) c = c.where('run_changes.employee_id', '=', q.employeeId);
    if (q.integrationId) c = c.where('runs.integration_id', '=', q.integrationId);
    if (pos.c) {
      const [pAt, pRun, pSeq] = pos.c;
      c = c.where((eb) =>
        eb.or([
          eb(at, '<', pAt),
          eb.and([eb(at, '=', pAt), eb('run_changes.run_id', '<', pRun)]),
          eb.and([eb(at, '=', pAt), eb('run_changes.run_id', '=', pRun), eb('run_changes.seq', '<', pSeq)]),
        ]),
      );
    }
    const rows = await c.orderBy(at, 'desc').orderBy('run_changes.run_id', 'desc').orderBy('run_changes.seq', 'desc').limit(take).execute();
    changes = rows.map((r) => ({
      id: `c:${r.run_id}:${r.seq}`,
      key: [r.at, r.run_id, r.seq] as [string, string, number],
      at: r.at,
      actor: { type: 'run' as const, id: r.run_id, integrationId: r.integration_id },
      action: `employee.${r.kind}`,
      entity: { type: r.kind.startsWith('group') || r.kind.startsWith('membership') ? 'group' : 'employee', id: r.employee_id, name: r.display_name },
      before: parseJson(r.before, null),
      after: parseJson(r.after, null),
      reason: r.reason,
    }));
  }

  // Merge newest first; remember how far each stream was consumed.
  const data: AuditEntry[] = [];
  let ai = 0;
  let ci = 0;
  const next: Position = { ...pos };
  while (data.length < q.limit && (ai < events.length || ci < changes.length)) {
    const a = events[ai];
    const c = changes[ci];
    if (a && (!c || a.at >= c.at)) {
      data.push(a);
      next.a = [a.at, a.id.slice(2)];
      ai += 1;
    } else if (c) {
      const { key, ...entry } = c;
      data.push(entry);
      next.c = key;
      ci += 1;
    }
  }
  const more = ai < events.length || ci < changes.length || events.length === take || changes.length === take;
  if (ai >= events.length && events.length < take) next.ad = 1;
  if (ci >= changes.length && changes.length < take) next.cd = 1;
  return { data, nextCursor: more ? Buffer.from(JSON.stringify(next)).toString('base64url') : null };
}
