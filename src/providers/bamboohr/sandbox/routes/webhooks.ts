/**
 * Webhooks from the sandbox, as BambooHR sends them (https://documentation.bamboohr.com/docs/webhooks):
 * a POST of JSON to the registered URL when monitored employees change, signed with the
 * webhook's private key: `X-BambooHR-Timestamp` (Unix seconds) and `X-BambooHR-Signature` =
 * hex HMAC-SHA256 over the raw body followed by the timestamp. Body (field-based format):
 *   {"employees": [{"id": "123", "action": "Updated", "timestamp": "…", "changedFields": [], "fields": {…}}]}
 *
 * Registration: the API's `POST /api/v1/webhooks` (NewWebHook; answers with the `privateKey`,
 * once), `GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}`; or the control surface
 * `POST /_sandbox/webhooks {"url", "privateKey"?}`, `GET /_sandbox/webhooks` (with deliveries).
 * Changes are batched for `batchMs` (default 50 ms) into one delivery per webhook.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJson, sendJson, type ApiContext, type SandboxState } from '../http.ts';
import type { ChangeAction } from '../roster.ts';

export interface SandboxWebhook {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly privateKey: string;
  readonly monitorFields: readonly string[];
  readonly created: string;
  lastSent: string | null;
}

export interface Delivery {
  readonly webhookId: string;
  readonly at: string;
  readonly employees: number;
  status: number | null;
  error: string | null;
}

export function signWebhook(privateKey: string, rawBody: string, timestamp: string): string {
  return createHmac('sha256', privateKey).update(rawBody + timestamp).digest('hex');
}

export class SandboxWebhooks {
  readonly hooks = new Map<string, SandboxWebhook>();
  readonly deliveries: Delivery[] = [];
  batchMs = 50;
  private nextId = 1;
  private pending = new Map<string, ChangeAction>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();

  constructor(private readonly state: SandboxState) {}

  register(input: { url: string; name?: string; privateKey?: string; monitorFields?: readonly string[] }): SandboxWebhook {
    try {
      const u = new URL(input.url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
    } catch {
      throw new HttpError(400, 'url must be an http(s) URL');
    }
    const hook: SandboxWebhook = {
      id: String(this.nextId++),
      name: input.name ?? 'webhook',
      url: input.url,
      privateKey: input.privateKey ?? randomBytes(32).toString('hex'),
      monitorFields: input.monitorFields ?? [],
      created: new Date().toISOString(),
      lastSent: null,
    };
    this.hooks.set(hook.id, hook);
    return hook;
  }

  /** Called by the roster on every change. */
  notify(id: string, action: ChangeAction): void {
    if (this.hooks.size === 0) return;
    const before = this.pending.get(id);
    this.pending.set(id, before === 'Inserted' && action === 'Updated' ? 'Inserted' : action);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const p = this.flush().finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, this.batchMs);
  }

  /** Sends what is pending now; resolves when every delivery got an answer. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = [...this.pending];
    this.pending.clear();
    if (batch.length > 0) {
      const at = new Date().toISOString();
      const employees = batch.map(([id, action]) => {
        const e = this.state.roster.get(id);
        return { id, action, timestamp: at, changedFields: [] as string[], fields: e ? { firstName: e.firstName, lastName: e.lastName, workEmail: e.workEmail, status: e.status } : {} };
      });
      const body = JSON.stringify({ employees });
      await Promise.all([...this.hooks.values()].map((hook) => this.deliver(hook, body, employees.length)));
    }
    await Promise.all([...this.inFlight]);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async deliver(hook: SandboxWebhook, body: string, count: number): Promise<void> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const delivery: Delivery = { webhookId: hook.id, at: new Date().toISOString(), employees: count, status: null, error: null };
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.splice(0, this.deliveries.length - 1000);
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-BambooHR-Timestamp': timestamp, 'X-BambooHR-Signature': signWebhook(hook.privateKey, body, timestamp) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      delivery.status = res.status;
      hook.lastSent = delivery.at;
    } catch (err) {
      delivery.error = err instanceof Error ? err.message : String(err);
    }
  }
}

const instances = new WeakMap<SandboxState, SandboxWebhooks>();

export function attachWebhooks(state: SandboxState): SandboxWebhooks {
  const hub = new SandboxWebhooks(state);
  instances.set(state, hub);
  state.roster.onChange = (id, action) => hub.notify(id, action);
  return hub;
}

function hubOf(ctx: ApiContext): SandboxWebhooks {
  const hub = instances.get(ctx.state);
  if (!hub) throw new HttpError(404, 'Webhooks are not available');
  return hub;
}

const publicView = (h: SandboxWebhook) => ({ id: h.id, name: h.name, created: h.created, lastSent: h.lastSent, url: h.url, monitorFields: h.monitorFields });

/** `POST /api/v1/webhooks` (NewWebHook): 201 with the private key, shown once. */
export async function postWebhook(ctx: ApiContext): Promise<void> {
  const body = (await readJson(ctx.req)) as Record<string, unknown> | undefined;
  if (!body || typeof body['url'] !== 'string' || typeof body['name'] !== 'string' || !Array.isArray(body['monitorFields'])) {
    throw new HttpError(400, 'name, monitorFields and url are required');
  }
  const hook = hubOf(ctx).register({ url: body['url'], name: body['name'], monitorFields: (body['monitorFields'] as unknown[]).map(String) });
  sendJson(ctx.res, 201, { ...publicView(hook), postFields: {}, format: 'json', privateKey: hook.privateKey, includeCompanyDomain: false });
}

export function getWebhooks(ctx: ApiContext): void {
  sendJson(ctx.res, 200, { webhooks: [...hubOf(ctx).hooks.values()].map(publicView) });
}

export function deleteWebhook(ctx: ApiContext): void {
  const hub = hubOf(ctx);
  if (!hub.hooks.delete(ctx.params['id'] ?? '')) throw new HttpError(404, `No webhook ${ctx.params['id'] ?? ''}`);
  ctx.res.writeHead(200).end();
}

/** `/_sandbox/webhooks` control; false when the path is another one. */
export async function handleWebhookControl(req: IncomingMessage, res: ServerResponse, path: string, state: SandboxState): Promise<boolean> {
  if (path !== '/_sandbox/webhooks') return false;
  const hub = instances.get(state);
  if (!hub) return false;
  if (req.method === 'GET') {
    sendJson(res, 200, { webhooks: [...hub.hooks.values()].map(publicView), deliveries: hub.deliveries });
    return true;
  }
  if (req.method === 'POST') {
    try {
      const body = (await readJson(req)) as Record<string, unknown> | undefined;
      if (!body || typeof body['url'] !== 'string') throw new HttpError(400, 'expected {"url": "…", "privateKey"?: "…"}');
      const hook = hub.register({ url: body['url'], ...(typeof body['privateKey'] === 'string' ? { privateKey: body['privateKey'] } : {}) });
      sendJson(res, 201, { ...publicView(hook), privateKey: hook.privateKey });
    } catch (err) {
      sendJson(res, err instanceof HttpError ? err.status : 500, { error: { code: 'bad_request', message: err instanceof Error ? err.message : String(err) } });
    }
    return true;
  }
  return false;
}
