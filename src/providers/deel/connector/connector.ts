/**
 * The Deel connector: `HrisConnector` over `GET /rest/v2/people` (people.ts, normalize.ts).
 *
 * Credentials: `{apiToken}` (an organization token) or OAuth tokens (`accessToken`); both go as a
 * Bearer token. Settings: `baseUrl` (API host), `authBaseUrl` (OAuth host).
 *
 * Full fetch: the people list page by page, streamed. Contractors come back like everyone else
 * (`hiringType` contractor): whether they sync is a scope rule (e.g. employmentType not in
 * contractor), the admin's choice.
 *
 * Custom fields: the list does not carry them; when the integration maps `customField.<name>`, each
 * person's are read (`GET /rest/v2/people/{worker_id}/custom_fields`, operation
 * GetCustomFieldValuesFromWorker), a few at a time. `fetchFields` lists them (`GET
 * /rest/v2/people/custom_fields`, operation getCustomFieldsFromPeople).
 *
 * Incremental: the people list has no changed-since; an incremental run reads everyone and the
 * engine skips the unchanged. No explicit delete events.
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import type { ChangeFetch, ConnectorOptions, FullFetch, HrisConnector } from '../../../connectors/types.ts';
import { isRecord, parseJsonBody } from '../../../connectors/http.ts';
import type { JsonApiClient } from '../../../connectors/json-api.ts';
import type { SourceField } from '../../types.ts';
import { isRecordFailure } from '../../bamboohr/connector/normalize.ts';
import { deel } from '../descriptor.ts';
import { normalizePerson } from './normalize.ts';
import { createDeelClient, peoplePages, PROVIDER } from './people.ts';

const CUSTOM = 'customField.';
const CONCURRENCY = 4;

export interface DeelInternals {
  readonly now?: () => Date;
}

function customValue(entry: Record<string, unknown>): string | undefined {
  const data = isRecord(entry['data']) ? entry['data'] : undefined;
  const v = data?.['text'] ?? data?.['value'] ?? entry['value'];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function createDeelConnector(opts: ConnectorOptions, internals: DeelInternals = {}): HrisConnector {
  let client: JsonApiClient | undefined;
  const getClient = (): JsonApiClient => (client ??= createDeelClient(opts));
  const now = internals.now ?? ((): Date => new Date());
  const wantsCustom = (opts.fields ?? []).some((f) => f.replace(/^source\./, '').startsWith(CUSTOM));

  async function customFieldsOf(c: JsonApiClient, id: string): Promise<Map<string, string>> {
    const res = await c.get(`/people/${encodeURIComponent(id)}/custom_fields`);
    const body = parseJsonBody(PROVIDER, res);
    const out = new Map<string, string>();
    for (const e of isRecord(body) && Array.isArray(body['data']) ? (body['data'] as unknown[]) : []) {
      if (!isRecord(e) || typeof e['name'] !== 'string') continue;
      const v = customValue(e);
      if (v !== undefined) out.set(e['name'], v);
    }
    return out;
  }

  async function normalizeRows(c: JsonApiClient, rows: readonly unknown[], today: string): Promise<SourcePage> {
    const custom: (Map<string, string> | undefined)[] = new Array(rows.length);
    if (wantsCustom) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < rows.length) {
          const i = next++;
          const r = rows[i];
          if (isRecord(r) && typeof r['id'] === 'string') custom[i] = await customFieldsOf(c, r['id']);
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
    }
    const records: SourceRecord[] = [];
    const failures: RecordFailure[] = [];
    rows.forEach((raw, i) => {
      const r = normalizePerson(raw, today, custom[i]);
      if (isRecordFailure(r)) failures.push(r);
      else records.push(r);
    });
    return { records, failures };
  }

  async function* roster(): AsyncGenerator<SourcePage> {
    const c = getClient();
    const today = now().toISOString().slice(0, 10);
    let any = false;
    for await (const rows of peoplePages(c)) {
      any = true;
      yield await normalizeRows(c, rows, today);
    }
    if (!any) yield { records: [], failures: [] };
  }

  return {
    provider: PROVIDER,
    async checkConnection(): Promise<void> {
      for await (const _ of peoplePages(getClient(), 1)) break;
    },
    async fetchAll(): Promise<FullFetch> {
      return { watermark: now().toISOString(), pages: roster() };
    },
    async fetchChanges(_since: string): Promise<ChangeFetch> {
      return { watermark: now().toISOString(), pages: roster(), deletedIds: [], changedCount: 0 };
    },
    /** The descriptor's fields, then the account's custom fields as `customField.<name>`. */
    async fetchFields(): Promise<SourceField[]> {
      const res = await getClient().get('/people/custom_fields');
      const body = parseJsonBody(PROVIDER, res);
      const data = isRecord(body) ? body['data'] : undefined;
      const list = Array.isArray(data) ? data : isRecord(data) ? [data] : [];
      const custom = list.filter(isRecord).filter((f) => typeof f['name'] === 'string').map((f): SourceField => ({ key: `${CUSTOM}${String(f['name'])}`, label: `${String(f['name'])} (custom field)`, type: 'text', providerField: `custom_fields.${String(f['name'])}` }));
      return [...deel.fields.map((f) => ({ ...f })), ...custom];
    },
  };
}
