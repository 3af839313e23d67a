/**
 * The sandbox's own control surface under `/_sandbox/...` (not part of BambooHR's API; JSON,
 * no auth: it is a local simulator). Mirrors the in-process `roster` and `faults` objects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultError, type BambooFaultSpec } from '../faults.ts';
import { HttpError, readJson, sendApiError, sendJson, type SandboxState } from '../http.ts';
import { RosterError, type BambooEmployeePatch } from '../roster.ts';
import { controlParts, employeeCounts, handleFaultControl } from '../../../../sandbox/shared/control.ts';

export async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, state: SandboxState): Promise<void> {
  const { roster, faults } = state;
  const method = req.method ?? 'GET';
  const parts = controlParts(path, false);
  const [resource, id, action, extra] = parts;
  try {
    if (resource === 'state' && parts.length === 1 && method === 'GET') {
      return sendJson(res, 200, {
        url: state.url,
        companyDomain: state.companyDomain,
        employees: employeeCounts(roster),
        latest: roster.latest(),
        faults: faults.active,
        requests: faults.requests.length,
      });
    }
    if (resource === 'employees') {
      if (id === undefined) {
        if (method === 'POST') return sendJson(res, 201, roster.add(patchBody(await readJson(req))));
        if (method === 'GET') return sendJson(res, 200, { employees: roster.list() });
      } else if (action === undefined) {
        if (method === 'GET') {
          const e = roster.get(id);
          if (!e) throw new RosterError(`no employee with id ${id}`, 'not_found');
          return sendJson(res, 200, e);
        }
        if (method === 'PATCH') return sendJson(res, 200, roster.update(id, patchBody(await readJson(req))));
        if (method === 'DELETE') {
          roster.remove(id);
          res.writeHead(204).end();
          return;
        }
      } else if ((action === 'terminate' || action === 'rehire') && extra === undefined && method === 'POST') {
        const body = await readJson(req);
        if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) throw new HttpError(400, 'expected {"date": "YYYY-MM-DD"} or no body');
        const date = body === undefined ? undefined : (body as Record<string, unknown>)['date'];
        if (date !== undefined && date !== null && typeof date !== 'string') throw new HttpError(400, 'date must be a string YYYY-MM-DD');
        const when = typeof date === 'string' ? date : undefined;
        return sendJson(res, 200, action === 'terminate' ? roster.terminate(id, when) : roster.rehire(id, when));
      }
    }
    if (resource === 'lists' && id !== undefined && action === 'rename' && extra === undefined && method === 'POST') {
      const body = await readJson(req);
      const b = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
      if (typeof b['from'] !== 'string' || typeof b['to'] !== 'string') throw new HttpError(400, 'expected {"from": "Old name", "to": "New name"}');
      const affected = roster.renameListOption(id, b['from'], b['to']);
      return sendJson(res, 200, { field: id, from: b['from'], to: b['to'], affected });
    }
    if (await handleFaultControl({ req, res, method, parts }, faults, async (r) => ((await readJson(r)) ?? {}) as BambooFaultSpec)) return;
    throw new HttpError(404, `No sandbox control endpoint ${method} ${path}`);
  } catch (err) {
    const [status, code, message] =
      err instanceof HttpError
        ? [err.status, err.code ?? (err.status === 404 ? 'not_found' : 'bad_request'), err.message]
        : err instanceof RosterError
          ? [err.code === 'not_found' ? 404 : 400, err.code, err.message]
          : err instanceof FaultError
            ? [400, 'invalid', err.message]
            : [500, 'internal_error', err instanceof Error ? err.message : String(err)];
    sendApiError(res, status, message, code);
  }
}

function patchBody(body: unknown): BambooEmployeePatch {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'expected a JSON object of employee fields');
  return body as BambooEmployeePatch;
}
