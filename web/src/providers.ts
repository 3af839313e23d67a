/**
 * What the console knows about providers comes from their descriptors (GET /api/v1/providers): the
 * catalogue, the connect forms, logos and every "… in <provider>" text. No page names a provider.
 *
 * Loaded lazily, by the components that need it (TanStack Query caches the one answer): the shell
 * and the pages render without waiting for it, and a provider's name appears when it has arrived.
 */
import type { Schema } from './api/client.ts';
import { q } from './api/queries.ts';
import { useApiQuery, type Loaded } from './hooks.ts';

export type Provider = Schema<'Provider'>;
export type AuthMethod = Provider['auth'][number];

export function useProviders(): Loaded<{ data: Provider[] }> {
  return useApiQuery(q.providers());
}

/** The provider's descriptor, once loaded. */
export function useProvider(id: string): Provider | undefined {
  return useProviders().data?.data.find((p) => p.id === id);
}

/** "Location in Acme HR": a source attribute's label with its provider's name (the key while loading). */
export function sourceLabel(provider: Provider | undefined, key: string): string {
  const label = provider?.fields.find((f) => f.key === key)?.label ?? key;
  return provider ? `${label} in ${provider.name}` : label;
}

// ---- forms from JSON Schema (the descriptor's settings and credentials schemas) ----

export type InputKind = 'text' | 'url' | 'secret' | 'list' | 'boolean';

/** One input of a connect form, read from a JSON Schema property and its metadata. */
export interface FormField {
  readonly key: string;
  readonly label: string;
  readonly help: string | null;
  readonly kind: InputKind;
  readonly required: boolean;
  /** Settings only needed for a sandbox, a proxy or a regional host: under "Advanced". */
  readonly advanced: boolean;
  /** Shown after the input (".example.com" for a subdomain). */
  readonly suffix: string | null;
  readonly placeholder: string | null;
  readonly pattern: string | null;
  /** The member of a JSON key file that holds this value (a service account's key file). */
  readonly keyFile: string | null;
}

type JsonSchema = Record<string, unknown>;

/** The object schema a form is built from: the schema itself, or the first object of an `anyOf` (its flat variant). */
function objectSchema(schema: JsonSchema): JsonSchema {
  if (schema['properties']) return schema;
  const variants = (schema['anyOf'] ?? schema['oneOf']) as JsonSchema[] | undefined;
  return variants?.find((v) => v['properties']) ?? {};
}

function kindOf(p: JsonSchema): InputKind {
  if (p['type'] === 'boolean') return 'boolean';
  if (p['type'] === 'array') return 'list';
  if (p['writeOnly'] === true) return 'secret';
  if (p['format'] === 'uri') return 'url';
  return 'text';
}

/** The form's inputs, in the schema's order; internal properties (`x-internal`) are not shown. */
export function formFields(schema: JsonSchema): FormField[] {
  const obj = objectSchema(schema);
  const required = new Set((obj['required'] as string[] | undefined) ?? []);
  return Object.entries((obj['properties'] ?? {}) as Record<string, JsonSchema>)
    .filter(([, p]) => p['x-internal'] !== true && p['type'] !== 'object')
    .map(([key, p]) => ({
      key,
      label: typeof p['title'] === 'string' ? p['title'] : key,
      help: typeof p['description'] === 'string' ? p['description'] : null,
      kind: kindOf(p),
      required: required.has(key),
      advanced: p['x-advanced'] === true,
      suffix: typeof p['x-suffix'] === 'string' ? p['x-suffix'] : null,
      placeholder: Array.isArray(p['examples']) && typeof p['examples'][0] === 'string' ? p['examples'][0] : null,
      pattern: typeof p['pattern'] === 'string' ? p['pattern'] : null,
      keyFile: typeof p['x-key-file'] === 'string' ? p['x-key-file'] : null,
    }));
}

