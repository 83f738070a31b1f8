import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { registerInstall } from '../cli/install.js';
import { InputError } from '../problems.js';
import { parseInstallFlags, type InstallFlags } from './options.js';
import type { KubeObject } from './render.js';

const REQUIRED = ['--control-plane', 'https://portcullis.example.com', '--cluster', 'prod-eu'];
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';
const FILES: Record<string, string> = { 'ca.pem': PEM, 'ca.b64': Buffer.from(PEM).toString('base64'), 'junk.txt': 'hello' };
const DIR = mkdtempSync(join(tmpdir(), 'portcullis-install-'));
for (const [name, text] of Object.entries(FILES)) writeFileSync(join(DIR, name), text);

/** Runs `portcullis install ARGS` in process; an argument naming one of FILES is its path on disk. */
async function install(args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('portcullis').version('0.1.0').exitOverride();
  registerInstall(program, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => '' });
  await program.parseAsync(['install', ...args.map((arg) => (arg in FILES ? join(DIR, arg) : arg))], { from: 'user' });
  return { stdout, stderr };
}

async function objects(...args: string[]): Promise<KubeObject[]> {
  const { stdout } = await install([...REQUIRED, ...args]);
  const documents = parseAllDocuments(stdout);
  if (!Array.isArray(documents)) throw new Error('no documents');
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((document) => document.toJS() as KubeObject);
}

