import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Finding } from '../findings/model.js';
import { SEVERITIES } from '../findings/severity.js';
import { decodeFindings, encodeFindings } from './findings-codec.js';
import { compactFinding } from './sync-protocol.js';

const finding: fc.Arbitrary<Finding> = fc.record(
  {
    id: fc.string({ minLength: 1 }),
    aliases: fc.array(fc.string({ minLength: 1 }), { maxLength: 3 }),
    severity: fc.constantFrom(...SEVERITIES),
    sourceSeverity: fc.string(),
    cvss: fc.record({ score: fc.double({ min: 0, max: 10, noNaN: true }), vector: fc.string(), version: fc.constantFrom('2.0', '3.1', '4.0'), source: fc.string() }, { requiredKeys: ['score'] }),
    package: fc.record({ name: fc.string({ minLength: 1 }), version: fc.string(), type: fc.constantFrom('deb', 'npm'), purl: fc.string() }, { requiredKeys: ['name', 'version'] }),
    fixedVersion: fc.string(),
    fixAvailable: fc.boolean(),
    title: fc.string(),
    url: fc.webUrl(),
    knownExploited: fc.boolean(),
  },
  { requiredKeys: ['id', 'aliases', 'severity', 'package', 'fixAvailable'] },
);

describe('findings codec', () => {
  test('decodes to what admission reads of each finding (compactFinding), in order', () => {
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 20 }), (findings) => {
        expect(decodeFindings(encodeFindings(findings))).toEqual(findings.map(compactFinding));
      }),
    );
  });

  test('a finding with nothing optional comes back without the optional fields at all', () => {
    const [decoded] = decodeFindings(encodeFindings([{ id: 'CVE-1', aliases: [], severity: 'Low', package: { name: 'zlib', version: '1' }, fixAvailable: false }]));
    expect(Object.keys(decoded ?? {})).toEqual(['id', 'aliases', 'severity', 'package', 'fixAvailable']);
  });
});
