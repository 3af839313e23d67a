import type { ProvenanceMap } from '../core/resolve.ts';

/**
 * Provenance as stored: each distinct (source, run, time) once, and per field an index into that
 * list. A synced person's sixteen fields usually share one source, so this is a fraction of a
 * field-by-field map.
 */
export interface CompactProvenance {
  s: [string, string | null, string][];
  f: Record<string, number>;
}

export function compactProvenance(p: ProvenanceMap): CompactProvenance {
  const sources: [string, string | null, string][] = [];
  const index = new Map<string, number>();
  const f: Record<string, number> = {};
  let lastObject: object | undefined;
  let lastIndex = -1;
  for (const field in p) {
    const v = p[field as keyof ProvenanceMap];
    if (!v) continue;
    // The resolver shares one provenance object per source, so identity usually answers.
    if (v === lastObject) {
      f[field] = lastIndex;
      continue;
    }
    const key = `${v.integrationId}\u0000${v.runId}\u0000${v.at}`;
    let n = index.get(key);
    if (n === undefined) {
      n = sources.push([v.integrationId, v.runId, v.at]) - 1;
      index.set(key, n);
    }
    lastObject = v;
    lastIndex = n;
    f[field] = n;
  }
  return { s: sources, f };
}

export function expandProvenance(c: CompactProvenance): ProvenanceMap {
  const out: Record<string, { integrationId: string; runId: string | null; at: string }> = {};
  for (const [field, n] of Object.entries(c.f)) {
    const s = c.s[n];
    if (s) out[field] = { integrationId: s[0], runId: s[1], at: s[2] };
  }
  return out as ProvenanceMap;
}


export function encodeProvenance(p: ProvenanceMap): string {
  return JSON.stringify(compactProvenance(p));
}

export function decodeProvenance(text: string | null): ProvenanceMap {
  if (!text) return {};
  const parsed = JSON.parse(text) as CompactProvenance | ProvenanceMap;
  return 's' in parsed && 'f' in parsed && Array.isArray((parsed as CompactProvenance).s) ? expandProvenance(parsed as CompactProvenance) : (parsed as ProvenanceMap);
}
