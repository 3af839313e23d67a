/**
 * What an admin reads must be words: no raw ids, no ISO timestamps, no internal field or enum
 * names. `adminTextProblems` scans a page's visible text (innerText: what is on the screen, not
 * attributes or hidden elements) and names every offending piece, so a test can assert none.
 */

/** ReFresh's internal names an admin never needs to see (the console shows their labels). */
const INTERNAL_NAMES = [
  'firstName',
  'lastName',
  'preferredName',
  'displayName',
  'jobTitle',
  'managerId',
  'employeeNumber',
  'startDate',
  'endDate',
  'employmentStatus',
  'employmentType',
  'integrationId',
  'employeeId',
  'externalId',
  'fieldMapping',
  'outOfScopeAction',
  'userSync',
  'groupSync',
  'workEmail',
];

const CHECKS: { what: string; pattern: RegExp }[] = [
  { what: 'a UUID', pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi },
  { what: 'a ULID', pattern: /\b[0-9A-HJKMNP-TV-Z]{26}\b/g },
  { what: 'a hex id', pattern: /\b[0-9a-f]{24,}\b/gi },
  { what: 'an ISO timestamp', pattern: /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b/g },
  { what: 'an internal field name', pattern: new RegExp(`\\b(${INTERNAL_NAMES.join('|')})\\b`, 'g') },
  { what: 'a custom field key', pattern: /\bcustom\.[A-Za-z0-9_]+/g },
  { what: 'an internal code (snake_case)', pattern: /\b[a-z]+(?:_[a-z]+)+\b/g },
];

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/g;
const URL = /\bhttps?:\/\/\S+/g;

/** Every id, timestamp or internal name in the text, as "a UUID: 0190…" lines; [] when clean. */
export function adminTextProblems(text: string): string[] {
  // E-mail addresses and links are data the admin typed or needs to copy; they may hold anything.
  const words = text.replace(EMAIL, ' ').replace(URL, ' ');
  const problems: string[] = [];
  for (const { what, pattern } of CHECKS) {
    for (const m of words.matchAll(pattern)) {
      const at = m.index ?? 0;
      problems.push(`${what}: "${m[0]}" in "…${words.slice(Math.max(0, at - 40), at + m[0].length + 40).replace(/\s+/g, ' ')}…"`);
    }
  }
  return problems;
}
