// Grype reports from the fixtures (test/fixtures/grype: real `grype -o json` output, one trimmed,
// one a presenter snapshot), and broken ones made from them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readJson } from '../../input/source-text.js';
import type { ImageScan } from '../model.js';
import type { InputError } from '../../problems.js';
import type { Severity } from '../severity.js';
import { parseGrypeReport } from './grype.js';
import { countsOf, findingOf, findingsOf, inputErrorOf, lineOf } from './testing/report-tests.js';

const GRYPE = join(import.meta.dirname, '../../../test/fixtures/grype');
const textOf = (name: string): string => readFileSync(join(GRYPE, name), 'utf8');

function parse(text: string, file: string): ImageScan {
  const { value, lineOf } = readJson(text, file);
  return parseGrypeReport(value, file, lineOf);
}

interface RawReport {
  matches: { vulnerability: { id: string; severity?: string } }[];
}

/** Counts by severity straight from the JSON, without the parser's mapping. */
function rawCounts(text: string): Record<Severity, number> {
  const counts: Record<Severity, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
  const words: Record<string, Severity> = { Critical: 'Critical', High: 'High', Medium: 'Medium', Low: 'Low', Negligible: 'Low' };
  for (const match of (JSON.parse(text) as RawReport).matches) counts[words[match.vulnerability.severity ?? ''] ?? 'Unknown']++;
  return counts;
}

const LOCAL_IMAGE_WARNING = /names no repo digest \(the image did not come from a registry\), so its manifest digest sha256:[0-9a-f]{64} may not be the one a registry serves/;

interface Expectation {
  counts: Partial<Record<Severity, number>>;
  version: string;
  scannedAt?: string;
  manifestDigest: string;
  /** The platform manifest digest first, then the index digest of a multi-arch tag. */
  digests: string[];
  imageId: string;
  repoTags: string[];
  repoDigests: string[];
  artifactName: string;
  os: { family: string; name: string };
  warnings: RegExp[];
  check: (scan: ImageScan) => void;
}

