// The catalog filled with the real reports of the fixtures, looked up the way admission does.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseImageReference } from '../images/reference.js';
import { FindingsCatalog, mergeFindings } from './catalog.js';
import type { Finding, ImageScan } from './model.js';
import { parseScanReport } from './parsers/scan-report.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const scanOf = (format: 'trivy' | 'grype', name: string): ImageScan => parseScanReport(readFileSync(join(FIXTURES, format, name), 'utf8'), name);
const allScans = (): ImageScan[] =>
  (['trivy', 'grype'] as const).flatMap((format) =>
    readdirSync(join(FIXTURES, format))
      .filter((name) => name.endsWith('.json'))
      .map((name) => scanOf(format, name)),
  );

function catalogOf(...scans: ImageScan[]): FindingsCatalog {
  const catalog = new FindingsCatalog();
  for (const scan of scans) catalog.add(scan);
  return catalog;
}

const scanWith = (findings: Finding[]): ImageScan => ({ ...scanOf('trivy', 'alpine-latest-docs-example.json'), findings });

const lookup = (catalog: FindingsCatalog, reference: string) => catalog.lookup(parseImageReference(reference));

describe('FindingsCatalog with the fixtures', () => {
  test('a Trivy report with a repo digest is found by its tag, in the short form a pod spec uses, and by its digest', () => {
    const catalog = catalogOf(scanOf('trivy', 'alpine-latest-docs-example.json'));
    const byTag = lookup(catalog, 'alpine');
    expect(byTag?.digest).toBe('sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a');
    expect(byTag?.evidence.counts).toEqual({ Critical: 0, High: 0, Medium: 0, Low: 2, Unknown: 0 });
    expect(byTag?.evidence.withId('cve-2024-9143').map((f) => f.package.name)).toEqual(['libcrypto3', 'libssl3']);
    expect(lookup(catalog, 'docker.io/library/alpine@sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a')).toBe(byTag);
    expect(lookup(catalog, 'alpine:3.20')).toBeUndefined();
  });

  test('a Trivy report of an image archive is found only by the tags it names', () => {
    const scan = scanOf('trivy', 'fluentd-debian-os-and-gems-image.json');
    const catalog = catalogOf(scan);
    const entry = lookup(catalog, 'ghcr.io/aquasecurity/trivy-test-images:fluentd-multiple-lockfiles');
    // No digest to decide by: the key is the image ID.
    expect(entry?.digest).toBeUndefined();
    expect(entry?.scans).toEqual([scan]);
    expect(entry?.evidence.counts).toEqual({ Critical: 1, High: 1, Medium: 0, Low: 0, Unknown: 0 });
    // The GitHub advisory of the gem finding is an alias: a rule naming it finds it.
    expect(entry?.evidence.hasId('GHSA-2p68-f74v-9wc6')).toBe(true);
    expect(entry?.evidence.withId('CVE-2019-18224')[0]?.fixedVersion).toBe('2.0.5-1+deb10u1');
    // The image ID is not a manifest digest: asking by it finds nothing.
    expect(lookup(catalog, `ghcr.io/aquasecurity/trivy-test-images@${scan.imageId ?? ''}`)).toBeUndefined();
  });

  test('a multi-arch Grype report is found by the platform manifest digest and by the index digest, and its tag decides by the platform digest', () => {
    const scan = scanOf('grype', 'chainguard-ruby-wolfi-image.json');
    const catalog = catalogOf(scan);
    const platform = lookup(catalog, 'cgr.dev/chainguard/ruby@sha256:86abe662dfa3746038eea6b0db91092b0767d78b8b8938a343d614cd1579adc2');
    const index = lookup(catalog, 'cgr.dev/chainguard/ruby@sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978');
    const tag = lookup(catalog, 'cgr.dev/chainguard/ruby:latest-3.0');
    for (const entry of [platform, index, tag]) {
      expect(entry?.scans).toEqual([scan]);
      // Grype reports the uri gem's CVE-2023-28755 twice, as the CVE and as its GHSA: it counts once.
      expect(entry?.evidence.counts).toEqual({ Critical: 0, High: 2, Medium: 0, Low: 0, Unknown: 0 });
      expect(entry?.evidence.hasId('CVE-2023-28755')).toBe(true);
      expect(entry?.evidence.hasId('GHSA-hv5j-3h9f-99c2')).toBe(true);
    }
    expect(tag?.digest).toBe('sha256:86abe662dfa3746038eea6b0db91092b0767d78b8b8938a343d614cd1579adc2');
    expect(index?.digest).toBe('sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978');
  });

  test('keycloak, scanned by tag and index digest, is found by both its digests but names no tag to find it by', () => {
    const catalog = catalogOf(scanOf('grype', 'keycloak-ubi9-image.json'));
    for (const digest of ['sha256:347a0d748d05a050dc64b92de2246d2240db6eb38afbc17c3c08d0acb0db1b50', 'sha256:d1630d3eb8285a978301bcefc5b223e564ae300750af2fc9ea3f413c5376a47e']) {
      expect(lookup(catalog, `keycloak/keycloak:21.0.2@${digest}`)?.evidence.counts.Low).toBe(6);
    }
    expect(lookup(catalog, 'keycloak/keycloak:21.0.2')).toBeUndefined();
  });

  test('the finding without a severity counts as Unknown in the evidence', () => {
    const entry = lookup(catalogOf(scanOf('grype', 'rhel8-image-trimmed-missing-severity.json')), 'quay.io/cloudservices/xjoin-kafka-connect-strimzi:latest');
    expect(entry?.evidence.counts).toEqual({ Critical: 1, High: 3, Medium: 0, Low: 1, Unknown: 1 });
    expect(entry?.evidence.withId('GHSA-4265-ccf5-phj5').map((f) => [f.id, f.severity])).toEqual([['CVE-2024-26308', 'Unknown']]);
  });

  test('a match Grype lists twice is one finding in the evidence', () => {
    const entry = lookup(catalogOf(scanOf('grype', 'debian10-image-defectdojo.json')), 'vulnerable-image');
    expect(entry?.scans[0]?.findings).toHaveLength(6);
    expect(entry?.evidence.findings).toHaveLength(5);
    expect(entry?.evidence.withId('CVE-2021-44420')).toHaveLength(1);
  });

  test('with every fixture in one catalog, each tag and each digest a report names finds that report', () => {
    const scans = allScans();
    const catalog = catalogOf(...scans);
    for (const scan of scans) {
      for (const reference of [...scan.repoTags, ...scan.repoDigests, ...scan.digests.map((d) => `example.com/any@${d}`)]) {
        const entry = lookup(catalog, reference);
        expect(entry?.scans, `${scan.artifactName} by ${reference}`).toContain(scan);
      }
    }
  });
});

