import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** web/dist, from src/api (tsx) and dist/api (compiled) alike. */
export const WEB_DIST = path.resolve(import.meta.dirname, '..', '..', 'web', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** The console may only load its own files and talk to its own API. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ReFresh People Sync</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1f2937">
<h1>The console is not built yet</h1>
<p>Run <code>npm run build:web</code> (or restart with <code>npm start</code>, which builds it), then reload this page.</p>
<p>The API is running: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>`;

function securityHeaders(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
}

/**
 * Serves the built console (web/dist) at `/`: hashed files under /assets are cached for a year,
 * everything else is revalidated; any other path without a file extension gets index.html so
 * client routes (/login, /settings/…) load the app. /api/* never falls back to the console.
 */
export function registerStatic(app: FastifyInstance, root = WEB_DIST): void {
  const rootWithSep = root.endsWith(path.sep) ? root : root + path.sep;

  const sendIndex = (reply: FastifyReply) => {
    securityHeaders(reply);
    const index = path.join(root, 'index.html');
    if (!existsSync(index)) {
      return reply.status(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    reply.header('content-security-policy', CSP);
    return reply.header('content-type', TYPES['.html']!).header('cache-control', 'no-cache').send(createReadStream(index));
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const urlPath = request.url.split('?')[0]!;
    if (urlPath === '/api' || urlPath.startsWith('/api/')) {
      return reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${urlPath}`, details: {} } });
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return reply.status(400).send({ error: { code: 'invalid_request', message: 'malformed URL', details: {} } });
    }
    if (decoded === '/' || decoded === '/index.html') return sendIndex(reply);
    const file = path.resolve(root, '.' + path.posix.normalize(decoded));
    if (!file.startsWith(rootWithSep) || decoded.includes('\0')) return reply.status(404).send({ error: { code: 'not_found', message: 'not found', details: {} } });
    const ext = path.extname(file).toLowerCase();
    let stat;
    try {
      stat = statSync(file);
    } catch {
      stat = undefined;
    }
    if (stat?.isFile()) {
      securityHeaders(reply);
      const immutable = decoded.startsWith('/assets/');
      reply.header('content-type', TYPES[ext] ?? 'application/octet-stream');
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('last-modified', stat.mtime.toUTCString());
      reply.header('content-length', String(stat.size));
      if (request.method === 'HEAD') return reply.send();
      return reply.send(createReadStream(file));
    }
    // A missing file with an extension is a real 404 (a stale asset link), not a client route.
    if (ext) return reply.status(404).header('content-type', 'text/plain; charset=utf-8').send('Not found');
    return sendIndex(reply);
  };

  app.get('/*', { schema: { hide: true } }, handler);
  app.get('/', { schema: { hide: true } }, handler);
}
