/**
 * The outbound-request policy (DESIGN.md §2 rule 7): where provider calls may go.
 *
 * - Destinations. Production: the provider's official hosts (its descriptor's `officialHosts`,
 *   https on the default port) and the operator's REFRESH_ALLOWED_PROVIDER_HOSTS patterns
 *   (`host`, `*.domain`, either with `:port`). Embedded mode (`refresh start`) also allows
 *   loopback, where its sandboxes live. A tenant's `settings.baseUrl` can name nothing else.
 * - Schemes: https only, or http to an allowed loopback host.
 * - Addresses: a host name is resolved when the connection is made and every address it resolves
 *   to is checked; private, CGNAT, link-local, unique-local, metadata and other special addresses
 *   are refused whatever the host name, and loopback is allowed only as above. The connection is
 *   made to the address that was checked (undici's `connect.lookup`), so a DNS answer that changes
 *   between a check and the connection (rebinding) cannot move it.
 * - Redirects are followed only within the same origin (scheme, host, port), each checked again.
 * - The platform's OAuth client secret (BAMBOOHR_OAUTH_CLIENT_SECRET, …) is sent only to the
 *   provider's official token (or revocation) endpoint, whatever a tenant's settings say; in
 *   embedded mode also to a sandbox on loopback. (Not to REFRESH_ALLOWED_PROVIDER_HOSTS: those
 *   are for tenants' own apps and proxies.)
 *
 * One policy per process, built from configuration when the app context is created and read by
 * the shared HTTP client and the OAuth client. Until one is installed (connector unit tests), an
 * unrestricted policy applies, which still refuses redirects to another host.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { descriptorOf, providerName } from '../providers/descriptors.ts';
import { hostMatches, isOfficialEndpoint } from '../providers/settings.ts';
import { classifyAddress, describeAddressKind } from './addresses.ts';

export type OutboundMode = 'embedded' | 'production' | 'unrestricted';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every address it has (tests inject one: they may contact loopback only). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface OutboundPolicyOptions {
  readonly mode: OutboundMode;
  /** REFRESH_ALLOWED_PROVIDER_HOSTS. */
  readonly allowedHosts?: readonly string[];
  /** The platform's OAuth client secrets, by provider. */
  readonly platformSecrets?: Readonly<Record<string, readonly string[]>>;
  readonly resolve?: Resolver;
}

/** A provider call refused by the policy: says what was refused and why. */
export class OutboundRefusedError extends Error {
  readonly code = 'outbound_refused';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRefusedError';
  }
}

