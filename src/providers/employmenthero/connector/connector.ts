/**
 * The Employment Hero connector: `HrisConnector` over the HR API v1.
 *
 * Settings: `baseUrl` (API host), `authBaseUrl` (OAuth host), `organisationIds` (optional; default:
 * every organisation the connection can see, "Get All Organisations"). Credentials: OAuth tokens
 * (`accessToken`, refreshed by the platform; Employment Hero access tokens live 15 minutes).
 *
 * Full fetch: for each organisation, its teams ("Get All Teams", then "Get All Employees Of A Team"
 * for membership), then its employees page by page ("Get Employees"). With one organisation the
 * records stream page by page. With several, the same person may be in more than one (the same
 * company e-mail): they are one record (normalize.ts, mergeAcrossOrganisations), which needs every
 * organisation read before anyone is yielded, so the normalised records are held in memory
 * (Employment Hero organisations are small businesses; one organisation streams).
 *
 * Incremental: Employment Hero has no changed-since; an incremental run reads everyone and the
 * engine skips the unchanged (record hashes). No explicit delete events: people who vanish are
 * settled by the full-fetch rules.
 */
import type { RecordFailure, SourcePage, SourceRecord } from '../../../core/source-record.ts';
import type { ChangeFetch, ConnectorOptions, FullFetch, HrisConnector, OrgUnitInfo } from '../../../connectors/types.ts';
import { isRecord } from '../../../connectors/http.ts';
import type { JsonApiClient } from '../../../connectors/json-api.ts';
import { isRecordFailure } from '../../bamboohr/connector/normalize.ts';
import { createEmploymentHeroClient, pagedItems, PROVIDER } from './client.ts';
import { mergeAcrossOrganisations, normalizeEmployee, type EhNormalizeContext } from './normalize.ts';

interface Organisation {
  readonly id: string;
  readonly name: string | undefined;
}

interface Team {
  readonly id: string;
  readonly name: string;
}

export interface EmploymentHeroInternals {
  readonly now?: () => Date;
  readonly pageSize?: number;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined;
}

export function createEmploymentHeroConnector(opts: ConnectorOptions, internals: EmploymentHeroInternals = {}): HrisConnector {
  let client: JsonApiClient | undefined;
  const getClient = (): JsonApiClient => (client ??= createEmploymentHeroClient(opts));
  const now = internals.now ?? ((): Date => new Date());
  const pageSize = internals.pageSize;
  const wanted = Array.isArray(opts.settings['organisationIds']) ? (opts.settings['organisationIds'] as unknown[]).map(str).filter((x): x is string => !!x) : [];

  async function organisations(c: JsonApiClient): Promise<Organisation[]> {
    const all: Organisation[] = [];
    for await (const items of pagedItems(c, '/organisations', {}, pageSize)) {
      for (const o of items) if (isRecord(o) && str(o['id'])) all.push({ id: str(o['id'])!, name: str(o['name']) });
    }
    if (wanted.length === 0) return all;
    // The order the admin gave is the order that decides a person's id across organisations.
    return wanted.map((id) => all.find((o) => o.id === id) ?? { id, name: undefined });
  }

  async function teamsOf(c: JsonApiClient, org: Organisation): Promise<{ teams: Team[]; byEmployee: Map<string, string[]> }> {
    const teams: Team[] = [];
    for await (const items of pagedItems(c, `/organisations/${encodeURIComponent(org.id)}/teams`, {}, pageSize)) {
      for (const t of items) if (isRecord(t) && str(t['id']) && str(t['name'])) teams.push({ id: str(t['id'])!, name: str(t['name'])!.normalize('NFC') });
    }
    const byEmployee = new Map<string, string[]>();
    for (const team of teams) {
      for await (const items of pagedItems(c, `/organisations/${encodeURIComponent(org.id)}/teams/${encodeURIComponent(team.id)}/employees`, {}, pageSize)) {
        for (const e of items) {
          const id = isRecord(e) ? str(e['id']) : undefined;
          if (id) byEmployee.set(id, [...(byEmployee.get(id) ?? []), team.name]);
        }
      }
    }
    return { teams, byEmployee };
  }

  async function* orgPages(c: JsonApiClient, org: Organisation, today: string): AsyncGenerator<{ records: SourceRecord[]; failures: RecordFailure[] }> {
    const { byEmployee } = await teamsOf(c, org);
    const ctx: EhNormalizeContext = { organisation: org.name, teams: byEmployee, today };
    for await (const items of pagedItems(c, `/organisations/${encodeURIComponent(org.id)}/employees`, {}, pageSize)) {
      const records: SourceRecord[] = [];
      const failures: RecordFailure[] = [];
      for (const raw of items) {
        const r = normalizeEmployee(raw, ctx);
        if (isRecordFailure(r)) failures.push({ ...r, reason: `${r.reason}${org.name ? ` (organisation ${org.name})` : ''}` });
        else records.push(r);
      }
      yield { records, failures };
    }
  }

  async function* roster(): AsyncGenerator<SourcePage> {
    const c = getClient();
    const today = now().toISOString().slice(0, 10);
    const orgs = await organisations(c);
    if (orgs.length <= 1) {
      for (const org of orgs) yield* orgPages(c, org, today);
      if (orgs.length === 0) yield { records: [], failures: [] };
      return;
    }
    const byKey = new Map<string, SourceRecord[]>();
    const failures: RecordFailure[] = [];
    for (const org of orgs) {
      for await (const page of orgPages(c, org, today)) {
        failures.push(...page.failures);
        for (const r of page.records) {
          const key = r.attributes['workEmail']?.toLowerCase() ?? `id:${r.externalId}`;
          byKey.set(key, [...(byKey.get(key) ?? []), r]);
        }
      }
    }
    const merged = [...byKey.values()].map(mergeAcrossOrganisations);
    for (let i = 0; i < merged.length || i === 0; i += 1000) yield { records: merged.slice(i, i + 1000), failures: i === 0 ? failures : [] };
  }

  return {
    provider: PROVIDER,
    async checkConnection(): Promise<void> {
      const c = getClient();
      const orgs = await organisations(c);
      const first = orgs[0];
      if (first) for await (const _ of pagedItems(c, `/organisations/${encodeURIComponent(first.id)}/employees`, {}, 1)) break;
    },
    async fetchAll(): Promise<FullFetch> {
      return { watermark: now().toISOString(), pages: roster() };
    },
    async fetchChanges(_since: string): Promise<ChangeFetch> {
      const pages = roster();
      // No changed-since in the API: everyone is read; the count is known once read.
      return { watermark: now().toISOString(), pages, deletedIds: [], changedCount: 0 };
    },
    /** Teams keyed by their Employment Hero ids (renames keep the group). */
    async fetchOrgUnits(): Promise<OrgUnitInfo[]> {
      const c = getClient();
      const out: OrgUnitInfo[] = [];
      for (const org of await organisations(c)) for (const t of (await teamsOf(c, org)).teams) out.push({ attribute: 'team', key: t.id, name: t.name });
      return out;
    },
  };
}
