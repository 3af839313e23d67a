import { useEffect, useState } from 'react';
import { useQuery, useQueryClient, type QueryKey, type UseQueryOptions } from '@tanstack/react-query';

export interface Loaded<T> {
  data: T | undefined;
  /** The last failure (an ApiError with the API's message), shown by the page: never swallowed. */
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Replace the data without a round trip (after a PATCH answered with the new state). */
  set: (value: T) => void;
}

/**
 * A read through TanStack Query (caching, polling with refetchInterval, retries of 5xx and
 * network errors) in the shape the pages use: data, error, loading, reload, set.
 */
export function useApiQuery<T, K extends QueryKey>(options: UseQueryOptions<T, Error, T, K>): Loaded<T> {
  const client = useQueryClient();
  const query = useQuery(options);
  const { refetch } = query;
  return {
    data: query.data,
    error: query.error,
    loading: query.isLoading,
    reload: () => void refetch(),
    set: (value: T) => client.setQueryData<T>(options.queryKey, value),
  };
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return v;
}

/** Sets the document title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ReFresh Settings`;
  }, [title]);
}
