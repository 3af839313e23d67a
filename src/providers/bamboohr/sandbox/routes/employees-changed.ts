/**
 * Last Change Information, following the OpenAPI contract (bamboohr-public-openapi.yaml):
 *  - operationId `get-changed-employee-ids`  GET /api/v1/employees/changed?since=<ISO 8601>[&type=inserted|updated|deleted]
 *    XML by default (the contract's only declared response type), JSON with `Accept: application/json`.
 *    `latest` is the sandbox clock; passing it back as the next `since` never loses a change.
 */
import { parseIsoTimestamp } from '../clock.ts';
import { HttpError, sendJson, sendXml, wantsJson, type ApiContext } from '../http.ts';
import { attrs, XML_DECLARATION } from '../xml.ts';

const TYPES = ['inserted', 'updated', 'deleted'] as const;
type ChangeType = (typeof TYPES)[number];

export function getChangedEmployeeIds(ctx: ApiContext): void {
  let since = ctx.query.get('since');
  if (since === null || since.trim() === '') throw new HttpError(400, 'The "since" parameter is required (an ISO 8601 timestamp)');
  // An unencoded "+00:00" arrives as " 00:00"; accept it the way a lenient server would.
  since = since.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const sinceMs = parseIsoTimestamp(since);
  if (sinceMs === null) throw new HttpError(400, `Invalid "since" timestamp "${since}": expected ISO 8601, e.g. 2026-11-25T10:00:00+00:00`);
  const rawType = ctx.query.get('type');
  let type: ChangeType | undefined;
  if (rawType !== null && rawType !== '') {
    const t = rawType.toLowerCase();
    if (!(TYPES as readonly string[]).includes(t)) throw new HttpError(400, `Invalid "type" "${rawType}": use inserted, updated or deleted`);
    type = t as ChangeType;
  }
  const { latest, changes } = ctx.state.roster.changedSince(sinceMs, type);
  if (wantsJson(ctx.req)) {
    const employees: Record<string, { id: string; action: string; lastChanged: string }> = {};
    for (const c of changes) employees[c.id] = { id: c.id, action: c.action, lastChanged: c.lastChanged };
    sendJson(ctx.res, 200, { latest, employees });
    return;
  }
  const parts: string[] = [XML_DECLARATION, `<employees${attrs({ latest })}>`];
  for (const c of changes) parts.push(`<employee${attrs({ id: c.id, action: c.action, lastChanged: c.lastChanged })}/>`);
  parts.push('</employees>');
  sendXml(ctx.res, 200, parts.join(''));
}
