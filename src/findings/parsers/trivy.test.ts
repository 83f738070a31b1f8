// Trivy reports from the fixtures (test/fixtures/trivy, real `trivy image -f json` output), and
// broken ones made from them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readJson } from '../../input/source-text.js';
import type { ImageScan } from '../model.js';
import type { InputError } from '../../problems.js';
import type { Severity } from '../severity.js';
import { countsOf, findingOf, inputErrorOf, lineOf } from './testing/report-tests.js';
import { parseTrivyReport } from './trivy.js';

const TRIVY = join(import.meta.dirname, '../../../test/fixtures/trivy');
const textOf = (name: string): string => readFileSync(join(TRIVY, name), 'utf8');

function parse(text: string, file: string): ImageScan {
  const { value, lineOf } = readJson(text, file);
  return parseTrivyReport(value, file, lineOf);
}

interface RawVulnerability {
  VulnerabilityID: string;
  PkgName: string;
  Severity?: string;
}
interface RawReport {
  Results?: { Vulnerabilities?: RawVulnerability[] | null }[] | null;
}

/** Counts by severity straight from the JSON, without the parser's mapping. */
function rawCounts(text: string): Record<Severity, number> {
  const counts: Record<Severity, number> = { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 };
  const words: Record<string, Severity> = { CRITICAL: 'Critical', HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low' };
  for (const result of (JSON.parse(text) as RawReport).Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) counts[words[v.Severity ?? ''] ?? 'Unknown']++;
  }
  return counts;
}

const TAR_WARNING = /names no repo digest .*keyed by image ID sha256:[0-9a-f]{64}.*admission can match it only by tag/;

interface Expectation {
  counts: Partial<Record<Severity, number>>;
  imageId: string;
  repoTags: string[];
  repoDigests: string[];
  digests: string[];
  artifactName: string;
  os: { family: string; name: string };
  warnings: RegExp[];
  check: (scan: ImageScan) => void;
}