/** The policy's refusal in an error or its causes (undici wraps a refused connection in `fetch failed`). */
export function outboundRefusal(error: unknown): OutboundRefusedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth += 1) {
    if (current instanceof OutboundRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

interface HostPattern {
  readonly host: string;
  readonly port: string | undefined;
}

function parsePattern(pattern: string): HostPattern {
  const p = pattern.trim().toLowerCase();
  const v6 = p.match(/^\[([0-9a-f:.]+)\](?::(\d+))?$/);
  if (v6) return { host: v6[1]!, port: v6[2] };
  const [host, port] = p.split(':') as [string, string | undefined];
  return { host, port };
}

/** The host of a URL without IPv6 brackets or a trailing dot, lower-cased. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || classifyAddress(host) === 'loopback';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export class OutboundPolicy {
  readonly mode: OutboundMode;
  private readonly allowed: readonly HostPattern[];
  private readonly platformSecrets: Readonly<Record<string, readonly string[]>>;
  private readonly resolve: Resolver;
  /** https: public addresses, and loopback where allowed. */
  private readonly httpsAgent: Agent;
  /** http: loopback only, where allowed. */
  private readonly httpAgent: Agent;

  constructor(options: OutboundPolicyOptions) {
    this.mode = options.mode;
    this.allowed = (options.allowedHosts ?? []).map(parsePattern);
    this.platformSecrets = options.platformSecrets ?? {};
    this.resolve = options.resolve ?? systemResolver;
    this.httpsAgent = new Agent({ connect: { lookup: this.checkedLookup(false) } });
    this.httpAgent = new Agent({ connect: { lookup: this.checkedLookup(true) } });
  }

  /** Whether the operator listed this host (and port, when the pattern names one). */
  private listed(host: string, port?: string): boolean {
    return this.allowed.some((p) => hostMatches(host, p.host) && (p.port === undefined || port === undefined || p.port === port));
  }

  private loopbackAllowed(host: string): boolean {
    return this.mode !== 'production' || this.listed(host);
  }

  /**
   * Checks a destination before any connection: scheme, host (official, listed, or embedded
   * loopback), and an IP literal's kind. Returns the parsed URL; throws OutboundRefusedError.
   */
  check(provider: string, target: string | URL): URL {
    let url: URL;
    try {
      url = new URL(String(target));
    } catch {
      throw new OutboundRefusedError(`"${String(target)}" is not a valid URL.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundRefusedError(`${providerName(provider)} addresses must start with https:// ("${url.protocol}" is not allowed).`);
    if (url.username || url.password) throw new OutboundRefusedError('A provider address must not contain a user name or password; enter credentials as the integration\'s credentials.');
    if (this.mode === 'unrestricted') return url;
    const host = bareHost(url);
    const listed = this.listed(host, portOf(url));
    const officialHost = url.port === '' && (descriptorOf(provider)?.officialHosts ?? []).some((p) => hostMatches(host, p));
    const loopback = isLoopbackName(host);
    if (officialHost && url.protocol !== 'https:') throw new OutboundRefusedError(`${providerName(provider)} addresses must start with https://.`);
    if (!officialHost && !listed && !(loopback && this.mode === 'embedded')) throw new OutboundRefusedError(this.notAllowed(provider, url));
    const kind = isIP(host) ? classifyAddress(host) : undefined;
    if (kind && kind !== 'public' && !(kind === 'loopback' && this.loopbackAllowed(host))) {
      throw new OutboundRefusedError(`${url.host} is ${describeAddressKind(kind)}; provider calls never go to private, link-local or metadata addresses.`);
    }
    if (url.protocol === 'http:' && !(loopback && this.loopbackAllowed(host)) && !(listed && kind === undefined)) {
      throw new OutboundRefusedError(`${providerName(provider)} addresses must start with https:// (plain http is only for a sandbox on this machine).`);
    }
    return url;
  }

  private notAllowed(provider: string, url: URL): string {
    const official = descriptorOf(provider)?.officialHosts ?? [];
    const where = official.length > 0 ? `${providerName(provider)}'s own hosts (${official.join(', ')})` : `${providerName(provider)}'s own hosts`;
    return `ReFresh may not call ${url.host}: provider calls go only to ${where}${this.mode === 'embedded' ? ' or a sandbox on this machine' : ''}. The operator can allow more hosts with REFRESH_ALLOWED_PROVIDER_HOSTS.`;
  }

  /**
   * `connect.lookup` for undici: resolves the host, refuses the connection unless every address is
   * allowed, and answers exactly the addresses it checked, so the socket connects to one of them.
   */
  private checkedLookup(loopbackOnly: boolean): LookupFunction {
    return (hostname, options, callback) => {
      const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      const answer = (addresses: readonly ResolvedAddress[]) => {
        if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
        for (const { address } of addresses) {
          const kind = classifyAddress(address);
          const ok = kind === 'loopback' ? this.loopbackAllowed(host) : kind === 'public' && !loopbackOnly;
          if (!ok) {
            throw new OutboundRefusedError(
              loopbackOnly && kind === 'public'
                ? `${host} resolves to ${address}: plain http is only for a sandbox on this machine; use https://.`
                : `${host} resolves to ${address}, ${describeAddressKind(kind)}; provider calls never go to private, link-local or metadata addresses.`,
            );
          }
        }
        return addresses;
      };
      const literal = isIP(host);
      const resolved = literal ? Promise.resolve([{ address: host, family: literal }]) : this.resolve(host);
      resolved.then(answer).then(
        (addresses) => {
          if ((options as { all?: boolean }).all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, [...addresses]);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };
  }

  /** The checking agent for the scheme; none (undici's default) when unrestricted. */
  private dispatcherFor(url: URL): { dispatcher?: Agent } {
    if (this.mode === 'unrestricted') return {};
    return { dispatcher: url.protocol === 'http:' ? this.httpAgent : this.httpsAgent };
  }

  /**
   * A provider call under the policy: checked destination, connection to a checked address,
   * redirects followed only within the same origin (each checked again). `via` replaces the
   * network fetch (tests); it still goes through the checks and the redirect rule.
   */
  async fetch(provider: string, target: string | URL, init: RequestInit = {}, via?: typeof fetch): Promise<Response> {
    let url = this.check(provider, target);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    for (let hop = 0; ; hop += 1) {
      const request = { ...init, method, body: body ?? null, redirect: 'manual' as const };
      const res = via ? await via(url.href, request) : ((await undiciFetch(url.href, { ...request, ...this.dispatcherFor(url) } as never)) as unknown as Response);
      const location = REDIRECTS.has(res.status) ? res.headers.get('location') : null;
      if (!location) return res;
      await res.body?.cancel().catch(() => undefined);
      const next = new URL(location, url);
      if (next.origin !== url.origin) throw new OutboundRefusedError(`${providerName(provider)} answered ${url.pathname} with a redirect to another host (${next.host}); ReFresh does not follow it.`);
      if (hop >= MAX_REDIRECTS) throw new OutboundRefusedError(`${providerName(provider)} redirected more than ${MAX_REDIRECTS} times.`);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = this.check(provider, next);
    }
  }

  /** Whether the platform's OAuth client secret may be sent to `target` (see the file comment). */
  platformSecretMayGoTo(provider: string, target: string): boolean {
    const spec = descriptorOf(provider)?.oauth;
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return false;
    }
    if (spec) {
      const official = spec.officialTokenEndpoint;
      if (isOfficialEndpoint(url.href, official)) return true;
      if (spec.revokePath && isOfficialEndpoint(url.href, official.replace(spec.tokenPath, spec.revokePath))) return true;
    }
    // Embedded mode's sandboxes are the operator's own, on this machine.
    return this.mode === 'unrestricted' || (this.mode === 'embedded' && isLoopbackName(bareHost(url)));
  }

  /**
   * The fetch the OAuth client uses for token, refresh and revocation calls: the policy, plus the
   * rule for the platform's client secret. oauth4webapi never follows redirects itself.
   */
  oauthFetch(provider: string): typeof fetch {
    return (async (input: string | URL | Request, init: RequestInit = {}) => {
      const target = input instanceof Request ? input.url : String(input);
      if (this.carriesPlatformSecret(provider, init) && !this.platformSecretMayGoTo(provider, target)) {
        throw new OutboundRefusedError(`ReFresh's own ${providerName(provider)} OAuth app can only be used with ${providerName(provider)}'s official token endpoint, not ${new URL(target).host}: connect with your organization's own OAuth app, or remove the custom authorization server address.`);
      }
      const url = this.check(provider, target);
      return (await undiciFetch(url.href, { ...init, ...this.dispatcherFor(url) } as never)) as unknown as Response;
    }) as typeof fetch;
  }

  private carriesPlatformSecret(provider: string, init: RequestInit): boolean {
    const secrets = this.platformSecrets[provider] ?? [];
    if (secrets.length === 0) return false;
    const body = init.body instanceof URLSearchParams ? init.body.toString() : typeof init.body === 'string' ? init.body : '';
    const headers = new Headers(init.headers);
    const basic = headers.get('authorization')?.match(/^Basic\s+(\S+)/i)?.[1];
    const credentials = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
    return secrets.some((s) => body.includes(encodeURIComponent(s)) || body.includes(s) || credentials.includes(s));
  }

  async close(): Promise<void> {
    await Promise.all([this.httpsAgent.close(), this.httpAgent.close()]);
  }
}

let installed = new OutboundPolicy({ mode: 'unrestricted' });

/** The process's policy (see the file comment). */
export function outboundPolicy(): OutboundPolicy {
  return installed;
}

/** Installs the process's policy (at context creation; tests with an injected resolver); returns the previous one. */
export function installOutboundPolicy(policy: OutboundPolicy): OutboundPolicy {
  const previous = installed;
  installed = policy;
  return previous;
}
