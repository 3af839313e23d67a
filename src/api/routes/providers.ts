import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { notFound } from '../../app/errors.ts';
import { listProviders, presentProvider } from '../../app/providers-service.ts';
import { descriptorOf } from '../../providers/descriptors.ts';

const JsonSchema = z.record(z.string(), z.unknown());
const FieldMapping = z.record(z.string(), z.string());

export const ProviderSchema = z.object({
  id: z.string(),
  name: z.string(),
  initials: z.string(),
  blurb: z.string(),
  docsUrl: z.string(),
  statusPageUrl: z.string(),
  officialHosts: z.array(z.string()),
  defaultBaseUrl: z.string().nullable(),
  settings: JsonSchema,
  auth: z.array(z.object({ kind: z.enum(['api_key', 'service_user', 'oauth2_authorization_code', 'oauth2_client_credentials', 'service_account_jwt']), label: z.string(), help: z.string(), credentialLabel: z.string(), credentials: JsonSchema })),
  oauth: z.object({ scopes: z.array(z.string()), rotatesRefreshTokens: z.boolean(), officialTokenEndpoint: z.string() }).nullable(),
  capabilities: z.object({ incremental: z.enum(['changed_since', 'delta', 'none']), webhooks: z.boolean(), groups: z.boolean(), directoryGroups: z.boolean() }),
  fields: z.array(z.object({ key: z.string(), label: z.string(), type: z.string(), providerField: z.string().optional(), personal: z.boolean().optional() })),
  defaultMapping: FieldMapping,
  groupAttributes: z.array(z.object({ attribute: z.string(), sourceKey: z.string(), type: z.string(), parent: z.string().optional() })),
});

export function providerRoutes(_ctx: AppContext): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['providers'];
    app.get('/providers', { schema: { tags, summary: 'The providers ReFresh connects to: auth methods, settings and credential forms (JSON Schema), capabilities, fields, default mapping', response: { 200: z.object({ data: z.array(ProviderSchema) }) } } }, async () => ({ data: listProviders() }));
    app.get('/providers/:id', { schema: { tags, summary: 'One provider', params: z.object({ id: z.string().min(1) }), response: { 200: ProviderSchema } } }, async (request) => {
      const d = descriptorOf(request.params.id);
      if (!d) throw notFound('provider', request.params.id);
      return presentProvider(d);
    });
  };
}
