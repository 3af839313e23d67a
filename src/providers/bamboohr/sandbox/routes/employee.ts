/**
 * Single employee, following the OpenAPI contract (bamboohr-public-openapi.yaml):
 *  - operationId `get-employee`  GET /api/v1/employees/{id}?fields=a,b,c[&onlyCurrent=]
 *    XML by default, JSON with `Accept: application/json` (AcceptHeaderParameter); 404 for an
 *    unknown (or deleted) employee; id 0 means the employee tied to the API key (the sandbox: the CEO).
 *    Empty date fields are served as BambooHR does, `0000-00-00`.
 */
import { FIELD_BY_NAME, isFieldName, type FieldName } from '../fields.ts';
import { HttpError, sendJson, sendXml, wantsJson, type ApiContext } from '../http.ts';
import type { EmployeeRecord } from '../roster.ts';
import { attrs, element, XML_DECLARATION } from '../xml.ts';

const DEFAULT_FIELDS = 'firstName,lastName';
const EMPTY_DATE = '0000-00-00';

export function getEmployee(ctx: ApiContext): void {
  const { roster } = ctx.state;
  const id = ctx.params['id'] ?? '';
  let rec: EmployeeRecord | undefined;
  if (id === '0') rec = roster.records()[0];
  else if (/^\d+$/.test(id)) rec = roster.record(String(Number(id)));
  if (!rec) throw new HttpError(404, `Employee ${id} not found`);

  const onlyCurrent = ctx.query.get('onlyCurrent');
  if (onlyCurrent !== null && !['', '0', '1', 'true', 'false'].includes(onlyCurrent.toLowerCase())) {
    throw new HttpError(400, `Invalid onlyCurrent "${onlyCurrent}": use true or false`);
  }
  const requested = (ctx.query.get('fields') || DEFAULT_FIELDS)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '' && f !== 'id');
  // Unknown field names are left out of the answer.
  const fields = [...new Set(requested)].filter((f): f is FieldName => isFieldName(f));
  const values = fields.map((f) => {
    const v = roster.value(rec, f);
    return [f, v === null && FIELD_BY_NAME.get(f)?.type === 'date' && f !== 'lastChanged' ? EMPTY_DATE : v] as const;
  });

  if (wantsJson(ctx.req)) {
    const out: Record<string, string | null> = { id: rec.id };
    for (const [f, v] of values) out[f] = v;
    sendJson(ctx.res, 200, out);
    return;
  }
  let xml = `${XML_DECLARATION}<employee${attrs({ id: rec.id })}>`;
  for (const [f, v] of values) xml += element('field', { id: f }, v ?? '');
  xml += '</employee>';
  sendXml(ctx.res, 200, xml);
}
