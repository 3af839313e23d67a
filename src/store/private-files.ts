import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * DATA_DIR holds the database (people's data, hashed keys, encrypted credentials), its WAL, the
 * vault key and the log: only the account that runs ReFresh may read them. The directory is 0700
 * and its files 0600, whatever the umask, and an existing directory or file from an older version
 * (created 0755/0644) is tightened when this account owns it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700);
}

/** Creates the file empty if missing (0600 from the start: no moment where it is world-readable), else tightens it. */
export function ensurePrivateFile(file: string): void {
  ensurePrivateDir(path.dirname(file));
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  tighten(file, 0o600);
}

/**
 * SQLite gives its -wal and -shm files the database file's mode when it creates them; ones left
 * by an older version keep theirs, so they are tightened too.
 */
export function ensurePrivateSqlite(file: string): void {
  ensurePrivateFile(file);
  for (const suffix of ['-wal', '-shm', '-journal']) if (existsSync(file + suffix)) tighten(file + suffix, 0o600);
}

function tighten(target: string, mode: number): void {
  const stat = statSync(target);
  if ((stat.mode & 0o777) === mode) return;
  // Someone else's directory (DATA_DIR=/tmp, a mount point): not ours to change.
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return;
  chmodSync(target, mode);
}
