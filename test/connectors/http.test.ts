import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { RetryInfo } from '../../src/connectors/types.ts';
import {
  AuthFailedError,
  ProviderError,
  classifyHttpFailure,
  isProviderError,
} from '../../src/connectors/errors.ts';
import {
  DEFAULT_HTTP_POLICY,
  backoffDelay,
  createHttpClient,
  parseJsonBody,
  parseJsonOrXml,
  parseRetryAfter,
  parseXmlBody,
  resolveHttpPolicy,
  type HttpClientOptions,
} from '../../src/connectors/http.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

interface TestServer {
  readonly url: string;
  readonly hits: () => number;
  close(): Promise<void>;
}

/** A node:http server answering with `handlers[n]` for the n-th request (the last repeats). */
async function serve(...handlers: Handler[]): Promise<TestServer> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    const i = n++;
    const h = handlers[Math.min(i, handlers.length - 1)];
    req.resume();
    req.on('end', () => h?.(req, res, i));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

const FAST = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000, maxRetryAfterMs: 3_000 };
const SECRET = 'sk_live_4f1c2a9b8e7d6c5b4a39281706f5e4d3';

/** A sleep that records what it was asked to wait and returns at once: no test waits on the real clock. */
function recordSleep(slept: number[]): (ms: number) => Promise<void> {
  return async (ms) => void slept.push(ms);
}

