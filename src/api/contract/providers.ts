import { z } from 'zod';

/** A provider's descriptor as GET /providers serves it (src/providers/types.ts). */
const JsonSchema = z.record(z.string(), z.unknown());
const FieldMapping = z.record(z.string(), z.string());

export const Provider = z
  .object({
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
    oauth: z
      .object({
        scopes: z.array(z.string()),
        rotatesRefreshTokens: z.boolean(),
        officialTokenEndpoint: z.string(),
        appConfigured: z.boolean().describe("Whether this ReFresh has its own OAuth app for the provider: when false, signing in in the browser needs the organization's own app (oauthClient of POST /integrations/{id}/connect)"),
      })
      .nullable(),
    capabilities: z.object({ incremental: z.enum(['changed_since', 'delta', 'none']), webhooks: z.boolean(), groups: z.boolean(), directoryGroups: z.boolean() }),
    fields: z.array(z.object({ key: z.string(), label: z.string(), type: z.string(), providerField: z.string().optional(), personal: z.boolean().optional() })),
    defaultMapping: FieldMapping,
    groupAttributes: z.array(z.object({ attribute: z.string(), sourceKey: z.string(), type: z.string(), parent: z.string().optional() })),
  })
  .meta({ id: 'Provider' });
