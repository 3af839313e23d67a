/**
 * `refresh` commands as child processes for tests (`refresh start`, `refresh worker`): launched
 * from source, their output kept, polled for what they did, stopped (continued first if stopped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin', 'refresh.mjs');

export interface Child {
  readonly process: ChildProcess;
  output(): string;
  exited(): Promise<void>;
}

export function launch(args: string[], env: Record<string, string>): Child {
  let output = '';
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, REFRESH_FROM_SOURCE: '1', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  return { process: child, output: () => output, exited: () => exit };
}

/** Polls until `check` answers a value (not undefined), or fails with what the child said. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, child?: Child, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (child && child.process.exitCode !== null) throw new Error(`the child exited while waiting for ${what}:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${child ? `:\n${child.output().slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGCONT');
  child.process.kill('SIGTERM');
  await child.exited();
}
