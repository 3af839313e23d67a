import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths that may hold secrets anywhere in a log object. Redaction is tested: a credential that
 * reaches a log line is a defect.
 */
export const REDACT_PATHS = [
  'credentials',
  '*.credentials',
  'apiKey',
  '*.apiKey',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'codeVerifier',
  '*.codeVerifier',
  'privateKey',
  '*.privateKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  // A parsed query string (an OAuth callback's, a route's) logged as an object.
  'query.code',
  'query.state',
  'query.key',
  '*.query.code',
  '*.query.state',
  '*.query.key',
];

/**
 * Query parameters that carry a secret or a one-time proof: an OAuth authorization code and its
 * state (RFC 6749 §4.1.2), tokens, keys and client secrets. Matched by name, case-insensitively.
 */
const SECRET_PARAMS = new Set(['code', 'state', 'token', 'key', 'api_key', 'apikey', 'refresh_token', 'access_token', 'id_token', 'client_secret', 'password', 'code_verifier', 'assertion']);

/** Paths whose whole query string is a credential exchange: the OAuth callback. */
const SECRET_QUERY_PATHS = /\/oauth\/callback(?:\/|$)/;

/**
 * A URL (absolute or a request path) fit for a log: the OAuth callback's query string entirely
 * replaced, and the value of any secret-bearing parameter elsewhere. Anything unparsable keeps only
 * its path, which holds no secrets by construction of our routes.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const pathPart = url.slice(0, q);
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  if (SECRET_QUERY_PATHS.test(pathPart)) return `${pathPart}?[redacted]`;
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    let name: string;
    try {
      name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    } catch {
      return '[redacted]';
    }
    return SECRET_PARAMS.has(name.trim().toLowerCase()) ? `${eq < 0 ? pair : pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${pathPart}?${parts.join('&')}`;
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remotePort?: number };
}

/**
 * Fastify's request serializer with the URL redacted (Fastify takes a `req` serializer from the
 * logger instance over its own): every "incoming request" line would otherwise carry the OAuth
 * callback's code and state in full.
 */
function serializeRequest(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Options every logger of ours shares: redaction by path, URLs redacted wherever they are logged. */
export function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest, err: pino.stdSerializers.err },
    formatters: {
      // `{url}` logged by hand (an HTTP client's error, a redirect) goes through the same filter.
      log(object) {
        return typeof object.url === 'string' ? { ...object, url: redactUrl(object.url) } : object;
      },
    },
  };
}

export function createLogger(level = 'info', destination?: NodeJS.WritableStream | DestinationStream): Logger {
  return pino(loggerOptions(level), destination as DestinationStream);
}

export type { Logger };
