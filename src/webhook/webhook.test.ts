// The admission webhook assembled (startWebhook) over HTTPS, on a real SQLite store (synced
// in-process, events into the store, as `portcullis serve` runs it) and a real registry
// (Debian's docker-registry) holding images pushed here, whose digests carry the scans: a
// decision goes from the tag, through the registry, to the digest, to its findings.
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BREAK_GLASS_ANNOTATION } from '../admission/plan.js';
import { aDeployment, aPod, aRequest, fixtureFiles, fixtureReview } from '../admission/testing/requests.js';
import { buildApi } from '../api/app.js';
import { createToken } from '../api/auth.js';
import type { AdmissionEvent } from '../events/admission-event.js';
import { readDockerConfig } from '../registry/docker-config.js';
import { OUTBOX_FILE } from '../sensor/outbox.js';
import { StoreSyncSource } from '../sensor/sync.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import {
  basicAuthorization,
  pushImage,
  startCountingProxy,
  startRegistry,
  startSilentServer,
  unusedPort,
  type CountingProxy,
  type PushedImage,
  type SilentServer,
  type TestRegistry,
} from '../../test/support/registry.js';
import { REVIEW_BODY_LIMIT } from './server.js';
import { startFlakyRegistry, type FlakyRegistry } from './testing/flaky-registry.js';
import { admissionResponse, https, reviewOf } from './testing/https.js';
import { fakeDigest, findingsOf, putScan, ruleOf, scanOf, startTestWebhook, until, type TestWebhook } from './testing/webhook-harness.js';
import { ensureSelfSigned } from '../tls/serving-tls.js';

const REGISTRY = { resolve: true, insecure: ['127.0.0.1'] } as const;

