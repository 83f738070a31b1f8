import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { anEvent, type ImageSketch } from '../store/testing/builders.js';
import type { AdmissionEvent } from './admission-event.js';
import { joinEvent, splitEvent, summarizeEvent } from './event-summary.js';

const image: fc.Arbitrary<ImageSketch> = fc.record(
  {
    reference: fc.constantFrom('nginx:1.25', 'registry.example.com/team/app:1.0', 'ghcr.io/org/tool@sha256:' + 'a'.repeat(64)),
    digest: fc.constant(`sha256:${'b'.repeat(64)}`),
    violations: fc.array(fc.record({ rule: fc.constantFrom('no-critical', 'audit-high'), cves: fc.uniqueArray(fc.constantFrom('CVE-2024-0001', 'CVE-2024-0002', 'GHSA-aaaa-bbbb-cccc'), { maxLength: 3 }) }), { maxLength: 2 }),
  },
  { requiredKeys: ['reference'] },
);

const event: fc.Arbitrary<AdmissionEvent> = fc
  .record({ images: fc.array(image, { maxLength: 4 }), rules: fc.uniqueArray(fc.constantFrom('no-critical', 'audit-high', 'Exempt-Me'), { maxLength: 3 }), cluster: fc.option(fc.constant('prod-eu'), { nil: undefined }) })
  .map((sketch) => anEvent({ time: '2026-03-01T12:00:00.000Z', ...sketch }));

describe('an event in two parts: its summary and its details', () => {
  test('joined, the parts are the event again, whatever its images and rules', () => {
    fc.assert(
      fc.property(event, (whole) => {
        const { summary, details } = splitEvent(whole);
        // As the stores keep them: JSON text.
        expect(joinEvent(JSON.parse(JSON.stringify(summary)), JSON.parse(JSON.stringify(details)))).toStrictEqual(whole);
      }),
    );
  });

  test('the summary lists the event without its findings, matched ids and rule snapshots; the details hold only those', () => {
    const whole = anEvent({ time: '2026-03-01T12:00:00.000Z', rules: ['no-critical'], images: [{ reference: 'nginx:1.25', violations: [{ rule: 'no-critical', cves: ['CVE-2024-0001', 'CVE-2024-0002'] }] }, { reference: 'redis:7' }] });
    const { summary, details } = splitEvent(whole);
    expect(summary).toStrictEqual(summarizeEvent(whole));
    expect(summary.images).toStrictEqual([
      { reference: 'nginx:1.25', scanStatus: 'Scanned', counts: whole.images[0]?.counts, violations: 1 },
      { reference: 'redis:7', scanStatus: 'Scanned', counts: whole.images[1]?.counts, violations: 0 },
    ]);
    expect(summary.rules).toEqual(['no-critical']);
    expect(summary).toMatchObject({ id: whole.id, time: whole.time, decision: 'Denied', message: whole.message, workload: 'checkout' });
    expect(details.images.map((part) => Object.keys(part).sort())).toEqual([
      ['findings', 'matched', 'violations'],
      ['findings', 'matched', 'violations'],
    ]);
    expect(details.rules).toBe(whole.rules);
    // No field in both: together they take about what the event takes.
    expect(JSON.stringify(summary).length + JSON.stringify(details).length).toBeLessThan(JSON.stringify(whole).length + 200);
  });

  test('details that do not belong to the summary (another count of images) are refused, naming the event', () => {
    const one = anEvent({ time: '2026-03-01T12:00:00.000Z', images: [{ reference: 'nginx:1.25' }] });
    const two = anEvent({ time: '2026-03-01T12:00:00.000Z', images: [{ reference: 'nginx:1.25' }, { reference: 'redis:7' }] });
    expect(() => joinEvent(splitEvent(one).summary, splitEvent(two).details)).toThrow(`event ${one.id} name 2 images where its summary names 1`);
  });
});
