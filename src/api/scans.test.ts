import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApi, type ApiHarness } from './testing/harness.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const text = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
const json = (path: string): Record<string, unknown> => JSON.parse(text(path)) as Record<string, unknown>;

// trivy/alpine-latest-docs-example.json: `trivy image alpine:latest`, with a repo digest.
const ALPINE_DIGEST = 'sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a';
// grype/chainguard-ruby-wolfi-image.json: a multi-arch tag, its platform manifest and its index.
const RUBY_MANIFEST = 'sha256:86abe662dfa3746038eea6b0db91092b0767d78b8b8938a343d614cd1579adc2';
const RUBY_INDEX = 'sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978';
// trivy/alpine-310-image.json: a scan of an image archive, keyed by image id.
const ALPINE_310_ID = 'sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const postScan = (body: unknown, query = '', as: 'Scanner' | 'SecurityAdmin' | 'Admin' = 'Scanner') => api.call(as, 'POST', `/api/v1/scans${query}`, { body });
const getImage = (key: string, query = '') => api.call('SecurityReader', 'GET', `/api/v1/images/${encodeURIComponent(key)}${query}`);
const paths = (response: { json(): { error: { problems: { path: string }[] } } }) => response.json().error.problems.map((problem) => problem.path);

describe('posting scan reports', () => {
  test('a Trivy report is stored (201); the same report again changes nothing (200, created false)', async () => {
    const report = json('trivy/alpine-latest-docs-example.json');
    const first = await postScan(report);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      id: expect.any(String),
      keys: [ALPINE_DIGEST],
      scanner: 'trivy',
      created: true,
      replaced: [],
      counts: { Critical: 0, High: 0, Medium: 0, Low: 2, Unknown: 0 },
      warnings: [],
    });
    expect(first.headers.location).toBe(`/api/v1/images/${encodeURIComponent(ALPINE_DIGEST)}`);

    const again = await postScan(report, '?format=trivy');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ...first.json(), created: false });

    const image = await getImage(ALPINE_DIGEST);
    expect(image.statusCode).toBe(200);
    expect(image.json()).toMatchObject({
      key: ALPINE_DIGEST,
      digest: ALPINE_DIGEST,
      scanStatus: 'Scanned',
      counts: { Low: 2 },
      tags: ['docker.io/library/alpine:latest'],
      repoDigests: [`docker.io/library/alpine@${ALPINE_DIGEST}`],
      scans: [{ id: first.json().id, scanner: 'trivy', scannedAt: '2024-12-26T16:28:15.943Z', receivedAt: api.now().toISOString(), keys: [ALPINE_DIGEST] }],
      findingCount: 2,
      findings: [
        { id: 'CVE-2024-9143', severity: 'Low', package: { name: expect.stringMatching(/^lib(crypto|ssl)3$/) } },
        { id: 'CVE-2024-9143', severity: 'Low' },
      ],
    });
  });

  test('a newer scan of the same image from the same scanner replaces the older; an older one arriving late is kept out', async () => {
    const report = json('trivy/debian-buster-image.json') as { CreatedAt: string; Metadata: Record<string, unknown>; Results: { Vulnerabilities: unknown[] }[] };
    const digest = `sha256:${'b'.repeat(64)}`;
    report.Metadata.RepoDigests = [`registry.example.com/team/buster@${digest}`];
    const older = await postScan(report);
    expect(older.statusCode).toBe(201);
    expect(older.json().counts).toEqual({ Critical: 1, High: 0, Medium: 0, Low: 1, Unknown: 0 });

    const fixed = structuredClone(report);
    fixed.CreatedAt = '2026-02-01T00:00:00Z';
    fixed.Results[0]?.Vulnerabilities.splice(0, 1);
    const newer = await postScan(fixed);
    expect(newer.statusCode).toBe(201);
    expect(newer.json()).toMatchObject({ created: true, replaced: [older.json().id], keys: [digest] });

    const image = (await getImage(digest)).json();
    expect(image.scans).toEqual([expect.objectContaining({ id: newer.json().id, scannedAt: '2026-02-01T00:00:00.000Z' })]);
    expect(image.findingCount).toBe(1);

    const late = structuredClone(report);
    late.CreatedAt = '2025-01-01T00:00:00Z';
    const stale = await postScan(late);
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toMatchObject({ id: newer.json().id, created: false, replaced: [] });
    expect(stale.json().warnings).toEqual([expect.stringMatching(/^not stored: a newer trivy scan/)]);
    expect((await getImage(digest)).json().findingCount).toBe(1);
  });

  test('a multi-arch Grype report is found by its platform manifest digest, by its index digest and by its tag', async () => {
    const response = await postScan(json('grype/chainguard-ruby-wolfi-image.json'));
    expect(response.statusCode).toBe(201);
    // Three matches, of which two are one vulnerability of `uri` (its GHSA and its CVE): counted once.
    expect(response.json()).toMatchObject({ scanner: 'grype', keys: [RUBY_MANIFEST, RUBY_INDEX], counts: { High: 2 } });
    for (const digest of [RUBY_MANIFEST, RUBY_INDEX]) {
      const image = await getImage(digest);
      expect(image.statusCode).toBe(200);
      expect(image.json()).toMatchObject({ key: digest, scanStatus: 'Scanned', counts: { High: 2 }, tags: ['cgr.dev/chainguard/ruby:latest-3.0'], findingCount: 2 });
    }
    const byTag = await api.call('SecurityReader', 'GET', '/api/v1/images?reference=cgr.dev/chainguard/ruby:latest-3.0');
    expect(byTag.json()).toMatchObject({ reference: 'cgr.dev/chainguard/ruby:latest-3.0', key: RUBY_MANIFEST, digest: RUBY_MANIFEST, scanStatus: 'Scanned', findingCount: 2 });
    const byIndex = await api.call('SecurityReader', 'GET', `/api/v1/images?reference=${encodeURIComponent(`cgr.dev/chainguard/ruby@${RUBY_INDEX}`)}`);
    expect(byIndex.json()).toMatchObject({ key: RUBY_INDEX, scanStatus: 'Scanned' });
  });

  test('a scan of an image archive is keyed by image id, with a warning, and found by id: and by tag', async () => {
    const response = await postScan(json('trivy/alpine-310-image.json'), '', 'SecurityAdmin');
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ keys: [`id:${ALPINE_310_ID}`], counts: { Medium: 4 }, warnings: expect.arrayContaining([expect.stringContaining('keyed by image ID')]) });
    const image = await getImage(`id:${ALPINE_310_ID}`);
    expect(image.statusCode).toBe(200);
    expect(image.json()).toMatchObject({ key: `id:${ALPINE_310_ID}`, scanStatus: 'Scanned', findingCount: 4 });
    expect(image.json().digest).toBeUndefined();
    const byTag = await api.call('SecurityReader', 'GET', '/api/v1/images?reference=ghcr.io/aquasecurity/trivy-test-images:alpine-310');
    expect(byTag.json()).toMatchObject({ key: `id:${ALPINE_310_ID}`, scanStatus: 'Scanned' });
  });

  test('every fixture report is accepted', async () => {
    for (const file of ['trivy/ubuntu-1804-image.json', 'trivy/fluentd-debian-os-and-gems-image.json', 'trivy/spring4shell-jre11-debian-jar-image.json', 'grype/keycloak-ubi9-image.json', 'grype/alpine-java-test-image.json', 'grype/debian10-image-defectdojo.json', 'grype/rhel8-image-trimmed-missing-severity.json', 'grype/presenter-snapshot-image-current-schema.json']) {
      const response = await postScan(json(file));
      expect(`${file}: ${response.statusCode}`).toBe(`${file}: 201`);
    }
  });

  test('a native ImageScan is validated and normalized like a parsed report', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const scan = {
      source: { scanner: 'native', version: '1.0' },
      scannedAt: '2026-02-01T10:00:00+01:00',
      manifestDigest: digest,
      repoTags: ['alpine:3.20'],
      findings: [
        { id: 'CVE-2024-1', severity: 'Critical', package: { name: 'openssl', version: '3.0.1' }, fixedVersion: '3.0.2' },
        { id: 'CVE-2024-2', aliases: ['GHSA-aaaa-bbbb-cccc'], severity: 'Low', package: { name: 'zlib', version: '1.2' } },
      ],
    };
    const response = await postScan(scan);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ scanner: 'native', keys: [digest], counts: { Critical: 1, Low: 1 } });
    expect((await postScan(structuredClone(scan), '?format=native')).json().created).toBe(false);

    const image = (await getImage(digest)).json();
    expect(image).toMatchObject({ tags: ['docker.io/library/alpine:3.20'], scannedAt: '2026-02-01T09:00:00.000Z', scans: [{ scanner: 'native', version: '1.0', artifactName: 'docker.io/library/alpine:3.20' }] });
    expect(image.findings[0]).toEqual({ id: 'CVE-2024-1', aliases: [], severity: 'Critical', package: { name: 'openssl', version: '3.0.1' }, fixedVersion: '3.0.2', fixAvailable: true });
    expect(image.findings[1]).toMatchObject({ id: 'CVE-2024-2', fixAvailable: false });

    const found = await api.call('SecurityReader', 'GET', '/api/v1/images?reference=alpine:3.20');
    expect(found.json()).toMatchObject({ reference: 'docker.io/library/alpine:3.20', key: digest, scanStatus: 'Scanned' });
  });

  test('findings are answered worst first, a page at a time', async () => {
    const whole = (await getImage(`id:${ALPINE_310_ID}`)).json();
    expect(whole.findings).toHaveLength(4);
    const first = (await getImage(`id:${ALPINE_310_ID}`, '?limit=3')).json();
    expect(first).toMatchObject({ findingCount: 4, findings: whole.findings.slice(0, 3), nextOffset: 3 });
    const rest = (await getImage(`id:${ALPINE_310_ID}`, '?limit=3&offset=3')).json();
    expect(rest).toMatchObject({ findingCount: 4, findings: whole.findings.slice(3) });
    expect(rest.nextOffset).toBeUndefined();
    expect(paths(await getImage(`id:${ALPINE_310_ID}`, '?limit=0&offset=-1'))).toEqual(['query.limit', 'query.offset']);
  });
});