describe('mergeFindings', () => {
  const finding = (id: string, aliases: string[], severity: Finding['severity'], fixedVersion?: string): Finding => ({
    id,
    aliases,
    severity,
    package: { name: 'uri', version: '0.10.1' },
    fixAvailable: fixedVersion !== undefined,
    ...(fixedVersion !== undefined && { fixedVersion }),
  });

  test('one vulnerability under a GHSA and its CVE is one finding, named by the CVE, with the worse severity', () => {
    const ghsa = finding('GHSA-hv5j-3h9f-99c2', ['CVE-2023-28755'], 'High', '0.10.2');
    const cve = finding('CVE-2023-28755', [], 'Medium');
    const [merged, ...rest] = mergeFindings([scanWith([ghsa]), scanWith([cve])]);
    expect(rest).toEqual([]);
    expect(merged).toMatchObject({ id: 'CVE-2023-28755', aliases: ['GHSA-hv5j-3h9f-99c2'], severity: 'High', fixAvailable: true, fixedVersion: '0.10.2' });
  });

  test('the same id in another package stays a finding of its own', () => {
    const a = finding('CVE-2023-28755', [], 'High');
    const b = { ...a, package: { name: 'ruby-3.0', version: '3.0.4-r1' } };
    expect(mergeFindings([scanWith([a, b])])).toHaveLength(2);
  });
});
