// Where a page of scans for incremental sync ends, decided the same way by both databases from
// the scans' sequence numbers and finding counts alone (the reports are read only for the page).
// Pure, so it is tested alone.

/** A scan's place in the change sequence, and how many findings it holds. */
export interface ScanSize {
  readonly seq: number;
  readonly findings: number;
}

export interface PageEnd {
  /** The seq of the page's last scan; absent when the page is empty. */
  readonly lastSeq?: number;
  /** Scans follow the page. */
  readonly more: boolean;
}

/**
 * The page over `sizes` (the scans after the cursor, by seq; one more than `limit` is enough):
 * at most `limit` scans and no more than `maxFindings` findings in all, but always the first
 * scan, so that one with more findings than the budget comes alone rather than never.
 */
export function pageEnd(sizes: readonly ScanSize[], limit: number, maxFindings = Infinity): PageEnd {
  let taken = 0;
  let findings = 0;
  for (const size of sizes) {
    if (taken === limit || (taken > 0 && findings + size.findings > maxFindings)) break;
    taken += 1;
    findings += size.findings;
  }
  const last = sizes[taken - 1];
  return { ...(last !== undefined && { lastSeq: last.seq }), more: taken < sizes.length };
}
