import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { ApiError, notFound } from '../../app/errors.ts';
import { lockMemo, presentEmployee } from '../../app/presenters.ts';
import { revisionMemo } from '../../app/revision-memo.ts';
import { explainPerson } from '../../app/explain.ts';
import { createEmployee, employeeEtag, listEmployeePage, patchEmployee } from '../../app/employees-service.ts';
import { importEmployeesCsv } from '../../app/csv-import.ts';
import { getEmployee, listDepartments } from '../../store/employees.ts';
import { listIntegrations } from '../../store/integrations.ts';
import { linksForEmployees } from '../../store/links.ts';
import { groupsForEmployees } from '../../store/groups.ts';
import { getFieldPriorities } from '../../store/field-priorities.ts';
import { IdParams, responses } from '../contract/common.ts';
import { CreateEmployeeBody, DepartmentList, Employee, EmployeeListQuery, EmployeePage, Explanation, IfMatchHeaders, ImportCsvBody, ImportQuery, ImportResult, PatchEmployeeBody } from '../contract/employees.ts';

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

export function employeeRoutes(ctx: AppContext): FastifyPluginAsync {
  const integrationsOf = async (tenantId: string) => new Map((await listIntegrations(ctx.store.db, tenantId)).map((i) => [i.id, i]));
  const presentOne = async (tenantId: string, id: string) => {
    const employee = await getEmployee(ctx.store.db, tenantId, id);
    if (!employee) throw notFound('employee', id);
    const [links, integrations, groups, overrides] = await Promise.all([
      linksForEmployees(ctx.store.db, tenantId, [employee.id]),
      integrationsOf(tenantId),
      groupsForEmployees(ctx.store.db, tenantId, [employee.id]),
      getFieldPriorities(ctx.store.db, tenantId),
    ]);
    return presentEmployee(employee, links, integrations, groups.get(employee.id), overrides);
  };
  // The totals a filter matches, kept while nothing is written (a count reads every match).
  const totals = revisionMemo<number>(ctx.store, 1000);
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['employees'];

    app.get(
      '/employees',
      {
        config: { readCache: true },
        // The hot list is built only by presentEmployee (typed as the contract) and sent with
        // plain JSON.stringify: validating ~100 KB against the schema cost more than reading it.
        // test/api/read-cache.test.ts checks that pages still parse as the contract says.
        serializerCompiler: () => (data) => JSON.stringify(data),
        schema: {
          tags,
          summary: 'Employees, paged, with the total the filters match; q searches name, email, number and title; filter by status, source (integrationId, or none), group (with sub-groups), department and role; sort by name, email, department, status, source or updated',
          querystring: EmployeeListQuery,
          response: responses({ 200: EmployeePage }, 400),
        },
      },
      async (request) => {
        const { rows, total, nextCursor } = await listEmployeePage(ctx.store.db, request.tenantId, request.query, totals);
        const ids = rows.map((e) => e.id);
        // Independent reads: on PostgreSQL each on a connection of its own at once (their round
        // trips overlap); SQLite's one connection takes them in turn as before.
        const [links, integrations, groups, overrides] = await Promise.all([
          linksForEmployees(ctx.store.db, request.tenantId, ids),
          integrationsOf(request.tenantId),
          groupsForEmployees(ctx.store.db, request.tenantId, ids),
          getFieldPriorities(ctx.store.db, request.tenantId),
        ]);
        const linksOf = groupBy(links, (l) => l.employee_id ?? '');
        // People linked to the same sources share their locks: worked out once per set of sources.
        const locks = lockMemo(integrations, overrides);
        return { data: rows.map((e) => presentEmployee(e, linksOf.get(e.id) ?? [], integrations, groups.get(e.id), overrides, locks)), total, nextCursor };
      },
    );

    app.get('/employees/departments', { schema: { tags, summary: 'The departments people are in (for the department filter)', response: responses({ 200: DepartmentList }) } }, async (request) => ({
      data: await listDepartments(ctx.store.db, request.tenantId),
    }));

    app.post(
      '/employees',
      { schema: { tags, summary: 'Add an employee by hand (ReFresh-only until an HRIS brings the same person)', body: CreateEmployeeBody, response: responses({ 201: Employee }, 400, 409) } },
      async (request, reply) => {
        const employee = await createEmployee(ctx, request.tenantId, request.body);
        return reply.status(201).send(await presentOne(request.tenantId, employee.id));
      },
    );

    app.patch(
      '/employees/:id',
      {
        schema: {
          tags,
          summary: 'Edit unlocked fields, role, status (unsynced people) and custom configuration; locked fields answer 409 field_locked; with If-Match, 412 when the employee changed since it was read',
          params: IdParams,
          headers: IfMatchHeaders,
          body: PatchEmployeeBody,
          response: responses({ 200: Employee }, 400, 404, 409, 412),
        },
      },
      async (request, reply) => {
        await patchEmployee(ctx, request.tenantId, request.params.id, request.body, null, request.headers['if-match']);
        const employee = await presentOne(request.tenantId, request.params.id);
        return reply.header('etag', employeeEtag(employee.version)).send(employee);
      },
    );

    await app.register(async (csvScope) => {
      csvScope.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) => done(null, body));
      csvScope.withTypeProvider<ZodTypeProvider>().post(
        '/employees/import',
        { schema: { tags, summary: 'CSV import (text/csv): headers as HR exports name them (Work Email, First Name, Job Title, Manager Email, …); people matched by work e-mail are updated, new ones created; per-row results with line numbers and reasons in words; dryRun=true previews the same report and writes nothing', consumes: ['text/csv'], querystring: ImportQuery, body: ImportCsvBody, response: responses({ 200: ImportResult }, 400, 413, 415) } },
        async (request) => {
          if (typeof request.body !== 'string') throw new ApiError(415, 'unsupported_media_type', 'Send the CSV as the request body with Content-Type: text/csv.');
          return importEmployeesCsv(ctx, request.tenantId, request.body, { dryRun: request.query.dryRun === 'true' });
        },
      );
    });

    app.get('/employees/:id', { config: { readCache: true }, schema: { tags, summary: 'One employee: every field with its value, source and lock; the ETag header is its version (for If-Match on PATCH)', params: IdParams, response: responses({ 200: Employee }, 404) } }, async (request, reply) => {
      const employee = await presentOne(request.tenantId, request.params.id);
      return reply.header('etag', employeeEtag(employee.version)).send(employee);
    });

    app.get(
      '/employees/:id/explain',
      { schema: { tags, summary: 'Diagnostics: sources, scope, links, winning source per field, last change', params: IdParams, response: responses({ 200: Explanation }, 404) } },
      async (request) => {
        const employee = await getEmployee(ctx.store.db, request.tenantId, request.params.id);
        if (!employee) throw notFound('employee', request.params.id);
        return explainPerson(ctx, request.tenantId, employee.id);
      },
    );
  };
}
