import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import swagger from '@fastify/swagger';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { transformObject } from './contract/openapi.ts';
import { validationErrorBody } from './contract/validation.ts';
import { BODY_LIMIT_BYTES, frameworkErrors, registerInputHygiene } from './input-hygiene.ts';
import type { AppContext } from '../app/context.ts';
import { ApiError } from '../app/errors.ts';
import { authenticateApiKey } from '../store/tenants.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoute } from './routes/metrics.ts';
import { fairTurns } from './fair-turns.ts';
import { integrationRoutes } from './routes/integrations.ts';
import { runRoutes } from './routes/runs.ts';
import { employeeRoutes } from './routes/employees.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { groupRoutes } from './routes/groups.ts';
import { auditRoutes } from './routes/audit.ts';
import { fieldPriorityRoutes } from './routes/field-priorities.ts';
import { authRoutes } from './routes/auth.ts';
import { providerRoutes } from './routes/providers.ts';
import { registerStatic } from './static.ts';
import { registerRateLimits, type RateLimitStoreKind } from './rate-limit.ts';
import { registerReadCache } from './read-cache.ts';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, DEFAULT_READ_CACHE_MB } from '../config.ts';
import { authenticateSession } from '../auth/sessions.ts';
import { ApiKeyCache, loadApiKeyWithRevision, type VerifiedApiKey } from '../auth/api-key-cache.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tenantId: string;
    /** The API key that authenticated the request; '' for a console session or an open route. */
    apiKeyId: string;
    /**
     * The tenant's read revision (Store.readRevision) as read for this request after it arrived,
     * when authentication read it anyway (PostgreSQL API keys); '' otherwise.
     */
    tenantReadRevision: string;
  }
}

/**
 * The console may load only its own files and talk only to its own API; nobody may frame it.
 * React sets styles through the DOM (allowed); the built bundle has no inline script or style.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // Embedded mode serves plain http on 127.0.0.1: upgrading would break it.
  upgradeInsecureRequests: null,
};

export interface ServerOptions {
  /** The clock sign-in throttles, rate limits and the API-key cache read (tests move it instead of waiting). */
  readonly clock?: () => Date;
  /** Where rate-limit counters live; default: the database on PostgreSQL, the process on SQLite (rate-limit.ts). */
  readonly rateLimitStore?: RateLimitStoreKind;
}

/** Probes answer whatever the load: never rate-limited, never authenticated. */
const PROBES = new Set(['/api/v1/health', '/api/v1/health/live', '/api/v1/health/ready']);
/** Open routes: their own proof (a password, an OAuth state, a webhook signature) or none needed. */
function isOpen(path: string): boolean {
  if (PROBES.has(path) || path === '/api/v1/openapi.json' || path === '/api/v1/auth/login') return true;
  return path.startsWith('/api/v1/oauth/callback/') || path.startsWith('/api/v1/webhooks/bamboohr/');
}

const HELMET_OPTIONS = { contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES }, hsts: false, referrerPolicy: { policy: 'same-origin' }, frameguard: { action: 'deny' } } as const;

/**
 * The security headers @fastify/helmet sets with our options, worked out once: the plugin builds
 * helmet's middleware again for every request (parsing the CSP directives, ~30 µs of a cached
 * answer's ~0.3 ms). Our options are static (no CSP nonce, no per-route options), so every answer
 * gets the same headers: they are read off one answer of a throwaway server with the plugin.
 */
async function securityHeaders(): Promise<Readonly<Record<string, string>>> {
  const probe = Fastify();
  try {
    await probe.register(helmet, HELMET_OPTIONS);
    probe.get('/', async () => '');
    const res = await probe.inject('/');
    const framework = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);
    return Object.fromEntries(Object.entries(res.headers).filter(([name, value]) => !framework.has(name) && typeof value === 'string')) as Record<string, string>;
  } finally {
    await probe.close();
  }
}