let store: Store;
let registry: TestRegistry;
let api: FastifyInstance;
let adminToken: string;
/** Resolves tags at the registry; failure mode closed, deadline 2 s. */
let resolving: TestWebhook;
/** Matches tags only through the tags scans report (--no-resolve-tags). */
let byTags: TestWebhook;
const webhooks: TestWebhook[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** team/app:1.0: 5 Critical and 1 High (the scan names its digest only). */
let app: PushedImage;
/** team/multi:2.0, linux/amd64 + linux/arm64: the scan is of the amd64 manifest. */
let multi: PushedImage;
/** team/indexed:1.0, two platforms: the scan names the index digest only. */
let indexed: PushedImage;
/** team/clean:1.0: scanned, nothing found. */
let clean: PushedImage;

const ref = (repository: string, host = registry.host) => `${host}/${repository}`;

async function webhook(options: Parameters<typeof startTestWebhook>[1] = {}): Promise<TestWebhook> {
  const started = await startTestWebhook(store, options);
  webhooks.push(started);
  return started;
}

let uids = 0;
const uid = () => `uid-${++uids}-${Math.random().toString(36).slice(2, 8)}`;

/** A review of a Deployment `shop/web` running `images`. */
function deploymentReview(images: readonly string[], overrides: Parameters<typeof aDeployment>[1] = {}, request: Record<string, unknown> = {}): Record<string, unknown> {
  return reviewOf(aRequest(aDeployment(images, overrides), { uid: uid(), ...request }));
}

beforeAll(async () => {
  store = await openStore('sqlite::memory:');
  await store.migrate();
  registry = await startRegistry();
  let burst: PushedImage;
  [app, multi, indexed, clean, burst] = await Promise.all([
    pushImage(registry, 'team/app', '1.0'),
    pushImage(registry, 'team/multi', '2.0', { platforms: ['linux/amd64', 'linux/arm64'] }),
    pushImage(registry, 'team/indexed', '1.0', { platforms: ['linux/amd64', 'linux/arm64'] }),
    pushImage(registry, 'team/clean', '1.0'),
    pushImage(registry, 'team/burst', '1.0'),
  ]);
  await pushImage(registry, 'team/unscanned', '1.0');
  await pushImage(registry, 'team/archive', '1.0');
  const at = new Date().toISOString();
  await store.rules.create(ruleOf('deny-critical', { description: 'No Critical vulnerabilities in production.' }), 'test', at);
  await store.rules.create(ruleOf('audit-high', { action: 'Audit', conditions: { severities: ['High'] } }), 'test', at);
  await putScan(store, scanOf([app.digest], [...findingsOf('Critical', 5), ...findingsOf('High', 1, 'CVE-2023-9')]));
  await putScan(store, scanOf([multi.manifests[0]?.digest ?? ''], findingsOf('Critical', 2)));
  await putScan(store, scanOf([indexed.digest], findingsOf('Critical', 1)));
  await putScan(store, scanOf([clean.digest], []));
  // The fixtures' images (Docker Hub, elastic.co) are never resolved here: scans name their tags.
  await putScan(store, scanOf([fakeDigest('1')], findingsOf('Critical', 2), ['docker.io/library/nginx:latest']));
  await putScan(store, scanOf([fakeDigest('2')], [], ['docker.io/library/busybox:1.28']));
  await putScan(store, scanOf([fakeDigest('3')], findingsOf('High', 1), ['docker.io/library/alpine:latest']));
  await putScan(store, scanOf([fakeDigest('4')], findingsOf('Critical', 2), ['docker.elastic.co/elasticsearch/elasticsearch:7.14.0']));
  await putScan(store, scanOf([fakeDigest('5')], findingsOf('Critical', 1), ['ghcr.io/acme/proxy:2.1']));
  await putScan(store, scanOf([burst.digest], []));
  // A scan of the image's archive: no digest, keyed by its image id and the tag it names.
  await putScan(store, { ...scanOf([], findingsOf('Critical', 3), [`${registry.host}/team/archive:1.0`]), imageId: fakeDigest('ac') });

  api = buildApi({ store, now: () => new Date(), logger: false });
  adminToken = (await createToken(store, { name: 'admin', role: 'Admin', createdBy: 'test' }, new Date())).secret;
  resolving = await webhook({ registry: REGISTRY });
  byTags = await webhook();
});

afterAll(async () => {
  for (const started of webhooks.splice(0)) await started.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await api?.close();
  await registry?.stop();
  await store?.close();
});

const annotation = (response: { auditAnnotations?: Readonly<Record<string, string>> }, key: string) => response.auditAnnotations?.[key];

describe('the fixtures (test/fixtures/admission), deny-critical and audit-high, tags matched through scans', () => {
  const expected: Record<string, { allowed: boolean; decision: string; where: string }> = {
    // busybox:1.28 was scanned and nothing was found: allowed, nothing recorded.
    'cronjob-create.json': { allowed: true, decision: 'Allowed', where: 'CronJob default/hello' },
    'deployment-create-dryrun-kube-review.json': { allowed: false, decision: 'Denied', where: 'Deployment default/nginx' },
    'deployment-create-kubectl-apply.json': { allowed: false, decision: 'Denied', where: 'Deployment nginx/nginx' },
    // nginx:latest is in the old object too: its Critical findings are audited, not denied.
    'deployment-update-with-oldobject.request-only.json': { allowed: true, decision: 'Audited', where: 'Deployment default/nginx' },
    // Made by the StatefulSet controller for an admitted workload: audited, never denied.
    'pod-create-by-statefulset-controller.json': { allowed: true, decision: 'Audited', where: 'Pod default/elasticsearch-master-0' },
    // nginx (a container and the ephemeral container) is denied; alpine's High is audited.
    'pod-create-with-ephemeral-container.request-only.json': { allowed: false, decision: 'Denied', where: 'Pod default/nginx' },
  };

  test('every fixture has an expectation', () => {
    expect(fixtureFiles()).toEqual(Object.keys(expected).sort());
  });

  test.each(Object.entries(expected))('%s: %o', async (file, { allowed, decision, where }) => {
    const review = fixtureReview(file);
    const request = review.request as { uid: string; dryRun?: boolean };
    const response = await byTags.review(review);
    expect(response.uid).toBe(request.uid);
    expect(response.allowed).toBe(allowed);
    expect(annotation(response, 'decision')).toBe(decision);
    const id = annotation(response, 'event-id');
    if (decision === 'Allowed') {
      expect(id).toBeUndefined();
      expect(response.warnings).toBeUndefined();
      return;
    }
    const event = await byTags.event(id);
    expect(event).toMatchObject({ id, decision, requestUid: request.uid, dryRun: request.dryRun ?? false, source: 'webhook' });
    expect(`${event?.kind} ${event?.namespace}/${event?.name}`).toBe(where);
    if (!allowed) {
      expect(response.status).toMatchObject({ code: 403, reason: 'Forbidden' });
      expect(response.status?.message).toContain(`Portcullis denied ${where}`);
      expect(response.status?.message).toContain(`Event ${id}`);
    }
  });

  test('the dry run is denied like a real request, and flagged as a dry run everywhere', async () => {
    const response = await byTags.review(fixtureReview('deployment-create-dryrun-kube-review.json'));
    expect(response.status?.message).toMatch(/^Portcullis denied Deployment default\/nginx \(dry run\): 1 image violates a Deny rule\./);
    expect(response.auditAnnotations).toMatchObject({ decision: 'Denied', 'dry-run': 'true' });
    expect(await byTags.event(annotation(response, 'event-id'))).toMatchObject({ dryRun: true, user: 'kube-review', decision: 'Denied' });
  });

  test('the StatefulSet controller’s pod: a Deny rule matches its image, recorded as not enforced', async () => {
    const response = await byTags.review(fixtureReview('pod-create-by-statefulset-controller.json'));
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([
      `Portcullis audited Pod default/elasticsearch-master-0, event ${annotation(response, 'event-id')}`,
      'docker.elastic.co/…/elasticsearch:7.14.0 violates deny-critical: 2 Critical (not denied: made by a controller)',
    ]);
    const event = await byTags.event(annotation(response, 'event-id'));
    expect(event?.images).toEqual([expect.objectContaining({ reference: 'docker.elastic.co/elasticsearch/elasticsearch:7.14.0', digest: fakeDigest('4'), scanStatus: 'Scanned' })]);
    expect(event?.images[0]?.violations.map((v) => [v.rule, v.action, v.enforced])).toEqual([['deny-critical', 'Deny', false]]);
  });

  test('the same pod by a user who wrote the owner reference in: denied', async () => {
    const review = fixtureReview('pod-create-by-statefulset-controller.json');
    const request = { ...(review.request as Record<string, unknown>), uid: uid(), userInfo: { username: 'mallory', groups: ['system:authenticated'] } };
    const response = await byTags.review(reviewOf(request));
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('docker.elastic.co/elasticsearch/elasticsearch:7.14.0 (sha256:444444444444): 2 Critical; rule deny-critical');
  });

  test('the UPDATE adding a violating image: denied for the new image only', async () => {
    const review = fixtureReview('deployment-update-with-oldobject.request-only.json');
    const request = structuredClone(review.request) as { uid: string; object: { spec: { template: { spec: { containers: unknown[] } } } } };
    request.object.spec.template.spec.containers.push({ name: 'proxy', image: 'ghcr.io/acme/proxy:2.1' });
    const response = await byTags.review(reviewOf(request));
    expect(response).toMatchObject({ uid: request.uid, allowed: false });
    expect(response.status?.message).toContain('ghcr.io/acme/proxy:2.1 (sha256:555555555555): 1 Critical; rule deny-critical');
    expect(response.status?.message).not.toContain('nginx:latest');
    expect(response.warnings).toEqual(['nginx:latest violates deny-critical: 2 Critical (not denied: image unchanged)']);
    const event = await byTags.event(annotation(response, 'event-id'));
    expect(event?.operation).toBe('UPDATE');
    expect(event?.images.map((image) => [image.reference, image.violations.map((v) => v.enforced)])).toEqual([
      ['nginx:latest', [false]],
      ['ghcr.io/acme/proxy:2.1', [true]],
    ]);
  });
});

describe('tags resolved at the registry, decided by digest', () => {
  test('a Deny: 403 naming the workload, the image and its digest, counts, top findings with fixes, the rule and the event', async () => {
    const image = ref('team/app:1.0');
    const response = await resolving.review(deploymentReview([image]));
    const id = annotation(response, 'event-id');
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.message).toBe(
      [
        'Portcullis denied Deployment shop/web: 1 image violates a Deny rule.',
        `${image} (${app.digest.slice(0, 19)}): 5 Critical; rule deny-critical`,
        '  - CVE-2024-1000 (Critical) lib0 1.0.0: fixed in 1.0.1',
        '  - CVE-2024-1001 (Critical) lib1 1.0.0: fixed in 1.0.2',
        '  - CVE-2024-1002 (Critical) lib2 1.0.0: fixed in 1.0.3',
        '  - … 2 more',
        `Event ${id}: see Admission Monitoring; fix the images or ask for an exemption.`,
      ].join('\n'),
    );
    expect(response.auditAnnotations).toEqual({ decision: 'Denied', 'event-id': id, rules: 'audit-high,deny-critical' });
    const event = await resolving.event(id);
    expect(event).toMatchObject({ decision: 'Denied', kind: 'Deployment', namespace: 'shop', name: 'web', workload: 'web', operation: 'CREATE', user: 'alice@example.com' });
    expect(event?.images).toEqual([
      expect.objectContaining({ reference: image, digest: app.digest, scanStatus: 'Scanned', counts: expect.objectContaining({ Critical: 5, High: 1 }) }),
    ]);
    expect(event?.rules.map((rule) => [rule.name, rule.action])).toEqual([
      ['audit-high', 'Audit'],
      ['deny-critical', 'Deny'],
    ]);
    // The policy description: the rule in plain words.
    expect(event?.rules.find((rule) => rule.name === 'deny-critical')?.description).toBe('Deny images with Critical vulnerabilities on every cluster; images without a scan are ignored.');
  });

  test('several violating images: each named', async () => {
    const response = await resolving.review(deploymentReview([ref('team/app:1.0'), ref('team/multi:2.0')]));
    expect(response.status?.message).toContain('2 images violate a Deny rule');
    expect(response.status?.message).toContain(`${ref('team/app:1.0')} (`);
    expect(response.status?.message).toContain(`${ref('team/multi:2.0')} (`);
  });

  test('a multi-arch index: the platform manifest’s findings count, and so do the index’s', async () => {
    const platform = multi.manifests[0]?.digest;
    const byPlatform = await resolving.review(deploymentReview([ref('team/multi:2.0')]));
    expect(byPlatform.status?.message).toContain(`${ref('team/multi:2.0')} (${platform?.slice(0, 19)}): 2 Critical`);
    expect((await resolving.event(annotation(byPlatform, 'event-id')))?.images[0]?.digest).toBe(platform);

    const byIndex = await resolving.review(deploymentReview([ref('team/indexed:1.0')]));
    expect(byIndex.allowed).toBe(false);
    expect(byIndex.status?.message).toContain('1 Critical; rule deny-critical');
    expect((await resolving.event(annotation(byIndex, 'event-id')))?.images[0]?.scanStatus).toBe('Scanned');
  });

  test('a reference pinned to a multi-arch index (as /mutate pins it, or as written): decided by its platform manifest’s findings', async () => {
    const platform = multi.manifests[0]?.digest ?? '';
    const pinned = `${ref('team/multi:2.0')}@${multi.digest}`;
    // A webhook that never resolved the tag asks the registry about the digest; one that did knows it already.
    for (const decider of [await webhook({ registry: REGISTRY }), resolving]) {
      const response = await decider.review(deploymentReview([pinned]));
      expect(response.allowed).toBe(false);
      expect(response.status?.message).toContain(`${pinned} (${platform.slice(0, 19)}): 2 Critical; rule deny-critical`);
      expect((await decider.event(annotation(response, 'event-id')))?.images[0]).toMatchObject({ reference: pinned, digest: platform, scanStatus: 'Scanned' });
    }
  });

  test('a report of an image archive names no digest: the tag finds it, decided for the digest the tag resolves to', async () => {
    const image = ref('team/archive:1.0');
    const response = await resolving.review(deploymentReview([image]));
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain('3 Critical; rule deny-critical');
    const event = await resolving.event(annotation(response, 'event-id'));
    expect(event?.images[0]?.scanStatus).toBe('Scanned');
    expect(event?.images[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('a clean image and an image never scanned: allowed, no warning, nothing recorded', async () => {
    for (const image of [ref('team/clean:1.0'), ref('team/unscanned:1.0'), `${ref('team/app')}@${clean.digest}`]) {
      const response = await resolving.review(deploymentReview([image]));
      expect(response).toMatchObject({ allowed: true, auditAnnotations: { decision: 'Allowed' } });
      expect(response.warnings).toBeUndefined();
      expect(annotation(response, 'event-id')).toBeUndefined();
    }
  });

  test('an UPDATE: the image already there is audited, the new one denied; a tag resolving to the digest pinned before is unchanged', async () => {
    const old = aDeployment([ref('team/app:1.0')]);
    const response = await resolving.review(deploymentReview([ref('team/app:1.0'), ref('team/multi:2.0')], {}, { operation: 'UPDATE', oldObject: old }));
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toContain(ref('team/multi:2.0'));
    expect(response.status?.message).not.toContain('team/app');
    expect(response.warnings).toEqual([`${ref('team/app:1.0')} violates audit-high, deny-critical: 5 Critical, 1 High (not denied: image unchanged)`]);

    const changedTag = await resolving.review(deploymentReview([ref('team/app:1.0')], {}, { operation: 'UPDATE', oldObject: aDeployment([ref('team/clean:1.0')]) }));
    expect(changedTag.allowed).toBe(false);

    // The mutating step pinned it; the manifest applied again names the tag: the same digest.
    const pinned = aDeployment([`${ref('team/app:1.0')}@${app.digest}`]);
    const reapplied = await resolving.review(deploymentReview([ref('team/app:1.0')], {}, { operation: 'UPDATE', oldObject: pinned }));
    expect(reapplied).toMatchObject({ allowed: true, auditAnnotations: { decision: 'Audited' } });
    expect(reapplied.warnings?.[1]).toContain('(not denied: image unchanged)');
  });

  test('pods/ephemeralcontainers (kubectl debug): only the ephemeral container’s image is enforced', async () => {
    const running = aPod([ref('team/app:1.0')]);
    const debug = (image: string) =>
      reviewOf(
        aRequest(aPod([ref('team/app:1.0')], { ephemeral: [image] }), {
          uid: uid(),
          operation: 'UPDATE',
          subResource: 'ephemeralcontainers',
          resource: { group: '', version: 'v1', resource: 'pods' },
          oldObject: running,
        }),
      );
    const denied = await resolving.review(debug(ref('team/multi:2.0')));
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain(`Portcullis denied Pod shop/web-0: 1 image violates a Deny rule.\n${ref('team/multi:2.0')}`);
    expect(denied.status?.message).not.toContain('team/app');

    const allowed = await resolving.review(debug(ref('team/clean:1.0')));
    expect(allowed).toMatchObject({ allowed: true, auditAnnotations: { decision: 'Audited' } });
    // Other subresources cannot change images: allowed untouched.
    const status = await resolving.review(reviewOf(aRequest(running, { uid: uid(), operation: 'UPDATE', subResource: 'status' })));
    expect(status).toMatchObject({ allowed: true });
    expect(status.auditAnnotations).toBeUndefined();
  });

  const podSpec = (images: { init: string; main: string }) => ({
    initContainers: [{ name: 'init', image: images.init }],
    containers: [{ name: 'main', image: images.main }],
  });
  const template = (images: { init: string; main: string }) => ({ metadata: { labels: { app: 'x' } }, spec: podSpec(images) });
  const kinds: [string, string, (images: { init: string; main: string }) => Record<string, unknown>][] = [
    ['v1', 'Pod', (images) => podSpec(images)],
    ['apps/v1', 'Deployment', (images) => ({ selector: { matchLabels: { app: 'x' } }, template: template(images) })],
    ['apps/v1', 'ReplicaSet', (images) => ({ selector: { matchLabels: { app: 'x' } }, template: template(images) })],
    ['apps/v1', 'StatefulSet', (images) => ({ serviceName: 'x', selector: { matchLabels: { app: 'x' } }, template: template(images) })],
    ['apps/v1', 'DaemonSet', (images) => ({ selector: { matchLabels: { app: 'x' } }, template: template(images) })],
    ['batch/v1', 'Job', (images) => ({ template: template(images) })],
    ['batch/v1', 'CronJob', (images) => ({ schedule: '* * * * *', jobTemplate: { spec: { template: template(images) } } })],
    ['v1', 'ReplicationController', (images) => ({ selector: { app: 'x' }, template: template(images) })],
  ];

  test.each(kinds)('%s %s: an init container’s image is denied, CREATE and UPDATE', async (apiVersion, kind, spec) => {
    const object = (init: string) => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'shop' }, spec: spec({ init, main: ref('team/clean:1.0') }) });
    const created = await resolving.review(reviewOf(aRequest(object(ref('team/app:1.0')), { uid: uid() })));
    expect(created.allowed).toBe(false);
    expect(created.status?.message).toContain(`Portcullis denied ${kind} shop/x: 1 image violates a Deny rule.\n${ref('team/app:1.0')}`);
    const updated = await resolving.review(reviewOf(aRequest(object(ref('team/app:1.0')), { uid: uid(), operation: 'UPDATE', oldObject: object(ref('team/clean:1.0')) })));
    expect(updated.allowed).toBe(false);
  });

  test('what runs no pods, DELETE, and the excluded kube-system: allowed untouched, not recorded', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: { image: ref('team/app:1.0') } };
    const answers = [
      await resolving.review(reviewOf(aRequest(configMap, { uid: uid() }))),
      await resolving.review(reviewOf(aRequest(undefined, { uid: uid(), operation: 'DELETE', oldObject: aDeployment([ref('team/app:1.0')]) }))),
      await resolving.review(reviewOf(aRequest(aDeployment([ref('team/app:1.0')], { namespace: 'kube-system' }), { uid: uid(), namespace: 'kube-system' }))),
    ];
    for (const answer of answers) {
      expect(answer.allowed).toBe(true);
      expect(answer.auditAnnotations).toBeUndefined();
      expect(answer.warnings).toBeUndefined();
    }
  });

  test('POST /mutate pins each tag to the digest evaluated (JSONPatch, base64); pinned references stay as written', async () => {
    const pinned = `${ref('team/clean:1.0')}@${clean.digest}`;
    const review = deploymentReview([ref('team/app:1.0'), pinned, ref('team/clean:1.0')]);
    const response = await resolving.review(review, '/mutate');
    expect(response).toMatchObject({ uid: (review.request as { uid: string }).uid, allowed: true, patchType: 'JSONPatch' });
    expect(JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8'))).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${ref('team/app:1.0')}@${app.digest}` },
      { op: 'replace', path: '/spec/template/spec/containers/2/image', value: `${ref('team/clean:1.0')}@${clean.digest}` },
    ]);
    // Nothing to pin: no patch at all.
    const nothing = await resolving.review(deploymentReview([pinned]), '/mutate');
    expect(nothing).toMatchObject({ allowed: true });
    expect(nothing.patch).toBeUndefined();
  });

  test('POST /mutate pins a multi-arch tag to its index, so every architecture keeps running; re-applying it is an unchanged image', async () => {
    const image = ref('team/multi:2.0');
    const response = await resolving.review(deploymentReview([image]), '/mutate');
    const pinnedValue = `${image}@${multi.digest}`;
    expect(multi.manifests[0]?.digest).not.toBe(multi.digest);
    expect(JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8'))).toEqual([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: pinnedValue }]);

    // The pinned Deployment updated with the bare tag again: the same index, so audited, not denied.
    const pinnedObject = (deploymentReview([pinnedValue]).request as { object: unknown }).object;
    const update = await resolving.review(deploymentReview([image], {}, { operation: 'UPDATE', oldObject: pinnedObject }));
    expect(update.allowed).toBe(true);
    expect(annotation(update, 'decision')).toBe('Audited');
  });
});

