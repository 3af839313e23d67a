/** Minimal, fast XML writing for the sandbox's XML responses (BambooHR's default format). */

export const XML_DECLARATION = '<?xml version="1.0"?>\n';

// Characters XML 1.0 cannot carry at all (C0 controls except tab, LF, CR; lone surrogates; U+FFFE/FFFF).
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SPECIAL = /[&<>"']/g;
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attribute values. */
export function escapeXml(value: string): string {
  return value.replace(INVALID_XML_CHARS, '').replace(SPECIAL, (c) => ENTITIES[c] ?? c);
}

/** `name="value"` pairs; null/undefined attributes are left out. */
export function attrs(values: Readonly<Record<string, string | number | null | undefined>>): string {
  let out = '';
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) out += ` ${k}="${escapeXml(String(v))}"`;
  return out;
}

/** `<name attrs>text</name>`, or `<name attrs/>` when text is undefined. */
export function element(name: string, attributes: Readonly<Record<string, string | number | null | undefined>>, text?: string | null): string {
  if (text === undefined) return `<${name}${attrs(attributes)}/>`;
  return `<${name}${attrs(attributes)}>${text === null ? '' : escapeXml(text)}</${name}>`;
}
