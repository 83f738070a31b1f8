// What evidence says it takes on the heap: the snapshot's evidence cache bounds itself by it.
import { describe, expect, test } from 'vitest';
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
    // The lists the answers hold: 100 Critical, 200 Critical or High, 99 after the exemption.
    expect(after - before).toBeGreaterThanOrEqual(8 * (100 + 200 + 99));
    expect(told).toBeGreaterThanOrEqual(3);
    const toldBefore = told;
    decide(aTarget(image), rules);
    expect([evidence.bytes, told]).toEqual([after, toldBefore]);
  });
});