describe('warnings and break-glass', () => {
  test('an audit of 60 images: every warning ≤ 120 characters, < 4,096 bytes in all, the rest counted', async () => {
    const images = Array.from({ length: 60 }, (_, index) => `registry.example.com/a-rather-long/path/to/the/team/service-number-${String(index).padStart(2, '0')}:2024.10.${index}`);
    for (const [index, image] of images.entries()) await putScan(store, scanOf([fakeDigest(`a${index.toString(16).padStart(2, '0')}`)], findingsOf('High', 2), [image]));
    await byTags.service.syncer?.syncNow();
    const response = await byTags.review(deploymentReview(images));
    const id = annotation(response, 'event-id');
    expect(response).toMatchObject({ allowed: true, auditAnnotations: { decision: 'Audited', rules: 'audit-high' } });
    const warnings = response.warnings ?? [];
    expect(warnings[0]).toBe(`Portcullis audited Deployment shop/web, event ${id}`);
    for (const warning of warnings) expect(warning.length).toBeLessThanOrEqual(120);
    expect(warnings.reduce((sum, warning) => sum + Buffer.byteLength(warning), 0)).toBeLessThan(4096);
    expect(warnings.length).toBeGreaterThan(10);
    expect(warnings.at(-1)).toMatch(new RegExp(`^… and \\d+ more images violate rules: see event ${id}$`));
    expect(warnings[1]).toMatch(/service-number-00:2024\.10\.0 violates audit-high: 2 High \(audit\)$/);
    // The event has every image.
    expect((await byTags.event(id))?.images).toHaveLength(60);
  });

  test('break-glass: allowed and recorded; turned off with PUT /api/v1/settings, the same request is denied', async () => {
    const glass = () => deploymentReview([ref('team/app:1.0')], { annotations: { [BREAK_GLASS_ANNOTATION]: 'INC-4711 payment outage' } });
    const used = await resolving.review(glass());
    const id = annotation(used, 'event-id');
    expect(used).toMatchObject({ allowed: true, auditAnnotations: { decision: 'BreakGlass', 'break-glass': 'INC-4711 payment outage', 'event-id': id } });
    expect(used.warnings?.[0]).toBe(`Portcullis break-glass (INC-4711 payment outage): allowed and recorded, event ${id}`);
    expect(await resolving.event(id)).toMatchObject({ decision: 'BreakGlass', breakGlass: 'INC-4711 payment outage' });

    const putSettings = (enabled: boolean) =>
      api.inject({ method: 'PUT', url: '/api/v1/settings', headers: { authorization: `Bearer ${adminToken}` }, payload: { breakGlass: { enabled } } });
    expect((await putSettings(false)).json()).toMatchObject({ breakGlass: { enabled: false } });
    try {
      await resolving.service.syncer?.syncNow();
      const refused = await resolving.review(glass());
      expect(refused.allowed).toBe(false);
      expect(refused.warnings).toContain(`${BREAK_GLASS_ANNOTATION} ignored: break-glass is turned off for this cluster`);
      expect(await resolving.event(annotation(refused, 'event-id'))).toMatchObject({ decision: 'Denied' });
    } finally {
      expect((await putSettings(true)).statusCode).toBe(200);
      await resolving.service.syncer?.syncNow();
    }
    expect((await resolving.review(glass())).allowed).toBe(true);
  });
});

