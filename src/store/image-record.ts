// An image as the store answers for it: the newest scan of each scanner, merged.
import { mergeFindings } from '../findings/catalog.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { compareFindings } from '../policy/evidence.js';
import type { ImageRecord, StoredScan } from './store.js';

export function imageRecord(key: string, scans: readonly StoredScan[]): ImageRecord {
  const ordered = [...scans].sort((a, b) => (a.scanner < b.scanner ? -1 : a.scanner > b.scanner ? 1 : 0));
  const findings = mergeFindings(ordered.map((s) => s.scan)).sort(compareFindings);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity] += 1;
  const scannedAt = newest(ordered.map((s) => s.scannedAt ?? s.receivedAt));
  return {
    key,
    tags: distinct(ordered.flatMap((s) => s.scan.repoTags)),
    repoDigests: distinct(ordered.flatMap((s) => s.scan.repoDigests)),
    scans: ordered,
    findings,
    counts,
    ...(scannedAt !== undefined && { scannedAt }),
  };
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** The newest of several instants, as written; a scan without a time of its own counts as received then. */
function newest(instants: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const instant of instants) if (best === undefined || Date.parse(instant) > Date.parse(best)) best = instant;
  return best;
}
