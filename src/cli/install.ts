// `portcullis install`: prints the manifests that run the admission webhook in a cluster (sensor
// mode). Manifests go to stdout, for `| kubectl apply -f -`; what to do first goes to stderr.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatInstall } from '../install/format.js';
import { DEFAULTS, parseInstallFlags, type InstallFlags, type InstallOptions } from '../install/options.js';
import { renderInstall } from '../install/render.js';
import type { Io } from './main.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerInstall(program: Command, io: Io): void {
  program
    .command('install')
    .description('Print the Kubernetes manifests of the admission webhook (sensor mode), for `kubectl apply -f -`. The same as a Helm chart: deploy/helm/portcullis.')
    .option('--control-plane <url>', 'the control plane the webhook syncs from and reports to (required)')
    .option('--cluster <name>', 'this cluster, as registered in the control plane (required)')
    .option('--namespace <namespace>', 'where the webhook runs', DEFAULTS.namespace)
    .option('--image <reference>', `webhook image (default: ${DEFAULTS.imageRepository}:<this version>)`)
    .option('--replicas <n>', 'webhook replicas, spread across nodes', String(DEFAULTS.replicas))
    .option('--workers <n>', 'processes per replica answering on its port, 1 to 64 (one per core; requests and memory limit grow with them)', String(DEFAULTS.workers))
    .option('--failure-mode <mode>', 'the failurePolicy of the validating webhook (Ignore or Fail when no replica answers) and the --failure-mode of the webhook itself (closed: an image that cannot be resolved counts as violating every rule in scope)', DEFAULTS.failureMode)
    .option('--timeout-seconds <n>', 'API server timeout for the webhook, 1 to 30; the webhook answers a second earlier', String(DEFAULTS.timeoutSeconds))
    .option('--exclude-namespace <namespace>', 'never send this namespace to the webhook (repeatable; kube-system and --namespace always are)', collect)
    .option('--mutating', 'also pin image tags to the evaluated digests in pods (MutatingWebhookConfiguration)')
    .option('--token-secret <name>', 'Secret (key `token`) in --namespace holding the Sensor token; referenced, never printed', DEFAULTS.tokenSecret)
    .option('--tls-secret <name>', 'kubernetes.io/tls Secret with the serving certificate (written by cert-manager unless --ca-bundle)', DEFAULTS.tlsSecret)
    .option('--registry-credentials-secret <name>', 'image pull Secret (kubernetes.io/dockerconfigjson) in --namespace with the credentials of private registries, for resolving their tags; referenced, never printed')
    .option(
      '--registry-credential-helpers <names>',
      'clouds the webhook asks for registry credentials with its own identity, comma-separated: ecr (an IAM role that may call ecr:GetAuthorizationToken and pull, through --service-account-annotation, or EKS Pod Identity), gar (Artifact Registry and gcr.io: GKE Workload Identity), acr (Azure Container Registry: AKS Workload Identity, with --pod-label, or a managed identity with AcrPull)',
    )
    .option('--pod-label <key=value>', 'a label of the webhook pods, e.g. azure.workload.identity/use=true for AKS Workload Identity (repeatable)', collect)
    .option('--service-account-annotation <key=value>', 'an annotation of the webhook ServiceAccount, e.g. eks.amazonaws.com/role-arn=arn:aws:iam::<account>:role/<role> or iam.gke.io/gcp-service-account=<name>@<project>.iam.gserviceaccount.com or azure.workload.identity/client-id=<client id> (repeatable)', collect)
    .option('--control-plane-ca <file>', "CA certificate (PEM) that signed the control plane's certificate, when the system's roots do not know it: a ConfigMap the webhook trusts")
    .option('--ca-bundle <file>', 'CA of the serving certificate, PEM or base64; without it cert-manager issues and injects one')
    .option('--persistent-outbox', 'keep snapshot and undelivered events on a PersistentVolumeClaim per replica (a StatefulSet)')
    .option('--storage-class <name>', 'storage class of those claims (implies --persistent-outbox)')
    .option('--storage-size <quantity>', `size of each claim (implies --persistent-outbox; default ${DEFAULTS.storageSize})`)
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .action((flags: InstallFlags) => {
      const { options, format, warnings } = parseInstallFlags(flags, { version: program.version() ?? 'latest', readFile: (path) => readFileSync(path, 'utf8') });
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      io.stdout(formatInstall(renderInstall(options), format));
      io.stderr(nextSteps(options));
    });
}

function nextSteps(options: InstallOptions): string {
  const steps = [
    `Before applying, create the Sensor token's Secret (a token with role Sensor, from \`portcullis tokens create --role Sensor --name ${options.cluster}\`):`,
    `  kubectl create namespace ${options.namespace}`,
    `  kubectl -n ${options.namespace} create secret generic ${options.tokenSecret} --from-literal=token=<token>`,
    options.caBundle === undefined
      ? 'The serving certificate comes from cert-manager, which must be installed.'
      : `The serving certificate and key go in Secret ${options.tlsSecret} (kubectl -n ${options.namespace} create secret tls ${options.tlsSecret} --cert=… --key=…).`,
  ];
  if (options.failureMode === 'closed') {
    steps.push('With --failure-mode closed, workloads outside the excluded namespaces are denied whenever no replica is ready, from the moment this is applied.');
  }
  return `\n${steps.join('\n')}\n`;
}
