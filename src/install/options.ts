// What `portcullis install` was asked for, checked once: every bad flag is reported, by name, in one go.
import { InputError, type Problem } from '../problems.js';
import { parseCredentialHelpers, type CredentialHelperName } from '../registry/credential-helper.js';
import { pemCertificates } from '../tls/pem.js';
import { WEBHOOK } from './render.js';

export const FAILURE_MODES = ['open', 'closed'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export const INSTALL_FORMATS = ['yaml', 'json'] as const;
export type InstallFormat = (typeof INSTALL_FORMATS)[number];

/** Where each replica keeps its snapshot and outbox when they must outlive the pod. */
export interface PersistentStorage {
  /** Absent: the cluster's default storage class. */
  readonly storageClass?: string;
  readonly size: string;
}

export interface InstallOptions {
  readonly controlPlane: string;
  /** PEM of a CA of one's own that signed the control plane's certificate; absent: the system's roots. */
  readonly controlPlaneCa?: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  /** Processes per replica answering on its port (`portcullis webhook --workers`). */
  readonly workers: number;
  readonly failureMode: FailureMode;
  readonly timeoutSeconds: number;
  /** Namespaces the webhook never sees, besides `kube-system` and its own (render adds those). */
  readonly excludeNamespaces: readonly string[];
  readonly mutating: boolean;
  /** The Secret (key `token`) holding the Sensor token: referenced, never read. */
  readonly tokenSecret: string;
  /** The `kubernetes.io/tls` Secret with the webhook's serving certificate. */
  readonly tlsSecret: string;
  /** A `kubernetes.io/dockerconfigjson` Secret (an image pull secret) with the credentials of private registries: referenced, never read. */
  readonly registryCredentialsSecret?: string;
  /** Clouds the webhook asks for registry credentials with its own identity (`--registry-credential-helpers`). */
  readonly registryCredentialHelpers: readonly CredentialHelperName[];
  /** On the webhook's ServiceAccount: the identity a cloud gives it (`eks.amazonaws.com/role-arn` for an IAM role). */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  /** On the webhook's pods: `azure.workload.identity/use: "true"` for AKS Workload Identity. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Base64 of the PEM CA that signed the serving certificate; absent: cert-manager issues and injects it. */
  readonly caBundle?: string;
  /** Absent: an emptyDir per pod. */
  readonly storage?: PersistentStorage;
}

export const DEFAULTS = {
  namespace: 'portcullis',
  imageRepository: 'ghcr.io/portcullis/portcullis',
  replicas: 2,
  workers: 1,
  failureMode: 'open',
  timeoutSeconds: 5,
  tokenSecret: 'portcullis-sensor-token',
  tlsSecret: 'portcullis-webhook-tls',
  storageSize: '1Gi',
} as const;

/** The flags as commander hands them over: strings, untouched. */
export interface InstallFlags {
  controlPlane?: string;
  controlPlaneCa?: string;
  cluster?: string;
  namespace?: string;
  image?: string;
  replicas?: string;
  workers?: string;
  failureMode?: string;
  timeoutSeconds?: string;
  excludeNamespace?: readonly string[];
  mutating?: boolean;
  tokenSecret?: string;
  tlsSecret?: string;
  registryCredentialsSecret?: string;
  /** Comma-separated. */
  registryCredentialHelpers?: string;
  /** `key=value`, repeatable. */
  serviceAccountAnnotation?: readonly string[];
  /** `key=value`, repeatable. */
  podLabel?: readonly string[];
  caBundle?: string;
  persistentOutbox?: boolean;
  storageClass?: string;
  storageSize?: string;
  output?: string;
}

export interface InstallRequest {
  readonly options: InstallOptions;
  readonly format: InstallFormat;
  /** Things that work but deserve a second look; for the person at the terminal. */
  readonly warnings: readonly string[];
}

export interface InstallContext {
  /** The version of this build: the default image tag. */
  readonly version: string;
  /** Reads `--ca-bundle` and `--control-plane-ca`; throws as `fs.readFileSync` does. */
  readonly readFile: (path: string) => string;
}

// Kubernetes' own name rules: namespaces are DNS labels, most other names DNS subdomains.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// The same names the control plane's /api/v1/clusters accepts.
const CLUSTER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

export function parseInstallFlags(flags: InstallFlags, context: InstallContext): InstallRequest {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const problem = (flag: string, message: string) => problems.push({ path: flag, message });

  const controlPlane = required(flags.controlPlane, '--control-plane', problem);
  if (controlPlane !== undefined) {
    const url = parseUrl(controlPlane);
    if (url === undefined || !['http:', 'https:'].includes(url.protocol)) problem('--control-plane', `'${controlPlane}' is not an http(s) URL (e.g. https://portcullis.example.com)`);
    else if (url.username !== '' || url.password !== '') problem('--control-plane', 'must not carry credentials: the Sensor token comes from --token-secret');
    else if (url.protocol === 'http:') warnings.push(`--control-plane is plain http: the Sensor token travels unencrypted unless ${url.host} is inside the cluster`);
  }
  const controlPlaneCa = flags.controlPlaneCa === undefined ? undefined : readControlPlaneCa(flags.controlPlaneCa, context, problem);
  if (controlPlaneCa !== undefined && controlPlane !== undefined && parseUrl(controlPlane)?.protocol === 'http:') {
    problem('--control-plane-ca', 'is for an https control plane; --control-plane is plain http');
  }

  const cluster = required(flags.cluster, '--cluster', problem);
  if (cluster !== undefined && (cluster.length > 253 || !CLUSTER_NAME.test(cluster))) {
    problem('--cluster', `'${cluster}' must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit (as registered in the control plane)`);
  }

  const namespace = flags.namespace ?? DEFAULTS.namespace;
  checkName(namespace, '--namespace', 'namespace', DNS_LABEL, 63, problem);

  const image = flags.image ?? `${DEFAULTS.imageRepository}:${context.version}`;
  if (image === '' || /\s/.test(image)) problem('--image', `'${image}' is not an image reference (e.g. ${DEFAULTS.imageRepository}:${context.version})`);

  const replicas = integer(flags.replicas, DEFAULTS.replicas, '--replicas', 1, Infinity, problem);
  const workers = integer(flags.workers, DEFAULTS.workers, '--workers', 1, 64, problem);
  const timeoutSeconds = integer(flags.timeoutSeconds, DEFAULTS.timeoutSeconds, '--timeout-seconds', 1, 30, problem);
  if (timeoutSeconds === 1) warnings.push('--timeout-seconds 1 leaves the webhook no margin: its own deadline cannot go below 1s');

  const failureMode = oneOf(flags.failureMode, DEFAULTS.failureMode, '--failure-mode', FAILURE_MODES, problem);
  const format = oneOf(flags.output, 'yaml', '--output', INSTALL_FORMATS, problem);

  const excludeNamespaces = [...new Set(flags.excludeNamespace ?? [])];
  for (const excluded of excludeNamespaces) checkName(excluded, '--exclude-namespace', 'namespace', DNS_LABEL, 63, problem);

  const tokenSecret = flags.tokenSecret ?? DEFAULTS.tokenSecret;
  checkName(tokenSecret, '--token-secret', 'Secret name', DNS_SUBDOMAIN, 253, problem);
  const tlsSecret = flags.tlsSecret ?? DEFAULTS.tlsSecret;
  checkName(tlsSecret, '--tls-secret', 'Secret name', DNS_SUBDOMAIN, 253, problem);
  if (tlsSecret === tokenSecret) problem('--tls-secret', `must differ from --token-secret (both are '${tlsSecret}')`);
  const { registryCredentialsSecret } = flags;
  if (registryCredentialsSecret !== undefined) checkName(registryCredentialsSecret, '--registry-credentials-secret', 'Secret name', DNS_SUBDOMAIN, 253, problem);

  const registryCredentialHelpers = credentialHelpers(flags.registryCredentialHelpers, problem);
  const serviceAccountAnnotations = keyValues(flags.serviceAccountAnnotation ?? [], '--service-account-annotation', 'annotation', problem);
  const podLabels = keyValues(flags.podLabel ?? [], '--pod-label', 'label', problem);
  for (const [key, value] of Object.entries(podLabels)) {
    if (key.startsWith('app.kubernetes.io/')) problem('--pod-label', `'${key}' is one of the labels install sets itself`);
    else if (!LABEL_VALUE.test(value)) problem('--pod-label', `'${value}' is not a label value: up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`);
  }
  warnings.push(...identityWarnings(registryCredentialHelpers, serviceAccountAnnotations, podLabels));

  const caBundle = flags.caBundle === undefined ? undefined : readCaBundle(flags.caBundle, context, problem);
  if (caBundle === undefined) {
    for (const [flag, name] of [['--token-secret', tokenSecret], ['--tls-secret', tlsSecret]] as const) {
      if (name === WEBHOOK.caSecret) problem(flag, `'${name}' is where cert-manager keeps the webhook's CA; choose another name`);
    }
  }

  const persistent = flags.persistentOutbox === true || flags.storageClass !== undefined || flags.storageSize !== undefined;
  const size = flags.storageSize ?? DEFAULTS.storageSize;
  if (!QUANTITY.test(size)) problem('--storage-size', `'${size}' is not a Kubernetes quantity (e.g. 1Gi)`);
  if (flags.storageClass !== undefined) checkName(flags.storageClass, '--storage-class', 'StorageClass name', DNS_SUBDOMAIN, 253, problem);

  if (problems.length > 0) throw new InputError(problems);
  const options: InstallOptions = {
    controlPlane: controlPlane as string,
    ...(controlPlaneCa !== undefined && { controlPlaneCa }),
    cluster: cluster as string,
    namespace,
    image,
    replicas,
    workers,
    failureMode,
    timeoutSeconds,
    excludeNamespaces,
    mutating: flags.mutating === true,
    tokenSecret,
    tlsSecret,
    ...(registryCredentialsSecret !== undefined && { registryCredentialsSecret }),
    registryCredentialHelpers,
    serviceAccountAnnotations,
    podLabels,
    ...(caBundle !== undefined && { caBundle }),
    ...(persistent && { storage: { size, ...(flags.storageClass !== undefined && { storageClass: flags.storageClass }) } }),
  };
  return { options: Object.freeze(options), format, warnings };
}

type Report = (flag: string, message: string) => void;

/**
 * A credential helper needs the pods to have the cloud's identity; the usual way to give it is
 * on the ServiceAccount or the pods, which install can see. Another way (EKS Pod Identity, a
 * node's identity) leaves no trace here: a warning, not a refusal.
 */
function identityWarnings(helpers: readonly CredentialHelperName[], annotations: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): string[] {
  const warnings: string[] = [];
  if (helpers.includes('ecr') && annotations['eks.amazonaws.com/role-arn'] === undefined) {
    warnings.push('--registry-credential-helpers ecr: the ServiceAccount names no IAM role (--service-account-annotation eks.amazonaws.com/role-arn=…); without EKS Pod Identity or a node role allowed ecr:GetAuthorizationToken, ECR tags stay Unresolved');
  }
  if (helpers.includes('gar') && annotations['iam.gke.io/gcp-service-account'] === undefined) {
    warnings.push('--registry-credential-helpers gar: the ServiceAccount names no Google service account (--service-account-annotation iam.gke.io/gcp-service-account=…); without Workload Identity Federation access granted to it directly, Artifact Registry tags stay Unresolved');
  }
  if (helpers.includes('acr') && (labels['azure.workload.identity/use'] !== 'true' || annotations['azure.workload.identity/client-id'] === undefined)) {
    warnings.push('--registry-credential-helpers acr: AKS Workload Identity needs --pod-label azure.workload.identity/use=true and --service-account-annotation azure.workload.identity/client-id=…; without them (or a managed identity the pods reach), ACR tags stay Unresolved');
  }
  return warnings;
}

function credentialHelpers(value: string | undefined, problem: Report): CredentialHelperName[] {
  if (value === undefined) return [];
  try {
    return parseCredentialHelpers(value);
  } catch (error) {
    problem('--registry-credential-helpers', (error as Error).message);
    return [];
  }
}

// An annotation's or a label's key: an optional DNS subdomain prefix and a slash, then a name of up to 63 characters.
const KEY_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function keyValues(pairs: readonly string[], flag: string, what: 'annotation' | 'label', problem: Report): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const key = equals === -1 ? pair : pair.slice(0, equals);
    const slash = key.lastIndexOf('/');
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (equals === -1) problem(flag, `'${pair}' is not key=value (e.g. eks.amazonaws.com/role-arn=arn:aws:iam::123456789012:role/portcullis)`);
    else if (!KEY_NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))) {
      problem(flag, `'${key}' is not ${what === 'label' ? 'a label' : 'an annotation'} key: [prefix/]name, the prefix a DNS subdomain, the name up to 63 letters, digits, "-", "_" or "."`);
    } else result[key] = pair.slice(equals + 1);
  }
  return result;
}