const byKind = (all: readonly KubeObject[], kind: string) => all.filter((o) => o.kind === kind);
const one = (all: readonly KubeObject[], kind: string): KubeObject => {
  const found = byKind(all, kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as KubeObject;
};
// Deliberately loose: tests read deep into objects whose shape the renderer owns.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const webhookOf = (config: KubeObject): any => (config.webhooks as unknown[])[0];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const podSpecOf = (workload: KubeObject): any => (workload as any).spec.template.spec;

function problemsOf(flags: InstallFlags): string[] {
  try {
    parseInstallFlags({ controlPlane: 'https://portcullis.example.com', cluster: 'prod-eu', ...flags }, { version: '0.1.0', readFile: () => PEM });
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('portcullis install', () => {
  test('by default: the webhook in sensor mode, open, two replicas, cert-manager certificates, no mutation', async () => {
    const all = await objects();
    expect(all.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Issuer',
      'Certificate',
      'Issuer',
      'Certificate',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'ValidatingWebhookConfiguration',
    ]);
    const deployment = one(all, 'Deployment');
    expect(deployment.spec).toMatchObject({ replicas: 2 });
    const container = podSpecOf(deployment).containers[0];
    expect(container.image).toBe('ghcr.io/portcullis/portcullis:0.1.0');
    expect(container.args).toEqual([
      'webhook',
      '--control-plane', 'https://portcullis.example.com',
      '--token-file', '/var/run/portcullis/token',
      '--cluster', 'prod-eu',
      '--webhook-port', '8443',
      '--tls-cert', '/tls/tls.crt',
      '--tls-key', '/tls/tls.key',
      '--failure-mode', 'open',
      '--deadline', '4s',
      '--data-dir', '/var/lib/portcullis',
      '--workers', '1',
      '--handoff-url', 'https://portcullis-webhook.portcullis.svc',
      '--exclude-namespace', 'portcullis',
    ]);
    expect(one(all, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
    const webhook = webhookOf(one(all, 'ValidatingWebhookConfiguration'));
    expect(webhook).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 5, sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1'] });
    expect(webhook.clientConfig.service).toEqual({ namespace: 'portcullis', name: 'portcullis-webhook', path: '/validate', port: 443 });
  });

  test('the pod runs locked down: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no API token, probes over HTTPS', async () => {
    const spec = podSpecOf(one(await objects(), 'Deployment'));
    const container = spec.containers[0];
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'webhook', scheme: 'HTTPS' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'webhook', scheme: 'HTTPS' });
    expect(container.ports).toEqual([{ name: 'webhook', containerPort: 8443, protocol: 'TCP' }]);
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(spec.volumes).toContainEqual({ name: 'data', emptyDir: {} });
  });

  test('the Service sends 443 to the webhook port', async () => {
    expect(one(await objects(), 'Service').spec).toMatchObject({ ports: [{ port: 443, targetPort: 'webhook' }] });
  });

  test('no RBAC: the webhook reads nothing from the Kubernetes API', async () => {
    const all = await objects('--mutating');
    expect(all.filter((o) => /Role/.test(o.kind))).toEqual([]);
    expect(one(all, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  test('--failure-mode closed fails the webhook configuration and tells the webhook', async () => {
    const all = await objects('--failure-mode', 'closed');
    expect(webhookOf(one(all, 'ValidatingWebhookConfiguration')).failurePolicy).toBe('Fail');
    expect(podSpecOf(one(all, 'Deployment')).containers[0].args.join(' ')).toContain('--failure-mode closed');
  });

  test('--timeout-seconds sets the API server timeout and the webhook answers a second earlier, never under 1s', async () => {
    const twelve = await objects('--timeout-seconds', '12');
    expect(webhookOf(one(twelve, 'ValidatingWebhookConfiguration')).timeoutSeconds).toBe(12);
    expect(podSpecOf(one(twelve, 'Deployment')).containers[0].args.join(' ')).toContain('--deadline 11s');
    const oneSecond = await objects('--timeout-seconds', '1');
    expect(podSpecOf(one(oneSecond, 'Deployment')).containers[0].args.join(' ')).toContain('--deadline 1s');
  });

  test('kube-system and the install namespace are always excluded, with every --exclude-namespace, once each, by the configuration and by the webhook', async () => {
    const all = await objects('--namespace', 'gate', '--exclude-namespace', 'monitoring', '--exclude-namespace', 'gate', '--exclude-namespace', 'istio-system');
    expect(webhookOf(one(all, 'ValidatingWebhookConfiguration')).namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'gate', 'monitoring', 'istio-system'] }],
    });
    // And the webhook excludes them itself (kube-system it always does): a configuration written by hand is covered too.
    const args = podSpecOf(one(all, 'Deployment')).containers[0].args.join(' ');
    expect(args).toContain('--exclude-namespace gate --exclude-namespace monitoring --exclude-namespace istio-system');
    expect(args).not.toContain('--exclude-namespace kube-system');
    expect(all.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== undefined).every((o) => o.metadata.namespace === 'gate')).toBe(true);
  });

  test("matchConditions skip the webhook's own service account", async () => {
    const all = await objects('--namespace', 'gate');
    expect(webhookOf(one(all, 'ValidatingWebhookConfiguration')).matchConditions).toEqual([
      { name: 'not-portcullis-itself', expression: "request.userInfo.username != 'system:serviceaccount:gate:portcullis'" },
    ]);
    expect(one(all, 'ServiceAccount').metadata.name).toBe('portcullis');
  });

  test('a stopping replica hands its events over through the Service, in whatever namespace it is', async () => {
    for (const storage of [[], ['--persistent-outbox']]) {
      const all = await objects('--namespace', 'gate', ...storage);
      const service = one(all, 'Service');
      const workload = all.find((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
      const args = workload === undefined ? [] : podSpecOf(workload).containers[0].args;
      const url = new URL(args[args.indexOf('--handoff-url') + 1] ?? '');
      expect(url.protocol).toBe('https:');
      expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
      expect((service.spec as { ports: { port: number }[] }).ports[0]?.port).toBe(443);
      expect(url.port).toBe('');
    }
  });

  test('the rules cover every pod-bearing kind, created or updated, in its API group', async () => {
    const rules = webhookOf(one(await objects(), 'ValidatingWebhookConfiguration')).rules as { apiGroups: string[]; resources: string[]; operations: string[] }[];
    expect(rules.map((r) => [r.apiGroups, r.resources])).toEqual([
      [[''], ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers']],
      [['apps'], ['deployments', 'replicasets', 'statefulsets', 'daemonsets']],
      [['batch'], ['jobs', 'cronjobs']],
    ]);
    expect(rules.every((r) => r.operations.join() === 'CREATE,UPDATE')).toBe(true);
  });

  test('a mutating webhook only with --mutating: /mutate on pods, reinvoked if needed, same exclusions', async () => {
    expect(byKind(await objects(), 'MutatingWebhookConfiguration')).toEqual([]);
    const all = await objects('--mutating', '--failure-mode', 'closed');
    const mutating = webhookOf(one(all, 'MutatingWebhookConfiguration'));
    const validating = webhookOf(one(all, 'ValidatingWebhookConfiguration'));
    expect(mutating).toMatchObject({ clientConfig: { service: { path: '/mutate' } }, reinvocationPolicy: 'IfNeeded', failurePolicy: 'Ignore' });
    expect(mutating.namespaceSelector).toEqual(validating.namespaceSelector);
    expect(mutating.matchConditions).toEqual(validating.matchConditions);
    expect(mutating.rules.flatMap((r: { resources: string[] }) => r.resources)).toEqual(['pods', 'pods/ephemeralcontainers']);
  });

  test('--replicas sets the replicas; one replica gets no PodDisruptionBudget, which would block node drains', async () => {
    const three = await objects('--replicas', '3');
    expect(one(three, 'Deployment').spec).toMatchObject({ replicas: 3 });
    const single = await objects('--replicas', '1');
    expect(one(single, 'Deployment').spec).toMatchObject({ replicas: 1 });
    expect(byKind(single, 'PodDisruptionBudget')).toEqual([]);
  });

  test('--workers runs that many processes per replica, with requests and the memory limit to match', async () => {
    const container = podSpecOf(one(await objects('--workers', '4'), 'Deployment')).containers[0];
    expect(container.args.join(' ')).toContain('--workers 4');
    expect(container.resources).toEqual({ requests: { cpu: '400m', memory: '1024Mi' }, limits: { memory: '4096Mi' } });
    // Each worker's collector with one helper thread, not four per process beside the others.
    expect(container.env).toEqual([{ name: 'NODE_OPTIONS', value: '--v8-pool-size=1' }]);
  });

  test('without --ca-bundle, cert-manager issues the serving certificate and injects its CA', async () => {
    const all = await objects('--tls-secret', 'webhook-tls', '--mutating');
    const serving = byKind(all, 'Certificate').find((c) => c.metadata.name === 'portcullis-webhook');
    expect(serving?.spec).toMatchObject({ secretName: 'webhook-tls', dnsNames: ['portcullis-webhook.portcullis.svc', 'portcullis-webhook.portcullis.svc.cluster.local'] });
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const config = one(all, kind);
      expect(config.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': 'portcullis/portcullis-webhook' });
      expect(webhookOf(config).clientConfig.caBundle).toBeUndefined();
    }
    expect(podSpecOf(one(all, 'Deployment')).volumes).toContainEqual({ name: 'tls', secret: { secretName: 'webhook-tls', defaultMode: 0o440 } });
  });

  test.each(['ca.pem', 'ca.b64'])('--ca-bundle %s goes into caBundle as base64, and no cert-manager object is rendered', async (file) => {
    const all = await objects('--ca-bundle', file, '--mutating');
    expect(all.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))).toEqual([]);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      const config = one(all, kind);
      expect(config.metadata.annotations).toBeUndefined();
      expect(Buffer.from(webhookOf(config).clientConfig.caBundle, 'base64').toString()).toBe(PEM);
    }
  });

  test('--registry-credential-helpers and --service-account-annotation: the webhook asks ECR with the IAM role its ServiceAccount names', async () => {
    const role = 'arn:aws:iam::123456789012:role/portcullis-webhook';
    const all = await objects('--registry-credential-helpers', 'ecr', '--service-account-annotation', `eks.amazonaws.com/role-arn=${role}`, '--service-account-annotation', 'note=a=b');
    expect(podSpecOf(one(all, 'Deployment')).containers[0].args.slice(-2)).toEqual(['--registry-credential-helpers', 'ecr']);
    // As the webhook's own flag reads it: a trailing comma names nothing, the same name twice is one.
    const trailing = await objects('--registry-credential-helpers', 'ECR,ecr,', '--service-account-annotation', `eks.amazonaws.com/role-arn=${role}`);
    expect(podSpecOf(one(trailing, 'Deployment')).containers[0].args.slice(-2)).toEqual(['--registry-credential-helpers', 'ecr']);
    expect(one(all, 'ServiceAccount').metadata).toMatchObject({ annotations: { 'eks.amazonaws.com/role-arn': role, note: 'a=b' } });
    const plain = await objects();
    expect(podSpecOf(one(plain, 'Deployment')).containers[0].args).not.toContain('--registry-credential-helpers');
    expect(one(plain, 'ServiceAccount').metadata).not.toHaveProperty('annotations');
  });

  test("a credential helper without its cloud's identity on the ServiceAccount or pods: a warning naming the flags, not a refusal", () => {
    const warningsOf = (flags: InstallFlags) =>
      parseInstallFlags({ controlPlane: 'https://portcullis.example.com', cluster: 'prod-eu', ...flags }, { version: '0.1.0', readFile: () => PEM }).warnings;
    expect(warningsOf({ registryCredentialHelpers: 'ecr,gar,acr' })).toEqual([
      expect.stringContaining('--service-account-annotation eks.amazonaws.com/role-arn='),
      expect.stringContaining('--service-account-annotation iam.gke.io/gcp-service-account='),
      expect.stringContaining('--pod-label azure.workload.identity/use=true'),
    ]);
    expect(
      warningsOf({
        registryCredentialHelpers: 'ecr,gar,acr',
        serviceAccountAnnotation: ['eks.amazonaws.com/role-arn=arn:aws:iam::123456789012:role/r', 'iam.gke.io/gcp-service-account=w@p.iam.gserviceaccount.com', 'azure.workload.identity/client-id=c'],
        podLabel: ['azure.workload.identity/use=true'],
      }),
    ).toEqual([]);
  });

  test('--pod-label with acr: AKS Workload Identity, the label on the pods and the client id on the ServiceAccount; the selector untouched', async () => {
    const all = await objects('--registry-credential-helpers', 'acr,ecr', '--pod-label', 'azure.workload.identity/use=true', '--service-account-annotation', 'azure.workload.identity/client-id=5e29463d-71da-4fe0-8e69-999b57db23b0');
    const deployment = one(all, 'Deployment') as KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } };
    expect(deployment.spec.template.metadata.labels).toMatchObject({ 'azure.workload.identity/use': 'true', 'app.kubernetes.io/name': 'portcullis' });
    expect(deployment.spec.selector.matchLabels).not.toHaveProperty('azure.workload.identity/use');
    expect(podSpecOf(deployment).containers[0].args.slice(-2)).toEqual(['--registry-credential-helpers', 'acr,ecr']);
  });

  test('--registry-credentials-secret: the pull Secret mounted read-only as a Docker config.json, which the webhook resolves tags with', async () => {
    const pod = podSpecOf(one(await objects('--registry-credentials-secret', 'acme-pull'), 'Deployment'));
    expect(pod.volumes).toContainEqual({ name: 'registry-credentials', secret: { secretName: 'acme-pull', items: [{ key: '.dockerconfigjson', path: 'config.json' }], defaultMode: 0o440 } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'registry-credentials', mountPath: '/etc/portcullis/registry', readOnly: true });
    expect(pod.containers[0].args.slice(-2)).toEqual(['--registry-credentials', '/etc/portcullis/registry/config.json']);
    expect(podSpecOf(one(await objects(), 'Deployment')).containers[0].args).not.toContain('--registry-credentials');
  });

  test('--control-plane-ca: a ConfigMap with the CA, mounted read-only, and the webhook trusts it with --ca-file', async () => {
    const all = await objects('--control-plane-ca', 'ca.pem');
    expect(one(all, 'ConfigMap')).toMatchObject({ metadata: { name: 'portcullis-control-plane-ca', namespace: 'portcullis' }, data: { 'ca.crt': PEM } });
    const pod = podSpecOf(one(all, 'Deployment'));
    expect(pod.volumes).toContainEqual({ name: 'control-plane-ca', configMap: { name: 'portcullis-control-plane-ca' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'control-plane-ca', mountPath: '/etc/portcullis/control-plane-ca', readOnly: true });
    expect(pod.containers[0].args.slice(-2)).toEqual(['--ca-file', '/etc/portcullis/control-plane-ca/ca.crt']);
    // Without it: no ConfigMap, no flag.
    const plain = await objects();
    expect(byKind(plain, 'ConfigMap')).toEqual([]);
    expect(podSpecOf(one(plain, 'Deployment')).containers[0].args).not.toContain('--ca-file');
  });

  test('the Sensor token is referenced by Secret name, mounted as a file, and never in the output', async () => {
    const secret = 'pcl_0123456789abcdefghijklmnopqrstuv';
    const saved = process.env.PORTCULLIS_TOKEN;
    process.env.PORTCULLIS_TOKEN = secret;
    try {
      const { stdout, stderr } = await install([...REQUIRED, '--token-secret', 'sensor-token', '--mutating', '-o', 'yaml']);
      const json = await install([...REQUIRED, '--token-secret', 'sensor-token', '-o', 'json']);
      for (const text of [stdout, stderr, json.stdout, json.stderr]) expect(text).not.toContain(secret);
      const all = parseAllDocuments(stdout) as unknown as { toJS: () => KubeObject }[];
      expect(all.map((d) => d.toJS().kind)).not.toContain('Secret');
      const spec = podSpecOf(all.map((d) => d.toJS()).find((o) => o.kind === 'Deployment') as KubeObject);
      expect(spec.volumes).toContainEqual({ name: 'token', secret: { secretName: 'sensor-token', items: [{ key: 'token', path: 'token' }], defaultMode: 0o440 } });
      expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'token', mountPath: '/var/run/portcullis', readOnly: true });
      expect(stderr).toContain('create secret generic sensor-token');
    } finally {
      if (saved === undefined) delete process.env.PORTCULLIS_TOKEN;
      else process.env.PORTCULLIS_TOKEN = saved;
    }
  });

  test('--storage-class keeps snapshot and outbox on a claim per replica: a StatefulSet instead of a Deployment', async () => {
    const all = await objects('--storage-class', 'fast-ssd', '--storage-size', '5Gi');
    expect(byKind(all, 'Deployment')).toEqual([]);
    const statefulSet = one(all, 'StatefulSet');
    expect(statefulSet.spec).toMatchObject({
      replicas: 2,
      serviceName: 'portcullis-webhook',
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: 'fast-ssd', resources: { requests: { storage: '5Gi' } } } }],
    });
    expect(podSpecOf(statefulSet).volumes.map((v: { name: string }) => v.name)).not.toContain('data');
    const defaultClass = one(await objects('--persistent-outbox'), 'StatefulSet');
    expect(JSON.stringify(defaultClass)).not.toContain('storageClassName');
  });

  test('-o json prints a List that holds the same objects as the YAML', async () => {
    const { stdout } = await install([...REQUIRED, '-o', 'json']);
    const list = JSON.parse(stdout) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual(await objects());
  });

  test('the YAML explains the emptyDir and its lost outbox, without anchors', async () => {
    const { stdout } = await install(REQUIRED);
    expect(stdout).toMatch(/# .*emptyDir[\s\S]*PersistentVolumeClaim[\s\S]*\nkind: Deployment/);
    expect(stdout).not.toMatch(/[&*]a\d/);
  });

  test('a plain-http control plane works, with a warning that the token travels unencrypted', async () => {
    const { stderr } = await install(['--control-plane', 'http://portcullis.portcullis.svc:8080', '--cluster', 'prod-eu']);
    expect(stderr).toContain('warning: --control-plane is plain http');
  });
});

