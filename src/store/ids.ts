import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';

/** UUIDv7-style ids: time-ordered, so keyset paging by id follows creation order. */
// Random bytes come from a pool: one system call per 256 ids instead of one per id.
let pool = Buffer.alloc(0);
let poolOffset = 0;
/** Answers the offset in `pool` of 16 fresh random bytes (used once each, never copied out). */
function random16(): number {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(16 * 256);
    poolOffset = 0;
  }
  poolOffset += 16;
  return poolOffset - 16;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** 48 bits of milliseconds, then version 7, then random bits with the RFC 4122 variant. */
export function newId(): string {
  // Number arithmetic (exact below 2^53) and a byte-to-hex table: a first sync makes 100,000
  // ids, and BigInt shifts and a Buffer per id cost a tenth of planning a new person.
  const ms = Date.now();
  const high = Math.floor(ms / 0x1000000);
  const low = ms % 0x1000000;
  const r = random16();
  const p = pool;
  return (
    HEX[(high >>> 16) & 0xff]! + HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[(low >>> 16) & 0xff]! + '-' +
    HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + '-' +
    HEX[(p[r + 6]! & 0x0f) | 0x70]! + HEX[p[r + 7]!]! + '-' +
    HEX[(p[r + 8]! & 0x3f) | 0x80]! + HEX[p[r + 9]!]! + '-' +
    HEX[p[r + 10]!]! + HEX[p[r + 11]!]! + HEX[p[r + 12]!]! + HEX[p[r + 13]!]! + HEX[p[r + 14]!]! + HEX[p[r + 15]!]!
  );
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
