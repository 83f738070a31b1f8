// The Helm chart under deploy/helm/portcullis rendered by Helm itself (test/support/helm.ts):
// it lints, refuses what its schema and required values refuse, and for every choice `portcullis
// install` offers renders the same objects as the CLI, but for the labels Helm adds of its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { helmBinary, runHelm } from '../../test/support/helm.js';
import { parseInstallFlags, type InstallFlags } from './options.js';
import { renderInstall, type KubeObject } from './render.js';

const CHART = join(import.meta.dirname, '../../deploy/helm/portcullis');
const CONTROL_PLANE = 'https://portcullis.example.com';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0VSVA==\n-----END CERTIFICATE-----\n';
/** The release's name: the chart then names its objects as the CLI does. */
const RELEASE = 'portcullis';
/** The CLI's default image tag is its version, the chart's its appVersion (chart.test.ts checks they agree). */
const APP_VERSION = String((parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: unknown }).appVersion);

let helm: string;
let home: string;
let pemFile: string;
beforeAll(() => {
  helm = helmBinary();
  home = mkdtempSync(join(tmpdir(), 'portcullis-helm-'));
  pemFile = join(home, 'ca.crt');
  writeFileSync(pemFile, PEM);
});
afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

/** `helm template` of the chart with these arguments (`--set`, `--set-file`, `-n`): its objects, or Helm's complaint. */
function template(args: readonly string[]): KubeObject[] {
  const run = runHelm(helm, ['template', RELEASE, CHART, ...args], home);
  if (run.status !== 0) throw new Error(`helm template ${args.join(' ')} failed: ${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function cli(flags: InstallFlags): KubeObject[] {
  const { options } = parseInstallFlags({ controlPlane: CONTROL_PLANE, cluster: 'prod-eu', ...flags }, { version: APP_VERSION, readFile: () => PEM });
  return renderInstall(options);
}

/** The labels Helm's release adds and the CLI has no release for; managed-by names either. */
const RELEASE_LABELS = new Set(['helm.sh/chart', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by']);
const BINARY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/**
 * An object as both would apply it: without the release's labels (in selectors too), and memory
 * quantities as bytes, since 1Gi and 1024Mi are one quantity to the API server.
 */
function comparable(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => comparable(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([name]) => !RELEASE_LABELS.has(name))
        .map(([name, child]) => [name, comparable(child, name)]),
    );
  }
  const quantity = typeof value === 'string' && (key === 'memory' || key === 'storage') ? /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(value) : null;
  return quantity ? Number(quantity[1]) * (BINARY_UNITS[quantity[2] as string] as number) : value;
}

const byKindAndName = (objects: readonly KubeObject[]) => new Map(objects.map((object) => [`${object.kind}/${object.metadata.name}`, comparable(object)]));

/** Each choice the CLI offers, as flags and as the chart's values. */
const CASES: { readonly name: string; readonly flags: InstallFlags; readonly helm: (pem: string) => string[] }[] = [
  { name: 'the defaults', flags: {}, helm: () => [] },
  {
    name: 'every choice of the webhook and its pods',
    flags: {
      namespace: 'gate',
      image: 'registry.example.com/security/portcullis:9.9.9',
      replicas: '3',
      workers: '2',
      failureMode: 'closed',
      timeoutSeconds: '10',
      excludeNamespace: ['team-a', 'team-b'],
      mutating: true,
      tokenSecret: 'sensor-token',
      tlsSecret: 'serving-cert',
      registryCredentialsSecret: 'pull-secret',
      registryCredentialHelpers: 'ecr,gar',
      serviceAccountAnnotation: ['eks.amazonaws.com/role-arn=arn:aws:iam::123456789012:role/portcullis-webhook'],
      podLabel: ['azure.workload.identity/use=true'],
    },
    helm: () => [
      '-n', 'gate',
      '--set', 'image.repository=registry.example.com/security/portcullis',
      '--set', 'image.tag=9.9.9',
      '--set', 'replicas=3',
      '--set', 'workers=2',
      '--set', 'failureMode=closed',
      '--set', 'timeoutSeconds=10',
      '--set', 'excludeNamespaces={team-a,team-b}',
      '--set', 'mutating=true',
      '--set', 'tokenSecret=sensor-token',
      '--set', 'tls.secretName=serving-cert',
      '--set', 'registryCredentialsSecret=pull-secret',
      '--set', 'registryCredentialHelpers={ecr,gar}',
      '--set', 'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/portcullis-webhook',
      '--set-string', 'podLabels.azure\\.workload\\.identity/use=true',
    ],
  },
  {
    name: 'certificates of your own: the webhook CA bundle, and the CA of the control plane',
    flags: { caBundle: 'ca.crt', controlPlaneCa: 'control-plane-ca.crt' },
    helm: (pem) => ['--set', `tls.caBundle=${Buffer.from(PEM).toString('base64')}`, '--set-file', `controlPlane.caCert=${pem}`],
  },
  {
    name: 'persistent storage',
    flags: { persistentOutbox: true, storageClass: 'fast-ssd', storageSize: '5Gi' },
    helm: () => ['--set', 'storage.persistent=true', '--set', 'storage.storageClass=fast-ssd', '--set', 'storage.size=5Gi'],
  },
  { name: 'one replica (no PodDisruptionBudget)', flags: { replicas: '1' }, helm: () => ['--set', 'replicas=1'] },
];

describe('the Helm chart, rendered by Helm', () => {
  test.each(CASES)('$name: the same objects as `portcullis install`', ({ flags, helm: values }) => {
    const namespace = flags.namespace ?? 'portcullis';
    const rendered = template(['-n', namespace, '--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=prod-eu', '--set', 'namespace.create=true', ...values(pemFile)]);
    // The same objects (Helm orders them by kind itself), then each object field by field.
    const chartObjects = byKindAndName(rendered);
    const cliObjects = byKindAndName(cli(flags));
    expect([...chartObjects.keys()].sort()).toEqual([...cliObjects.keys()].sort());
    for (const [name, object] of cliObjects) expect(chartObjects.get(name), name).toEqual(object);
    // Helm's labels are there, on the objects and on the pods.
    for (const object of rendered) expect(object.metadata.labels, `${object.kind}/${object.metadata.name}`).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': RELEASE });
  });

  test('resources given replace those made per worker, whole', () => {
    const rendered = template(['--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=prod-eu', '--set', 'workers=4', '--set', 'resources.limits.memory=3Gi']);
    const pod = rendered.find((object) => object.kind === 'Deployment')?.spec as { template: { spec: { containers: { resources: unknown; args: string[] }[] } } };
    const [container] = pod.template.spec.containers;
    expect(container?.resources).toEqual({ limits: { memory: '3Gi' } });
    expect(container?.args).toContain('--workers');
  });

  test('without the namespace object, as with `helm install --create-namespace`', () => {
    const kinds = template(['-n', 'portcullis', '--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=prod-eu']).map((object) => object.kind);
    expect(kinds).not.toContain('Namespace');
    expect(kinds).toContain('Deployment');
  });

  test('helm lint --strict passes with the required values', () => {
    const run = runHelm(helm, ['lint', '--strict', CHART, '--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=prod-eu'], home);
    expect(run.stderr + run.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(run.status).toBe(0);
  });

  test.each([
    { name: 'no control plane', args: ['--set', 'cluster.name=prod-eu'], says: 'controlPlane.url is required: the control plane this webhook syncs from' },
    { name: 'no cluster', args: ['--set', `controlPlane.url=${CONTROL_PLANE}`], says: 'cluster.name is required: this cluster as registered in the control plane' },
    { name: 'a failure mode that is neither open nor closed', args: ['--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=c', '--set', 'failureMode=maybe'], says: 'failureMode' },
    { name: 'a timeout over 30 s', args: ['--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=c', '--set', 'timeoutSeconds=31'], says: 'timeoutSeconds' },
    { name: 'an unknown credential helper', args: ['--set', `controlPlane.url=${CONTROL_PLANE}`, '--set', 'cluster.name=c', '--set', 'registryCredentialHelpers={ibm}'], says: 'registryCredentialHelpers' },
  ])('refuses $name, and says which value', ({ args, says }) => {
    const run = runHelm(helm, ['template', RELEASE, CHART, ...args], home);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(says);
  });
});
