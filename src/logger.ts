import { pino, type Logger } from 'pino';

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
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, destination as never);
}

export type { Logger };