describe('what is not a review', () => {
  const post = (body: string | Buffer | object, headers: Record<string, string> = {}) => resolving.post(body, { headers });
  const errorOf = async (body: string | Buffer | object, headers?: Record<string, string>) => {
    const answer = await post(body, headers);
    return { status: answer.status, ...answer.json<{ error: { code: string; message: string } }>().error };
  };

  test('v1beta1, a missing uid, not JSON, not an AdmissionReview: 400 with the reason', async () => {
    const request = aRequest(aDeployment([ref('team/app:1.0')]), { uid: uid() });
    expect(await errorOf({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request })).toEqual({
      status: 400,
      code: 'invalid_review',
      message: "apiVersion: must be admission.k8s.io/v1, not the string \"admission.k8s.io/v1beta1\" (set admissionReviewVersions: [\"v1\"] on the webhook)",
    });
    const { uid: _uid, ...withoutUid } = request;
    expect(await errorOf(reviewOf(withoutUid))).toEqual({ status: 400, code: 'invalid_review', message: 'request.uid: is required' });
    expect(await errorOf('{"apiVersion": "admission.k8s.io/v1", ', { 'content-type': 'application/json' })).toMatchObject({ status: 400, code: 'invalid_review', message: expect.stringMatching(/^The body is not valid JSON/) });
    expect(await errorOf({ apiVersion: 'admission.k8s.io/v1', kind: 'Deployment' })).toMatchObject({ status: 400, message: 'kind: must be AdmissionReview, not the string "Deployment"' });
    expect(await errorOf([reviewOf(request)])).toMatchObject({ status: 400, message: 'the body must be an AdmissionReview object, not a list' });
  });

  test('a malformed object in a review with a uid: answered (the API server shows why), not allowed', async () => {
    const object = aDeployment([ref('team/app:1.0')]) as { spec: { template: { spec: Record<string, unknown> } } };
    object.spec.template.spec.containers = { name: 'web' };
    const review = reviewOf(aRequest(object, { uid: 'malformed-1' }));
    const response = admissionResponse(await post(review));
    expect(response).toMatchObject({ uid: 'malformed-1', allowed: false, status: { code: 400, message: expect.stringContaining('request.object.spec.template.spec.containers') } });
  });

  test('another content type: 415; another method: 405; another path: 404', async () => {
    expect(await errorOf(JSON.stringify(deploymentReview([ref('team/app:1.0')])), { 'content-type': 'text/plain' })).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect((await resolving.get('/validate')).status).toBe(405);
    expect((await resolving.post(deploymentReview([]), { path: '/admit' })).status).toBe(404);
    expect((await resolving.get('/nothing-here')).status).toBe(404);
  });

  test('a body over the limit: 413, with a Content-Length or chunked', async () => {
    const big = Buffer.alloc(REVIEW_BODY_LIMIT + 1024, ' ');
    const declared = await resolving.post(big, { headers: { 'content-type': 'application/json' } });
    expect(declared.status).toBe(413);
    expect(declared.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    const chunked = await resolving.post(big, { headers: { 'content-type': 'application/json' }, chunked: true });
    expect(chunked.status).toBe(413);
    // The server still answers.
    expect((await resolving.get('/healthz')).status).toBe(200);
  });
});

describe('registries that are slow, down, or ask for a password; the deadline', () => {
  let flaky: FlakyRegistry;
  let silent: SilentServer;
  let open: TestWebhook;
  let closed: TestWebhook;

  beforeAll(async () => {
    flaky = await startFlakyRegistry(registry.url);
    silent = await startSilentServer();
    cleanups.push(() => flaky.stop(), () => silent.stop());
    open = await webhook({ registry: REGISTRY, failureMode: 'open', deadlineMs: 500 });
    closed = await webhook({ registry: REGISTRY, failureMode: 'closed', deadlineMs: 500 });
  });

  async function unresolvedEvent(hook: TestWebhook, response: { auditAnnotations?: Readonly<Record<string, string>> }): Promise<AdmissionEvent | undefined> {
    const event = await hook.event(annotation(response, 'event-id'));
    expect(event?.images[0]?.scanStatus).toBe('Unresolved');
    expect(event?.images[0]?.digest).toBeUndefined();
    return event;
  }

  test('slow (answers after 1.5 s), deadline 500 ms: answered in under a second, Unresolved; open allows, closed denies; both recorded', async () => {
    flaky.delayMs = 1_500;
    try {
      const image = ref('team/app:1.0', flaky.host);
      const [allowed, denied] = await Promise.all([open.review(deploymentReview([image])), closed.review(deploymentReview([image]))]);
      for (const answer of [allowed, denied]) {
        expect(answer.elapsedMs).toBeGreaterThanOrEqual(350);
        expect(answer.elapsedMs).toBeLessThan(1_000);
      }
      expect(allowed).toMatchObject({ allowed: true, auditAnnotations: { decision: 'Audited' } });
      expect(allowed.warnings).toEqual([
        `Portcullis audited Deployment shop/web, event ${annotation(allowed, 'event-id')}`,
        `${image} violates audit-high +1: tag could not be resolved to a digest (allowed: failure mode open)`,
      ]);
      expect(await unresolvedEvent(open, allowed)).toMatchObject({ decision: 'Audited' });

      expect(denied).toMatchObject({ allowed: false, status: { code: 403 } });
      expect(denied.status?.message).toContain(`\n${image}: tag could not be resolved to a digest (failure mode closed); rule deny-critical\n`);
      const event = await unresolvedEvent(closed, denied);
      expect(event?.images[0]?.violations[0]?.detail).toMatch(/\(failure mode closed\)$/);

      // The lookup was not abandoned with the request: once the registry answers, the tag is known.
      const resolvedLookups = async () => metricValue((await closed.get('/metrics')).text, 'portcullis_registry_lookup_seconds_count', { outcome: 'resolved' }) ?? 0;
      await until(async () => (await resolvedLookups()) >= 1, 'the slow lookup to finish', 5_000);
      const later = await closed.review(deploymentReview([image]));
      expect(later.elapsedMs).toBeLessThan(400);
      expect(later.status?.message).toContain(`${image} (${app.digest.slice(0, 19)}): 5 Critical`);
    } finally {
      flaky.delayMs = 0;
    }
  });

  test('hanging (never answers): the same, within the deadline', async () => {
    const image = ref('team/app:1.0', silent.host);
    const [allowed, denied] = await Promise.all([open.review(deploymentReview([image])), closed.review(deploymentReview([image]))]);
    expect(Math.max(allowed.elapsedMs, denied.elapsedMs)).toBeLessThan(1_000);
    expect(allowed.allowed).toBe(true);
    expect(denied.allowed).toBe(false);
    await unresolvedEvent(open, allowed);
    await unresolvedEvent(closed, denied);
  });

  test("the outbox's file locked (a stalled disk, a process holding it): answered at the deadline, and the event written once the lock is let go", async () => {
    const counted = async (name: string) => metricValue((await closed.get('/metrics')).text, name, {}) ?? 0;
    const [lateBefore, lostBefore] = [await counted('portcullis_admission_answered_before_recorded_total'), await counted('portcullis_admission_events_lost_total')];
    const locker = new Database(join(closed.dataDir, OUTBOX_FILE));
    try {
      locker.exec('BEGIN IMMEDIATE');
      const answer = await closed.review(deploymentReview([ref('team/app:1.0')]));
      expect(answer.elapsedMs).toBeLessThan(1_000);
      expect(answer).toMatchObject({ allowed: false, status: { code: 403 } });
      const id = annotation(answer, 'event-id');
      expect(answer.status?.message).toContain(`Event ${id}`);
      expect(await counted('portcullis_admission_answered_before_recorded_total')).toBe(lateBefore + 1);
      locker.exec('COMMIT');
      // The outbox's writer had been waiting for the lock (busy_timeout): it writes the event now.
      expect(await closed.event(id)).toMatchObject({ id, decision: 'Denied', images: [expect.objectContaining({ digest: app.digest })] });
      expect(await counted('portcullis_admission_events_lost_total')).toBe(lostBefore);
    } finally {
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
    }
  });

  test('down (connection refused): Unresolved at once; open allows, closed denies; recorded and counted', async () => {
    const image = ref('team/app:1.0', `127.0.0.1:${await unusedPort()}`);
    const [allowed, denied] = await Promise.all([open.review(deploymentReview([image])), closed.review(deploymentReview([image]))]);
    expect(Math.max(allowed.elapsedMs, denied.elapsedMs)).toBeLessThan(500);
    expect(allowed.allowed).toBe(true);
    expect(denied.allowed).toBe(false);
    await unresolvedEvent(open, allowed);
    await unresolvedEvent(closed, denied);
    expect(metricValue((await open.get('/metrics')).text, 'portcullis_digest_resolution_failures_total', { code: 'unreachable' })).toBeGreaterThanOrEqual(1);
  });

  test('a failed lookup is not cached: once the registry is back, the next request resolves', async () => {
    const image = ref('team/clean:1.0', flaky.host);
    closed.service.metrics.digestLookups.reset();
    await flaky.down();
    try {
      const failed = await closed.review(deploymentReview([image]));
      expect(failed.allowed).toBe(false);
      expect(failed.status?.message).toContain(`${image}: tag could not be resolved to a digest`);
    } finally {
      await flaky.up();
    }
    const resolved = await closed.review(deploymentReview([image]));
    expect(resolved).toMatchObject({ allowed: true, auditAnnotations: { decision: 'Allowed' } });
    // Two registry lookups: the failed one was not kept.
    expect(metricValue((await closed.get('/metrics')).text, 'portcullis_digest_resolutions_total', { source: 'lookup' })).toBe(2);
  });

  test('a registry with a password: Unresolved without credentials; with a Docker config file, resolved by digest', async () => {
    const user = { username: 'puller', password: 'correct horse battery staple' };
    const locked = await startRegistry({ auth: { htpasswd: user } });
    cleanups.push(() => locked.stop());
    const secret = await pushImage({ url: locked.url, authorization: basicAuthorization(user.username, user.password) }, 'team/secret', '1.0');
    await putScan(store, scanOf([secret.digest], findingsOf('Critical', 3)));
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-docker-config-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from(`${user.username}:${user.password}`).toString('base64') } } }));
    const withCredentials = await webhook({ registry: { ...REGISTRY, credentials: readDockerConfig(configFile) }, failureMode: 'closed', deadlineMs: 2_000 });

    const image = `${locked.host}/team/secret:1.0`;
    const anonymous = await closed.review(deploymentReview([image]));
    expect(anonymous.status?.message).toContain(`${image}: tag could not be resolved to a digest`);
    expect(metricValue((await closed.get('/metrics')).text, 'portcullis_digest_resolution_failures_total', { code: 'unauthorized' })).toBeGreaterThanOrEqual(1);

    const authenticated = await withCredentials.review(deploymentReview([image]));
    expect(authenticated.status?.message).toContain(`${image} (${secret.digest.slice(0, 19)}): 3 Critical; rule deny-critical`);
    expect((await withCredentials.event(annotation(authenticated, 'event-id')))?.images[0]).toMatchObject({ digest: secret.digest, scanStatus: 'Scanned' });
  });
});

