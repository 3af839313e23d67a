/**
 * The canonical worker record: what every connector yields, whatever the provider.
 *
 * Attribute keys are the provider's own field names (e.g. BambooHR `workEmail`, `supervisorEId`),
 * so that field mapping (provider field → ReFresh field) stays a per-integration setting.
 * Values are strings: trimmed, Unicode NFC, empty values and provider placeholders
 * (BambooHR's `0000-00-00`) dropped. Dates are `YYYY-MM-DD`.
 */
export interface SourceRecord {
  /** The provider's stable id for the person (BambooHR employee id). */
  readonly externalId: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly lifecycle: Lifecycle;
}

export interface Lifecycle {
  /** The provider's own status: false for terminated people and (in BambooHR) future hires. */
  readonly active: boolean;
  readonly hireDate?: string;
  readonly terminationDate?: string;
}

/** A record the connector could not turn into a SourceRecord: counted as failed, never deactivates anyone. */
export interface RecordFailure {
  readonly externalId?: string;
  readonly reason: string;
}

export interface SourcePage {
  readonly records: readonly SourceRecord[];
  readonly failures: readonly RecordFailure[];
  /** How many people the whole fetch holds, when the provider says (BambooHR's total_records): progress shows "N of total". */
  readonly total?: number;
}
