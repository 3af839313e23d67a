/**
 * Webhooks from BambooHR (issue 5 §8).
 *
 * BambooHR signs each delivery with the webhook's private key (HMAC-SHA256), sending
 * `X-BambooHR-Timestamp` and `X-BambooHR-Signature`; the signature covers the raw request body
 * followed by the timestamp (https://documentation.bamboohr.com/docs/webhooks, "Security"; the
 * same scheme in nango.dev/docs/api-integrations/bamboohr/webhooks, which also rejects deliveries
 * older than 5 minutes). Payloads name the people changed: field-based
 * `{"employees": [{"id", "action", "changedFields", "fields"}]}` or event-based
 * `{"type": "employee.updated", "data": {"employeeId", "changedFields"}}`.
 *
 * A delivery is accepted only when signed with the integration's key, at most 5 minutes old
 * (either way), and not seen before; then an incremental run is queued (or the running one
 * joined). Refusals are 401 and change nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AppContext } from './context.ts';
import { ApiError, validateBody } from './errors.ts';
import { WebhookSetupBody } from '../api/contract/webhooks.ts';
import { requestSync, requireIntegration } from './integrations-service.ts';
import { audit } from '../store/audit.ts';
import { publicBaseUrl } from './oauth-service.ts';
import { freshCredentials } from '../auth/oauth/credentials.ts';
import { createBambooClient } from '../providers/bamboohr/connector/client.ts';
import { isProviderError } from '../connectors/errors.ts';
import { descriptorOf } from '../providers/descriptors.ts';
import { getIntegrationSecret, putIntegrationSecret, recordWebhookDelivery } from '../store/oauth.ts';

export const SIGNATURE_HEADER = 'x-bamboohr-signature';
export const TIMESTAMP_HEADER = 'x-bamboohr-timestamp';
export const MAX_AGE_MS = 5 * 60_000;

const MONITOR_FIELDS = ['firstName', 'lastName', 'preferredName', 'workEmail', 'jobTitle', 'department', 'division', 'location', 'supervisorEId', 'employeeNumber', 'hireDate', 'terminationDate', 'status', 'employmentHistoryStatus'];

interface WebhookSecret {
  readonly secret: string;
  readonly providerWebhookId?: string;
}

export function webhookUrl(ctx: AppContext, integrationId: string): string {
  return `${publicBaseUrl(ctx)}/api/v1/webhooks/bamboohr/${encodeURIComponent(integrationId)}`;
}

/** Stores the webhook's secret in one transaction with its audit entry. */
async function saveWebhookSecret(ctx: AppContext, tenantId: string, id: string, secret: WebhookSecret, after: Record<string, unknown>): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    await putIntegrationSecret(trx, ctx.vault, tenantId, id, 'webhook', secret);
    await audit(trx, tenantId, 'integration.webhook_set', id, null, after);
  });
}

/** `POST /integrations/{id}/webhook`: returns the URL, and the secret once when ReFresh made or received it. */
export async function setupWebhook(ctx: AppContext, tenantId: string, id: string, body: unknown): Promise<{ url: string; secret?: string; registered: boolean; webhookId?: string }> {
  const input = validateBody(WebhookSetupBody, body);
  const integration = await requireIntegration(ctx, tenantId, id);
  if (!descriptorOf(integration.provider)?.capabilities.webhooks) throw new ApiError(400, 'webhooks_unsupported', `${integration.name} does not send webhooks to ReFresh.`);
  const url = webhookUrl(ctx, id);
  if (input.secret) {
    await saveWebhookSecret(ctx, tenantId, id, { secret: input.secret }, { url, registered: false });
    return { url, registered: false };
  }
  if (!input.register) {
    const secret = randomBytes(32).toString('hex');
    await saveWebhookSecret(ctx, tenantId, id, { secret }, { url, registered: false });
    return { url, secret, registered: false };
  }
  if (integration.connection.status !== 'connected') {
    throw new ApiError(409, 'not_connected', `${integration.name} is ${integration.connection.status}: connect it before registering a webhook.`);
  }
  try {
    const credentials = await freshCredentials(ctx.engine, integration);
    const client = createBambooClient({ baseUrl: String(integration.settings['baseUrl'] ?? ''), settings: integration.settings, credentials, http: { maxAttempts: 2, ...ctx.engine.httpPolicy } });
    const res = await client.post('/api/v1/webhooks', undefined, { name: 'ReFresh People Sync', monitorFields: MONITOR_FIELDS, postFields: {}, url, format: 'json' });
    const created = JSON.parse(res.text) as { id?: unknown; privateKey?: unknown };
    if (typeof created.privateKey !== 'string') throw new ApiError(502, 'provider_bad_data', 'BambooHR created the webhook but sent no private key; delete it in BambooHR and try again.');
    const webhookId = String(created.id ?? '');
    await saveWebhookSecret(ctx, tenantId, id, { secret: created.privateKey, providerWebhookId: webhookId }, { url, registered: true, webhookId });
    return { url, secret: created.privateKey, registered: true, webhookId };
  } catch (error) {
    if (isProviderError(error)) throw new ApiError(502, error.code, error.message);
    throw error;
  }
}

