import type { Schema } from './api/client.ts';
import { fieldLabelOf, STANDARD_LABELS } from '../../src/core/fields.ts';

type ConnectionStatus = Schema<'Integration'>['connection']['status'];
type HealthState = Schema<'Health'>['state'];
type RunStatus = Schema<'Run'>['status'];

export type Tone = 'good' | 'warn' | 'bad' | 'info' | 'neutral';

export const CONNECTION: Record<ConnectionStatus, { label: string; tone: Tone }> = {
  connected: { label: 'Connected', tone: 'good' },
  disconnected: { label: 'Not connected', tone: 'neutral' },
  expired: { label: 'Authorisation expired', tone: 'bad' },
  revoked: { label: 'Access revoked', tone: 'bad' },
  error: { label: 'Connection error', tone: 'bad' },
};

export const HEALTH: Record<HealthState, { label: string; tone: Tone }> = {
  healthy: { label: 'Healthy', tone: 'good' },
  never_run: { label: 'Not run yet', tone: 'info' },
  running: { label: 'Syncing', tone: 'info' },
  disabled: { label: 'Off', tone: 'neutral' },
  authorisation_expired: { label: 'Authorisation expired', tone: 'bad' },
  provider_unavailable: { label: 'Provider unavailable', tone: 'warn' },
  failing: { label: 'Failing', tone: 'bad' },
  blocked_by_safeguard: { label: 'Blocked by safeguard', tone: 'warn' },
  disconnected: { label: 'Not connected', tone: 'neutral' },
};

export const RUN_STATUS: Record<RunStatus, { label: string; tone: Tone }> = {
  queued: { label: 'Queued', tone: 'info' },
  running: { label: 'Running', tone: 'info' },
  succeeded: { label: 'Succeeded', tone: 'good' },
  partial: { label: 'Partly succeeded', tone: 'warn' },
  failed: { label: 'Failed', tone: 'bad' },
  blocked: { label: 'Blocked', tone: 'warn' },
  rejected: { label: 'Rejected', tone: 'neutral' },
};

/**
 * A run's error as the title of its alert, in an admin's words: the one place the console turns a
 * run error's code into words (the message under it says the rest). An unknown code never shows.
 */
const RUN_ERROR_TITLE: Record<string, string> = {
  auth_failed: 'The provider refused ReFresh’s credentials',
  missing_permission: 'ReFresh lacks a permission in the provider',
  rate_limited: 'The provider limited ReFresh’s requests',
  provider_unavailable: 'The provider did not answer',
  bad_data: 'The provider sent data ReFresh could not read',
  not_found: 'The provider could not find what ReFresh asked for',
  bad_request: 'The provider refused ReFresh’s request',
  internal_error: 'The sync stopped on an internal error',
  records_failed: 'Some people could not be read',
  safeguard_blocked: 'Held by the safeguard',
  plan_stale: 'The directory changed since this run was planned',
  integration_missing: 'The integration was removed',
  not_connected: 'The integration is not connected',
};

export function runErrorTitle(code: string): string {
  return Object.hasOwn(RUN_ERROR_TITLE, code) ? RUN_ERROR_TITLE[code]! : 'The sync did not finish';
}

export const CADENCE_LABEL: Record<string, string> = { '1h': 'Every hour', '4h': 'Every 4 hours', '12h': 'Every 12 hours', '24h': 'Every 24 hours' };

/** One catalogue of field labels for the server's messages and the console. */
export const FIELD_LABEL: Record<string, string> = STANDARD_LABELS;

/** ReFresh's standard fields, in the order the console lists them. */
export const STANDARD_FIELDS = Object.keys(FIELD_LABEL);

export const fieldLabel = fieldLabelOf;

export const ROLE_LABEL: Record<string, string> = {
  organization_admin: 'Organization Admin',
  compliance_manager: 'Compliance Manager',
  member: 'Member',
};

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** "14:05" today, "3 Dec, 14:05" another day: in the viewer's time zone, never a raw timestamp. */
export function clockTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return 'soon';
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = t - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 45_000) return diff < 0 ? 'just now' : 'in a moment';
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

export function duration(start: string | null, end: string | null): string {
  if (!start) return '—';
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function personName(fields: Record<string, { value: string | null } | undefined>): string {
  const v = (k: string) => fields[k]?.value ?? null;
  return v('displayName') ?? ([v('preferredName') ?? v('firstName'), v('lastName')].filter(Boolean).join(' ') || v('email') || 'Unnamed person');
}
