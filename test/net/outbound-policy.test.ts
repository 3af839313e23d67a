/**
 * The outbound-request policy (DESIGN.md §2 rule 7) with an injected resolver. Every connection
 * these tests make goes to a server of their own on 127.0.0.1: a private, metadata or public
 * address is only ever named by the resolver and must be refused before anything connects.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { classifyAddress } from '../../src/net/addresses.ts';
import { OutboundPolicy, OutboundRefusedError, outboundRefusal, type Resolver } from '../../src/net/outbound-policy.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly host: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

async function loopbackServer(handler: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, host: req.headers.host, authorization: req.headers.authorization, body });
      const out = handler(req, body);
      res.writeHead(out.status, out.headers ?? {});
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, seen };
}

/** A resolver from a table; records every name it was asked. */
function tableResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve: Resolver = async (host) => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const refusedWith = (pattern: RegExp) => (error: unknown) => {
  const refusal = outboundRefusal(error);
  assert.ok(refusal, `not a policy refusal: ${String(error)}`);
  assert.match(refusal.message, pattern);
  return true;
};

describe('address kinds', () => {
  it('tells public from private, CGNAT, link-local, unique-local, metadata and loopback, IPv6 forms included', () => {
    const expected: Record<string, string> = {
      '93.184.216.34': 'public',
      '2606:4700::1111': 'public',
      '10.0.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.0.10': 'private',
      '100.64.0.1': 'cgnat',
      '169.254.10.10': 'link-local',
      'fe80::1': 'link-local',
      'fd12:3456::1': 'unique-local',
      '169.254.169.254': 'metadata',
      'fd00:ec2::254': 'metadata',
      '100.100.100.200': 'metadata',
      '127.0.0.1': 'loopback',
      '127.255.0.9': 'loopback',
      '::1': 'loopback',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:a9fe:a9fe': 'metadata',
      '::ffff:10.1.2.3': 'private',
      '64:ff9b::a00:1': 'private',
      '2002:a9fe:a9fe::1': 'metadata',
      '0.0.0.0': 'unspecified',
      '::': 'unspecified',
      '224.0.0.251': 'multicast',
      '::127.0.0.1': 'reserved',
    };
    for (const [address, kind] of Object.entries(expected)) assert.equal(classifyAddress(address), kind, address);
  });
});