export async function buildServer(ctx: AppContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  const clock = options.clock ?? (() => new Date());
  const trustProxy = ctx.config.trustProxy ?? false;
  const app = Fastify({
    loggerInstance: ctx.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors,
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : Array.isArray(trustProxy) ? [...trustProxy] : trustProxy === true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('tenantId', '');
  app.decorateRequest('apiKeyId', '');
  app.decorateRequest('tenantReadRevision', '');
  registerInputHygiene(app as unknown as FastifyInstance);

  await app.register(cookie);
  // Helmet's headers on every answer, set where the plugin sets them (first, on each request),
  // so an answer that ends early (401, 429, a read-cache hit) carries them too.
  // HSTS only over HTTPS (below): embedded mode is plain http on loopback.
  const security = await securityHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(security);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    // API answers carry people's data and tokens: no cache, shared or private, may keep them.
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ReFresh People Sync API', version: '1.0.0', description: 'Directory sync between HR systems and ReFresh. Authenticate with `Authorization: Bearer <api key>`.' },
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject,
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiError) {
      if (error.status === 429 && typeof error.details.retryAfterSeconds === 'number') reply.header('retry-after', String(error.details.retryAfterSeconds));
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    if (hasZodFastifySchemaValidationErrors(error)) return reply.status(400).send(validationErrorBody(error.validationContext, error.validation));
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) {
      return reply.status(status).send({ error: { code: (error as { code?: string }).code?.toLowerCase() ?? 'bad_request', message: (error as Error).message, details: {} } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side; it has been logged.', details: {} } });
  });
  // Keys found in the database lately (api-key-cache.ts), so a revoke anywhere is seen at once:
  // on SQLite verified again after any other process's commit (data_version, read on the raw
  // handle: a few microseconds); on PostgreSQL believed while the tenant's read revision, read for
  // each request and shared by the requests arriving together, is the one the key was found at.
  const dataVersion = ctx.store.sqlite?.prepare('PRAGMA data_version').pluck();
  const keyClock = options.clock ? () => clock().getTime() : Date.now;
  const apiKeys = new ApiKeyCache(
    dataVersion ? { now: keyClock, foreignCommits: () => dataVersion.get() as number }
    : ctx.store.apiKeyWithRevision ? { now: keyClock, revision: (tenantId) => ctx.store.readRevision(tenantId) }
    : { ttlMs: 0 },
  );
  const loadApiKey = ctx.store.apiKeyWithRevision && !dataVersion ? loadApiKeyWithRevision(ctx.store, clock) : (key: string) => authenticateApiKey(ctx.store.db, key);
  await app.register(
    async (api) => {
      const limits = await registerRateLimits(api as unknown as FastifyInstance, ctx, {
        perMinute: ctx.config.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
        store: options.rateLimitStore ?? (ctx.store.dialect === 'postgres' ? 'database' : 'memory'),
        clock,
      });
      api.addHook('onRequest', async (request: FastifyRequest, reply) => {
        const path = request.url.split('?')[0]!;
        if (PROBES.has(path)) return;
        // Per address before anything else (bad keys included), then per API key or console user.
        await limits.byAddress(request, reply);
        if (!isOpen(path)) request.tenantId = await authenticate(ctx, apiKeys, loadApiKey, request);
        await limits.byClient(request, reply);
      });
      // Probes answer at once; everything else takes its turn (fair-turns.ts): a cached answer
      // before it is written, any other before its handler.
      const turn = fairTurns();
      // After authentication (the tenant is known) and the rate limits (a hit counts as a request).
      registerReadCache(api as unknown as FastifyInstance, ctx.store, (ctx.config.readCacheMb ?? DEFAULT_READ_CACHE_MB) * 1024 * 1024, turn);
      api.addHook('preHandler', async (request: FastifyRequest) => {
        if (!PROBES.has(request.url.split('?')[0]!)) await turn();
      });

      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(healthRoutes(ctx));
      await api.register(integrationRoutes(ctx));
      await api.register(runRoutes(ctx));
      await api.register(employeeRoutes(ctx));
      await api.register(oauthRoutes(ctx));
      await api.register(webhookRoutes(ctx));
      await api.register(groupRoutes(ctx));
      await api.register(auditRoutes(ctx));
      await api.register(fieldPriorityRoutes(ctx));
      await api.register(authRoutes(ctx, clock));
      await api.register(providerRoutes(ctx));
      await api.register(apiKeyRoutes(ctx, apiKeys));
    },
    { prefix: '/api/v1' },
  );
  await app.register(metricsRoute(ctx));
  // The console (web/dist) at `/`, with client routes falling back to index.html.
  await registerStatic(app as unknown as FastifyInstance);
  return app as unknown as FastifyInstance;
}

async function authenticate(ctx: AppContext, apiKeys: ApiKeyCache, loadApiKey: (key: string) => Promise<VerifiedApiKey | undefined>, request: FastifyRequest): Promise<string> {
  const header = request.headers.authorization;
  // No Authorization header: the console's session cookie (with CSRF checked on writes).
  if (!header && request.headers.cookie) return (await authenticateSession(ctx.store.db, request)).tenantId;
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new ApiError(401, 'unauthenticated', 'Send an API key as `Authorization: Bearer <key>`.');
  const key = await apiKeys.authenticate(match[1]!, loadApiKey);
  if (!key) throw new ApiError(401, 'unauthenticated', 'The API key is not valid.');
  request.apiKeyId = key.keyId;
  // PostgreSQL: the tenant's revision the key was checked at, read after this request arrived (read-cache.ts uses it).
  if (key.revision !== undefined) request.tenantReadRevision = key.revision;
  return key.tenantId;
}
