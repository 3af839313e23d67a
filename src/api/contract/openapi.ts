import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type TransformObject = typeof jsonSchemaTransformObject;

/**
 * Named components for the document: every registered schema (`.meta({ id })`) once, as the
 * responses use it. zod's registry also yields an `…Input` twin of each; those no request uses
 * are dropped so the console's generated types hold one name per shape.
 */
export const transformObject: TransformObject = (input) => {
  const doc = jsonSchemaTransformObject(input) as { components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;
  const schemas = doc.components?.schemas;
  if (!schemas) return doc as ReturnType<TransformObject>;
  const refs = (value: unknown): string[] => {
    const text = JSON.stringify(value);
    return [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  };
  // Components reachable from the paths, following references between components.
  const used = new Set<string>();
  const queue = refs(doc['paths']);
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    queue.push(...refs(schemas[name]));
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => !name.endsWith('Input') || used.has(name)));
  return { ...doc, components: { ...doc.components, schemas: kept } } as ReturnType<TransformObject>;
};
