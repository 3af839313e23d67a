/**
 * Employee directory, following the OpenAPI contract (bamboohr-public-openapi.yaml):
 *  - operationId `get-employees-directory`  GET /api/v1/employees/directory
 *    JSON (`JsonDirectoryEmployee`: {fields, employees}) or XML (`XmlDirectoryEmployee`:
 *    <directory><fieldset>…</fieldset><employees>…</employees></directory>) per Accept; XML by default.
 *    Active people only, as BambooHR's directory shows.
 */
import { sendJson, sendXml, wantsJson, type ApiContext } from '../http.ts';
import type { FieldName } from '../fields.ts';
import { attrs, element, XML_DECLARATION } from '../xml.ts';

const DIRECTORY_FIELDS: readonly { id: string; type: string; name: string; source?: FieldName }[] = [
  { id: 'displayName', type: 'text', name: 'Display name', source: 'displayName' },
  { id: 'firstName', type: 'text', name: 'First name', source: 'firstName' },
  { id: 'lastName', type: 'text', name: 'Last name', source: 'lastName' },
  { id: 'preferredName', type: 'text', name: 'Preferred name', source: 'preferredName' },
  { id: 'jobTitle', type: 'list', name: 'Job title', source: 'jobTitle' },
  { id: 'workPhone', type: 'text', name: 'Work Phone', source: 'workPhone' },
  { id: 'mobilePhone', type: 'text', name: 'Mobile Phone', source: 'mobilePhone' },
  { id: 'workEmail', type: 'email', name: 'Work Email', source: 'workEmail' },
  { id: 'department', type: 'list', name: 'Department', source: 'department' },
  { id: 'location', type: 'list', name: 'Location', source: 'location' },
  { id: 'division', type: 'list', name: 'Division', source: 'division' },
  { id: 'workPhoneExtension', type: 'text', name: 'Work Ext.' },
  { id: 'photoUploaded', type: 'bool', name: 'Employee photo' },
  { id: 'photoUrl', type: 'url', name: 'Photo URL' },
  { id: 'canUploadPhoto', type: 'bool', name: 'Can upload photo' },
];

export function getEmployeesDirectory(ctx: ApiContext): void {
  const { roster } = ctx.state;
  const active = roster.records().filter((r) => r.status === 'Active');
  if (wantsJson(ctx.req)) {
    const employees = active.map((rec) => {
      const row: Record<string, string | boolean | null> = { id: rec.id };
      for (const f of DIRECTORY_FIELDS) {
        if (f.source) row[f.id] = roster.value(rec, f.source);
        else if (f.type === 'bool') row[f.id] = false;
        else row[f.id] = null;
      }
      return row;
    });
    sendJson(ctx.res, 200, { fields: DIRECTORY_FIELDS.map(({ id, type, name }) => ({ id, type, name })), employees });
    return;
  }
  const parts: string[] = [XML_DECLARATION, '<directory><fieldset>'];
  for (const f of DIRECTORY_FIELDS) parts.push(element('field', { id: f.id }, f.name));
  parts.push('</fieldset><employees>');
  for (const rec of active) {
    parts.push(`<employee${attrs({ id: rec.id })}>`);
    for (const f of DIRECTORY_FIELDS) {
      const v = f.source ? roster.value(rec, f.source) : f.type === 'bool' ? 'false' : null;
      parts.push(element('field', { id: f.id }, v ?? ''));
    }
    parts.push('</employee>');
  }
  parts.push('</employees></directory>');
  sendXml(ctx.res, 200, parts.join(''));
}
