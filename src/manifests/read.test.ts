import { describe, expect, test } from 'vitest';
import { InputError, type Problem } from '../problems.js';
import { readManifestFiles, readManifests } from './read.js';

const MULTI_DOCUMENT = `# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  template:
    metadata:
      labels: {app: web, tier: frontend}
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/web:2.1
      containers:
        - name: web
          image: ghcr.io/acme/web:2.1
---
# Source: shop/templates/disabled.yaml
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata:
      name: web
  - apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: report
      namespace: jobs
    spec:
      schedule: "0 3 * * *"
      jobTemplate:
        spec:
          template:
            spec:
              containers:
                - name: report
                  image: registry.example/report@sha256:${'a'.repeat(64)}
---
apiVersion: apps/v1
kind: DeploymentList
items:
  - metadata:
      name: api
    spec:
      template:
        spec:
          containers:
            - name: api
              image: ghcr.io/acme/api:1
`;

/** Every problem of an InputError thrown by `run`. */
function problemsOf(run: () => unknown): readonly Problem[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  return expect.unreachable('no InputError thrown');
}

describe('readManifests', () => {
  test('multi-document YAML: empty documents skipped, Lists and typed lists expanded, every object located', () => {
    const manifests = readManifests(MULTI_DOCUMENT, 'shop.yaml', { defaultNamespace: 'shop' });
    expect(manifests.map(({ file, index, path, line, object }) => ({ file, index, path, line, kind: object.kind }))).toEqual([
      { file: 'shop.yaml', index: 0, path: [], line: 2, kind: 'Deployment' },
      { file: 'shop.yaml', index: 1, path: ['items', 0], line: 24, kind: 'Service' },
      { file: 'shop.yaml', index: 1, path: ['items', 1], line: 28, kind: 'CronJob' },
      // The API leaves apiVersion and kind out of a typed list's items: they are the list's.
      { file: 'shop.yaml', index: 2, path: ['items', 0], line: 46, kind: 'Deployment' },
    ]);
    expect(manifests[3]?.object.apiVersion).toBe('apps/v1');

    const [web, service, report, api] = manifests;
    expect(web?.workload?.identity).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'web', podName: 'web', workloadName: 'web', labels: { app: 'web', tier: 'frontend' } });
    expect(web?.workload?.containers.map((c) => `${c.list}/${c.name}=${c.image}`)).toEqual(['initContainers/migrate=ghcr.io/acme/web:2.1', 'containers/web=ghcr.io/acme/web:2.1']);
    expect(service?.workload).toBeUndefined();
    expect(report?.workload?.identity).toMatchObject({ kind: 'CronJob', namespace: 'jobs', name: 'report' });
    expect(report?.workload?.containers[0]?.image).toBe(`registry.example/report@sha256:${'a'.repeat(64)}`);
    expect(api?.workload?.identity).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'api' });
  });

  test('JSON: a `kubectl get -o json` List', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        metadata: { resourceVersion: '' },
        items: [
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'ops' }, spec: { containers: [{ name: 'sh', image: 'busybox:1.36' }] } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } },
        ],
      },
      null,
      2,
    );
    const manifests = readManifests(json, 'pods.json');
    expect(manifests.map((m) => [m.object.kind, m.line, m.workload?.identity.namespace])).toEqual([
      ['Pod', 8, 'ops'],
      ['ConfigMap', 24, undefined],
    ]);
  });

  test('JSON is read as YAML too, where the file name does not say (standard input)', () => {
    const manifests = readManifests('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}', '<stdin>');
    expect(manifests[0]?.workload?.identity.namespace).toBe('default');
  });

  test('an empty file, or one of comments only, has no objects', () => {
    expect(readManifests('', 'empty.yaml')).toEqual([]);
    expect(readManifests('# nothing here\n---\n', 'comments.yaml')).toEqual([]);
  });

  test('every problem of a file at once, each with the file, its document, its path and its line', () => {
    const text = [
      'apiVersion: apps/v1', //                         1  document 1
      'kind: Deployment',
      'metadata: {name: web}',
      'spec:',
      '  template:', //                                 5
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: ghcr.io/acme/web:1',
      '        - name: sidecar', //                     10
      '---',
      '- just', //                                      12 document 2: a sequence
      '- a list',
      '---',
      'kind: Pod', //                                   15 document 3: no apiVersion
      'metadata: {name: p}',
      '---',
      'apiVersion: v1', //                              18 document 4: a List with broken items
      'kind: List',
      'items:', //                                      20
      '  - kind: Pod',
      '    metadata: {name: q}',
      '  - apiVersion: v1',
      '    kind: Pod',
      '    metadata: {name: r}', //                     25
      '    spec:',
      '      containers: web',
      '---',
      'apiVersion: v1', //                              29 document 5
      'kind: List',
      'items: {}',
    ].join('\n');
    expect(problemsOf(() => readManifests(text, 'broken.yaml'))).toEqual([
      { file: 'broken.yaml', path: 'spec.template.spec.containers[1].image', line: 10, message: 'missing (document 1)' },
      { file: 'broken.yaml', path: '', line: 12, message: 'must be a Kubernetes object (a mapping with apiVersion and kind) (document 2)' },
      { file: 'broken.yaml', path: 'apiVersion', line: 15, message: 'missing (document 3)' },
      { file: 'broken.yaml', path: 'items[0].apiVersion', line: 21, message: 'missing (document 4)' },
      { file: 'broken.yaml', path: 'items[1].spec.containers', line: 27, message: 'must be a list, not the string "web" (document 4)' },
      { file: 'broken.yaml', path: 'items', line: 31, message: 'must be a list, not an object (document 5)' },
    ]);
  });

  test('the message a user reads names file, path, document and line', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: 3\n';
    expect(() => readManifests(text, 'pod.yaml')).toThrow('pod.yaml: spec.containers[0].image: must be a string, not the number 3 (document 1) (line 8)');
  });

  test('a malformed workload in JSON is found by its line', () => {
    const json = '{\n  "apiVersion": "batch/v1",\n  "kind": "Job",\n  "metadata": {"name": "j"},\n  "spec": {"template": {"spec": {\n    "containers": [\n      {"name": "a"}\n    ]\n  }}}\n}\n';
    expect(problemsOf(() => readManifests(json, 'job.json'))).toEqual([
      { file: 'job.json', path: 'spec.template.spec.containers[0].image', line: 7, message: 'missing (document 1)' },
    ]);
  });

  test('a syntax error names the file and the line', () => {
    const problems = problemsOf(() => readManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: [\n', 'bad.yaml'));
    expect(problems[0]?.file).toBe('bad.yaml');
    expect(problems[0]?.line).toBeGreaterThanOrEqual(3);
    expect(problemsOf(() => readManifests('{"apiVersion": "v1",\n"kind": }', 'bad.json'))[0]).toMatchObject({ file: 'bad.json', line: 2 });
  });
});

describe('readManifestFiles', () => {
  const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: nginx}]\n';
  const files: Record<string, string> = { 'a.yaml': POD, 'b.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: [{name: a}]}\n' };
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };

  test('reads each file with the injected reader, and `-` from the standard input the caller passes', () => {
    const manifests = readManifestFiles(['a.yaml', '-'], readFile, { stdin: POD.replace('name: p', 'name: s'), defaultNamespace: 'ci' });
    expect(manifests.map((m) => [m.file, m.workload?.identity.name, m.workload?.identity.namespace])).toEqual([
      ['a.yaml', 'p', 'ci'],
      ['<stdin>', 's', 'ci'],
    ]);
  });

  test('the problems of every file together: unreadable files, malformed objects, stdin not given', () => {
    expect(problemsOf(() => readManifestFiles(['a.yaml', 'missing.yaml', 'b.yaml', '-'], readFile))).toEqual([
      { file: 'missing.yaml', message: 'cannot be read: no such file' },
      { file: 'b.yaml', path: 'spec.containers[0].image', line: 4, message: 'missing (document 1)' },
      { file: '<stdin>', message: 'standard input (-) was named but not given' },
    ]);
  });
});