function client(extra: Partial<HttpClientOptions> = {}) {
  return createHttpClient({
    provider: 'bamboohr',
    policy: FAST,
    errorMessageHeader: 'X-BambooHR-Error-Message',
    credentialLabel: 'API key',
    headers: { Authorization: `Basic ${Buffer.from(`${SECRET}:x`).toString('base64')}` },
    secrets: [SECRET],
    ...extra,
  });
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isProviderError(err), `expected a ProviderError, got ${inspect(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

function assertNoSecret(err: unknown): void {
  const base64 = Buffer.from(`${SECRET}:x`).toString('base64');
  const views = [
    String(err),
    (err as Error).message,
    (err as Error).stack ?? '',
    JSON.stringify(err),
    JSON.stringify(Object.fromEntries(Object.entries(err as object))),
    inspect(err, { depth: Infinity, showHidden: true }),
  ];
  for (const v of views) {
    assert.ok(!v.includes(SECRET), `secret leaked in: ${v}`);
    assert.ok(!v.includes(base64), `encoded secret leaked in: ${v}`);
  }
}

describe('policy and backoff', () => {
  it('defaults to production values and accepts partial overrides', () => {
    assert.deepEqual(resolveHttpPolicy(), DEFAULT_HTTP_POLICY);
    assert.equal(DEFAULT_HTTP_POLICY.maxAttempts, 6);
    assert.equal(DEFAULT_HTTP_POLICY.maxRetryAfterMs, 120_000);
    const p = resolveHttpPolicy({ maxAttempts: 2 });
    assert.equal(p.maxAttempts, 2);
    assert.equal(p.timeoutMs, DEFAULT_HTTP_POLICY.timeoutMs);
  });

  it('full jitter stays within [0, min(maxDelay, base·2^(n-1))]', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 30_000 };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** (attempt - 1));
      assert.equal(backoffDelay(attempt, policy, () => 0), 0);
      assert.ok(backoffDelay(attempt, policy, () => 0.999999) <= ceiling);
      assert.ok(backoffDelay(attempt, policy, () => 0.999999) >= ceiling - 1);
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt, policy);
        assert.ok(d >= 0 && d <= ceiling, `attempt ${attempt}: ${d} outside [0, ${ceiling}]`);
      }
    }
  });

  it('parses Retry-After as delay-seconds or HTTP-date (RFC 9110 §10.2.3)', () => {
    assert.equal(parseRetryAfter('0'), 0);
    assert.equal(parseRetryAfter(' 7 '), 7_000);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(''), undefined);
    assert.equal(parseRetryAfter('-3'), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    // Measured against the response's own Date header when present (server clock)…
    assert.equal(parseRetryAfter(date, 'Wed, 21 Oct 2026 07:27:30 GMT'), 30_000);
    // …else against the local clock; a date in the past means "now".
    assert.equal(parseRetryAfter(date, null, Date.parse('Wed, 21 Oct 2026 07:27:58 GMT')), 2_000);
    assert.equal(parseRetryAfter(date, 'Wed, 21 Oct 2026 08:00:00 GMT'), 0);
  });
});

describe('retries', () => {
  const servers: TestServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const track = (s: TestServer): TestServer => {
    servers.push(s);
    return s;
  };

  it('429 then success: retried, onRetry told', async () => {
    const s = track(await serve(json(429, { message: 'slow down' }), json(200, { ok: true })));
    const retries: RetryInfo[] = [];
    const res = await client({ onRetry: (i) => retries.push(i) }).request({ url: `${s.url}/x` });
    assert.equal(res.status, 200);
    assert.deepEqual(parseJsonBody('bamboohr', res), { ok: true });
    assert.equal(s.hits(), 2);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.reason, 'rate_limited');
    assert.equal(retries[0]?.status, 429);
    assert.equal(retries[0]?.attempt, 1);
    assert.ok((retries[0]?.delayMs ?? -1) >= 0 && (retries[0]?.delayMs ?? 99) <= FAST.baseDelayMs);
  });

  it('a truncated or invalid body is retried like a 5xx; bad_data only when every attempt is unreadable', async () => {
    const cut: Handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"data":[{"id":1},');
    };
    const s = track(await serve(cut, cut, json(200, { data: [] })));
    const retries: RetryInfo[] = [];
    const res = await client({ onRetry: (i) => retries.push(i) }).request({ url: `${s.url}/x`, expect: 'json' });
    assert.deepEqual(res.parsed, { format: 'json', data: { data: [] } });
    assert.deepEqual(parseJsonBody('bamboohr', res), { data: [] }, 'the parsed body is reused');
    assert.deepEqual(retries.map((r) => r.reason), ['bad_body', 'bad_body']);

    const always = track(await serve(cut));
    const err = await rejection(client().request({ url: `${always.url}/x`, expect: 'json' }));
    assert.equal(err.code, 'bad_data');
    assert.match(err.message, /invalid JSON.*4 times/);
    assert.equal(always.hits(), FAST.maxAttempts);
    // Without `expect` the caller parses: no retry, the body is handed back.
    const plain = track(await serve(cut));
    assert.equal((await client().request({ url: `${plain.url}/x` })).status, 200);
    assert.equal(plain.hits(), 1);
  });

  it('503 then success: provider_unavailable retry', async () => {
    const s = track(await serve(json(503, {}), json(503, {}), json(200, { ok: 1 })));
    const retries: RetryInfo[] = [];
    const res = await client({ onRetry: (i) => retries.push(i) }).request({ url: `${s.url}/x` });
    assert.equal(res.status, 200);
    assert.deepEqual(
      retries.map((r) => [r.reason, r.status, r.attempt]),
      [
        ['provider_unavailable', 503, 1],
        ['provider_unavailable', 503, 2],
      ],
    );
  });

  it('obeys Retry-After in seconds', async () => {
    const s = track(await serve(json(429, {}, { 'Retry-After': '1' }), json(200, {})));
    const retries: RetryInfo[] = [];
    const slept: number[] = [];
    await client({ onRetry: (i) => retries.push(i), sleep: recordSleep(slept) }).request({ url: `${s.url}/x` });
    assert.equal(retries[0]?.delayMs, 1_000);
    assert.deepEqual(slept, [1_000], 'it waited what the server asked before retrying');
    assert.equal(s.hits(), 2);
  });

  it('obeys Retry-After as an HTTP-date (503 with Retry-After = throttling)', async () => {
    const s = track(
      await serve((_req, res) => {
        const now = Date.now();
        res.writeHead(503, {
          Date: new Date(now).toUTCString(),
          'Retry-After': new Date(now + 1_000).toUTCString(),
          'X-BambooHR-Error-Message': 'Too many requests',
        });
        res.end();
      }, json(200, {})),
    );
    const retries: RetryInfo[] = [];
    const slept: number[] = [];
    await client({ onRetry: (i) => retries.push(i), sleep: recordSleep(slept) }).request({ url: `${s.url}/x` });
    assert.equal(retries[0]?.reason, 'rate_limited');
    assert.equal(retries[0]?.status, 503);
    assert.equal(retries[0]?.delayMs, 1_000);
    assert.deepEqual(slept, [1_000], 'the date is read against the server clock: one second');
  });

  it('a Retry-After beyond the cap fails at once as rate_limited', async () => {
    const s = track(await serve(json(429, {}, { 'Retry-After': '3600', 'X-BambooHR-Error-Message': 'Rate limit exceeded' })));
    const slept: number[] = [];
    const err = await rejection(client({ sleep: recordSleep(slept) }).request({ url: `${s.url}/x` }));
    assert.deepEqual(slept, [], 'it never sleeps past the cap');
    assert.equal(err.code, 'rate_limited');
    assert.equal(err.retryable, true);
    assert.equal(err.retryAfterMs, 3_600_000);
    assert.equal(s.hits(), 1);
    assert.match(err.message, /asked to wait 3600 s/);
    assert.match(err.message, /Rate limit exceeded/);
  });

  it('exhausted retries are classified: 502 → provider_unavailable, 429 → rate_limited', async () => {
    const s = track(await serve(json(502, {})));
    const err = await rejection(client().request({ url: `${s.url}/x` }));
    assert.equal(err.code, 'provider_unavailable');
    assert.equal(err.status, 502);
    assert.equal(err.attempts, FAST.maxAttempts);
    assert.equal(s.hits(), FAST.maxAttempts);
    assert.match(err.message, /^BambooHR is unavailable \(502\) after 4 attempts/);

    const s2 = track(await serve(json(429, {}, { 'X-BambooHR-Error-Message': 'Throttled' })));
    const err2 = await rejection(client().request({ url: `${s2.url}/x` }));
    assert.equal(err2.code, 'rate_limited');
    assert.equal(err2.providerMessage, 'Throttled');
    assert.equal(s2.hits(), FAST.maxAttempts);
  });

  it('500 is retried, 501 is not', async () => {
    const s = track(await serve(json(500, {}), json(200, {})));
    assert.equal((await client().request({ url: `${s.url}/x` })).status, 200);
    const s2 = track(await serve(json(501, {})));
    const err = await rejection(client().request({ url: `${s2.url}/x` }));
    assert.equal(err.code, 'provider_unavailable');
    assert.equal(s2.hits(), 1);
  });

  it('a timeout is provider_unavailable after retries', async () => {
    const s = track(
      await serve(() => {
        /* never answers */
      }),
    );
    const retries: RetryInfo[] = [];
    const err = await rejection(
      client({ policy: { ...FAST, maxAttempts: 2, timeoutMs: 150 }, onRetry: (i) => retries.push(i) }).request({ url: `${s.url}/slow` }),
    );
    assert.equal(err.code, 'provider_unavailable');
    assert.equal(err.status, undefined);
    assert.match(err.message, /did not answer within 0\.15 s after 2 attempts/);
    assert.equal(retries[0]?.reason, 'network');
    assert.equal(s.hits(), 2);
    assertNoSecret(err);
  });

  it('a body that stalls past the timeout is a timeout too', async () => {
    const s = track(
      await serve((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"data": [');
      }),
    );
    const err = await rejection(client({ policy: { ...FAST, maxAttempts: 1, timeoutMs: 150 } }).request({ url: `${s.url}/x` }));
    assert.equal(err.code, 'provider_unavailable');
  });

  it('connection refused is provider_unavailable, and says so', async () => {
    const s = await serve(json(200, {}));
    await s.close();
    const retries: RetryInfo[] = [];
    const err = await rejection(client({ onRetry: (i) => retries.push(i) }).request({ url: `${s.url}/x` }));
    assert.equal(err.code, 'provider_unavailable');
    assert.match(err.message, /could not be reached \(connection refused\) after 4 attempts/);
    assert.equal(retries.length, FAST.maxAttempts - 1);
    assert.ok(retries.every((r) => r.reason === 'network'));
    assert.ok(err.cause instanceof Error);
    assertNoSecret(err);
  });

  it('401 → auth_failed with the provider message, not retried', async () => {
    const s = track(
      await serve((_req, res) => {
        res.writeHead(401, { 'X-BambooHR-Error-Message': 'Invalid API key' });
        res.end();
      }),
    );
    const err = await rejection(client().request({ url: `${s.url}/api/v1/employees/changed` }));
    assert.ok(err instanceof AuthFailedError);
    assert.equal(err.code, 'auth_failed');
    assert.equal(err.status, 401);
    assert.equal(err.retryable, false);
    assert.equal(err.providerMessage, 'Invalid API key');
    assert.equal(err.message, 'BambooHR refused the API key (401): Invalid API key. Reconnect the integration with a valid API key.');
    assert.equal(s.hits(), 1);
  });

  it('403 → missing_permission; 404 → not_found; 400 → bad_request (message from a JSON body); none retried', async () => {
    const s403 = track(await serve(json(403, {})));
    assert.equal((await rejection(client().request({ url: `${s403.url}/x` }))).code, 'missing_permission');
    const s404 = track(await serve(json(404, {})));
    const nf = await rejection(client().request({ url: `${s404.url}/api/v1/datasets/employee` }));
    assert.equal(nf.code, 'not_found');
    assert.match(nf.message, /\/api\/v1\/datasets\/employee/);
    assert.match(nf.message, /address in the integration settings/);
    const s400 = track(await serve(json(400, { error: { code: 'BadField', message: 'Unknown field: shoeSize' } })));
    const br = await rejection(client().request({ url: `${s400.url}/x` }));
    assert.equal(br.code, 'bad_request');
    assert.equal(br.providerMessage, 'Unknown field: shoeSize');
    assert.equal(s403.hits() + s404.hits() + s400.hits(), 3);
  });

  it('accepted statuses come back as responses', async () => {
    const s = track(await serve(json(404, {})));
    const res = await client().request({ url: `${s.url}/x`, acceptStatus: [404] });
    assert.equal(res.status, 404);
    assert.equal(s.hits(), 1);
  });

  it("a caller's abort stops at once with its own reason", async () => {
    const s = track(await serve(json(503, {})));
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const p = client({ signal: controller.signal, policy: { ...FAST, baseDelayMs: 10_000, maxDelayMs: 10_000 }, random: () => 1 }).request({ url: `${s.url}/x` });
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(p, (e) => e === reason);
  });

  it('sends the JSON body and headers', async () => {
    let seen: { method?: string; type?: string; body?: string; auth?: string } = {};
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, type: req.headers['content-type'], body, auth: req.headers.authorization };
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      await client().request({ url: `http://127.0.0.1:${port}/x`, method: 'POST', json: { a: 'é' } });
    } finally {
      server.close();
    }
    assert.equal(seen.method, 'POST');
    assert.equal(seen.type, 'application/json');
    assert.equal(seen.body, '{"a":"é"}');
    assert.equal(seen.auth, `Basic ${Buffer.from(`${SECRET}:x`).toString('base64')}`);
  });
});

