// The webhook's flags, shared by `portcullis webhook` (sensor mode) and `portcullis serve`
// (all-in-one), and how they become WebhookOptions.
import { InvalidArgumentError, type Command } from 'commander';
import type { FailureMode } from '../admission/decide.js';
import { InputError } from '../problems.js';
import { CREDENTIAL_HELPERS, parseCredentialHelpers, type CredentialHelperName } from '../registry/credential-helper.js';
import { readDockerConfig } from '../registry/docker-config.js';
import type { RegistryOptions } from '../webhook/webhook.js';

export interface WebhookFlags {
  webhookPort: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsHost: string[];
  failureMode: FailureMode;
  deadline: number;
  registryCredentials?: string;
  registryCredentialHelpers: CredentialHelperName[];
  insecureRegistry: string[];
  platform: string;
  resolveTags: boolean;
  digestTtl: number;
  digestCacheSize: number;
  evidenceCacheMib?: number;
  excludeNamespace: string[];
}

const repeat = (value: string, previous: string[]): string[] => [...previous, value];

export function withWebhookOptions(command: Command): Command {
  return command
    .option('--webhook-port <n>', 'HTTPS port of the admission webhook', port, 8443)
    .option('--tls-cert <file>', 'serving certificate (PEM, with its chain); reloaded when it changes')
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--tls-host <name>', 'a DNS name for the self-signed certificate made without --tls-cert (repeatable)', repeat, [] as string[])
    .option('--failure-mode <mode>', 'what an image that cannot be resolved in time, or a fault of the webhook, means: open (allowed with a warning, recorded) or closed (the image counts as violating every rule in scope, so a Deny rule denies it; a fault denies)', failureMode, 'open')
    .option('--deadline <duration>', 'answer every review within this (e.g. 2s, 1500ms); keep it under the webhook configuration timeoutSeconds', millis, 2000)
    .option('--registry-credentials <file>', 'registry credentials: a Docker config.json (or a pull Secret .dockerconfigjson)')
    .option(
      '--registry-credential-helpers <names>',
      `cloud registries whose credentials the webhook asks its cloud for, with its own identity, comma-separated: ${CREDENTIAL_HELPERS.join(', ')} (ecr: Amazon ECR, through the AWS SDK's default credentials, e.g. an IAM role for the service account or EKS Pod Identity; gar: Google Artifact Registry and gcr.io, through Application Default Credentials, e.g. GKE Workload Identity; acr: Azure Container Registry, through AKS Workload Identity, else DefaultAzureCredential, e.g. a managed identity)`,
      credentialHelpers,
      [] as CredentialHelperName[],
    )
    .option('--insecure-registry <host>', 'a registry reached over plain http, e.g. localhost:5000 (repeatable)', repeat, [] as string[])
    .option('--platform <os/arch>', 'the platform whose manifest a multi-arch tag resolves to', 'linux/amd64')
    .option('--no-resolve-tags', 'do not ask registries: match tags only through the tags scan reports name')
    .option('--digest-ttl <duration>', 'how long a resolved tag is trusted', millis, 300_000)
    .option('--digest-cache-size <n>', 'resolved tags kept (least recently used go first; a multi-arch tag takes two, the tag and its index); about 500 bytes each', positiveInteger, 10_000)
    .option('--evidence-cache-mib <n>', "memory for the findings of the images admission asks about, kept ready to evaluate (least recently used go first); default 12 % of the heap's limit, which follows the container's memory limit", positiveInteger)
    .option('--exclude-namespace <ns>', 'namespaces allowed untouched, besides kube-system (repeatable)', repeat, [] as string[]);
}

export function registryOptions(flags: WebhookFlags): RegistryOptions {
  return {
    resolve: flags.resolveTags,
    ...(flags.registryCredentials !== undefined && { credentials: readDockerConfig(flags.registryCredentials) }),
    ...(flags.registryCredentialHelpers.length > 0 && { credentialHelpers: flags.registryCredentialHelpers }),
    insecure: flags.insecureRegistry,
    platform: flags.platform,
    ttlMs: flags.digestTtl,
    cacheSize: flags.digestCacheSize,
  };
}

/** The evidence cache's bound from --evidence-cache-mib, when given. */
export function evidenceCache(flags: WebhookFlags): { evidenceCacheBytes?: number } {
  return flags.evidenceCacheMib === undefined ? {} : { evidenceCacheBytes: flags.evidenceCacheMib * 1_048_576 };
}

export function tlsFiles(flags: WebhookFlags): { certFile: string; keyFile: string } | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw InputError.of({ path: flags.tlsCert === undefined ? '--tls-cert' : '--tls-key', message: 'is needed too: --tls-cert and --tls-key go together' });
  return { certFile: flags.tlsCert, keyFile: flags.tlsKey };
}

export function excludedNamespaces(flags: WebhookFlags): string[] {
  return [...new Set(['kube-system', ...flags.excludeNamespace])];
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number, 0 to 65535');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function credentialHelpers(value: string): CredentialHelperName[] {
  try {
    return parseCredentialHelpers(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function failureMode(value: string): FailureMode {
  if (value !== 'open' && value !== 'closed') throw new InvalidArgumentError(`'${value}' is not one of open, closed`);
  return value;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1500ms`, `2s`, `5m`, `1h` in milliseconds. */
export function millis(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  const n = match ? Number(match[1]) * (UNITS[match[2] ?? ''] ?? 0) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a duration like 1500ms, 2s, 5m or 1h`);
  return Math.round(n);
}

/** For a self-signed certificate: what the webhook configuration's caBundle must hold. */
export function caBundleLines(caPem: string | undefined): string[] {
  if (caPem === undefined) return [];
  return ['Self-signed webhook certificate; its CA bundle for the webhook configuration (caBundle):', `  ${Buffer.from(caPem).toString('base64')}`];
}
