import { hash as digest } from 'node:crypto';
import type { FieldValues } from '../core/fields.ts';
import { decideStatus, type PersonStatus } from '../core/lifecycle.ts';
import { alternateEmails } from '../core/correlate.ts';
import { applyMapping } from '../core/mapping.ts';
import { evaluateScope } from '../core/scope.ts';
import { stableHash } from '../core/hash.ts';
import type { Lifecycle, SourceRecord } from '../core/source-record.ts';
import type { UserSyncSettings } from '../core/integration-settings.ts';

/** One source record taken through map → scope → lifecycle: what the source says about a person. */
export interface Evaluated {
  readonly externalId: string;
  readonly values: FieldValues;
  readonly lifecycle: Lifecycle;
  readonly inScope: boolean;
  readonly scopeReason: string;
  /** The source's opinion on status: null = none (out of scope and left alone). */
  readonly sourceStatus: PersonStatus | null;
  readonly statusReason: string;
  readonly reviewOn: string | null;
  /** Hash of what the provider sent (mapped) plus today's decision, to skip unchanged people. */
  readonly hash: string;
  /** The record's other addresses (user principal name, aliases), tried after the email when correlating. */
  readonly alternateEmails: readonly string[];
}

/** `aliasKeys`: the source attributes holding a person's other addresses (the descriptor's `correlationAliases`). */
export function evaluateRecord(record: SourceRecord, settings: UserSyncSettings, today: string, aliasKeys: readonly string[] = []): Evaluated {
  const values = applyMapping(record, settings.fieldMapping);
  const verdict = evaluateScope(settings.scope, values, record);
  const decision = decideStatus(record.lifecycle, today);
  let sourceStatus: PersonStatus | null = decision.status;
  let statusReason = decision.reason;
  if (!verdict.inScope) {
    sourceStatus = settings.outOfScopeAction === 'deactivate' ? 'inactive' : null;
    statusReason = settings.outOfScopeAction === 'deactivate' ? `out of sync scope: ${verdict.reason}` : `out of sync scope (left alone): ${verdict.reason}`;
  }
  return {
    externalId: record.externalId,
    values,
    lifecycle: record.lifecycle,
    inScope: verdict.inScope,
    scopeReason: verdict.reason,
    sourceStatus,
    statusReason,
    reviewOn: verdict.inScope ? (decision.reviewOn ?? null) : null,
    // Key order is fixed by the mapping and the connector, so plain JSON is stable enough here: a
    // spurious difference would only re-plan a person, never skip a real change.
    // One-shot digest (the same SHA-1 as before, so stored hashes still compare): a Hash object
    // per record cost more than the hashing at 100,000 people.
    hash: digest('sha1', JSON.stringify([values, record.lifecycle, sourceStatus, verdict.inScope]), 'base64url'),
    alternateEmails: alternateEmails(record.attributes, aliasKeys, values.email),
  };
}

/** The config an incremental cursor is valid for: changing mapping or scope forces a full run. */
export function configHash(settings: UserSyncSettings, timeZone: string): string {
  return stableHash({ m: settings.fieldMapping, s: settings.scope, o: settings.outOfScopeAction, tz: timeZone });
}
