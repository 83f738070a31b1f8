// What storing a scan changes, decided the same way by both databases: which keys the scan
// becomes the current one for, and which older scans it replaces. Pure, so it is tested alone.
import type { ImageScan } from '../findings/model.js';
import { InputError } from '../problems.js';
import { millisOf } from './instants.js';

/** The digests a scan answers for, or `id:<image id>` for a report without any (a tar archive). */
export function scanKeys(scan: ImageScan): string[] {
  if (scan.digests.length > 0) return [...new Set(scan.digests)];
  if (scan.imageId) return [`id:${scan.imageId}`];
  throw InputError.of({ path: 'scan', message: `The report for '${scan.artifactName}' names neither a digest nor an image id: there is nothing to find it by.` });
}

/** The key tags point at: the platform manifest digest when the report names one. */
export function primaryKey(scan: ImageScan, keys: readonly string[]): string {
  return scan.manifestDigest !== undefined && keys.includes(scan.manifestDigest) ? scan.manifestDigest : (keys[0] ?? '');
}

/** When a scan counts as made: its own time, or when it was received if it does not say. */
export function effectiveMillis(scan: ImageScan, receivedAt: string): number {
  const scanned = scan.scannedAt === undefined ? NaN : Date.parse(scan.scannedAt);
  return Number.isNaN(scanned) ? millisOf(receivedAt, 'receivedAt') : scanned;
}

/** The current scan of one key from the scanner at hand. */
export interface Head {
  readonly key: string;
  readonly scanId: string;
  readonly reportHash: string;
  readonly effectiveMs: number;
}

export type PutPlan =
  /** Nothing changes; `current` is the stored scan that stands (the same report, or a newer one). */
  | { readonly kind: 'unchanged'; readonly current: string }
  /** Store the scan as the current one for `keys`, replacing the scans in `replaced` there. */
  | { readonly kind: 'store'; readonly keys: readonly string[]; readonly replaced: readonly string[] };

/**
 * A scan replaces the current one of a key when it is as new or newer (on a tie the later
 * arrival wins, as in the webhook's catalog, which applies scans in the same order). A report
 * already current for any of its keys is a retry: nothing changes.
 */
export function planPut(keys: readonly string[], heads: ReadonlyMap<string, Head>, reportHash: string, effectiveMs: number): PutPlan {
  const present = keys.map((key) => heads.get(key)).filter((head): head is Head => head !== undefined);
  const same = present.find((head) => head.reportHash === reportHash);
  if (same) return { kind: 'unchanged', current: same.scanId };
  const wins = keys.filter((key) => {
    const head = heads.get(key);
    return head === undefined || head.effectiveMs <= effectiveMs;
  });
  if (wins.length === 0) {
    const newest = present.reduce((a, b) => (b.effectiveMs > a.effectiveMs ? b : a));
    return { kind: 'unchanged', current: newest.scanId };
  }
  const replaced = new Set(wins.map((key) => heads.get(key)?.scanId).filter((id): id is string => id !== undefined));
  return { kind: 'store', keys: wins, replaced: [...replaced] };
}