function refuse(code: string, message: string): ApiError {
  return new ApiError(401, code, message);
}

function parseTimestamp(value: string): number | null {
  if (/^\d{9,11}$/.test(value)) return Number(value) * 1000;
  if (/^\d{12,14}$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

/** The employee ids a delivery names (JSON field- or event-based, or form-encoded). */
export function employeesNamed(raw: Buffer, contentType: string): string[] {
  const ids = new Set<string>();
  const text = raw.toString('utf8');
  if (contentType.includes('json')) {
    try {
      const body = JSON.parse(text) as { employees?: { id?: unknown; employeeId?: unknown }[]; data?: { employeeId?: unknown } };
      for (const e of Array.isArray(body.employees) ? body.employees : []) {
        const v = e?.id ?? e?.employeeId;
        if (v !== undefined && v !== null) ids.add(String(v));
      }
      if (body.data?.employeeId !== undefined) ids.add(String(body.data.employeeId));
    } catch {}
  } else {
    for (const [k, v] of new URLSearchParams(text)) if (/(^|\])\[?(id|employeeId)\]?$/.test(k) || k === 'data[employeeId]') ids.add(v);
  }
  return [...ids];
}

export interface WebhookOutcome {
  readonly accepted: true;
  readonly employees: readonly string[];
  readonly runId: string | null;
  readonly note: string | null;
}

/** Verifies a delivery and queues an incremental run; throws 401 (and changes nothing) otherwise. */
export async function receiveWebhook(ctx: AppContext, integrationId: string, headers: Record<string, string | string[] | undefined>, raw: Buffer, now = Date.now()): Promise<WebhookOutcome> {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const signature = header(SIGNATURE_HEADER)?.trim().toLowerCase();
  const timestamp = header(TIMESTAMP_HEADER)?.trim();
  if (!signature || !timestamp) throw refuse('webhook_unsigned', 'The delivery has no X-BambooHR-Signature / X-BambooHR-Timestamp; it was refused.');
  const row = await ctx.store.db.selectFrom('integrations').select(['tenant_id', 'provider']).where('id', '=', integrationId).executeTakeFirst();
  const secret = row ? await getIntegrationSecret<WebhookSecret>(ctx.store.db, ctx.vault, row.tenant_id, integrationId, 'webhook') : undefined;
  // Same answer for an unknown integration as for a bad signature: no oracle for integration ids.
  if (!row || !secret) throw refuse('webhook_signature_invalid', 'The delivery is not signed with this integration\'s webhook key; it was refused.');
  const at = parseTimestamp(timestamp);
  if (at === null || Math.abs(now - at) > MAX_AGE_MS) throw refuse('webhook_stale', 'The delivery is older than 5 minutes (or from the future); it was refused.');
  const expected = createHmac('sha256', secret.secret).update(Buffer.concat([raw, Buffer.from(timestamp, 'utf8')])).digest();
  const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refuse('webhook_signature_invalid', 'The delivery is not signed with this integration\'s webhook key; it was refused.');
  }
  if (!(await recordWebhookDelivery(ctx.store.db, row.tenant_id, integrationId, signature, timestamp))) {
    throw refuse('webhook_replayed', 'This delivery was already received (same signature and timestamp); the replay was refused.');
  }
  const employees = employeesNamed(raw, String(headers['content-type'] ?? 'application/json'));
  try {
    const run = await requestSync(ctx, row.tenant_id, integrationId, { mode: 'incremental' }, 'webhook');
    return { accepted: true, employees, runId: run.id, note: null };
  } catch (error) {
    // A run already queued or running will see these changes (or the next one will): still accepted.
    if (error instanceof ApiError && error.status === 409) return { accepted: true, employees, runId: (error.details['runId'] as string | undefined) ?? null, note: error.message };
    throw error;
  }
}