describe('a thousand admissions of one tag at once', () => {
  let counting: CountingProxy;
  let slow: FlakyRegistry;

  beforeAll(async () => {
    counting = await startCountingProxy(registry.url);
    // Held back 200 ms, so that the requests arrive while the one lookup is in flight.
    slow = await startFlakyRegistry(`http://${counting.host}`, { delayMs: 200 });
    cleanups.push(() => slow.stop(), () => counting.stop());
  });

  test('cost one registry request', async () => {
    const burst = await webhook({ registry: REGISTRY, failureMode: 'closed', deadlineMs: 5_000 });
    const image = ref('team/burst:1.0', slow.host);
    const agent = new Agent({ keepAlive: true, maxSockets: 100, ca: burst.service.caPem });
    try {
      const answers = await Promise.all(
        Array.from({ length: 1_000 }, async (_, index) => {
          const review = deploymentReview([image], { name: `web-${index}` });
          return { uid: (review.request as { uid: string }).uid, response: admissionResponse(await https(`${burst.url}/validate`, { body: review, agent })) };
        }),
      );
      for (const { uid: sent, response } of answers) expect(response).toMatchObject({ uid: sent, allowed: true, auditAnnotations: { decision: 'Allowed' } });
    } finally {
      agent.destroy();
    }
    expect(counting.manifestRequests()).toBe(1);
    const metrics = (await burst.get('/metrics')).text;
    expect(metricValue(metrics, 'portcullis_digest_resolutions_total', { source: 'lookup' })).toBe(1);
    expect((metricValue(metrics, 'portcullis_digest_resolutions_total', { source: 'joined' }) ?? 0) + (metricValue(metrics, 'portcullis_digest_resolutions_total', { source: 'cache' }) ?? 0)).toBe(999);
    expect(metricValue(metrics, 'portcullis_admission_decisions_total', { endpoint: 'validate', decision: 'Allowed', dry_run: 'false' })).toBe(1_000);
  });
});

