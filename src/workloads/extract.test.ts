import { describe, expect, test } from 'vitest';
import { InputError } from '../problems.js';
import { MalformedObjectError, extractWorkload, imagesOf } from './extract.js';
import { POD_BEARING_KINDS } from './pod-spec.js';
import { OBJECT_OF_KIND } from './testing/objects.js';

describe('extractWorkload: every pod-bearing kind', () => {
  test.each(POD_BEARING_KINDS.filter((entry) => entry.kind !== 'Pod').map((entry) => [entry.kind]))(
    '%s: identity from the object, labels merged with the template (template wins), the template image',
    (kind) => {
      const workload = extractWorkload(OBJECT_OF_KIND[kind]);
      expect(workload).toEqual({
        apiVersion: OBJECT_OF_KIND[kind]?.apiVersion,
        kind,
        identity: {
          kind,
          namespace: 'shop',
          name: 'web',
          podName: 'web',
          workloadName: 'web',
          labels: { tier: 'template', team: 'payments', app: 'web' },
        },
        containers: [{ name: 'app', image: `registry.example/${kind.toLowerCase()}:1`, list: 'containers' }],
        annotations: {},
        ownerReferences: [],
      });
    },
  );

  test('Pod: its own metadata is its pod metadata', () => {
    expect(extractWorkload(OBJECT_OF_KIND.Pod)?.identity).toEqual({
      kind: 'Pod',
      namespace: 'shop',
      name: 'web',
      podName: 'web',
      workloadName: 'web',
      labels: { app: 'web', tier: 'template', team: 'payments' },
    });
  });

  test('a Service is not pod-bearing: no workload, it is allowed untouched', () => {
    expect(extractWorkload({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' } } })).toBeUndefined();
    expect(extractWorkload(null)).toBeUndefined();
  });
});

describe('extractWorkload: identity', () => {
  const pod = (metadata: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'a', image: 'nginx' }] } });

  test('the namespace: the object’s, else the caller’s default, else default', () => {
    expect(extractWorkload(pod({ name: 'p', namespace: 'ns' }), { defaultNamespace: 'other' })?.identity.namespace).toBe('ns');
    expect(extractWorkload(pod({ name: 'p' }), { defaultNamespace: 'other' })?.identity.namespace).toBe('other');
    expect(extractWorkload(pod({ name: 'p' }))?.identity.namespace).toBe('default');
    expect(extractWorkload(pod({ name: 'p' }), { defaultNamespace: '' })?.identity.namespace).toBe('default');
  });

  test('a Pod without a name yet (a mutating webhook sees generateName only) answers with the generateName', () => {
    expect(extractWorkload(pod({ generateName: 'web-7c5ddbdf54-' }))?.identity).toMatchObject({ name: 'web-7c5ddbdf54-', podName: 'web-7c5ddbdf54-' });
    expect(extractWorkload(pod({ name: 'web-0', generateName: 'web-' }))?.identity).toMatchObject({ name: 'web-0', podName: 'web-0' });
  });

  test('annotations are the object’s own and owner references are kept, controller defaulting to false', () => {
    const workload = extractWorkload(
      pod({
        name: 'p',
        annotations: { 'portcullis.dev/break-glass': 'INC-42' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm' }],
      }),
    );
    expect(workload?.annotations).toEqual({ 'portcullis.dev/break-glass': 'INC-42' });
    expect(workload?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', controller: false }]);
    // A non-controller owner does not make the object part of another workload.
    expect(workload?.identity.workloadName).toBe('p');
  });
});

describe('extractWorkload: containers', () => {
  test('all three lists, init containers first, each container with its list', () => {
    const workload = extractWorkload({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36' }],
        containers: [
          { name: 'app', image: 'ghcr.io/acme/app:2' },
          { name: 'sidecar', image: 'envoyproxy/envoy:v1.30' },
        ],
        initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/app:2' }],
      },
    });
    expect(workload?.containers).toEqual([
      { name: 'migrate', image: 'ghcr.io/acme/app:2', list: 'initContainers' },
      { name: 'app', image: 'ghcr.io/acme/app:2', list: 'containers' },
      { name: 'sidecar', image: 'envoyproxy/envoy:v1.30', list: 'containers' },
      { name: 'debugger', image: 'busybox:1.36', list: 'ephemeralContainers' },
    ]);
    expect(imagesOf(workload!)).toEqual(['ghcr.io/acme/app:2', 'envoyproxy/envoy:v1.30', 'busybox:1.36']);
  });

  test('null lists (YAML `initContainers:` with nothing after it) are empty', () => {
    const workload = extractWorkload({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { initContainers: null, containers: [{ name: 'a', image: 'nginx' }] } });
    expect(workload?.containers).toEqual([{ name: 'a', image: 'nginx', list: 'containers' }]);
  });

  test('in a pod template, as the API server allows there: a blank image is a placeholder (nothing to evaluate yet), spaces around one are left for the evaluation', () => {
    const containers = [
      { name: 'filled-later', image: ' ' },
      { name: 'spaced', image: 'nginx:1.27 ' },
      { name: 'web', image: 'nginx:1.27' },
    ];
    const workload = extractWorkload({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers } } } });
    expect(imagesOf(workload!)).toEqual(['nginx:1.27 ', 'nginx:1.27']);
  });

  test('an image that is not a valid reference is kept as written, for the evaluation to judge', () => {
    const workload = extractWorkload({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'Not/A:Valid:Ref' }] } });
    expect(imagesOf(workload!)).toEqual(['Not/A:Valid:Ref']);
  });
});