const EXPECTED: Record<string, Expectation> = {
  'alpine-java-test-image.json': {
    counts: { Medium: 2 },
    version: '0.65.1',
    scannedAt: '2023-08-31T19:13:32.377Z',
    manifestDigest: 'sha256:1212e7636ec0b1a7b90eb354e761e67163c2256de127036f086876e190631b43',
    digests: ['sha256:1212e7636ec0b1a7b90eb354e761e67163c2256de127036f086876e190631b43', 'sha256:10008791acbc5866de04108746a02a0c4029ce3a4400a9b3dad45d7f2245f9da'],
    imageId: 'sha256:e1a0913e5e6eb346f15791e9627842ae80b14564f9c7a4f2e0910a9433673d8b',
    repoTags: [],
    repoDigests: ['docker.io/anchore/test_images@sha256:10008791acbc5866de04108746a02a0c4029ce3a4400a9b3dad45d7f2245f9da'],
    artifactName: 'anchore/test_images@sha256:10008791acbc5866de04108746a02a0c4029ce3a4400a9b3dad45d7f2245f9da',
    os: { family: 'alpine', name: '3.14.2' },
    warnings: [],
    check(scan) {
      // Grype reports the GHSA and the CVE it names as two matches of the same package.
      expect(findingOf(scan, 'GHSA-cfh5-3ghh-wfjx', 'httpclient')).toMatchObject({
        aliases: ['CVE-2014-3577'],
        severity: 'Medium',
        package: { version: '4.1.1', type: 'java-archive', purl: 'pkg:maven/org.apache.httpcomponents/httpclient@4.1.1' },
        fixedVersion: '4.3.5',
        fixAvailable: true,
        url: 'https://github.com/advisories/GHSA-cfh5-3ghh-wfjx',
      });
      const cve = findingOf(scan, 'CVE-2014-3577', 'httpclient');
      expect(cve).toMatchObject({ aliases: [], fixAvailable: false, cvss: { score: 5.8, version: '2.0', source: 'nvd' } });
      expect(cve.fixedVersion).toBeUndefined();
    },
  },
  'chainguard-ruby-wolfi-image.json': {
    counts: { High: 3 },
    version: '0.61.1',
    scannedAt: '2023-05-18T01:00:56.783Z',
    manifestDigest: 'sha256:86abe662dfa3746038eea6b0db91092b0767d78b8b8938a343d614cd1579adc2',
    digests: ['sha256:86abe662dfa3746038eea6b0db91092b0767d78b8b8938a343d614cd1579adc2', 'sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978'],
    imageId: 'sha256:2f88265cfbc43ca35cd327347a9f59375b9f29ef998b8a54a882e31111266640',
    repoTags: ['cgr.dev/chainguard/ruby:latest-3.0'],
    repoDigests: ['cgr.dev/chainguard/ruby@sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978'],
    artifactName: 'cgr.dev/chainguard/ruby:latest-3.0',
    os: { family: 'wolfi', name: '20221118' },
    warnings: [],
    check(scan) {
      expect(findingOf(scan, 'CVE-2023-28755', 'ruby-3.0')).toMatchObject({
        // Its related record is the NVD record of the same id: no alias.
        aliases: [],
        package: { version: '3.0.4-r1', type: 'apk' },
        fixedVersion: '3.0.6-r0',
        fixAvailable: true,
        cvss: { score: 7.5, version: '3.1', source: 'nvd' },
      });
      // fix.state "unknown" with no versions: no fix known.
      expect(findingOf(scan, 'CVE-2023-28755', 'uri')).toMatchObject({ package: { version: '0.10.1', type: 'gem' }, fixAvailable: false });
      expect(findingOf(scan, 'GHSA-hv5j-3h9f-99c2', 'uri')).toMatchObject({ aliases: ['CVE-2023-28755'], fixedVersion: '0.10.2', fixAvailable: true });
    },
  },
  'debian10-image-defectdojo.json': {
    counts: { Critical: 2, High: 3, Low: 1 },
    version: '0.28.0',
    manifestDigest: 'sha256:9d8825ab20ac86b40eb71495bece1608a302fb180384740697a28c2b0a5a0fc6',
    digests: ['sha256:9d8825ab20ac86b40eb71495bece1608a302fb180384740697a28c2b0a5a0fc6'],
    imageId: 'sha256:ce9898fd214aef9c994a42624b09056bdce3ff4a8e3f68dc242d967b80fcbeee',
    repoTags: ['docker.io/library/vulnerable-image:latest'],
    repoDigests: [],
    artifactName: 'vulnerable-image:latest',
    os: { family: 'debian', name: '10' },
    warnings: [LOCAL_IMAGE_WARNING],
    check(scan) {
      // grype 0.28 wrote no descriptor.timestamp.
      expect(scan.scannedAt).toBeUndefined();
      expect(findingOf(scan, 'CVE-2004-0971', 'libgssapi-krb5-2')).toMatchObject({ severity: 'Low', sourceSeverity: 'Negligible', fixAvailable: false });
      expect(findingOf(scan, 'CVE-2021-33574', 'libc6')).toMatchObject({ severity: 'Critical', fixAvailable: false });
      // wont-fix, even though the (hand-edited upstream) match lists versions.
      expect(findingOf(scan, 'CVE-2021-32626', 'redis')).toMatchObject({ fixAvailable: false, fixedVersion: 'fix_1, fix_2' });
      // The same match twice (one package, three files): both kept, as grype reports them.
      const django = findingsOf(scan, 'GHSA-v6rh-hp5x-86rv', 'Django');
      expect(django).toHaveLength(2);
      expect(django[0]).toMatchObject({ aliases: ['CVE-2021-44420'], severity: 'High', fixedVersion: '3.2.10', fixAvailable: true, package: { type: 'python' } });
    },
  },
  'keycloak-ubi9-image.json': {
    counts: { Low: 6 },
    version: '0.66.0',
    scannedAt: '2023-09-01T12:13:42.201Z',
    manifestDigest: 'sha256:d1630d3eb8285a978301bcefc5b223e564ae300750af2fc9ea3f413c5376a47e',
    digests: ['sha256:d1630d3eb8285a978301bcefc5b223e564ae300750af2fc9ea3f413c5376a47e', 'sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50'],
    imageId: 'sha256:8cf8fd2be2ded92962d52adff75ad06a4c30f69c66facbdf223364c6c9e33b8c',
    repoTags: [],
    repoDigests: ['docker.io/keycloak/keycloak@sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50'],
    artifactName: 'docker.io/keycloak/keycloak:21.0.2@sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50',
    os: { family: 'redhat', name: '9.1' },
    warnings: [],
    check(scan) {
      expect(scan.findings.map((f) => f.package.name)).toEqual(['nspr', 'nss', 'nss-softokn', 'nss-softokn-freebl', 'nss-sysinit', 'nss-util']);
      for (const finding of scan.findings) {
        expect(finding).toMatchObject({ id: 'CVE-2020-12413', severity: 'Low', sourceSeverity: 'Low', fixAvailable: false, package: { type: 'rpm' } });
        // Red Hat's record and NVD's both score 5.9; NVD's is the one taken.
        expect(finding.cvss).toEqual({ score: 5.9, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', version: '3.1', source: 'nvd' });
      }
    },
  },
  'presenter-snapshot-image-current-schema.json': {
    counts: { Critical: 1, Low: 1 },
    version: '[not provided]',
    manifestDigest: 'sha256:ca738abb87a8d58f112d3400ebb079b61ceae7dc290beb34bda735be4b1941d5',
    digests: ['sha256:ca738abb87a8d58f112d3400ebb079b61ceae7dc290beb34bda735be4b1941d5'],
    imageId: 'sha256:ab5608d634db2716a297adbfa6a5dd5d8f8f5a7d0cab73649ea7fbb8c8da544f',
    repoTags: [],
    repoDigests: [],
    artifactName: 'user-input',
    os: { family: 'centos', name: '8.0' },
    warnings: [LOCAL_IMAGE_WARNING],
    check(scan) {
      // `"timestamp": ""` is no time at all.
      expect(scan.scannedAt).toBeUndefined();
      const first = findingOf(scan, 'CVE-1999-0001', 'package-1');
      expect(first).toMatchObject({ fixedVersion: '1.2.1, 2.1.3, 3.4.0', fixAvailable: true });
      // knownExploited is left out when grype lists nothing: not known either way.
      expect(first.knownExploited).toBeUndefined();
      // An empty purl is no purl.
      expect(first.package.purl).toBeUndefined();
      // fix.state "" and no versions: no fix; listed in knownExploited.
      expect(findingOf(scan, 'CVE-1999-0002', 'package-2')).toMatchObject({ severity: 'Critical', fixAvailable: false, knownExploited: true });
    },
  },
  'rhel8-image-trimmed-missing-severity.json': {
    counts: { Critical: 1, High: 3, Low: 1, Unknown: 1 },
    version: '0.96.0',
    scannedAt: '2024-02-22T18:46:26.372Z',
    manifestDigest: 'sha256:11557074a2e35fcbb2f367ffe1c6bb90968a56c3a08a48bf9370f8445ae2cc36',
    digests: ['sha256:11557074a2e35fcbb2f367ffe1c6bb90968a56c3a08a48bf9370f8445ae2cc36', 'sha256:97e6d5aeed19f627205b218f45b284cd01ff658dd181416ab1d3e21aeb28d68e'],
    imageId: 'sha256:7998b6425ee34508b5b9b02a038ed7ccaab47ecb60fc2c7f0259f964fdf80a70',
    repoTags: ['quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest'],
    repoDigests: ['quay.io/cloudservices/xjoin-kafka-connect-strimzi@sha256:97e6d5aeed19f627205b218f45b284cd01ff658dd181416ab1d3e21aeb28d68e'],
    artifactName: 'quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest',
    os: { family: 'redhat', name: '8.7' },
    warnings: [/^1 finding has no known severity and counts as Unknown: CVE-2024-26308$/],
    check(scan) {
      const missing = findingOf(scan, 'CVE-2024-26308', 'commons-compress');
      expect(missing).toMatchObject({
        severity: 'Unknown',
        aliases: ['GHSA-4265-ccf5-phj5'],
        fixedVersion: '1.26.0',
        fixAvailable: true,
        package: { type: 'java-archive' },
        // Its own record has no score; its GitHub advisory's is taken.
        cvss: { score: 7.5, version: '3.1', source: 'ghsa' },
      });
      expect(missing.sourceSeverity).toBeUndefined();
      expect(findingOf(scan, 'CVE-2023-44981', 'cups-libs')).toMatchObject({ severity: 'Critical', cvss: { score: 9.1, source: 'nvd' }, fixedVersion: '3.7.2' });
      expect(findingOf(scan, 'CVE-2017-6519', 'avahi-libs')).toMatchObject({ severity: 'Low', fixAvailable: false });
      expect(findingOf(scan, 'CVE-2023-50868', 'bind-libs')).toMatchObject({ severity: 'High', fixAvailable: false });
      expect(findingOf(scan, 'CVE-2023-3341', 'bind-libs')).toMatchObject({ fixedVersion: '32:9.11.36-8.el8_8.2', fixAvailable: true, package: { version: '32:9.11.36-5.el8_7.2' } });
    },
  },
};

describe('Grype fixtures', () => {
  test('every fixture has an expectation', () => {
    expect(readdirSync(GRYPE).filter((name) => name.endsWith('.json')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const text = textOf(name);
    const scan = parse(text, name);

    test('has one finding per match, each severity as the report says', () => {
      expect(scan.findings).toHaveLength((JSON.parse(text) as RawReport).matches.length);
      expect(countsOf(scan)).toEqual(rawCounts(text));
      expect(countsOf(scan)).toEqual({ Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0, ...expected.counts });
    });

    test('is keyed by the platform manifest digest and every repo digest', () => {
      expect(scan.source).toEqual({ scanner: 'grype', version: expected.version });
      expect(scan.scannedAt).toBe(expected.scannedAt);
      expect(scan.manifestDigest).toBe(expected.manifestDigest);
      expect(scan.digests).toEqual(expected.digests);
      expect(scan.imageId).toBe(expected.imageId);
      expect(scan.repoTags).toEqual(expected.repoTags);
      expect(scan.repoDigests).toEqual(expected.repoDigests);
      expect(scan.artifactName).toBe(expected.artifactName);
      expect(scan.os).toEqual(expected.os);
    });

    test('warns about exactly what the user should know', () => {
      expect(scan.warnings).toHaveLength(expected.warnings.length);
      expected.warnings.forEach((pattern, i) => expect(scan.warnings[i]).toMatch(pattern));
    });

    test('carries the real values of its findings', () => {
      expected.check(scan);
      for (const finding of scan.findings) expect(finding.aliases).not.toContain(finding.id);
    });
  });

  test('four fixtures are multi-arch pulls: the repo digest (index) differs from the manifest digest, and both key the scan', () => {
    const multiArch = Object.keys(EXPECTED).filter((name) => {
      const scan = parse(textOf(name), name);
      return scan.digests.length === 2 && scan.manifestDigest === scan.digests[0] && scan.repoDigests[0]?.endsWith(`@${scan.digests[1]}`);
    });
    expect(multiArch.sort()).toEqual(['alpine-java-test-image.json', 'chainguard-ruby-wolfi-image.json', 'keycloak-ubi9-image.json', 'rhel8-image-trimmed-missing-severity.json']);
  });
});

describe('broken Grype reports', () => {
  type Doc = {
    matches: { vulnerability: Record<string, unknown>; artifact?: Record<string, unknown> }[];
    source: { type: string; target: unknown };
  };
  const base = (): Doc => JSON.parse(textOf('chainguard-ruby-wolfi-image.json')) as Doc;
  const fail = (doc: unknown, file = 'grype.json'): { text: string; error: InputError } => {
    const text = JSON.stringify(doc, null, 2);
    return { text, error: inputErrorOf(() => parse(text, file)) };
  };

  test('fields of the wrong type, and missing ones, are each named by path and line', () => {
    const doc = base();
    const [first, second, third] = doc.matches;
    if (first) first.vulnerability.severity = 3;
    if (second) second.vulnerability.fix = { versions: '1.0', state: 'fixed' };
    if (third) delete third.artifact;
    const { text, error } = fail(doc);
    expect(error.problems).toEqual([
      { file: 'grype.json', path: 'matches[0].vulnerability.severity', line: lineOf(text, '"severity": 3'), message: 'expected a string, got a number' },
      { file: 'grype.json', path: 'matches[1].vulnerability.fix.versions', line: lineOf(text, '"versions": "1.0"'), message: 'expected an array, got a string' },
      { file: 'grype.json', path: 'matches[2].artifact', line: expect.any(Number), message: 'is required' },
    ]);
    expect(error.message.split('\n')[0]).toBe(`grype.json: matches[0].vulnerability.severity: expected a string, got a number (line ${lineOf(text, '"severity": 3')})`);
  });

  test('a target that is neither a string nor an object says so', () => {
    const doc = base();
    doc.source.target = 5;
    const { text, error } = fail(doc);
    expect(error.problems).toEqual([{ file: 'grype.json', path: 'source.target', line: lineOf(text, '"target": 5'), message: 'expected a string or an object, got a number' }]);
  });

  test('inside an image target, the field of the wrong type is named', () => {
    const doc = base();
    (doc.source.target as Record<string, unknown>).manifestDigest = 42;
    const { text, error } = fail(doc);
    expect(error.problems).toEqual([{ file: 'grype.json', path: 'source.target.manifestDigest', line: lineOf(text, '"manifestDigest": 42'), message: 'expected a string, got a number' }]);
  });

  test('a manifest digest that is not a digest is refused', () => {
    const doc = base();
    (doc.source.target as Record<string, unknown>).manifestDigest = 'sha256:deadbeef';
    expect(fail(doc).error.problems).toEqual([
      { file: 'grype.json', path: 'source.target.manifestDigest', line: expect.any(Number), message: "'sha256:deadbeef' is not a digest (want sha256: and 64 hex digits)" },
    ]);
  });

  test('a directory scan names no image, and is refused', () => {
    const doc = base();
    doc.source = { type: 'directory', target: '/src' };
    expect(fail(doc).error.problems).toEqual([
      { file: 'grype.json', path: 'source', line: expect.any(Number), message: 'names no digest and no image ID (it is a scan of a directory, not of an image), so no image can be matched to it' },
    ]);
  });

  test('an image archive scan without digests is keyed by image ID, with a warning', () => {
    const doc = base();
    const target = doc.source.target as Record<string, unknown>;
    target.repoDigests = [];
    delete target.manifestDigest;
    const scan = parse(JSON.stringify(doc), 'g.json');
    expect(scan.digests).toEqual([]);
    expect(scan.imageId).toBe('sha256:2f88265cfbc43ca35cd327347a9f59375b9f29ef998b8a54a882e31111266640');
    expect(scan.warnings).toEqual([expect.stringMatching(/keyed by image ID sha256:2f88.* and its tags \(cgr\.dev\/chainguard\/ruby:latest-3\.0\): admission can match it only by tag$/)]);
  });

  test('a JSON array is not a report', () => {
    expect(inputErrorOf(() => parse('[{"matches": []}]', 'g.json')).message).toBe('g.json: expected a Grype JSON report (an object), got an array (line 1)');
  });
});
