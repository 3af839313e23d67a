import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** web/dist, from src/api (tsx) and dist/api (compiled) alike. */
export const WEB_DIST = path.resolve(import.meta.dirname, '..', '..', 'web', 'dist');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ReFresh People Sync</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>The console is not built yet</h1>
<p>Run <code>npm run build:web</code> (or restart with <code>npm start</code>, which builds it), then reload this page.</p>
<p>The API is running: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>`;

const isApiPath = (urlPath: string) => urlPath === '/api' || urlPath.startsWith('/api/');

/**
 * Serves the built console (web/dist) at `/` with @fastify/static: hashed files under /assets
 * are cached for a year, everything else is revalidated. A GET for a path without a file
 * extension that is no file gets index.html, so client routes (/login, /settings/…) load the
 * app; /api/* never falls back to the console and answers JSON 404s.
 */
export async function registerStatic(app: FastifyInstance, root = WEB_DIST): Promise<void> {
  const built = existsSync(path.join(root, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root,
      wildcard: true,
      index: false,
      cacheControl: false,
      setHeaders: (reply, file) => {
        const immutable = file.startsWith(path.join(root, 'assets') + path.sep);
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  const sendIndex = (reply: FastifyReply) => {
    if (!built) return reply.status(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const urlPath = request.url.split('?')[0]!;
    if (isApiPath(urlPath) || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${urlPath}`, details: {} } });
    }
    // A missing file with an extension is a real 404 (a stale asset link), not a client route.
    if (path.posix.extname(urlPath) !== '') return reply.status(404).send({ error: { code: 'not_found', message: 'not found', details: {} } });
    return sendIndex(reply);
  });
  // @fastify/static with `index: false` leaves `/` to us.
  app.get('/', { schema: { hide: true } }, (_request, reply) => sendIndex(reply));
}
