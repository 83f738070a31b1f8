// Extraction from real AdmissionReview payloads (test/fixtures/admission, see its README).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { tryParseImageReference } from '../images/reference.js';
import { extractWorkload, imagesOf, type Workload } from './extract.js';
import { isFields } from './fields.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/admission');

/** The request of a fixture: inside the AdmissionReview, or the whole file for a bare AdmissionRequest. */
function requestOf(file: string): Record<string, unknown> {
  const json: unknown = JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8'));
  if (!isFields(json)) throw new Error(`${file}: not an object`);
  const request = json.kind === 'AdmissionReview' ? json.request : json;
  if (!isFields(request)) throw new Error(`${file}: no request`);
  return request;
}

/** As the webhook will call it: the request's namespace is the default for an object without one. */
function workloadOf(file: string): Workload {
  const request = requestOf(file);
  const namespace = typeof request.namespace === 'string' ? request.namespace : undefined;
  const workload = extractWorkload(request.object, namespace === undefined ? {} : { defaultNamespace: namespace });
  if (!workload) throw new Error(`${file}: no workload`);
  return workload;
}

const EXPECTED: Record<string, { apiVersion: string; identity: Workload['identity']; containers: Workload['containers']; images: string[]; owners: number }> = {
  'pod-create-by-statefulset-controller.json': {
    apiVersion: 'v1',
    identity: {
      kind: 'Pod',
      namespace: 'default',
      name: 'elasticsearch-master-0',
      podName: 'elasticsearch-master-0',
      workloadName: 'elasticsearch-master',
      labels: {
        app: 'elasticsearch-master',
        chart: 'elasticsearch',
        'controller-revision-hash': 'elasticsearch-master-5dbfcdb447',
        release: 'my-elasticsearch',
        'statefulset.kubernetes.io/pod-name': 'elasticsearch-master-0',
      },
    },
    containers: [
      { name: 'configure-sysctl', image: 'docker.elastic.co/elasticsearch/elasticsearch:7.14.0', list: 'initContainers' },
      { name: 'elasticsearch', image: 'docker.elastic.co/elasticsearch/elasticsearch:7.14.0', list: 'containers' },
    ],
    images: ['docker.elastic.co/elasticsearch/elasticsearch:7.14.0'],
    owners: 1,
  },
  'deployment-create-kubectl-apply.json': {
    apiVersion: 'apps/v1',
    identity: { kind: 'Deployment', namespace: 'nginx', name: 'nginx', podName: 'nginx', workloadName: 'nginx', labels: { app: 'nginx', ops: 'thing' } },
    containers: [{ name: 'nginx', image: 'nginx', list: 'containers' }],
    images: ['nginx'],
    owners: 0,
  },
  'deployment-update-with-oldobject.request-only.json': {
    apiVersion: 'apps/v1',
    // The object has no labels of its own: they come from the pod template.
    identity: { kind: 'Deployment', namespace: 'default', name: 'nginx', podName: 'nginx', workloadName: 'nginx', labels: { app: 'nginx' } },
    containers: [{ name: 'nginx', image: 'nginx:latest', list: 'containers' }],
    images: ['nginx:latest'],
    owners: 0,
  },
  'cronjob-create.json': {
    apiVersion: 'batch/v1',
    // The object names no namespace; the request's (default) applies. Its name is `hello`, not
    // the request's `k8tz` (the fixture was written by hand upstream).
    identity: { kind: 'CronJob', namespace: 'default', name: 'hello', podName: 'hello', workloadName: 'hello', labels: {} },
    containers: [{ name: 'hello', image: 'busybox:1.28', list: 'containers' }],
    images: ['busybox:1.28'],
    owners: 0,
  },
  'deployment-create-dryrun-kube-review.json': {
    apiVersion: 'apps/v1',
    // Neither the request nor the object names a namespace (kube-review made it): `default`.
    identity: { kind: 'Deployment', namespace: 'default', name: 'nginx', podName: 'nginx', workloadName: 'nginx', labels: { app: 'nginx' } },
    containers: [{ name: 'nginx', image: 'nginx', list: 'containers' }],
    images: ['nginx'],
    owners: 0,
  },
  'pod-create-with-ephemeral-container.request-only.json': {
    apiVersion: 'v1',
    identity: { kind: 'Pod', namespace: 'default', name: 'nginx', podName: 'nginx', workloadName: 'nginx', labels: { env: 'test' } },
    containers: [
      { name: 'sleeping-sidecar', image: 'alpine', list: 'containers' },
      { name: 'nginx', image: 'nginx', list: 'containers' },
      { name: 'nginx', image: 'nginx', list: 'ephemeralContainers' },
    ],
    images: ['alpine', 'nginx'],
    owners: 0,
  },
};

describe('admission fixtures', () => {
  test('the fixtures are there, and every one of them has an expectation', () => {
    expect(existsSync(FIXTURES)).toBe(true);
    expect(readdirSync(FIXTURES).filter((file) => file.endsWith('.json')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.entries(EXPECTED))('%s', (file, expected) => {
    const workload = workloadOf(file);
    expect(workload.apiVersion).toBe(expected.apiVersion);
    expect(workload.kind).toBe(expected.identity.kind);
    expect(workload.identity).toEqual(expected.identity);
    expect(workload.containers).toEqual(expected.containers);
    expect(imagesOf(workload)).toEqual(expected.images);
    expect(workload.ownerReferences).toHaveLength(expected.owners);
    for (const image of imagesOf(workload)) expect(tryParseImageReference(image), image).toBeDefined();
  });

  test('the StatefulSet controller’s pod keeps its owner reference, marked as the controller', () => {
    expect(workloadOf('pod-create-by-statefulset-controller.json').ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'elasticsearch-master', uid: '69e92395-6b4d-4e36-85a0-ec0b69891ade', controller: true },
    ]);
  });

  test('an UPDATE’s oldObject is extracted the same way (to tell new images from unchanged ones)', () => {
    const request = requestOf('deployment-update-with-oldobject.request-only.json');
    expect(imagesOf(extractWorkload(request.oldObject)!)).toEqual(['nginx:latest']);
  });

  test('the annotations are the object’s own, last-applied-configuration included', () => {
    expect(Object.keys(workloadOf('deployment-create-kubectl-apply.json').annotations)).toContain('kubectl.kubernetes.io/last-applied-configuration');
  });

  test('a CREATE has no oldObject: null is not a workload', () => {
    expect(extractWorkload(requestOf('cronjob-create.json').oldObject)).toBeUndefined();
  });
});
