import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { OpenAPIV3_1 } from 'openapi-types';
import { createContext } from '../app/context.ts';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openStore } from '../store/db.ts';
import { buildServer } from './server.ts';

/**
 * The OpenAPI document as `/api/v1/openapi.json` serves it, built without a running server (on
 * an in-memory store): what `npm run gen:api` turns into the console's types.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIV3_1.Document> {
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir: tmpdir(),
    databaseUrl: undefined,
    apiKey: undefined,
    adminEmail: 'admin@example.com',
    adminPassword: undefined,
    secretKey: randomBytes(32).toString('base64'),
    logLevel: 'silent',
  };
  const ctx = await createContext(config, createLogger('silent'), { store: await openStore({}), worker: { schedule: false } });
  const app = await buildServer(ctx);
  try {
    await app.ready();
    return app.swagger() as OpenAPIV3_1.Document;
  } finally {
    await app.close();
    await ctx.close();
  }
}
