/**
 * Builds the console (web/dist) when it is missing or older than its sources. `npm start` runs it
 * first (prestart), and the browser tests call it, so a clean clone needs no separate step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(WEB, '..');
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'tsconfig.json'];

function newest(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((m, name) => Math.max(m, newest(path.join(p, name))), s.mtimeMs);
}

/** Why the console needs building, or null when web/dist is up to date. */
export function consoleBuildReason(): string | null {
  const index = path.join(WEB, 'dist', 'index.html');
  if (!existsSync(index)) return 'web/dist is missing';
  const built = statSync(index).mtimeMs;
  const changed = Math.max(...SOURCES.map((s) => newest(path.join(WEB, s))));
  return changed > built ? 'the console sources changed since the last build' : null;
}

export function ensureConsoleBuilt(opts: { quiet?: boolean } = {}): void {
  const reason = consoleBuildReason();
  if (!reason) return;
  if (!opts.quiet) console.log(`Building the console (${reason})…`);
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(WEB, 'vite.config.ts'), '--logLevel', opts.quiet ? 'error' : 'warn'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`building the console failed (vite exited with ${result.status ?? result.signal}); run \`npm run build:web\` to see why`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureConsoleBuilt();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