describe('install flags', () => {
  test.each([
    ['a timeout above 30', { timeoutSeconds: '31' }, "--timeout-seconds: '31' must be a whole number from 1 to 30"],
    ['a timeout of 0', { timeoutSeconds: '0' }, '--timeout-seconds:'],
    ['a fractional timeout', { timeoutSeconds: '2.5' }, '--timeout-seconds:'],
    ['an unknown failure mode', { failureMode: 'maybe' }, "--failure-mode: 'maybe' is not one of open, closed"],
    ['no replicas', { replicas: '0' }, "--replicas: '0' must be a whole number of at least 1"],
    ['replicas that are not a number', { replicas: 'two' }, '--replicas:'],
    ['no workers', { workers: '0' }, '--workers:'],
    ['more workers than a pod has any use for', { workers: '65' }, '--workers:'],
    ['a control plane that is not a URL', { controlPlane: 'portcullis.example.com' }, '--control-plane: '],
    ['a control plane that is not http(s)', { controlPlane: 'ftp://portcullis.example.com' }, "--control-plane: 'ftp://portcullis.example.com' is not an http(s) URL"],
    ['a control plane URL with credentials', { controlPlane: 'https://admin:hunter2@portcullis.example.com' }, '--control-plane: must not carry credentials'],
    ['an empty cluster', { cluster: '' }, '--cluster: is required'],
    ['a cluster name with spaces', { cluster: 'prod eu' }, "--cluster: 'prod eu'"],
    ['a namespace in capitals', { namespace: 'Gate' }, "--namespace: 'Gate' is not a valid namespace"],
    ['an excluded namespace with a slash', { excludeNamespace: ['team/a'] }, "--exclude-namespace: 'team/a'"],
    ['a token Secret name with underscores', { tokenSecret: 'sensor_token' }, "--token-secret: 'sensor_token'"],
    ['a registry credentials Secret name in capitals', { registryCredentialsSecret: 'Pull' }, "--registry-credentials-secret: 'Pull'"],
    ['an unknown credential helper', { registryCredentialHelpers: 'ecr,quay' }, "--registry-credential-helpers: 'quay' is not one of ecr, gar, acr"],
    ['no credential helper', { registryCredentialHelpers: ' , ' }, '--registry-credential-helpers: names none of ecr, gar, acr'],
    ['an annotation without a value', { serviceAccountAnnotation: ['eks.amazonaws.com/role-arn'] }, "--service-account-annotation: 'eks.amazonaws.com/role-arn' is not key=value"],
    ['an annotation key with a space', { serviceAccountAnnotation: ['role arn=x'] }, "--service-account-annotation: 'role arn' is not an annotation key"],
    ['an annotation key with a prefix that is not a DNS subdomain', { serviceAccountAnnotation: ['EKS_/role=x'] }, "--service-account-annotation: 'EKS_/role' is not an annotation key"],
    ['a pod label install sets itself', { podLabel: ['app.kubernetes.io/name=other'] }, "--pod-label: 'app.kubernetes.io/name' is one of the labels install sets itself"],
    ['a pod label value with a space', { podLabel: ['team=a b'] }, "--pod-label: 'a b' is not a label value"],
    ['the same Secret for token and TLS', { tokenSecret: 'shared', tlsSecret: 'shared' }, '--tls-secret: must differ from --token-secret'],
    ['the CA Secret as the serving certificate Secret', { tlsSecret: 'portcullis-ca' }, "--tls-secret: 'portcullis-ca' is where cert-manager keeps the webhook's CA"],
    ['an image with spaces', { image: 'ghcr.io/x y' }, '--image:'],
    ['a storage size that is not a quantity', { storageSize: 'lots' }, "--storage-size: 'lots' is not a Kubernetes quantity"],
    ['an unknown output format', { output: 'xml' }, "--output: 'xml' is not one of yaml, json"],
  ] satisfies [string, InstallFlags, string][])('%s is refused, naming the flag', (_name, flags, message) => {
    expect(problemsOf(flags)).toEqual([expect.stringContaining(message)]);
  });

  test('every bad flag is reported at once', () => {
    expect(problemsOf({ timeoutSeconds: '31', replicas: '0', failureMode: 'maybe' }).map((p) => p.split(':')[0])).toEqual(['--replicas', '--timeout-seconds', '--failure-mode']);
  });

  test('a --ca-bundle that is missing or not a certificate is refused, naming the flag', async () => {
    await expect(install([...REQUIRED, '--ca-bundle', 'junk.txt'])).rejects.toThrow(/--ca-bundle: .*junk\.txt: is neither a PEM certificate nor the base64 of one/);
    await expect(install([...REQUIRED, '--ca-bundle', '/does/not/exist.pem'])).rejects.toThrow(/--ca-bundle: \/does\/not\/exist\.pem: no such file/);
  });

  test('a --control-plane-ca that is missing, not a certificate, or for a plain-http control plane is refused, naming the flag', async () => {
    await expect(install([...REQUIRED, '--control-plane-ca', 'junk.txt'])).rejects.toThrow(/--control-plane-ca: .*junk\.txt: holds no PEM certificate/);
    await expect(install([...REQUIRED, '--control-plane-ca', '/does/not/exist.pem'])).rejects.toThrow(/--control-plane-ca: \/does\/not\/exist\.pem: no such file/);
    expect(problemsOf({ controlPlane: 'http://portcullis.portcullis.svc', controlPlaneCa: 'ca.pem' })).toEqual(['--control-plane-ca: is for an https control plane; --control-plane is plain http']);
  });

  test('the CLI throws InputError, which the program turns into exit code 2', async () => {
    const failure = await install([...REQUIRED, '--timeout-seconds', '31']).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as InputError).problems).toEqual([{ path: '--timeout-seconds', message: "'31' must be a whole number from 1 to 30" }]);
  });

  test('a missing --control-plane or --cluster is named', () => {
    expect(() => parseInstallFlags({}, { version: '0.1.0', readFile: () => '' })).toThrow(/--control-plane: is required\n--cluster: is required/);
  });
});