describe('extractWorkload: malformed objects name every broken path', () => {
  const deployment = (spec: unknown, metadata: unknown = { name: 'web' }) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec });
  const problemsOf = (object: unknown): string[] => {
    try {
      extractWorkload(object);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect(error).toBeInstanceOf(MalformedObjectError);
      return (error as InputError).problems.map((problem) => `${problem.path}: ${problem.message}`);
    }
    return expect.unreachable('no error thrown');
  };

  test.each([
    ['containers is not a list', deployment({ template: { spec: { containers: { name: 'a', image: 'nginx' } } } }), ['spec.template.spec.containers: must be a list, not an object']],
    [
      'an image missing, another not a string',
      deployment({ template: { spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b' }, { name: 'c', image: 7 }] } } }),
      ['spec.template.spec.containers[1].image: missing', 'spec.template.spec.containers[2].image: must be a string, not the number 7'],
    ],
    ['an empty image', deployment({ template: { spec: { containers: [{ name: 'a', image: '' }] } } }), ['spec.template.spec.containers[0].image: must not be empty']],
    ['a Pod image with spaces around it', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'nginx ' }, { name: 'b', image: ' ' }] } }, ['spec.containers[0].image: must not have leading or trailing whitespace', 'spec.containers[1].image: must not have leading or trailing whitespace']],
    ['a container that is not an object', deployment({ template: { spec: { initContainers: ['nginx'], containers: [] } } }), ['spec.template.spec.initContainers[0]: must be an object, not the string "nginx"']],
    ['a container without a name', deployment({ template: { spec: { containers: [{ image: 'nginx' }] } } }), ['spec.template.spec.containers[0].name: missing']],
    ['no containers at all', deployment({ template: { spec: { initContainers: [] } } }), ['spec.template.spec.containers: missing']],
    ['no pod template', deployment({ replicas: 1 }), ['spec.template.spec: missing']],
    ['a template that is not an object', deployment({ template: 'web' }), ['spec.template: must be an object, not the string "web"']],
    ['no metadata', deployment({ template: { spec: { containers: [] } } }, null), ['metadata: missing']],
    ['no name', deployment({ template: { spec: { containers: [] } } }, { namespace: 'shop' }), ['metadata.name: missing (and no generateName)']],
    [
      'a label value that YAML read as a number',
      deployment({ template: { metadata: { labels: { version: 1.5 } }, spec: { containers: [] } } }, { name: 'web', labels: { 'app.kubernetes.io/managed': true } }),
      ['metadata.labels.app.kubernetes.io/managed: must be a string, not the boolean true (quote it)', 'spec.template.metadata.labels.version: must be a string, not the number 1.5 (quote it)'],
    ],
    [
      'an owner reference without a name',
      deployment({ template: { spec: { containers: [] } } }, { name: 'web', ownerReferences: [{ apiVersion: 'v1', kind: 'X', controller: 'yes' }] }),
      ['metadata.ownerReferences[0].name: missing', 'metadata.ownerReferences[0].controller: must be true or false, not the string "yes"'],
    ],
    [
      'the CronJob nested template',
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a' }] } } } } } },
      ['spec.jobTemplate.spec.template.spec.containers[0].image: missing'],
    ],
  ])('%s', (_name, object, expected) => {
    expect(problemsOf(object)).toEqual(expected);
  });

  test('the problems carry a path and no file: the caller adds the file', () => {
    const error = (() => {
      try {
        extractWorkload(deployment({ template: { spec: { containers: [{ name: 'a' }] } } }));
      } catch (caught) {
        return caught as MalformedObjectError;
      }
      return undefined;
    })();
    expect(error?.problems).toEqual([{ path: 'spec.template.spec.containers[0].image', message: 'missing' }]);
    expect(error?.issues).toEqual([{ path: ['spec', 'template', 'spec', 'containers', 0, 'image'], message: 'missing' }]);
    expect(error?.message).toBe('spec.template.spec.containers[0].image: missing');
  });
});
