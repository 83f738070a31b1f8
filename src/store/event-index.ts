// What an admission event is found by, beyond its own columns: the side tables event_rules,
// event_images and event_cves hold one row per value, with the event's time, so each filter is
// an ordered index walk (value, time, id) however rare or common the value is. (SQLite keeps the
// CVEs in an index of its own instead: see sqlite/event-cve-terms.ts.)
import type { AdmissionEvent } from '../events/admission-event.js';
import { InputError } from '../problems.js';
import { millisOf } from './instants.js';

export interface EventIndex {
  readonly timeMs: number;
  /** Rule names, lower-cased: every rule reported and every rule of a violation. */
  readonly rules: readonly string[];
  /** Every image reference as written, and every digest. */
  readonly images: readonly string[];
  /** Every matched finding id of every image (and of every violation), upper-cased. */
  readonly cves: readonly string[];
}

/** Each side table, the column that holds the value, and the values of an index it holds. */
export const RULE_AND_IMAGE_TABLES = [
  { table: 'event_rules', column: 'rule_key', values: (index: EventIndex) => index.rules },
  { table: 'event_images', column: 'image', values: (index: EventIndex) => index.images },
] as const;
const CVE_TABLE = { table: 'event_cves', column: 'cve', values: (index: EventIndex) => index.cves } as const;
export const EVENT_SIDE_TABLES = [...RULE_AND_IMAGE_TABLES, CVE_TABLE] as const;

/**
 * The times an event may have: from 1970 until 2100. A SQLite event's rowid is its millisecond
 * times 2^21 (see sqlite/event-cve-terms.ts), which must fit 63 bits; both stores take the same.
 */
export const EARLIEST_EVENT_MS = Date.UTC(1970, 0, 1);
export const LATEST_EVENT_MS = Date.UTC(2100, 0, 1);

export function ruleFilterKey(rule: string): string {
  return rule.toLowerCase();
}

export function cveFilterKey(cve: string): string {
  return cve.toUpperCase();
}

export function indexEvent(event: AdmissionEvent, path: string): EventIndex {
  const rules = new Set(event.rules.map((r) => ruleFilterKey(r.name)));
  const images = new Set<string>();
  const cves = new Set<string>();
  for (const image of event.images) {
    images.add(image.reference);
    if (image.digest) images.add(image.digest);
    for (const violation of image.violations) {
      rules.add(ruleFilterKey(violation.rule));
      for (const id of violation.findings) cves.add(cveFilterKey(id));
    }
    for (const id of image.matched) cves.add(cveFilterKey(id));
  }
  const timeMs = millisOf(event.time, `${path}.time`);
  if (timeMs < EARLIEST_EVENT_MS || timeMs >= LATEST_EVENT_MS) {
    throw InputError.of({ path: `${path}.time`, message: `'${event.time}' is outside the times events may have: from 1970 until 2100.` });
  }
  return { timeMs, rules: [...rules], images: [...images], cves: [...cves] };
}
