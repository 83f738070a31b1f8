// What evidence answers, and what it says it takes on the heap: the snapshot's evidence cache
// bounds itself by it.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SEVERITIES, severityRank } from '../findings/severity.js';
import { ImageEvidence } from './evidence.js';
import { aFinding, aRule, aTarget, cveExemption, decide, scannedImage } from './testing/builders.js';

const findings = (count: number) => Array.from({ length: count }, (_, i) => aFinding(`CVE-2026-${String(i).padStart(5, '0')}`, i % 2 === 0 ? 'Critical' : 'High'));

describe('ImageEvidence.bytes', () => {
  test('grows with the findings', () => {
    const small = scannedImage('registry.example.com/a:1', findings(10)).evidence;
    const large = scannedImage('registry.example.com/a:1', findings(1_000)).evidence;
    expect(small?.bytes).toBeGreaterThan(10 * 100);
    expect((large?.bytes ?? 0) - (small?.bytes ?? 0)).toBeGreaterThan(990 * 100);
  });

  test('grows as rules ask their questions, and tells its listener each time; an answer asked again costs nothing more', () => {
    const image = scannedImage('registry.example.com/a:1', findings(200));
    const evidence = image.evidence!;
    const before = evidence.bytes;
    let told = 0;
    evidence.onGrow(() => told++);
    const rules = [
      aRule({ name: 'critical', conditions: { severities: ['Critical'] } }),
      aRule({ name: 'high', conditions: { severities: ['Critical', 'High'] } }),
      aRule({ name: 'exempted', conditions: { severities: ['Critical'] }, exemptions: [cveExemption('CVE-2026-00000')] }),
    ];
    decide(aTarget(image), rules);
    const after = evidence.bytes;
    // The lists made for the answers: 200 Critical or High, 99 Critical after the exemption (the
    // 100 Critical alone are the evidence's own index, held already).
    expect(after - before).toBeGreaterThanOrEqual(8 * (200 + 99));
    expect(told).toBeGreaterThanOrEqual(3);
    const toldBefore = told;
    decide(aTarget(image), rules);
    expect([evidence.bytes, told]).toEqual([after, toldBefore]);
  });

  test('an answer that is a list the evidence holds already costs its entry, not the list again', () => {
    const image = scannedImage('registry.example.com/a:1', findings(200));
    const evidence = image.evidence!;
    const before = evidence.bytes;
    decide(aTarget(image), [aRule({ name: 'critical', conditions: { severities: ['Critical'] } })]);
    // The 100 Critical findings are the evidence's severity index: nothing like 8 bytes for each.
    expect(evidence.bytes - before).toBeGreaterThan(0);
    expect(evidence.bytes - before).toBeLessThan(8 * 100);
  });
});

describe('ImageEvidence.withSeverities', () => {
  const anyFindings = fc
    .array(fc.record({ id: fc.integer({ min: 0, max: 40 }), severity: fc.constantFrom(...SEVERITIES), score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }) }), { maxLength: 30 })
    .map((list) => list.map(({ id, severity, score }) => aFinding(`CVE-2024-${String(id).padStart(4, '0')}`, severity, score === undefined ? {} : { cvss: { score: score / 10 } })));

  test('lists the findings of the severities in the mask, worst first, as filtering every finding would; the same list when asked again', () => {
    fc.assert(
      fc.property(anyFindings, fc.integer({ min: 0, max: 31 }), (list, mask) => {
        const evidence = new ImageEvidence(list);
        const selected = evidence.withSeverities(mask);
        expect(selected).toEqual(evidence.findings.filter((f) => (mask & (1 << severityRank(f.severity))) !== 0));
        expect(evidence.withSeverities(mask)).toBe(selected);
      }),
    );
  });
});
