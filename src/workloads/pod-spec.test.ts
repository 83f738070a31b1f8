import { describe, expect, test } from 'vitest';
import { POD_BEARING_KINDS, apiGroupOf, findPodBearingKind, podSpecOf, podTemplateMetadataOf } from './pod-spec.js';
import { OBJECT_OF_KIND } from './testing/objects.js';

describe('POD_BEARING_KINDS', () => {
  test('are the eight kinds of the design, each with a hand-written example', () => {
    expect(POD_BEARING_KINDS.map((entry) => entry.kind).sort()).toEqual(Object.keys(OBJECT_OF_KIND).sort());
    expect(POD_BEARING_KINDS).toHaveLength(8);
  });

  test.each(POD_BEARING_KINDS.map((entry) => [entry.kind]))('%s: the pod spec and pod metadata are found where Kubernetes keeps them', (kind) => {
    const object = OBJECT_OF_KIND[kind];
    expect(podSpecOf(object)).toEqual({ containers: [{ name: 'app', image: `registry.example/${kind.toLowerCase()}:1` }] });
    expect(podTemplateMetadataOf(object)?.labels).toMatchObject({ app: 'web', tier: 'template' });
  });
});

describe('objects that are not pod-bearing', () => {
  test.each([
    ['a Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }],
    ['a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: {} }],
    ['a custom resource called Job (Volcano)', { apiVersion: 'batch.volcano.sh/v1alpha1', kind: 'Job', spec: { tasks: [{ template: { spec: {} } }] } }],
    ['a Deployment without apiVersion', { kind: 'Deployment', spec: { template: { spec: { containers: [] } } } }],
    ['null (the object of a DELETE)', null],
    ['a list', [{ apiVersion: 'v1', kind: 'Pod' }]],
  ])('%s has no pod spec', (_name, object) => {
    expect(podSpecOf(object)).toBeUndefined();
    expect(podTemplateMetadataOf(object)).toBeUndefined();
  });
});

describe('API groups', () => {
  test('core, named and legacy groups are told apart by apiVersion', () => {
    expect(apiGroupOf('v1')).toBe('');
    expect(apiGroupOf('apps/v1')).toBe('apps');
    expect(findPodBearingKind('extensions/v1beta1', 'Deployment')?.kind).toBe('Deployment');
    expect(findPodBearingKind('batch/v1beta1', 'CronJob')?.kind).toBe('CronJob');
    expect(findPodBearingKind('apps/v1', 'Pod')).toBeUndefined();
    expect(findPodBearingKind('v1', 'Deployment')).toBeUndefined();
  });
});
