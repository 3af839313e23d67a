import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { IdParams, responses } from '../contract/common.ts';
import { Provider } from '../contract/providers.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { notFound } from '../../app/errors.ts';
import { listProviders, presentProvider, type PresentedProvider } from '../../app/providers-service.ts';
import { descriptorOf } from '../../providers/descriptors.ts';

export function providerRoutes(ctx: AppContext): FastifyPluginAsync {
  // Whether this server has its own OAuth app per provider (configuration, not the descriptor).
  const withApp = (p: PresentedProvider) => (p.oauth ? { ...p, oauth: { ...p.oauth, appConfigured: !!ctx.config.oauthClients?.[p.id] } } : p);
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['providers'];
    app.get('/providers', { schema: { tags, summary: 'The providers ReFresh connects to: auth methods, settings and credential forms (JSON Schema), capabilities, fields, default mapping', response: responses({ 200: z.object({ data: z.array(Provider) }) }) } }, async () => ({ data: listProviders().map(withApp) }));
    app.get('/providers/:id', { schema: { tags, summary: 'One provider', params: IdParams, response: responses({ 200: Provider }, 404) } }, async (request) => {
      const d = descriptorOf(request.params.id);
      if (!d) throw notFound('provider', request.params.id);
      return withApp(presentProvider(d));
    });
  };
}