describe('outbound policy: destinations before any connection', () => {
  const production = new OutboundPolicy({ mode: 'production', allowedHosts: ['hr-proxy.example.com', '127.0.0.1:9101', '10.0.0.5'], resolve: tableResolver({}) });
  const embedded = new OutboundPolicy({ mode: 'embedded', resolve: tableResolver({}) });
  after(async () => {
    await production.close();
    await embedded.close();
  });

  it("production allows the provider's official hosts over https and the operator's patterns", () => {
    assert.equal(production.check('bamboohr', 'https://acme.bamboohr.com/api/v1/employees').host, 'acme.bamboohr.com');
    assert.equal(production.check('hibob', 'https://api.hibob.com/v1/people/search').host, 'api.hibob.com');
    assert.equal(production.check('bamboohr', 'https://hr-proxy.example.com/x').host, 'hr-proxy.example.com');
    assert.equal(production.check('bamboohr', 'http://127.0.0.1:9101/').host, '127.0.0.1:9101', 'a listed loopback sandbox');
  });

  it('production refuses every other host, scheme, port, credentials in the URL and special addresses, saying why', () => {
    for (const [url, why] of [
      ['https://evil.example/steal', /may not call evil\.example: provider calls go only to BambooHR's own hosts \(\*\.bamboohr\.com\).*REFRESH_ALLOWED_PROVIDER_HOSTS/],
      ['https://api.hibob.com/', /may not call api\.hibob\.com/],
      ['http://acme.bamboohr.com/', /must start with https:\/\//],
      ['https://acme.bamboohr.com:8443/', /may not call acme\.bamboohr\.com:8443/],
      ['file:///etc/passwd', /must start with https:\/\//],
      ['javascript:alert(1)', /must start with https:\/\//],
      ['gopher://acme.bamboohr.com/', /must start with https:\/\//],
      ['https://user:pw@acme.bamboohr.com/', /must not contain a user name or password/],
      ['http://127.0.0.1:9102/', /may not call 127\.0\.0\.1:9102/],
      ['http://localhost:9101/', /may not call localhost:9101/],
      ['https://169.254.169.254/latest/meta-data/', /may not call 169\.254\.169\.254/],
      ['https://10.0.0.5/', /is a private network address/],
      ['https://[fd00:ec2::254]/', /may not call \[fd00:ec2::254\]/],
      ['not a url', /is not a valid URL/],
    ] as const) {
      assert.throws(() => production.check('bamboohr', url), (e: unknown) => e instanceof OutboundRefusedError && why.test((e as Error).message), url);
    }
  });

  it('embedded mode also allows loopback sandboxes over http, and nothing private', () => {
    assert.equal(embedded.check('bamboohr', 'http://127.0.0.1:9101/api').port, '9101');
    assert.equal(embedded.check('hibob', 'http://localhost:9200/').hostname, 'localhost');
    assert.equal(embedded.check('hibob', 'http://[::1]:9200/').hostname, '[::1]');
    for (const url of ['http://10.0.0.1/', 'http://169.254.169.254/', 'https://evil.example/', 'http://[fe80::1]/']) {
      assert.throws(() => embedded.check('bamboohr', url), OutboundRefusedError, url);
    }
  });
});

describe('outbound policy: addresses checked when connecting, and pinned', () => {
  let target: Awaited<ReturnType<typeof loopbackServer>>;
  let other: Awaited<ReturnType<typeof loopbackServer>>;
  before(async () => {
    target = await loopbackServer((req) => {
      if (req.url === '/same-origin') return { status: 302, headers: { location: '/landed' } };
      if (req.url === '/elsewhere') return { status: 307, headers: { location: `http://127.0.0.1:${other.port}/stolen` } };
      if (req.url === '/loop') return { status: 302, headers: { location: '/loop' } };
      return { status: 200, body: 'ok' };
    });
    other = await loopbackServer(() => ({ status: 200, body: 'other' }));
  });
  after(() => {
    target.server.close();
    other.server.close();
  });

  it('connects to the address the resolver gave, for a name no real DNS knows (the check and the connection are one)', async () => {
    const resolve = tableResolver({ 'sandbox.refresh.test': ['127.0.0.1'] });
    const policy = new OutboundPolicy({ mode: 'production', allowedHosts: ['sandbox.refresh.test'], resolve });
    try {
      const res = await policy.fetch('bamboohr', `http://sandbox.refresh.test:${target.port}/pinned`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'ok');
      assert.deepEqual(resolve.asked, ['sandbox.refresh.test']);
      assert.equal(target.seen.at(-1)!.host, `sandbox.refresh.test:${target.port}`);
    } finally {
      await policy.close();
    }
  });

  it('refuses a host that resolves to a private, metadata or link-local address before connecting (DNS rebinding)', async () => {
    const resolve = tableResolver({
      'rebind.bamboohr.com': ['10.0.0.7'],
      'metadata.bamboohr.com': ['169.254.169.254'],
      'v6meta.bamboohr.com': ['fd00:ec2::254'],
      'mixed.bamboohr.com': ['93.184.216.34', '192.168.1.20'],
      'cgnat.bamboohr.com': ['100.64.3.3'],
      'home.bamboohr.com': ['127.0.0.1'],
    });
    const policy = new OutboundPolicy({ mode: 'production', resolve });
    const before = target.seen.length;
    try {
      await assert.rejects(policy.fetch('bamboohr', 'https://rebind.bamboohr.com/api'), refusedWith(/rebind\.bamboohr\.com resolves to 10\.0\.0\.7, a private network address/));
      await assert.rejects(policy.fetch('bamboohr', 'https://metadata.bamboohr.com/latest'), refusedWith(/169\.254\.169\.254, a cloud instance-metadata address/));
      await assert.rejects(policy.fetch('bamboohr', 'https://v6meta.bamboohr.com/'), refusedWith(/fd00:ec2::254, a cloud instance-metadata address/));
      await assert.rejects(policy.fetch('bamboohr', 'https://mixed.bamboohr.com/'), refusedWith(/192\.168\.1\.20, a private network address/));
      await assert.rejects(policy.fetch('bamboohr', 'https://cgnat.bamboohr.com/'), refusedWith(/carrier-grade NAT/));
      await assert.rejects(policy.fetch('bamboohr', 'https://home.bamboohr.com/'), refusedWith(/127\.0\.0\.1, a loopback address/), 'loopback only when listed');
      assert.equal(target.seen.length, before, 'nothing connected');
    } finally {
      await policy.close();
    }
  });

  it('sends plain http only to loopback: a listed name that resolves elsewhere is refused before connecting', async () => {
    const policy = new OutboundPolicy({ mode: 'production', allowedHosts: ['proxy.refresh.test'], resolve: tableResolver({ 'proxy.refresh.test': ['93.184.216.34'] }) });
    try {
      await assert.rejects(policy.fetch('bamboohr', 'http://proxy.refresh.test/api'), refusedWith(/plain http is only for a sandbox on this machine/));
    } finally {
      await policy.close();
    }
  });

  it('follows a redirect within the same origin, and refuses one to another host without sending anything there', async () => {
    const policy = new OutboundPolicy({ mode: 'embedded', resolve: tableResolver({}) });
    try {
      const res = await policy.fetch('bamboohr', `http://127.0.0.1:${target.port}/same-origin`, { headers: { authorization: 'Basic c2VjcmV0Ong=' } });
      assert.equal(res.status, 200);
      assert.equal(target.seen.at(-1)!.url, '/landed');
      await assert.rejects(
        policy.fetch('bamboohr', `http://127.0.0.1:${target.port}/elsewhere`, { method: 'POST', body: 'x', headers: { authorization: 'Basic c2VjcmV0Ong=' } }),
        refusedWith(new RegExp(`redirect to another host \\(127\\.0\\.0\\.1:${other.port}\\)`)),
      );
      assert.equal(other.seen.length, 0, 'the other host never heard of the request');
      await assert.rejects(policy.fetch('bamboohr', `http://127.0.0.1:${target.port}/loop`), refusedWith(/redirected more than 5 times/));
    } finally {
      await policy.close();
    }
  });
});

describe("the platform's OAuth client secret", () => {
  let tokenServer: Awaited<ReturnType<typeof loopbackServer>>;
  before(async () => {
    tokenServer = await loopbackServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token":"a","token_type":"bearer"}' }));
  });
  after(() => tokenServer.server.close());

  it("goes only to the provider's official token endpoint in production, even to a host the operator listed", async () => {
    const policy = new OutboundPolicy({ mode: 'production', allowedHosts: [`127.0.0.1:${tokenServer.port}`], platformSecrets: { bamboohr: ['platform-secret-0001'] }, resolve: tableResolver({}) });
    try {
      assert.equal(policy.platformSecretMayGoTo('bamboohr', 'https://acme.bamboohr.com/token.php?request=token'), true);
      assert.equal(policy.platformSecretMayGoTo('bamboohr', 'https://acme.bamboohr.com/revoke.php'), true);
      assert.equal(policy.platformSecretMayGoTo('bamboohr', 'https://acme.bamboohr.com/steal.php'), false);
      assert.equal(policy.platformSecretMayGoTo('bamboohr', `http://127.0.0.1:${tokenServer.port}/token.php`), false);
      const oauthFetch = policy.oauthFetch('bamboohr');
      const url = `http://127.0.0.1:${tokenServer.port}/token.php`;
      const inBody = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r', client_id: 'refresh', client_secret: 'platform-secret-0001' });
      await assert.rejects(oauthFetch(url, { method: 'POST', body: inBody }), refusedWith(/ReFresh's own BambooHR OAuth app can only be used with BambooHR's official token endpoint/));
      const inHeader = { authorization: `Basic ${Buffer.from('refresh:platform-secret-0001').toString('base64')}` };
      await assert.rejects(oauthFetch(url, { method: 'POST', body: 'grant_type=refresh_token', headers: inHeader }), OutboundRefusedError);
      assert.equal(tokenServer.seen.length, 0, 'the secret never left');
      // A tenant's own OAuth app may use the host the operator allowed.
      const own = await oauthFetch(url, { method: 'POST', body: new URLSearchParams({ client_id: 'tenant-app', client_secret: 'tenant-secret' }) });
      assert.equal(own.status, 200);
      assert.equal(tokenServer.seen.length, 1);
    } finally {
      await policy.close();
    }
  });

  it('goes to a loopback sandbox in embedded mode', () => {
    const policy = new OutboundPolicy({ mode: 'embedded', platformSecrets: { bamboohr: ['platform-secret-0001'] } });
    assert.equal(policy.platformSecretMayGoTo('bamboohr', 'http://127.0.0.1:9101/token.php'), true);
    assert.equal(policy.platformSecretMayGoTo('bamboohr', 'https://hr-proxy.example.com/token.php'), false);
  });
});