function required(value: string | undefined, flag: string, problem: Report): string | undefined {
  if (value === undefined || value.trim() === '') {
    problem(flag, 'is required');
    return undefined;
  }
  return value;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function integer(value: string | undefined, fallback: number, flag: string, min: number, max: number, problem: Report): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    problem(flag, `'${value}' must be a whole number ${max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`}`);
    return fallback;
  }
  return n;
}

function oneOf<T extends string>(value: string | undefined, fallback: T, flag: string, allowed: readonly T[], problem: Report): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    problem(flag, `'${value}' is not one of ${allowed.join(', ')}`);
    return fallback;
  }
  return value as T;
}

function checkName(value: string, flag: string, what: string, pattern: RegExp, maxLength: number, problem: Report): void {
  if (value.length > maxLength || !pattern.test(value)) {
    problem(flag, `'${value}' is not a valid ${what}: lower-case letters, digits and "-"${pattern === DNS_SUBDOMAIN ? ' or "."' : ''}, at most ${maxLength} characters`);
  }
}

/** The text of the file a flag names; undefined (and a problem naming flag and file) when it cannot be read. */
function readFlagFile(flag: string, path: string, context: InstallContext, problem: Report): string | undefined {
  try {
    return context.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem(flag, `${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    return undefined;
  }
}

/** The PEM certificates of the file (a ConfigMap holds them as they are). */
function readControlPlaneCa(path: string, context: InstallContext, problem: Report): string | undefined {
  const text = readFlagFile('--control-plane-ca', path, context, problem);
  if (text === undefined) return undefined;
  const certificates = pemCertificates(text);
  if (certificates.length === 0) {
    problem('--control-plane-ca', `${path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  return `${certificates.join('\n')}\n`;
}

/** Accepts the CA as PEM or as base64 of the PEM (what `caBundle` holds); answers the latter. */
function readCaBundle(path: string, context: InstallContext, problem: Report): string | undefined {
  const text = readFlagFile('--ca-bundle', path, context, problem);
  if (text === undefined) return undefined;
  if (text.includes(PEM_CERTIFICATE)) return Buffer.from(`${text.trim()}\n`).toString('base64');
  const compact = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact) && Buffer.from(compact, 'base64').toString('utf8').includes(PEM_CERTIFICATE)) return compact;
  problem('--ca-bundle', `${path}: is neither a PEM certificate nor the base64 of one`);
  return undefined;
}
