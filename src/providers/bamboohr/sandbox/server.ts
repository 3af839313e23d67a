/**
 * The BambooHR sandbox: a local simulator of BambooHR's API (per the published OpenAPI in
 * `shared/specs/bamboohr-public-openapi.yaml`) over real HTTP, with seeded data, an in-process
 * control surface (`roster`, `faults`) mirrored under `/_sandbox/...`, and fault knobs.
 *
 * API paths are served both as the contract writes them (`/api/v1/...`, on
 * `https://{companyDomain}.bamboohr.com`) and in the classic gateway form
 * (`/api/gateway.php/{companyDomain}/v1/...`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logAndDelay, requestPath, startHttpServer } from '../../../sandbox/shared/http-server.ts';
import { BambooFaults } from './faults.ts';
import { generateBaseCompany } from '../../../sandbox/base-roster.ts';
import { HttpError, hostBase, sendApiError, sendJson, type ApiContext, type SandboxState } from './http.ts';
import { BambooRoster } from './roster.ts';
import { handleControl } from './routes/control.ts';
import { getDataFromDataset, getDatasetFields, getDatasets } from './routes/datasets.ts';
import { getEmployeesDirectory } from './routes/directory.ts';
import { getEmployee } from './routes/employee.ts';
import { getChangedEmployeeIds } from './routes/employees-changed.ts';
import { getEmployeesList } from './routes/employees-list.ts';
import { getMetaFields, getMetaLists } from './routes/meta.ts';
import { handleOAuth, SandboxOAuth, type SandboxOAuthClient } from '../../../sandbox/shared/oauth-server.ts';
import { attachWebhooks, deleteWebhook, getWebhooks, handleWebhookControl, postWebhook, type SandboxWebhooks } from './routes/webhooks.ts';

export interface BambooSandboxOptions {
  /** Seeded employees (default 200). */
  employees?: number;
  /** Data seed (default 1): the same seed and count give the same people. */
  seed?: number;
  /** Default 0 = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Valid API keys; default ['sandbox-key']. */
  apiKeys?: string[];
  /** Default 'sandbox'. */
  companyDomain?: string;
  /** Largest dataset page_size served (larger requests are clamped); default 1000. */
  pageSizeMax?: number;
  /** Split departments into about this many teams (see GenerateOptions.teams). */
  teams?: number;
  /** OAuth apps that may connect (`/authorize.php`, `/token.php`); none by default. */
  oauthClients?: SandboxOAuthClient[];
}

export interface BambooSandbox {
  /** e.g. `http://127.0.0.1:9101` */
  url: string;
  port: number;
  roster: BambooRoster;
  faults: BambooFaults;
  /** OAuth server state and knobs (`revokeGrant`, `accessTokenSeconds`, `expireAccessTokens`). */
  oauth: SandboxOAuth;
  /** Registered webhooks and their deliveries. */
  webhooks: SandboxWebhooks;
  close(): Promise<void>;
}

type Handler = (ctx: ApiContext) => void | Promise<void>;
interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly handler: Handler;
}

function route(method: string, template: string, handler: Handler): Route {
  const keys: string[] = [];
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, k: string) => {
    keys.push(k);
    return '([^/]+)';
  });
  return { method, pattern: new RegExp(`^${source}$`), keys, handler };
}

// Specific paths before parameterised ones (`/employees/changed` before `/employees/{id}`).
const ROUTES: readonly Route[] = [
  route('GET', '/api/v1/datasets', getDatasets),
  route('GET', '/api/v1/datasets/{datasetName}/fields', getDatasetFields),
  route('POST', '/api/v1/datasets/{datasetName}', getDataFromDataset),
  route('GET', '/api/v1/employees/changed', getChangedEmployeeIds),
  route('GET', '/api/v1/employees/directory', getEmployeesDirectory),
  route('GET', '/api/v1/employees', getEmployeesList),
  route('GET', '/api/v1/employees/{id}', getEmployee),
  route('GET', '/api/v1/meta/lists', getMetaLists),
  route('GET', '/api/v1/meta/fields', getMetaFields),
  route('GET', '/api/v1/webhooks', getWebhooks),
  route('POST', '/api/v1/webhooks', postWebhook),
  route('DELETE', '/api/v1/webhooks/{id}', deleteWebhook),
];

const GATEWAY = /^\/api\/gateway\.php\/([^/]+)\/v1(\/.*)?$/;
const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Basic realm="BambooHR API"' };

