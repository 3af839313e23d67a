/**
 * Production's way in, as an operator meets it: `refresh serve` on one or several nodes creates
 * the first admin from REFRESH_ADMIN_EMAIL / REFRESH_ADMIN_PASSWORD (once, racing nodes
 * included), and `refresh admin …` / `refresh keys …` do the chores. Real processes, real stores.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { DIALECTS } from '../helpers/dialects.ts';
import { bin, cli, freshEnvironment } from '../helpers/cli.ts';
import type { Store } from '../../src/store/db.ts';

const EMAIL = 'Ops@Example.com';
const PASSWORD = 'first admin password';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Node {
  readonly child: ChildProcess;
  readonly base: string;
  output: string;
}

async function startServe(env: NodeJS.ProcessEnv): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const node: Node = { child, base: `http://127.0.0.1:${port}`, output: '' };
  child.stdout!.on('data', (d) => (node.output += String(d)));
  child.stderr!.on('data', (d) => (node.output += String(d)));
  const deadline = Date.now() + 90_000;
  while (!/listening on/.test(node.output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`refresh serve did not start:\n${node.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return node;
}

async function stop(node: Node | undefined): Promise<void> {
  if (!node || node.child.exitCode !== null) return;
  node.child.kill('SIGTERM');
  await new Promise((r) => node.child.once('exit', r));
}

/** The audit trail the CLI left: each operator action, by whom, in order. */
async function operatorAudit(open: () => Promise<Store>): Promise<{ action: string; actor_id: string | null; after: string | null }[]> {
  const store = await open();
  try {
    return await store.db.selectFrom('audit_events').select(['action', 'actor_id', 'after']).where('actor_type', '=', 'operator').orderBy('at').orderBy('id').execute();
  } finally {
    await store.close();
  }
}

const login = (base: string, email: string, password: string) =>
  fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

for (const dialect of DIALECTS) {
  describe(`operators on ${dialect}`, () => {
    let env: NodeJS.ProcessEnv;
    let open: () => Promise<Store>;
    let drop: () => Promise<void>;
    const nodes: Node[] = [];

    before(async () => {
      ({ env, open, drop } = await freshEnvironment(dialect));
    });
    after(async () => {
      for (const n of nodes) await stop(n);
      await drop();
    });

    it('`refresh serve` on two nodes at once creates the configured first admin once, and both let them sign in', async () => {
      const configured = { ...env, REFRESH_ADMIN_EMAIL: EMAIL, REFRESH_ADMIN_PASSWORD: PASSWORD };
      const [a, b] = await Promise.all([startServe(configured), startServe(configured)]);
      nodes.push(a!, b!);
      for (const node of [a!, b!]) {
        const res = await login(node.base, 'ops@example.com', PASSWORD);
        assert.equal(res.status, 200, node.output);
        const me = (await res.json()) as { user: { email: string; role: string } };
        assert.equal(me.user.role, 'organization_admin');
      }
      const store = await open();
      try {
        const admins = await store.db.selectFrom('admin_users').select(['email', 'password_hash']).execute();
        assert.deepEqual(admins.map((x) => x.email), ['ops@example.com']);
        assert.equal(admins[0]!.password_hash.includes(PASSWORD), false);
      } finally {
        await store.close();
      }
      assert.equal(`${a!.output}${b!.output}`.includes(PASSWORD), false, 'the configured password is never printed');
    });

    it('`refresh admin create|reset-password|list` manage admins; a reset ends their sessions', async () => {
      const created = await cli(env, ['admin', 'create', 'auditor@example.com', '--role', 'compliance_manager', '--password-stdin'], 'auditor password 1\n');
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /Created compliance_manager auditor@example\.com/);
      const again = await cli(env, ['admin', 'create', 'AUDITOR@example.com', '--password-stdin'], 'another password 2\n');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists.*reset-password/);
      const short = await cli(env, ['admin', 'create', 'x@example.com', '--password-stdin'], 'short\n');
      assert.equal(short.code, 1);
      assert.match(short.stderr, /at least 12 characters/);

      const node = nodes[0]!;
      const before = await login(node.base, 'auditor@example.com', 'auditor password 1');
      assert.equal(before.status, 200);
      const cookie = before.headers.get('set-cookie')!.split(';')[0]!;
      assert.equal((await fetch(`${node.base}/api/v1/auth/me`, { headers: { cookie } })).status, 200);

      const reset = await cli(env, ['admin', 'reset-password', 'auditor@example.com']);
      assert.equal(reset.code, 0, reset.stderr);
      const generated = reset.stdout.match(/Password \(shown once — keep it\): (\S+)/)![1]!;
      assert.equal((await fetch(`${node.base}/api/v1/auth/me`, { headers: { cookie } })).status, 401, 'the old session ended');
      assert.equal((await login(node.base, 'auditor@example.com', 'auditor password 1')).status, 401);
      assert.equal((await login(node.base, 'auditor@example.com', generated)).status, 200);
      const unknown = await cli(env, ['admin', 'reset-password', 'nobody@example.com']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /No admin nobody@example\.com/);

      const list = await cli(env, ['admin', 'list']);
      assert.match(list.stdout, /ops@example\.com +organization_admin/);
      assert.match(list.stdout, /auditor@example\.com +compliance_manager/);

      const trail = (await operatorAudit(open)).filter((e) => e.action.startsWith('admin.'));
      assert.deepEqual(trail.map((e) => e.action), ['admin.created', 'admin.password_reset'], 'the refused create and the unknown reset leave no row');
      assert.ok(trail.every((e) => e.actor_id && e.after?.includes('auditor@example.com')), JSON.stringify(trail));
      assert.equal(JSON.stringify(trail).includes(generated), false, 'never the password');
    });

    it('`refresh keys create|list|revoke`: the key works once created, shows when it was used, and stops when revoked', async () => {
      const node = nodes[0]!;
      const created = await cli(env, ['keys', 'create', '--name', 'reporting script']);
      assert.equal(created.code, 0, created.stderr);
      const key = created.stdout.match(/(rfk_\S+)/)![1]!;
      const id = created.stdout.match(/API key (\S+) \("reporting script"\)/)![1]!;
      const listed = await cli(env, ['keys', 'list']);
      assert.match(listed.stdout, new RegExp(`${id} +reporting script · ${key.slice(0, 8)}… · \\S+ · never`));
      assert.equal(listed.stdout.includes(key), false, 'never the key itself');

      assert.equal((await fetch(`${node.base}/api/v1/integrations`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
      assert.doesNotMatch((await cli(env, ['keys', 'list'])).stdout, new RegExp(`${id} .* · never`), 'last used is recorded');

      const revoked = await cli(env, ['keys', 'revoke', id]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((await fetch(`${node.base}/api/v1/integrations`, { headers: { authorization: `Bearer ${key}` } })).status, 401);
      const twice = await cli(env, ['keys', 'revoke', id]);
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /No API key/);

      const trail = (await operatorAudit(open)).filter((e) => e.action.startsWith('api_key.'));
      assert.deepEqual(trail.map((e) => e.action), ['api_key.created', 'api_key.revoked'], 'a second revoke of the same key leaves no row');
      assert.equal(JSON.stringify(trail).includes(key), false, 'never the key');
    });
  });
}