const EXPECTED: Record<string, Expectation> = {
  'alpine-310-image.json': {
    counts: { Medium: 4 },
    imageId: 'sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4',
    repoTags: ['ghcr.io/aquasecurity/trivy-test-images:alpine-310'],
    repoDigests: [],
    digests: [],
    artifactName: 'testdata/fixtures/images/alpine-310.tar.gz',
    os: { family: 'alpine', name: '3.10.2' },
    warnings: [TAR_WARNING, /the OS \(alpine 3\.10\.2\) is end of life/],
    check(scan) {
      expect(findingOf(scan, 'CVE-2019-1551', 'libssl1.1')).toMatchObject({
        severity: 'Medium',
        sourceSeverity: 'MEDIUM',
        package: { name: 'libssl1.1', version: '1.1.1c-r0', type: 'apk', purl: 'pkg:apk/alpine/libssl1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2' },
        fixedVersion: '1.1.1d-r2',
        fixAvailable: true,
      });
    },
  },
  'alpine-latest-docs-example.json': {
    counts: { Low: 2 },
    imageId: 'sha256:511a44083d3a23416fadc62847c45d14c25cbace86e7a72b2b350436978a0450',
    repoTags: ['docker.io/library/alpine:latest'],
    repoDigests: ['docker.io/library/alpine@sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a'],
    digests: ['sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a'],
    artifactName: 'alpine:latest',
    os: { family: 'alpine', name: '3.20.3' },
    warnings: [],
    check(scan) {
      expect(scan.scannedAt).toBe('2024-12-26T16:28:15.943Z');
      // Trivy does not say whether a repo digest is the index or the platform manifest.
      expect(scan.manifestDigest).toBeUndefined();
      expect(scan.findings.map((f) => f.package.name)).toEqual(['libcrypto3', 'libssl3']);
      // Only Red Hat scored it: that score is taken, and said to be Red Hat's.
      expect(findingOf(scan, 'CVE-2024-9143', 'libssl3')).toMatchObject({
        severity: 'Low',
        cvss: { score: 3.7, vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L', version: '3.1', source: 'redhat' },
        fixedVersion: '3.3.2-r1',
        fixAvailable: true,
        title: 'openssl: Low-level invalid GF(2^m) parameters lead to OOB memory access',
        url: 'https://avd.aquasec.com/nvd/cve-2024-9143',
      });
    },
  },
  'debian-buster-image.json': {
    counts: { Critical: 1, Low: 1 },
    imageId: 'sha256:c2c03a296d2329a4f3ab72a7bf38b78a8a80108204d326b0139d6af700e152d1',
    repoTags: ['ghcr.io/aquasecurity/trivy-test-images:debian-buster'],
    repoDigests: [],
    digests: [],
    artifactName: 'testdata/fixtures/images/debian-buster.tar.gz',
    os: { family: 'debian', name: '10.1' },
    warnings: [TAR_WARNING],
    check(scan) {
      const bash = findingOf(scan, 'CVE-2019-18276', 'bash');
      expect(bash).toMatchObject({ severity: 'Low', fixAvailable: false, package: { version: '5.0-4', type: 'deb' } });
      expect(bash.fixedVersion).toBeUndefined();
      // NVD's v3 score wins over Red Hat's, and over NVD's own v2.
      expect(bash.cvss).toEqual({ score: 7.8, vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', version: '3.1', source: 'nvd' });
      expect(findingOf(scan, 'CVE-2019-18224', 'libidn2-0')).toMatchObject({
        severity: 'Critical',
        aliases: ['DSA-4613-1'],
        cvss: { score: 9.8, source: 'nvd' },
        fixedVersion: '2.0.5-1+deb10u1',
        fixAvailable: true,
      });
    },
  },
  'fluentd-debian-os-and-gems-image.json': {
    counts: { Critical: 1, High: 1 },
    imageId: 'sha256:5a992077baba51b97f27591a10d54d2f2723dc9c81a3fe419e261023f2554933',
    repoTags: ['ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles'],
    repoDigests: [],
    digests: [],
    artifactName: 'testdata/fixtures/images/fluentd-multiple-lockfiles.tar.gz',
    os: { family: 'debian', name: '10.2' },
    warnings: [TAR_WARNING],
    check(scan) {
      // One finding from the os-pkgs result, one from the lang-pkgs (gemspec) result.
      expect(findingOf(scan, 'CVE-2019-18224', 'libidn2-0').package.type).toBe('deb');
      expect(findingOf(scan, 'CVE-2020-8165', 'activesupport')).toMatchObject({
        severity: 'High',
        aliases: ['GHSA-2p68-f74v-9wc6'],
        package: { version: '6.0.2.1', type: 'gemspec', purl: 'pkg:gem/activesupport@6.0.2.1' },
        fixedVersion: '6.0.3.1, 5.2.4.3',
        fixAvailable: true,
      });
    },
  },
  'spring4shell-jre11-debian-jar-image.json': {
    counts: { Critical: 1 },
    imageId: 'sha256:ed8f0747d483b60657982f0ef1ba74482aed08795cf0eb774b00bc53022a8351',
    repoTags: ['ghcr.io/aquasecurity/trivy-test-images:spring4shell-jre11'],
    repoDigests: [],
    digests: [],
    artifactName: 'testdata/fixtures/images/spring4shell-jre11.tar.gz',
    os: { family: 'debian', name: '11.3' },
    warnings: [TAR_WARNING],
    check(scan) {
      // The os-pkgs result without Vulnerabilities and the custom result with an empty Target add nothing.
      expect(scan.findings).toHaveLength(1);
      expect(findingOf(scan, 'CVE-2022-22965', 'org.springframework:spring-beans')).toMatchObject({
        severity: 'Critical',
        sourceSeverity: 'CRITICAL',
        aliases: ['GHSA-36p3-wjmg-h94x'],
        package: { version: '5.3.15', type: 'jar', purl: 'pkg:maven/org.springframework/spring-beans@5.3.15' },
        fixedVersion: '5.3.18',
        fixAvailable: true,
        cvss: { score: 9.8, version: '3.1', source: 'nvd' },
      });
    },
  },
  'ubuntu-1804-image.json': {
    counts: { Medium: 4, Low: 1 },
    imageId: 'sha256:a2a15febcdf362f6115e801d37b5e60d6faaeedcb9896155e5fe9d754025be12',
    repoTags: ['ghcr.io/aquasecurity/trivy-test-images:ubuntu-1804'],
    repoDigests: [],
    digests: [],
    artifactName: 'testdata/fixtures/images/ubuntu-1804.tar.gz',
    os: { family: 'ubuntu', name: '18.04' },
    warnings: [TAR_WARNING],
    check(scan) {
      const e2fs = scan.findings.filter((f) => f.id === 'CVE-2019-5094');
      expect(e2fs.map((f) => f.package.name)).toEqual(['e2fsprogs', 'libcom-err2', 'libext2fs2', 'libss2']);
      expect(new Set(e2fs.map((f) => f.fixedVersion))).toEqual(new Set(['1.44.1-1ubuntu1.2']));
      expect(findingOf(scan, 'CVE-2019-18276', 'bash')).toMatchObject({ severity: 'Low', fixAvailable: false });
    },
  },
};

describe('Trivy fixtures', () => {
  test('every fixture has an expectation', () => {
    expect(readdirSync(TRIVY).filter((name) => name.endsWith('.json')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(Object.entries(EXPECTED))('%s', (name, expected) => {
    const text = textOf(name);
    const scan = parse(text, name);

    test('has every vulnerability of every result, each severity as the report says', () => {
      const raw = rawCounts(text);
      expect(countsOf(scan)).toEqual(raw);
      expect(countsOf(scan)).toEqual({ Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0, ...expected.counts });
    });

    test('is keyed by the digests, image ID and tags it names', () => {
      expect(scan.source).toEqual({ scanner: 'trivy', ...(name.includes('docs-example') ? {} : { version: 'dev' }) });
      expect(scan.imageId).toBe(expected.imageId);
      expect(scan.repoTags).toEqual(expected.repoTags);
      expect(scan.repoDigests).toEqual(expected.repoDigests);
      expect(scan.digests).toEqual(expected.digests);
      expect(scan.artifactName).toBe(expected.artifactName);
      expect(scan.os).toEqual(expected.os);
    });

    test('warns about exactly what the user should know', () => {
      expect(scan.warnings).toHaveLength(expected.warnings.length);
      expected.warnings.forEach((pattern, i) => expect(scan.warnings[i]).toMatch(pattern));
    });

    test('carries the real values of its findings', () => {
      expected.check(scan);
      for (const finding of scan.findings) {
        expect(finding.fixAvailable).toBe(finding.fixedVersion !== undefined);
        expect(finding.aliases).not.toContain(finding.id);
      }
    });
  });

  test('the integration goldens are dated by CreatedAt, in UTC', () => {
    expect(parse(textOf('debian-buster-image.json'), 'd.json').scannedAt).toBe('2021-08-25T12:20:30.000Z');
  });
});

describe('broken Trivy reports', () => {
  const base = (): Record<string, unknown> & { Results: { Vulnerabilities: Record<string, unknown>[] }[]; Metadata: Record<string, unknown> } =>
    JSON.parse(textOf('alpine-310-image.json')) as never;
  const fail = (doc: unknown, file = 'report.json'): { text: string; error: InputError } => {
    const text = JSON.stringify(doc, null, 2);
    return { text, error: inputErrorOf(() => parse(text, file)) };
  };

  test('SchemaVersion 1 is refused, naming the field and its line', () => {
    const doc = base();
    doc.SchemaVersion = 1;
    const { error } = fail(doc);
    expect(error.problems).toEqual([{ file: 'report.json', path: 'SchemaVersion', line: 2, message: expect.stringContaining('is 1; Portcullis reads Trivy JSON reports with SchemaVersion 2') }]);
    expect(error.message).toMatch(/^report\.json: SchemaVersion: is 1; .* \(line 2\)$/);
  });

  test('a report without SchemaVersion is refused', () => {
    const doc = base();
    delete doc.SchemaVersion;
    expect(fail(doc).error.problems[0]).toMatchObject({ path: 'SchemaVersion', message: expect.stringMatching(/^is missing/) });
  });

  test('every field of the wrong type is named by path and line, all at once', () => {
    const doc = base();
    const vulnerabilities = doc.Results[0]?.Vulnerabilities ?? [];
    (vulnerabilities[3] as Record<string, unknown>).Severity = 7;
    delete (vulnerabilities[2] as Record<string, unknown>).VulnerabilityID;
    (vulnerabilities[1] as Record<string, unknown>).CVSS = { nvd: { V3Score: '5.3' } };
    const { text, error } = fail(doc);
    expect(error.problems).toEqual([
      { file: 'report.json', path: 'Results[0].Vulnerabilities[1].CVSS.nvd.V3Score', line: lineOf(text, '"V3Score": "5.3"'), message: 'expected a number, got a string' },
      // A missing field is placed on the line of the object it is missing from.
      { file: 'report.json', path: 'Results[0].Vulnerabilities[2].VulnerabilityID', line: expect.any(Number), message: 'is required' },
      { file: 'report.json', path: 'Results[0].Vulnerabilities[3].Severity', line: lineOf(text, '"Severity": 7'), message: 'expected a string, got a number' },
    ]);
    expect(error.message).toContain(`report.json: Results[0].Vulnerabilities[3].Severity: expected a string, got a number (line ${lineOf(text, '"Severity": 7')})`);
  });

  test('Results that is not an array is refused', () => {
    const doc = base();
    (doc as Record<string, unknown>).Results = { Target: 'x' };
    expect(fail(doc).error.problems).toEqual([{ file: 'report.json', path: 'Results', line: expect.any(Number), message: 'expected an array, got an object' }]);
  });

  test('a repo digest that is not one is refused, naming its place', () => {
    const doc = base();
    doc.Metadata.RepoDigests = ['ghcr.io/aquasecurity/trivy-test-images@sha256:1234'];
    const { text, error } = fail(doc);
    expect(error.problems).toEqual([
      {
        file: 'report.json',
        path: 'Metadata.RepoDigests[0]',
        line: lineOf(text, '@sha256:1234"'),
        message: expect.stringContaining("'sha256:1234' is not a digest"),
      },
    ]);
  });

  test('a repo tag without a tag is refused', () => {
    const doc = base();
    doc.Metadata.RepoTags = [`alpine@sha256:${'a'.repeat(64)}`];
    expect(fail(doc).error.problems[0]).toMatchObject({ path: 'Metadata.RepoTags[0]', message: expect.stringContaining('names no tag') });
  });

  test('a scan that names no digest and no image ID (a filesystem scan) is refused', () => {
    const { error } = fail({ SchemaVersion: 2, ArtifactName: '.', ArtifactType: 'filesystem', Results: [] });
    expect(error.problems).toEqual([{ file: 'report.json', path: 'Metadata', line: 1, message: expect.stringContaining('names no repo digest and no image ID (ArtifactType filesystem)') }]);
  });

  test('a JSON array is not a report', () => {
    expect(inputErrorOf(() => parse('[]', 'a.json')).message).toBe('a.json: expected a Trivy JSON report (an object), got an array (line 1)');
  });

  test('a missing severity falls back on the vendor severity of its source, and warns when there is none', () => {
    const doc = base();
    const [first, second] = doc.Results[0]?.Vulnerabilities ?? [];
    delete first?.Severity;
    if (first) first.VendorSeverity = { nvd: 3 };
    delete second?.Severity;
    delete second?.VendorSeverity;
    const scan = parse(JSON.stringify(doc), 'r.json');
    expect(scan.findings[0]).toMatchObject({ severity: 'High' });
    expect(scan.findings[0]?.sourceSeverity).toBeUndefined();
    expect(scan.findings[1]).toMatchObject({ severity: 'Unknown' });
    expect(scan.warnings).toContain('1 finding has no known severity and counts as Unknown: CVE-2019-1551');
  });

  test('a status other than fixed means no fix, even with a fixed version', () => {
    const doc = base();
    const [first] = doc.Results[0]?.Vulnerabilities ?? [];
    if (first) first.Status = 'will_not_fix';
    expect(parse(JSON.stringify(doc), 'r.json').findings[0]).toMatchObject({ fixAvailable: false, fixedVersion: '1.1.1d-r0' });
  });
});