describe('TLS, health and metrics', () => {
  test('without --tls-cert: a self-signed CA and certificate in the data directory, kept across starts', async () => {
    const caPem = resolving.service.caPem ?? '';
    expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(join(resolving.dataDir, 'tls', 'ca.crt'), 'utf8')).toBe(caPem);
    const serving = new X509Certificate(readFileSync(join(resolving.dataDir, 'tls', 'webhook.crt')));
    expect(serving.checkIssued(new X509Certificate(caPem))).toBe(true);
    expect(serving.subjectAltName).toContain('IP Address:127.0.0.1');
    // Every request of this file checked the certificate against that CA; one not trusting it fails.
    await expect(https(`${resolving.url}/healthz`, { ca: (await ensureSelfSigned(mkdtempSync(join(tmpdir(), 'portcullis-other-ca-')), [])).caPem })).rejects.toThrow();
    const again = await ensureSelfSigned(resolving.dataDir, []);
    // The same CA, the same text: the bundle printed on a restart is the one printed on the first start.
    expect(again).toMatchObject({ created: false, caPem });
  });

  test('--tls-cert/--tls-key: reloaded when the files change; a pair that does not match is skipped', async () => {
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'portcullis-tls-')));
    cleanups.push(async () => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
    const [a, b] = [await ensureSelfSigned(dirs[0] ?? '', ['webhook.test']), await ensureSelfSigned(dirs[1] ?? '', ['webhook.test'])];
    const files = { certFile: join(dirs[2] ?? '', 'tls.crt'), keyFile: join(dirs[2] ?? '', 'tls.key') };
    copyFileSync(a.certFile, files.certFile);
    copyFileSync(a.keyFile, files.keyFile);
    const fingerprint = (file: string) => new X509Certificate(readFileSync(file)).fingerprint256;
    const served = async () => (await https(`${hook.url}/healthz`, { ca: [a.caPem, b.caPem] })).fingerprint;

    const hook = await webhook({ tls: files });
    expect(hook.service.caPem).toBeUndefined();
    expect(await served()).toBe(fingerprint(a.certFile));

    // B's certificate with A's key: not a pair; A stays.
    copyFileSync(b.certFile, files.certFile);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await served()).toBe(fingerprint(a.certFile));

    copyFileSync(b.keyFile, files.keyFile);
    await until(async () => (await served()) === fingerprint(b.certFile), 'the new certificate', 8_000);
  });

  test('/readyz: 503 until the first sync, 200 after; /healthz: 200', async () => {
    let away = true;
    const inner = new StoreSyncSource(store);
    const source = {
      rulesSince: (seq: number) => (away ? Promise.reject(new Error('control plane away')) : inner.rulesSince(seq)),
      scansSince: (seq: number, limit: number) => (away ? Promise.reject(new Error('control plane away')) : inner.scansSince(seq, limit)),
      settings: () => (away ? Promise.reject(new Error('control plane away')) : inner.settings()),
    };
    const hook = await webhook({ source, synced: false, syncIntervalMs: 60_000 });
    expect((await hook.get('/healthz')).status).toBe(200);
    const before = await hook.get('/readyz');
    expect(before.status).toBe(503);
    away = false;
    await hook.service.syncer?.syncNow();
    const after = await hook.get('/readyz');
    expect(after.status).toBe(200);
    expect(after.json()).toEqual({ status: 'ready', stale: false });
  });

  test('/metrics: decisions by endpoint and decision, the latency histogram, cache hits, bad reviews', async () => {
    await resolving.review(deploymentReview([ref('team/app:1.0')]));
    await resolving.review(deploymentReview([ref('team/app:1.0')], {}, { dryRun: true }));
    const answer = await resolving.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    const text = answer.text;
    expect(metricValue(text, 'portcullis_admission_decisions_total', { endpoint: 'validate', decision: 'Denied', dry_run: 'false' })).toBeGreaterThanOrEqual(5);
    expect(metricValue(text, 'portcullis_admission_decisions_total', { endpoint: 'validate', decision: 'Denied', dry_run: 'true' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'portcullis_admission_decisions_total', { endpoint: 'mutate', decision: 'Pinned', dry_run: 'false' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'portcullis_admission_decisions_total', { endpoint: 'validate', decision: 'Skipped', dry_run: 'false' })).toBeGreaterThanOrEqual(1);
    const count = metricValue(text, 'portcullis_admission_duration_seconds_count', { endpoint: 'validate' }) ?? 0;
    expect(count).toBeGreaterThanOrEqual(20);
    expect(metricValue(text, 'portcullis_admission_duration_seconds_bucket', { le: '+Inf', endpoint: 'validate' })).toBe(count);
    expect(metricValue(text, 'portcullis_admission_duration_seconds_bucket', { le: '2', endpoint: 'validate' })).toBe(count);
    expect(metricValue(text, 'portcullis_digest_resolutions_total', { source: 'cache' })).toBeGreaterThanOrEqual(10);
    expect(metricValue(text, 'portcullis_admission_bad_reviews_total', {})).toBeGreaterThanOrEqual(5);
    expect(text).toContain('portcullis_registry_lookup_seconds_bucket');
    expect(text).toContain('portcullis_snapshot_stale 0');
    expect(metricValue(text, 'portcullis_evidence_cache_images', {})).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'portcullis_evidence_cache_bytes', {})).toBeGreaterThan(1_000);
    // The same image asked about again and again: read from disk once, then answered from memory.
    const hits = metricValue(text, 'portcullis_evidence_cache_lookups_total', { result: 'hit' }) ?? 0;
    const misses = metricValue(text, 'portcullis_evidence_cache_lookups_total', { result: 'miss' }) ?? 0;
    expect(misses).toBeGreaterThanOrEqual(1);
    expect(hits).toBeGreaterThan(misses);
    // The misses were read from the snapshot's file, in its thread.
    const reads = metricValue(text, 'portcullis_snapshot_read_seconds_count', { outcome: 'read' }) ?? 0;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'portcullis_snapshot_read_seconds_bucket', { le: '+Inf', outcome: 'read' })).toBe(reads);
    // A second scrape adds only what was counted since the first.
    await resolving.review(deploymentReview([ref('team/app:1.0')]));
    const again = (await resolving.get('/metrics')).text;
    expect(metricValue(again, 'portcullis_evidence_cache_lookups_total', { result: 'hit' })).toBe(hits + 1);
    expect(metricValue(again, 'portcullis_evidence_cache_lookups_total', { result: 'miss' })).toBe(misses);
  });
});

/** The value of a sample whose labels include `labels`, from Prometheus' text format. */
function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}
