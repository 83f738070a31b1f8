// How the UI writes times, severities and counts: one place, so that every page says them alike.
import { SEVERITIES, type Severity } from '../../src/findings/severity.js';
import type { SeverityCounts } from '../../src/policy/evidence.js';

/** `2026-11-28 14:03:07 UTC`: the stored instant, in UTC like the API and the CLI, to the second. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `3 Critical, 12 High`: the severities present, worst first; `no findings` when none. */
export function countsText(counts: SeverityCounts): string {
  const present = SEVERITIES.filter((severity) => counts[severity] > 0).map((severity) => `${counts[severity]} ${severity}`);
  return present.length > 0 ? present.join(', ') : 'no findings';
}

/** The counts of several images added up (a list row shows one line for the workload). */
export function totalCounts(all: readonly SeverityCounts[]): SeverityCounts {
  const total = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const counts of all) for (const severity of SEVERITIES) total[severity] += counts[severity];
  return total;
}

/**
 * A `datetime-local` field's value (the browser's local time, no zone) as the instant the API
 * takes; an instant back for the field. Empty stays empty.
 */
export function localInputToInstant(value: string): string {
  if (value === '') return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export function instantToLocalInput(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A digest shortened for a table cell; the whole one is in the cell's title and on the event's page. */
export function shortDigest(digest: string): string {
  const [algorithm, hex = ''] = digest.split(':', 2);
  return hex.length > 12 ? `${algorithm}:${hex.slice(0, 12)}…` : digest;
}

/** A scanner's advisory address as a link, only if it is a web address: a report could hold `javascript:`. */
export function advisoryLink(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
