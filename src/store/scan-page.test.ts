import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { pageEnd } from './scan-page.js';

const sizes = (...findings: number[]) => findings.map((count, i) => ({ seq: (i + 1) * 10, findings: count }));

describe('pageEnd', () => {
  test('an empty page when nothing follows the cursor', () => {
    expect(pageEnd([], 500, 100)).toEqual({ more: false });
  });

  test('stops at limit scans, and says more when the extra one is there', () => {
    expect(pageEnd(sizes(1, 1, 1), 2)).toEqual({ lastSeq: 20, more: true });
    expect(pageEnd(sizes(1, 1), 2)).toEqual({ lastSeq: 20, more: false });
  });

  test('stops before the scan that would pass the findings budget, but takes the first whatever its size', () => {
    expect(pageEnd(sizes(40, 60, 1), 10, 100)).toEqual({ lastSeq: 20, more: true });
    expect(pageEnd(sizes(40, 61), 10, 100)).toEqual({ lastSeq: 10, more: true });
    expect(pageEnd(sizes(5_000, 1), 10, 100)).toEqual({ lastSeq: 10, more: true });
  });

  test('any page is a prefix within both bounds, never empty when scans follow, and more says whether it left any', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { maxLength: 30 }), fc.integer({ min: 1, max: 20 }), fc.nat(120), (counts, limit, budget) => {
        const all = sizes(...counts);
        const { lastSeq, more } = pageEnd(all, limit, budget);
        const taken = lastSeq === undefined ? 0 : all.findIndex((s) => s.seq === lastSeq) + 1;
        expect(taken > 0).toBe(all.length > 0);
        expect(taken).toBeLessThanOrEqual(limit);
        const findings = all.slice(0, taken).reduce((sum, s) => sum + s.findings, 0);
        if (taken > 1) expect(findings).toBeLessThanOrEqual(budget);
        expect(more).toBe(taken < all.length);
        // Maximal: the next scan would break a bound.
        const next = all[taken];
        if (next !== undefined) expect(taken === limit || findings + next.findings > budget).toBe(true);
      }),
    );
  });
});
