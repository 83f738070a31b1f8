// What an admission event is found by, beyond its own columns: the side tables event_rules,
// event_images and event_cves hold one row per value, with the event's time, so each filter is
// an ordered index walk (value, time, id) however rare or common the value is.
import type { AdmissionEvent } from '../events/admission-event.js';
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
export const EVENT_SIDE_TABLES = [
  { table: 'event_rules', column: 'rule_key', values: (index: EventIndex) => index.rules },
  { table: 'event_images', column: 'image', values: (index: EventIndex) => index.images },
  { table: 'event_cves', column: 'cve', values: (index: EventIndex) => index.cves },
] as const;

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
  return { timeMs: millisOf(event.time, `${path}.time`), rules: [...rules], images: [...images], cves: [...cves] };
}
