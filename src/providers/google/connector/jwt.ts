/**
 * The service account's assertion for Google's token endpoint: a JWT signed RS256 with the
 * account's private key (RFC 7523 §2.1, the JWT bearer grant; Google's "Using OAuth 2.0 for
 * Server to Server Applications", developers.google.com/identity/protocols/oauth2/service-account,
 * "Creating a JWT"): header `{"alg": "RS256", "typ": "JWT"}` (with `kid`, the key id, when
 * known), claims `iss` = the account's e-mail, `scope` = space-delimited scopes, `aud` = the token
 * endpoint, `iat` and `exp` (at most one hour later), and `sub` = the user the account acts as under
 * domain-wide delegation.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface AssertionInput {
  readonly clientEmail: string;
  /** PKCS#8 PEM (`private_key` of the JSON key file), or a parsed key. */
  readonly privateKey: string | KeyObject;
  readonly privateKeyId?: string;
  readonly scopes: readonly string[];
  /** The token endpoint URL. */
  readonly audience: string;
  /** The user to act as (domain-wide delegation). */
  readonly subject?: string;
  readonly now?: Date;
  /** Lifetime in seconds (Google allows at most 3600). */
  readonly lifetimeSeconds?: number;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Parses a PEM private key; a JSON-escaped one (`\n` written out) is accepted too. */
export function parsePrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem);
}

export function signAssertion(input: AssertionInput): string {
  const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(input.privateKeyId ? { kid: input.privateKeyId } : {}) };
  const claims = {
    iss: input.clientEmail,
    scope: input.scopes.join(' '),
    aud: input.audience,
    iat,
    exp: iat + Math.min(3600, input.lifetimeSeconds ?? 3600),
    ...(input.subject ? { sub: input.subject } : {}),
  };
  const signingInput = `${b64(header)}.${b64(claims)}`;
  const key = typeof input.privateKey === 'string' ? parsePrivateKey(input.privateKey) : input.privateKey;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), key).toString('base64url')}`;
}
