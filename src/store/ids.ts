import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';

/** UUIDv7-style ids: time-ordered, so keyset paging by id follows creation order. */
// Random bytes come from a pool: one system call per 256 ids instead of one per id.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function random16(): Buffer {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(16 * 256);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return out;
}

export function newId(): string {
  const ms = BigInt(Date.now());
  const bytes = random16();
  bytes[0] = Number((ms >> 40n) & 0xffn);
  bytes[1] = Number((ms >> 32n) & 0xffn);
  bytes[2] = Number((ms >> 24n) & 0xffn);
  bytes[3] = Number((ms >> 16n) & 0xffn);
  bytes[4] = Number((ms >> 8n) & 0xffn);
  bytes[5] = Number(ms & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** Opaque list cursors: base64url of the last row's sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]{1,2000}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The key a cursor carries, or null when it is not one `encodeCursor` could have made: only the
 * canonical base64url of well-formed UTF-8 text without control characters (so a forged `AA`,
 * which decodes to a NUL, never reaches a query).
 */
export function decodeCursor(cursor: string, maxChars = 200): string | null {
  if (!BASE64URL.test(cursor) || cursor.length > Math.min(2000, maxChars * 4)) return null;
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.toString('base64url') !== cursor || !isUtf8(bytes)) return null;
  const key = bytes.toString('utf8');
  return key.length > 0 && key.length < maxChars && !CONTROL.test(key) ? key : null;
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  return JSON.parse(text) as T;
}
