import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from '../../app/context.ts';
import { ApiError, notFound } from '../../app/errors.ts';
import { presentEmployee } from '../../app/presenters.ts';
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

export function employeeRoutes(ctx: AppContext): FastifyPluginAsync {
  const integrationsOf = async (tenantId: string) => new Map((await listIntegrations(ctx.store.db, tenantId)).map((i) => [i.id, i]));
  const presentOne = async (tenantId: string, id: string) => {
    const employee = await getEmployee(ctx.store.db, tenantId, id);
    if (!employee) throw notFound('employee', id);
    const links = await linksForEmployees(ctx.store.db, tenantId, [employee.id]);
    return presentEmployee(employee, links, await integrationsOf(tenantId), (await groupsForEmployees(ctx.store.db, tenantId, [employee.id])).get(employee.id), await getFieldPriorities(ctx.store.db, tenantId));
  };
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['employees'];

    app.get(
      '/employees',
      {
        schema: {
          tags,
          summary: 'Employees, paged, with the total the filters match; q searches name, email, number and title; filter by status, source (integrationId, or none), group (with sub-groups), department and role; sort by name, email, department, status, source or updated',
          querystring: EmployeeListQuery,
          response: responses({ 200: EmployeePage }, 400),
        },
      },
      async (request) => {
        const { rows, total, nextCursor } = await listEmployeePage(ctx.store.db, request.tenantId, request.query);
        const ids = rows.map((e) => e.id);
        const links = await linksForEmployees(ctx.store.db, request.tenantId, ids);
        const integrations = await integrationsOf(request.tenantId);
        const groups = await groupsForEmployees(ctx.store.db, request.tenantId, ids);
        const overrides = await getFieldPriorities(ctx.store.db, request.tenantId);
        return { data: rows.map((e) => presentEmployee(e, links.filter((l) => l.employee_id === e.id), integrations, groups.get(e.id), overrides)), total, nextCursor };
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

    app.get('/employees/:id', { schema: { tags, summary: 'One employee: every field with its value, source and lock; the ETag header is its version (for If-Match on PATCH)', params: IdParams, response: responses({ 200: Employee }, 404) } }, async (request, reply) => {
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
