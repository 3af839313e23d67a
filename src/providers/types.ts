/**
 * What the product knows about a provider, in one place: the descriptor. Every provider-name
 * table, settings and credentials schema, default mapping and "… in <provider>" text reads it;
 * `GET /api/v1/providers` serves it; the console's catalogue, connect forms and mapping pickers
 * are built from that answer. A descriptor is data (and zod schemas): it imports no connector,
 * sandbox or store code, so anything may read it without import cycles.
 *
 * Adding a provider: a folder `src/providers/<id>/` with `descriptor.ts`, `connector/`,
 * `sandbox/` and `index.ts` (the ProviderModule), its id in `ProviderId`, and one line in
 * `descriptors.ts` and `registry.ts` (both checked with `satisfies Record<ProviderId, …>`).
 */
import type { z } from 'zod';
import type { FieldMapping } from '../core/mapping.ts';
import type { Scope } from '../core/scope.ts';

export type ProviderId = 'bamboohr' | 'hibob' | 'employmenthero' | 'deel' | 'entra' | 'google';

/** How an integration can authenticate. */
export type AuthMethodKind =
  /** A long-lived key the admin pastes (BambooHR API key, Deel organization token). */
  | 'api_key'
  /** A service user's id and token (HiBob). */
  | 'service_user'
  /** OAuth 2.0 authorization code with PKCE and state, in the browser (or an imported grant). */
  | 'oauth2_authorization_code'
  /** OAuth 2.0 client credentials for the tenant (Entra ID app permissions). */
  | 'oauth2_client_credentials'
  /** A service account signing its own JWT bearer assertions (Google domain-wide delegation). */
  | 'service_account_jwt';

export interface AuthMethod {
  readonly kind: AuthMethodKind;
  /** "API key", "Sign in with BambooHR (OAuth 2.0)". */
  readonly label: string;
  /** Where the admin finds what to enter, in their provider. */
  readonly help: string;
  /**
   * What `POST /integrations` takes as `credentials` for this method (zod, with `.meta({title,
   * description, writeOnly})` per field: the console builds its form from the JSON Schema). For
   * `oauth2_authorization_code` this is the headless import of a grant
   * (`{clientId, clientSecret, refreshToken}`); the browser flow needs no credentials.
   */
  readonly credentials: z.ZodType<Record<string, string>>;
  /** What the credential is called in error messages ("API key", "service user token"). */
  readonly credentialLabel: string;
}

/** OAuth 2.0 endpoints and behaviour, for providers with an OAuth method. */
export interface OAuthSpec {
  /**
   * The authorization server's origin (no trailing slash) for these settings:
   * `settings.authBaseUrl` when set, else the provider's official one.
   */
  authBaseUrl(settings: Readonly<Record<string, unknown>>): string;
  readonly authorizePath: string;
  readonly tokenPath: string;
  /**
   * The token endpoint's origin when it is not the authorization server's (Google: sign-in at
   * accounts.google.com, tokens at oauth2.googleapis.com); `settings.authBaseUrl` names both for a sandbox.
   */
  tokenBaseUrl?(settings: Readonly<Record<string, unknown>>): string;
  /** RFC 7009 revocation, when the provider has it. */
  readonly revokePath?: string;
  readonly scopes: readonly string[];
  /** Each refresh answers a new refresh token and the used one dies (reuse may revoke the grant). */
  readonly rotatesRefreshTokens: boolean;
  /** How the client authenticates at the token endpoint. */
  readonly clientAuth: 'client_secret_post' | 'client_secret_basic';
  /**
   * The official token endpoint (a URL whose host may start with `*.`): the platform's OAuth
   * client secret is sent nowhere else (DESIGN.md §2 rule 7).
   */
  readonly officialTokenEndpoint: string;
  /** Extra query parameters the authorize and token endpoints need on the official host. */
  readonly officialParams?: { readonly authorize?: Readonly<Record<string, string>>; readonly token?: Readonly<Record<string, string>> };
}

export interface Capabilities {
  /** How an incremental run learns what changed: a changed-since call, a delta token, or not at all (a full read). */
  readonly incremental: 'changed_since' | 'delta' | 'none';
  /** The provider pushes change notifications ReFresh can verify. */
  readonly webhooks: boolean;
  /** Org units (departments, sites, teams, …) with stable ids, for Group Sync. */
  readonly groups: boolean;
  /** The provider's own groups (Google groups, Entra groups) as ReFresh groups. */
  readonly directoryGroups: boolean;
}

export type SourceFieldType = 'text' | 'email' | 'phone' | 'date' | 'id' | 'reference' | 'status' | 'boolean' | 'number';

/** One attribute a connector yields (a key of `SourceRecord.attributes`). */
export interface SourceField {
  readonly key: string;
  /** "Work phone", as the provider's own UI calls it. */
  readonly label: string;
  readonly type: SourceFieldType;
  /** The provider's own field id when it differs from `key` (`work.workPhone`). */
  readonly providerField?: string;
  /** Personal data (home address, personal e-mail, …): never in a default mapping, still mappable. */
  readonly personal?: boolean;
}

/** A provider attribute that can become a group (Group Sync), with its default type label. */
export interface GroupAttribute {
  /** The ReFresh field the default mapping maps it to (what the group mapping names). */
  readonly attribute: string;
  /** The source attribute it comes from. */
  readonly sourceKey: string;
  /** "Department", "Team", "Cost centre". */
  readonly type: string;
  /** Another group attribute these groups nest under by default. */
  readonly parent?: string;
}

export interface ProviderDescriptor<Id extends ProviderId = ProviderId> {
  readonly id: Id;
  /** Display name: "BambooHR". */
  readonly name: string;
  /** Two letters for the logo tile. */
  readonly initials: string;
  /** One sentence for the catalogue. */
  readonly blurb: string;
  /** The provider's developer documentation this integration follows. */
  readonly docsUrl: string;
  readonly statusPageUrl: string;
  /**
   * Hosts the provider's API and authorization server live on (a leading `*.` matches any
   * subdomain). In production provider calls go only here (plus REFRESH_ALLOWED_PROVIDER_HOSTS).
   */
  readonly officialHosts: readonly string[];
  /** The official API origin when settings name none (BambooHR derives it from `companyDomain`). */
  readonly defaultBaseUrl: string | null;
  /** `settings` of `POST /integrations` (zod, fields with `.meta({title, description})`). */
  readonly settings: z.ZodType<Record<string, unknown>>;
  /** The first method is the one the console offers first. */
  readonly auth: readonly AuthMethod[];
  readonly oauth: OAuthSpec | null;
  readonly capabilities: Capabilities;
  /** The attributes the connector yields (the provider's metadata endpoint adds custom fields per account). */
  readonly fields: readonly SourceField[];
  /** Source attribute → ReFresh field for a new integration. Personal data is never in it. */
  readonly defaultMapping: FieldMapping;
  /**
   * The sync scope a new integration starts with (default: everyone). Identity providers hold
   * accounts HR does not know (guests, rooms, shared mailboxes); their default rule leaves them
   * out, and the admin can change it like any scope.
   */
  readonly defaultScope?: Scope;
  /**
   * Source attributes holding more of a person's addresses, tried in this order when the mapped
   * work email finds nobody (Entra ID: the user principal name, then proxy addresses).
   */
  readonly correlationAliases?: readonly string[];
  readonly groupAttributes: readonly GroupAttribute[];
}