export async function startBambooSandbox(opts: BambooSandboxOptions = {}): Promise<BambooSandbox> {
  const employees = opts.employees ?? 200;
  if (!Number.isInteger(employees) || employees < 0) throw new RangeError('employees must be a whole number ≥ 0');
  const seed = opts.seed ?? 1;
  const apiKeys = opts.apiKeys ?? ['sandbox-key'];
  const companyDomain = opts.companyDomain ?? 'sandbox';
  const pageSizeMax = opts.pageSizeMax ?? 1000;
  if (!Number.isInteger(pageSizeMax) || pageSizeMax < 1) throw new RangeError('pageSizeMax must be a whole number ≥ 1');

  // The whole company every sandbox draws from (src/sandbox/base-roster.ts): BambooHR is its system of record.
  const company = generateBaseCompany({ employees, seed, ...(opts.teams ? { teams: opts.teams } : {}) });
  const roster = new BambooRoster(company, { seed });
  const faults = new BambooFaults();
  const state: SandboxState = { roster, faults, companyDomain, pageSizeMax, url: '' };
  const oauth = new SandboxOAuth(opts.oauthClients, { paths: { authorize: '/authorize.php', token: '/token.php', revoke: '/revoke.php' }, name: 'BambooHR', refreshScope: 'offline_access' });
  const webhooks = attachWebhooks(state);

  const started = await startHttpServer(opts, (req, res) => handle(req, res, state, apiKeys, oauth), (res, message) => sendApiError(res, 500, message), () => webhooks.close());
  state.url = started.url;

  return { url: state.url, port: started.port, roster, faults, oauth, webhooks, close: started.close };
}

async function handle(req: IncomingMessage, res: ServerResponse, state: SandboxState, apiKeys: readonly string[], oauth: SandboxOAuth): Promise<void> {
  const { url, path: requested } = requestPath(req);
  let path = requested;

  if (await handleOAuth(oauth, req, res, url)) return;
  if (await handleWebhookControl(req, res, path, state)) return;
  if (path === '/_sandbox' || path.startsWith('/_sandbox/')) {
    await handleControl(req, res, path, state);
    return;
  }
  if (path === '/' && req.method === 'GET') {
    sendJson(res, 200, {
      name: 'ReFresh BambooHR sandbox',
      api: `${state.url}/api/v1`,
      gateway: `${state.url}/api/gateway.php/${state.companyDomain}/v1`,
      control: `${state.url}/_sandbox/state`,
    });
    return;
  }

  const { faults } = state;
  await logAndDelay(req, res, url, faults.slowMs, (entry) => faults.record(entry));

  if (!(path === '/api' || path.startsWith('/api/'))) {
    sendApiError(res, 404, `Not found: ${path}`);
    return;
  }

  // Gateway-level faults come before anything else, like a real rate limiter or load balancer.
  const fired = faults.takeGatewayFault();
  if (fired) {
    sendApiError(res, fired.status, fired.message, undefined, fired.headers);
    return;
  }

  let apiRoot = '/api/v1';
  const gw = GATEWAY.exec(path);
  if (gw) {
    if (decodeURIComponent(gw[1] ?? '') !== state.companyDomain) {
      sendApiError(res, 404, `Unknown company domain "${gw[1] ?? ''}"`);
      return;
    }
    apiRoot = `/api/gateway.php/${gw[1] ?? ''}/v1`;
    path = `/api/v1${gw[2] ?? ''}`;
  }

  // Auth: HTTP Basic, the API key as the user name, any password.
  const authError = authenticate(req, apiKeys, faults.isRevoked.bind(faults), (token) => {
    return oauth.checkAccessToken(token);
  });
  if (authError) {
    sendApiError(res, 401, authError, 'unauthorized', WWW_AUTHENTICATE);
    return;
  }
  if (faults.forbidden) {
    sendApiError(res, 403, 'You do not have access to this resource: the API key\'s user needs access to employee data (all employees, all fields)', 'forbidden');
    return;
  }

  const method = req.method ?? 'GET';
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1] ?? '')));
    const ctx: ApiContext = {
      req,
      res,
      method,
      path,
      query: url.searchParams,
      params,
      apiBase: `${hostBase(req, state.url)}${apiRoot}`,
      state,
    };
    try {
      await r.handler(ctx);
    } catch (err) {
      if (err instanceof HttpError) sendApiError(res, err.status, err.message, err.code, { ...err.headers });
      else throw err;
    }
    return;
  }
  sendApiError(res, 404, `No such API endpoint: ${method} ${path}`);
}

function authenticate(req: IncomingMessage, apiKeys: readonly string[], isRevoked: (key: string) => boolean, bearer: (token: string) => string | null): string | null {
  const header = req.headers.authorization;
  if (!header) return 'Authentication required: send HTTP Basic auth with your API key as the user name';
  const b = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (b) return bearer(b[1] ?? '');
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return 'Unsupported authorization: use HTTP Basic with your API key as the user name and any password';
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon >= 0 ? decoded.slice(0, colon) : decoded;
  if (key === '' || !apiKeys.includes(key)) return 'Invalid API key';
  if (isRevoked(key)) return 'This API key has been revoked';
  return null;
}