describe('credentials never leak', () => {
  let s: TestServer;
  before(async () => {
    // A hostile or careless provider echoing the key back in its error header and body.
    s = await serve((req, res) => {
      res.writeHead(401, {
        'X-BambooHR-Error-Message': `Key ${SECRET} is revoked (auth ${req.headers.authorization ?? ''})`,
        'Content-Type': 'application/json',
      });
      res.end(JSON.stringify({ error: { message: `bad key ${SECRET}` } }));
    });
  });
  after(() => s.close());

  it('redacts the key from messages and leaves no enumerable field holding it', async () => {
    const err = await rejection(client().request({ url: `${s.url}/x` }));
    assert.equal(err.code, 'auth_failed');
    assert.match(err.providerMessage ?? '', /\[redacted\]/);
    assertNoSecret(err);
  });

  it('the client object itself exposes no credential', () => {
    const c = client();
    assert.ok(!JSON.stringify(c).includes(SECRET));
    assert.ok(!inspect(c, { depth: Infinity, showHidden: true }).includes(SECRET));
  });
});

describe('body helpers', () => {
  const res = (text: string, type?: string) => ({
    status: 200,
    url: 'http://127.0.0.1:1/api/v1/employees/changed?since=x',
    text,
    headers: new Headers(type ? { 'content-type': type } : {}),
    providerMessage: undefined,
  });

  it('malformed JSON → bad_data naming the URL', () => {
    assert.throws(
      () => parseJsonBody('bamboohr', res('{"data": [')),
      (e: unknown) =>
        isProviderError(e) &&
        e.code === 'bad_data' &&
        e.message.includes('http://127.0.0.1:1/api/v1/employees/changed') &&
        e.url === 'http://127.0.0.1:1/api/v1/employees/changed?since=x',
    );
    assert.throws(() => parseJsonBody('bamboohr', res('')), /empty body/);
  });

  it('parses XML with attributes, entities and Unicode', () => {
    const x = parseXmlBody('bamboohr', res('<?xml version="1.0"?><employee id="7"><field id="firstName">Jos&#233; &amp; Zoë</field></employee>'));
    assert.deepEqual(x['employee'], { '@_id': '7', field: { '#text': 'José & Zoë', '@_id': 'firstName' } });
    assert.throws(() => parseXmlBody('bamboohr', res('<a><b></a>')), (e: unknown) => isProviderError(e) && e.code === 'bad_data');
  });

  it('picks JSON or XML by Content-Type, else by sniffing', () => {
    assert.equal(parseJsonOrXml('bamboohr', res('{"a":1}', 'application/json')).format, 'json');
    assert.equal(parseJsonOrXml('bamboohr', res('<a>1</a>', 'text/xml; charset=utf-8')).format, 'xml');
    assert.equal(parseJsonOrXml('bamboohr', res(' <a>1</a>')).format, 'xml');
    assert.equal(parseJsonOrXml('bamboohr', res('[1]')).format, 'json');
    assert.throws(() => parseJsonOrXml('bamboohr', res('hello')), /neither JSON nor XML/);
  });
});