describe('bad scan reports', () => {
  test('a truncated report: 400 saying where the JSON breaks', async () => {
    const truncated = text('trivy/alpine-latest-docs-example.json').slice(0, 3000);
    const response = await api.call('Scanner', 'POST', '/api/v1/scans', { payload: truncated, headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request', problems: [{ path: 'body', message: expect.stringMatching(/^not valid JSON: .*line \d+/) }] });
  });

  test('fields of the wrong type: 400 with every problem at its path, nothing stored', async () => {
    const report = json('trivy/alpine-latest-docs-example.json') as { Metadata: Record<string, unknown>; Results: { Vulnerabilities: Record<string, unknown>[] }[] };
    const vulnerabilities = report.Results[0]?.Vulnerabilities ?? [];
    (vulnerabilities[0] as Record<string, unknown>).VulnerabilityID = 42;
    (vulnerabilities[1] as Record<string, unknown>).PkgName = null;
    report.Metadata.RepoDigests = [`registry.example.com/other@sha256:${'d'.repeat(64)}`];
    const response = await postScan(report);
    expect(response.statusCode).toBe(400);
    expect(paths(response)).toEqual(['body.Results[0].Vulnerabilities[0].VulnerabilityID', 'body.Results[0].Vulnerabilities[1].PkgName']);
    expect(response.json().error.problems[0].message).toBe('expected a string, got a number');
    expect((await getImage(`sha256:${'d'.repeat(64)}`)).statusCode).toBe(404);
  });

  test('a Trivy report of another schema version: 400 at SchemaVersion', async () => {
    const response = await postScan({ ...json('trivy/alpine-latest-docs-example.json'), SchemaVersion: 1 });
    expect(paths(response)).toEqual(['body.SchemaVersion']);
  });

  test('a report that is none of the formats, or not the format named: 400', async () => {
    expect(paths(await postScan({ hello: 'world' }))).toEqual(['body']);
    expect(paths(await postScan([1, 2]))).toEqual(['body']);
    expect(paths(await postScan(json('trivy/alpine-latest-docs-example.json'), '?format=grype'))).toEqual(['query.format']);
    expect(paths(await postScan(json('trivy/alpine-latest-docs-example.json'), '?format=cyclonedx'))).toEqual(['query.format']);
    expect(paths(await api.call('Scanner', 'POST', '/api/v1/scans'))).toEqual(['body']);
  });

  test('a native scan with problems: every one at its path', async () => {
    const response = await postScan({
      source: { scanner: 'clair' },
      digests: ['sha256:short'],
      repoTags: ['Not A Reference'],
      findings: [{ id: 'CVE-1', severity: 'Severe', package: { name: 'x', version: '1' }, extra: true }],
    });
    expect(response.statusCode).toBe(400);
    expect(paths(response).sort()).toEqual(['body.digests[0]', 'body.findings[0].extra', 'body.findings[0].severity', 'body.source.scanner']);
    const noKey = await postScan({ repoTags: ['Not A Reference'], findings: [] }, '?format=native');
    expect(paths(noKey).sort()).toEqual(['body.digests', 'body.repoTags[0]']);
  });

  test('a body over the scan limit: 413', async () => {
    const small = await startApi({ limits: { bodyBytes: 1024, scanBodyBytes: 16 * 1024 } });
    try {
      const big = await small.call('Scanner', 'POST', '/api/v1/scans', { body: json('grype/debian10-image-defectdojo.json') });
      expect(big.statusCode).toBe(413);
      expect(big.json().error.code).toBe('payload_too_large');
      // The scan limit, not the ordinary one: a report between the two is taken.
      const fits = await small.call('Scanner', 'POST', '/api/v1/scans', { body: json('trivy/alpine-latest-docs-example.json') });
      expect(fits.statusCode).toBe(201);
    } finally {
      await small.close();
    }
  });
});

describe('images', () => {
  test('an unknown digest is 404; something that is no digest is 400', async () => {
    expect((await getImage(`sha256:${'e'.repeat(64)}`)).statusCode).toBe(404);
    const bad = await getImage('latest');
    expect(bad.statusCode).toBe(400);
    expect(paths(bad)).toEqual(['params.digest']);
  });

  test('a reference no scan covers is NotScanned; an invalid one is 400', async () => {
    const response = await api.call('SecurityReader', 'GET', '/api/v1/images?reference=nginx:1.27');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ reference: 'docker.io/library/nginx:1.27', scanStatus: 'NotScanned', counts: { Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0 }, tags: [], repoDigests: [], scans: [], findingCount: 0, findings: [] });
    expect(paths(await api.call('SecurityReader', 'GET', '/api/v1/images?reference=NGINX:::'))).toEqual(['query.reference']);
    expect(paths(await api.call('SecurityReader', 'GET', '/api/v1/images'))).toEqual(['query.reference']);
  });
});
