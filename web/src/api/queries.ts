/**
 * TanStack Query definitions for every read the console makes: one key per resource, so a
 * change anywhere (a PATCH answer, a finished run) refreshes every page that shows it.
 */
import { QueryClient, queryOptions } from '@tanstack/react-query';
import { ApiError, client, data, type Page, type Schema } from './client.ts';
import type { paths } from './schema.gen.ts';

export type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

/** 4xx answers are final (retrying asks the same question); network errors and 5xx are retried. */
function retry(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failures < 3;
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry, staleTime: 2_000, refetchOnWindowFocus: false },
    mutations: { retry: false },
  },
});

export const q = {
  providers: () => queryOptions({ queryKey: ['providers'], staleTime: Infinity, queryFn: ({ signal }) => data(client.GET('/api/v1/providers', { signal })) }),
  integrations: () => queryOptions({ queryKey: ['integrations'], queryFn: ({ signal }) => data(client.GET('/api/v1/integrations', { signal })) }),
  integration: (id: string) => queryOptions({ queryKey: ['integrations', id], queryFn: ({ signal }) => data(client.GET('/api/v1/integrations/{id}', { params: { path: { id } }, signal })) }),
  runs: (query: Query<'/api/v1/runs'>) => queryOptions({ queryKey: ['runs', query], queryFn: ({ signal }) => data(client.GET('/api/v1/runs', { params: { query }, signal })) }),
  run: (id: string) => queryOptions({ queryKey: ['run', id], queryFn: ({ signal }) => data(client.GET('/api/v1/runs/{id}', { params: { path: { id } }, signal })) }),
  employees: (query: Query<'/api/v1/employees'>) => queryOptions({ queryKey: ['employees', query], queryFn: ({ signal }) => data(client.GET('/api/v1/employees', { params: { query }, signal })) }),
  departments: () => queryOptions({ queryKey: ['employees', 'departments'], queryFn: ({ signal }) => data(client.GET('/api/v1/employees/departments', { signal })) }),
  employee: (id: string) => queryOptions({ queryKey: ['employee', id], queryFn: ({ signal }) => data(client.GET('/api/v1/employees/{id}', { params: { path: { id } }, signal })) }),
  explain: (id: string) => queryOptions({ queryKey: ['employee', id, 'explain'], queryFn: ({ signal }) => data(client.GET('/api/v1/employees/{id}/explain', { params: { path: { id } }, signal })) }),
  /** The group tree (view=tree answers GroupNodes, with children). */
  groupTree: (query: Omit<Query<'/api/v1/groups'>, 'view'>) =>
    queryOptions({ queryKey: ['groups', 'tree', query], queryFn: async ({ signal }) => (await data(client.GET('/api/v1/groups', { params: { query: { ...query, view: 'tree' } }, signal }))) as Page<Schema<'GroupNode'>> }),
  /** Groups as a flat list. */
  groupList: (query: Omit<Query<'/api/v1/groups'>, 'view'>) =>
    queryOptions({ queryKey: ['groups', 'flat', query], queryFn: async ({ signal }) => (await data(client.GET('/api/v1/groups', { params: { query: { ...query, view: 'flat' } }, signal }))) as Page<Schema<'Group'>> }),
  group: (id: string) => queryOptions({ queryKey: ['group', id], queryFn: ({ signal }) => data(client.GET('/api/v1/groups/{id}', { params: { path: { id } }, signal })) }),
  correlationCases: (query: Query<'/api/v1/correlation-cases'>) => queryOptions({ queryKey: ['correlation-cases', query], queryFn: ({ signal }) => data(client.GET('/api/v1/correlation-cases', { params: { query }, signal })) }),
  apiKeys: () => queryOptions({ queryKey: ['api-keys'], queryFn: ({ signal }) => data(client.GET('/api/v1/api-keys', { signal })) }),
};