describe('classifyHttpFailure', () => {
  it('maps statuses and transport failures to codes', () => {
    const c = (status?: number, extra: object = {}) => classifyHttpFailure({ provider: 'bamboohr', status, ...extra }).code;
    assert.equal(c(401), 'auth_failed');
    assert.equal(c(403), 'missing_permission');
    assert.equal(c(429), 'rate_limited');
    assert.equal(c(503, { retryAfterMs: 1000 }), 'rate_limited');
    assert.equal(c(503), 'provider_unavailable');
    assert.equal(c(500), 'provider_unavailable');
    assert.equal(c(408), 'provider_unavailable');
    assert.equal(c(404), 'not_found');
    assert.equal(c(400), 'bad_request');
    assert.equal(c(422), 'bad_request');
    assert.equal(c(undefined, { transport: 'timeout' }), 'provider_unavailable');
    assert.equal(c(undefined, { transport: 'network', networkDetail: 'host not found' }), 'provider_unavailable');
  });

  it('errors are ProviderErrors with a name, a cause and a JSON form', () => {
    const cause = new Error('inner');
    const e = classifyHttpFailure({ provider: 'bamboohr', status: 401, providerMessage: 'nope', cause });
    assert.ok(e instanceof ProviderError && e instanceof Error);
    assert.equal(e.name, 'AuthFailedError');
    assert.equal(e.cause, cause);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), {
      code: 'auth_failed',
      message: e.message,
      provider: 'bamboohr',
      status: 401,
      providerMessage: 'nope',
    });
  });
});
