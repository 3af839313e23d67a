/**
 * Follows an authorize URL as a browser would: redirects by hand (redirect: 'manual'), cookies
 * kept per origin, until the authorization server sends the browser to `callbackPrefix`.
 * `onPage` answers HTML pages (an interaction's login or consent form) with the next request.
 */
export interface BrowserStep {
  readonly url: string;
  readonly status: number;
  readonly html: string;
}

export type PageHandler = (page: BrowserStep) => { url: string; form: Record<string, string> } | null;

export async function followAuthorize(authorizeUrl: string, callbackPrefix: string, onPage?: PageHandler, maxSteps = 20): Promise<{ callbackUrl: string | null; last: BrowserStep }> {
  const jar = new Map<string, Map<string, string>>();
  const cookieHeader = (url: string) => [...(jar.get(new URL(url).origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (url: string, res: Response) => {
    const origin = new URL(url).origin;
    const bag = jar.get(origin) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      bag.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    jar.set(origin, bag);
  };
  let next: { url: string; method: string; body?: string } = { url: authorizeUrl, method: 'GET' };
  let last: BrowserStep = { url: authorizeUrl, status: 0, html: '' };
  for (let i = 0; i < maxSteps; i++) {
    if (next.url.startsWith(callbackPrefix)) return { callbackUrl: next.url, last };
    const res = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: { cookie: cookieHeader(next.url), ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(next.body ? { body: next.body } : {}),
    });
    keep(next.url, res);
    const location = res.headers.get('location');
    const html = location ? '' : await res.text();
    last = { url: next.url, status: res.status, html };
    if (location && res.status >= 300 && res.status < 400) {
      next = { url: new URL(location, next.url).toString(), method: 'GET' };
      continue;
    }
    const answer = res.status === 200 && onPage ? onPage(last) : null;
    if (!answer) return { callbackUrl: null, last };
    next = { url: new URL(answer.url, next.url).toString(), method: 'POST', body: new URLSearchParams(answer.form).toString() };
  }
  return { callbackUrl: null, last };
}

/** A free TCP port on 127.0.0.1 (so a redirect URI can be registered before the server starts). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