/** "Enter the service user ID." from the field's own label (acronyms kept: "API key"). */
export function missingMessage(field: FormField): string {
  const label = /^[A-Z][a-z]/.test(field.label) ? field.label[0]!.toLowerCase() + field.label.slice(1) : field.label;
  return `Enter the ${label}.`;
}

/** A client-side check of one value; null when it is fine (the server checks everything again). */
export function checkValue(field: FormField, raw: string): string | null {
  const value = raw.trim();
  if (!value) return field.required ? missingMessage(field) : null;
  if (field.kind === 'url') {
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${field.label} must start with http:// or https://.`;
    } catch {
      return `${field.label} must be a full address, like https://example.com or http://127.0.0.1:9101.`;
    }
  }
  if (field.pattern && field.kind === 'text') {
    let re: RegExp | null = null;
    try {
      re = new RegExp(field.pattern, 'u');
    } catch {
      re = null;
    }
    if (re && !re.test(value)) return field.help ? `Check the ${field.label.toLowerCase()}: ${field.help}` : `Check the ${field.label.toLowerCase()}.`;
  }
  return null;
}

/** The value the API takes for a field's input text (lists are comma- or line-separated). */
export function valueOf(field: FormField, raw: string): unknown {
  if (field.kind === 'boolean') return raw === 'true';
  if (field.kind === 'list') {
    return raw
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return field.kind === 'secret' ? raw : raw.trim();
}

/**
 * How an admin can connect, from the descriptor's auth methods. An OAuth authorization-code method
 * is two choices: signing in in the browser, and importing a grant made elsewhere (its credentials
 * schema: client ID, client secret, refresh token).
 */
export interface ConnectChoice {
  readonly id: string;
  readonly label: string;
  readonly help: string;
  readonly method: AuthMethod;
  /** The browser sign-in: no credentials; the provider's consent page, then back here. */
  readonly browser: boolean;
  readonly fields: FormField[];
}

export function connectChoices(provider: Provider): ConnectChoice[] {
  return provider.auth.flatMap((m, i): ConnectChoice[] => {
    if (m.kind !== 'oauth2_authorization_code') return [{ id: `m${i}`, label: m.label, help: m.help, method: m, browser: false, fields: formFields(m.credentials) }];
    return [
      { id: `m${i}-browser`, label: m.label, help: m.help, method: m, browser: true, fields: [] },
      {
        id: `m${i}-import`,
        label: 'Import an existing grant (client ID, client secret and refresh token)',
        help: `For a grant already made with ${provider.name} (for example by a script): ReFresh redeems the refresh token at once and keeps the new ones.`,
        method: m,
        browser: false,
        fields: formFields(m.credentials),
      },
    ];
  });
}

/** Your own OAuth app for the browser sign-in: required when this ReFresh has none for the provider. */
export function ownAppFields(provider: Provider): FormField[] {
  const required = !provider.oauth?.appConfigured;
  const base = { advanced: !required, suffix: null, placeholder: null, pattern: null, keyFile: null, required };
  return [
    { ...base, key: 'oauthClientId', label: 'OAuth app client ID', help: required ? `ReFresh has no ${provider.name} app configured here: enter your organization's own app.` : `Only to sign in with your organization's own ${provider.name} app instead of ReFresh's.`, kind: 'text' },
    { ...base, key: 'oauthClientSecret', label: 'OAuth app client secret', help: 'Stored encrypted and never shown again.', kind: 'secret' },
  ];
}

/** Fills the fields that come from a JSON key file (`x-key-file`) from the file's text; an error message when it is not one. */
export function fromKeyFile(fields: FormField[], text: string): { values: Record<string, string> } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'This is not a JSON key file: paste the whole file, from { to }.' };
  }
  const values: Record<string, string> = {};
  for (const f of fields) {
    if (!f.keyFile) continue;
    const v = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[f.keyFile] : undefined;
    if (typeof v !== 'string' || !v) return { error: `The key file has no ${f.keyFile}: download a JSON key for the service account again.` };
    values[f.key] = v;
  }
  return { values };
}
