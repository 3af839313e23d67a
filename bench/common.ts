/**
 * What the bench's orchestrator (main.ts) and its child processes (task.ts, sandbox-child.ts)
 * share: where the compiled build is, how a store is named, and how a child reports its result.
 * Every child is a fresh `node` on the compiled JavaScript, so each figure (time, peak RSS) is
 * that of a production process doing one thing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** `.bench-build/bench` when compiled; the repository root is two levels up. */
export const BUILD_DIR = path.resolve(import.meta.dirname, '..');
export const ROOT = path.resolve(BUILD_DIR, '..');
export const API_KEY = 'sandbox-key';
export const TENANT = 'default';

export type StoreSpec = { readonly kind: 'sqlite'; readonly dir: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export function storeLabel(store: StoreSpec): string {
  return store.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
}

/** The SQLite file `refresh serve` opens for DATA_DIR=dir. */
export function sqliteFile(dir: string): string {
  return path.join(dir, 'refresh.db');
}

/** A PostgreSQL URL whose connections use the bench's throwaway schema. */
export function pgUrlWithSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

const RESULT = '@@bench-result ';

/** Child side: print the result line the parent reads. */
export function reportResult(value: unknown): void {
  process.stdout.write(`${RESULT}${JSON.stringify(value)}\n`);
}

/** Parent side: runs a compiled bench script in a fresh node and returns its result line. */
export async function runChild<T>(script: string, env: Record<string, string>, args: string[] = []): Promise<T> {
  // BENCH_NODE_ARGS: extra node flags for the children, e.g. `--cpu-prof --cpu-prof-dir=prof`.
  const nodeArgs = (env.BENCH_NODE_ARGS ?? process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, path.join(BUILD_DIR, 'bench', script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  // BENCH_LOG_LEVEL (e.g. info): the child's log lines (on its stdout) are passed on to stderr.
  const showLogs = Boolean(env.BENCH_LOG_LEVEL ?? process.env.BENCH_LOG_LEVEL);
  child.stdout.on('data', (d) => {
    out += String(d);
    if (showLogs) process.stderr.write(d as Buffer);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith(RESULT));
  if (code !== 0 || !line) throw new Error(`bench child ${script} exited with ${code}: ${out.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT.length)) as T;
}

/** Peak resident memory of this process so far, in MB (the kernel's figure, not a sample). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export interface Service {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts a long-running compiled child (the sandbox, `refresh serve`) and resolves with the
 * address it announces on stdout (the first `http://127.0.0.1:<port>` it prints).
 */
export async function startService(args: string[], env: Record<string, string> = {}): Promise<Service> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const look = (d: unknown) => {
      out += String(d);
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]!);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out.slice(-2000)}`)));
  });
  return { url, stop: () => stopChild(child) };
}

/** SIGTERM to a child this bench started, by its process handle; resolves once it exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
