import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { get } from './api/client.ts';

/**
 * Which API routes exist, read from the OpenAPI document: pages whose API is still being built
 * show a placeholder, and light up by themselves when the route lands.
 */
interface Capabilities {
  ready: boolean;
  has(method: string, path: string): boolean;
  /** Whether the route's JSON body documents a top-level property (e.g. PATCH … `priority`). */
  bodyHas(method: string, path: string, property: string): boolean;
}

const CapabilitiesContext = createContext<Capabilities>({ ready: false, has: () => false, bodyHas: () => false });

export function CapabilitiesProvider({ children }: { children: ReactNode }) {
  const [paths, setPaths] = useState<Record<string, Record<string, unknown>> | null>(null);
  useEffect(() => {
    get<{ paths?: Record<string, Record<string, unknown>> }>('/openapi.json')
      .then((doc) => setPaths(doc.paths ?? {}))
      .catch(() => setPaths({}));
  }, []);
  const value: Capabilities = {
    ready: paths !== null,
    has: (method, path) => !!paths?.[`/api/v1${path}`]?.[method.toLowerCase()],
    bodyHas: (method, path, property) => {
      const op = paths?.[`/api/v1${path}`]?.[method.toLowerCase()] as { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } } | undefined;
      return !!op?.requestBody?.content?.['application/json']?.schema?.properties?.[property];
    },
  };
  return <CapabilitiesContext.Provider value={value}>{children}</CapabilitiesContext.Provider>;
}

export function useCapabilities(): Capabilities {
  return useContext(CapabilitiesContext);
}
