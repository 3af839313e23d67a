/**
 * Account metadata, following the OpenAPI contract (bamboohr-public-openapi.yaml):
 *  - operationId `metadata-get-details-for-list-fields`  GET /api/v1/meta/lists   (JSON or XML per Accept; XML default)
 *  - operationId `metadata-get-a-list-of-fields`         GET /api/v1/meta/fields  (JSON or XML per Accept; XML default)
 *    List options keep their id when renamed; archived options stay listed with archived="yes".
 */
import { FIELDS } from '../fields.ts';
import { sendJson, sendXml, wantsJson, type ApiContext } from '../http.ts';
import { attrs, element, escapeXml, XML_DECLARATION } from '../xml.ts';

const yesNo = (b: boolean): 'yes' | 'no' => (b ? 'yes' : 'no');

export function getMetaLists(ctx: ApiContext): void {
  const lists = ctx.state.roster.lists();
  if (wantsJson(ctx.req)) {
    sendJson(
      ctx.res,
      200,
      lists.map((l) => ({
        fieldId: l.fieldId,
        alias: l.alias,
        manageable: 'yes',
        multiple: 'no',
        name: l.name,
        options: l.options.map((o) => ({
          id: o.id,
          archived: yesNo(o.archived),
          createdDate: o.createdDate,
          archivedDate: o.archivedDate,
          name: o.name,
        })),
      })),
    );
    return;
  }
  const parts: string[] = [XML_DECLARATION, '<lists>'];
  for (const l of lists) {
    parts.push(`<list${attrs({ fieldId: l.fieldId, alias: l.alias, manageable: 'yes', multiple: 'no' })}>`);
    parts.push(`<name>${escapeXml(l.name)}</name><options>`);
    for (const o of l.options) {
      parts.push(element('option', { id: o.id, archived: yesNo(o.archived), createdDate: o.createdDate, archivedDate: o.archivedDate }, o.name));
    }
    parts.push('</options></list>');
  }
  parts.push('</lists>');
  sendXml(ctx.res, 200, parts.join(''));
}

export function getMetaFields(ctx: ApiContext): void {
  if (wantsJson(ctx.req)) {
    sendJson(ctx.res, 200, FIELDS.map((f) => ({ id: f.metaId, name: f.label, type: f.metaType, alias: f.name })));
    return;
  }
  const parts: string[] = [XML_DECLARATION, '<fields>'];
  for (const f of FIELDS) parts.push(element('field', { id: f.metaId, type: f.metaType, alias: f.name }, f.label));
  parts.push('</fields>');
  sendXml(ctx.res, 200, parts.join(''));
}
