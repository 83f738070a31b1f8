// The Kubernetes objects that run the admission webhook in sensor mode: pure, options in, objects
// out. The Helm chart under deploy/helm/portcullis renders the same objects from values.
import type { InstallOptions } from './options.js';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** Names and paths the objects share with each other and with the `webhook` process. */
export const WEBHOOK = {
  name: 'portcullis-webhook',
  serviceAccount: 'portcullis',
  port: 8443,
  tokenDir: '/var/run/portcullis',
  tlsDir: '/tls',
  dataDir: '/var/lib/portcullis',
  validatePath: '/validate',
  mutatePath: '/mutate',
  certificate: 'portcullis-webhook',
  /** Where cert-manager keeps the CA that signs the serving certificate. */
  caSecret: 'portcullis-ca',
  /** The ConfigMap with the CA of the control plane's certificate (`--control-plane-ca`), and where the pod reads it. */
  controlPlaneCaConfigMap: 'portcullis-control-plane-ca',
  controlPlaneCaDir: '/etc/portcullis/control-plane-ca',
  /** Where the pod reads the registries' credentials (`--registry-credentials-secret`), as a Docker config.json. */
  registryCredentialsDir: '/etc/portcullis/registry',
} as const;

/** Never evaluated, whatever the flags: the webhook must not be able to lock the cluster or itself. */
export const ALWAYS_EXCLUDED = ['kube-system'] as const;

export function renderInstall(options: InstallOptions): KubeObject[] {
  const certManaged = options.caBundle === undefined;
  return [
    namespace(options),
    serviceAccount(options),
    ...(options.controlPlaneCa !== undefined ? [controlPlaneCaConfigMap(options, options.controlPlaneCa)] : []),
    ...(certManaged ? certificates(options) : []),
    service(options),
    workload(options),
    ...(options.replicas >= 2 ? [podDisruptionBudget(options)] : []),
    validatingWebhook(options),
    ...(options.mutating ? [mutatingWebhook(options)] : []),
  ];
}

/** The webhook's own deadline: a second under the API server's timeout, so it answers before being cut off. */
export function deadlineSeconds(timeoutSeconds: number): number {
  return Math.max(1, timeoutSeconds - 1);
}

export function excludedNamespaces(options: InstallOptions): string[] {
  return [...new Set([...ALWAYS_EXCLUDED, options.namespace, ...options.excludeNamespaces])];
}

/** The arguments of `portcullis webhook` in the pod; the image's entrypoint is `portcullis`. */
export function webhookArgs(options: InstallOptions): string[] {
  return [
    'webhook',
    '--control-plane', options.controlPlane,
    '--token-file', `${WEBHOOK.tokenDir}/token`,
    '--cluster', options.cluster,
    '--webhook-port', String(WEBHOOK.port),
    '--tls-cert', `${WEBHOOK.tlsDir}/tls.crt`,
    '--tls-key', `${WEBHOOK.tlsDir}/tls.key`,
    '--failure-mode', options.failureMode,
    '--deadline', `${deadlineSeconds(options.timeoutSeconds)}s`,
    '--data-dir', WEBHOOK.dataDir,
    '--workers', String(options.workers),
    // A replica that stops while the control plane is away hands its undelivered events to another
    // through the Service (the replicas share the TLS Secret, and recognize each other by it).
    '--handoff-url', handoffUrl(options),
    // The same namespaces the configuration never sends (those always excluded the webhook
    // excludes itself): should a configuration written by hand send them anyway, they are still
    // allowed untouched.
    ...excludedNamespaces(options)
      .filter((name) => !(ALWAYS_EXCLUDED as readonly string[]).includes(name))
      .flatMap((name) => ['--exclude-namespace', name]),
    ...(options.controlPlaneCa !== undefined ? ['--ca-file', `${WEBHOOK.controlPlaneCaDir}/ca.crt`] : []),
    ...(options.registryCredentialsSecret !== undefined ? ['--registry-credentials', `${WEBHOOK.registryCredentialsDir}/config.json`] : []),
    ...(options.registryCredentialHelpers.length > 0 ? ['--registry-credential-helpers', options.registryCredentialHelpers.join(',')] : []),
  ];
}

/** The webhook Service, where a stopping replica finds another. */
export function handoffUrl(options: InstallOptions): string {
  return `https://${WEBHOOK.name}.${options.namespace}.svc`;
}

const SELECTOR = { 'app.kubernetes.io/name': 'portcullis', 'app.kubernetes.io/component': 'webhook' } as const;
const LABELS = { ...SELECTOR, 'app.kubernetes.io/part-of': 'portcullis', 'app.kubernetes.io/managed-by': 'portcullis-install' } as const;

function meta(name: string, options: InstallOptions, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return { name, namespace: options.namespace, labels: LABELS, ...extra };
}

function namespace(options: InstallOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    // The pod meets the `restricted` Pod Security Standard; enforcing it keeps it that way.
    metadata: { name: options.namespace, labels: { ...LABELS, 'pod-security.kubernetes.io/enforce': 'restricted' } },
  };
}

function serviceAccount(options: InstallOptions): KubeObject {
  // No Role or binding: the webhook reads nothing from the Kubernetes API (the kubelet mounts its
  // Secrets), so it gets no API token either. A cloud identity (an IAM role for the service
  // account) is an annotation its cloud's own webhook reads, and mounts a token of its own for.
  const annotations = options.serviceAccountAnnotations;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(WEBHOOK.serviceAccount, options, Object.keys(annotations).length > 0 ? { annotations } : {}),
    automountServiceAccountToken: false,
  };
}

/** Not a Secret: a CA certificate is public; the pod trusts it for the control plane alone. */
function controlPlaneCaConfigMap(options: InstallOptions, pem: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(WEBHOOK.controlPlaneCaConfigMap, options), data: { 'ca.crt': pem } };
}

function serviceHost(options: InstallOptions): string {
  return `${WEBHOOK.name}.${options.namespace}.svc`;
}

/**
 * A self-signed root signs a CA, the CA signs the serving certificate. Renewing the serving
 * certificate then leaves the injected caBundle unchanged, so no request fails between the
 * renewal and the pods picking it up.
 */
function certificates(options: InstallOptions): KubeObject[] {
  const issuer = (name: string, spec: unknown): KubeObject => ({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: meta(name, options), spec });
  const certificate = (name: string, spec: unknown): KubeObject => ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: meta(name, options), spec });
  const privateKey = { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' };
  return [
    issuer('portcullis-selfsigned', { selfSigned: {} }),
    certificate('portcullis-ca', {
      isCA: true,
      commonName: 'portcullis-webhook-ca',
      secretName: WEBHOOK.caSecret,
      duration: '87600h',
      privateKey,
      issuerRef: { name: 'portcullis-selfsigned', kind: 'Issuer' },
    }),
    issuer('portcullis-ca', { ca: { secretName: WEBHOOK.caSecret } }),
    certificate(WEBHOOK.certificate, {
      secretName: options.tlsSecret,
      dnsNames: [serviceHost(options), `${serviceHost(options)}.cluster.local`],
      duration: '2160h',
      renewBefore: '720h',
      usages: ['server auth', 'digital signature'],
      privateKey,
      issuerRef: { name: 'portcullis-ca', kind: 'Issuer' },
    }),
  ];
}

function service(options: InstallOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(WEBHOOK.name, options),
    spec: { type: 'ClusterIP', selector: SELECTOR, ports: [{ name: 'https', port: 443, targetPort: 'webhook', protocol: 'TCP' }] },
  };
}

/** A Deployment over emptyDir, or with persistent storage a StatefulSet: one volume claim per replica. */
function workload(options: InstallOptions): KubeObject {
  const template = podTemplate(options);
  const common = { replicas: options.replicas, selector: { matchLabels: SELECTOR } };
  if (options.storage === undefined) {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(WEBHOOK.name, options),
      // Never fewer ready replicas than asked during a rollout: every admission request waits on them.
      spec: { ...common, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, template },
    };
  }
  const { storageClass, size } = options.storage;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(WEBHOOK.name, options),
    spec: {
      ...common,
      // Not headless: the replicas need no DNS names of their own, only their claims.
      serviceName: WEBHOOK.name,
      // Replicas are independent (each holds its own snapshot): no need to start them one by one.
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      template,
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: SELECTOR },
          spec: { accessModes: ['ReadWriteOnce'], ...(storageClass !== undefined && { storageClassName: storageClass }), resources: { requests: { storage: size } } },
        },
      ],
    },
  };
}

function podTemplate(options: InstallOptions): unknown {
  const probe = (path: string, periodSeconds: number) => ({ httpGet: { path, port: 'webhook', scheme: 'HTTPS' }, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 });
  return {
    // Extra labels come first: the selector's own cannot be overridden.
    metadata: { labels: { ...options.podLabels, ...LABELS } },
    spec: {
      serviceAccountName: WEBHOOK.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      affinity: {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: SELECTOR } } }],
        },
      },
      containers: [
        {
          name: 'webhook',
          image: options.image,
          imagePullPolicy: 'IfNotPresent',
          // One thread for V8's garbage collector to work beside the admission thread rather than
          // Node's four, which on a node of few cores take every core while they mark the heap,
          // holding answers up (bench/README.md, "The collector's helper threads").
          env: [{ name: 'NODE_OPTIONS', value: '--v8-pool-size=1' }],
          args: webhookArgs(options),
          ports: [{ name: 'webhook', containerPort: WEBHOOK.port, protocol: 'TCP' }],
          readinessProbe: probe('/readyz', 5),
          livenessProbe: { ...probe('/healthz', 10), initialDelaySeconds: 10 },
          // No CPU limit: throttling would show up as admission latency. Each worker holds its
          // own snapshot caches: the memory grows with them. V8 sizes the heap from the memory
          // limit (half of it), and the collector runs often on a heap with little room above
          // what lives: 1 GiB keeps a snapshot of 100,000 images fast (README, "Memory").
          resources: { requests: { cpu: `${100 * options.workers}m`, memory: `${256 * options.workers}Mi` }, limits: { memory: `${1024 * options.workers}Mi` } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: [
            { name: 'token', mountPath: WEBHOOK.tokenDir, readOnly: true },
            { name: 'tls', mountPath: WEBHOOK.tlsDir, readOnly: true },
            { name: 'data', mountPath: WEBHOOK.dataDir },
            { name: 'tmp', mountPath: '/tmp' },
            ...(options.controlPlaneCa !== undefined ? [{ name: 'control-plane-ca', mountPath: WEBHOOK.controlPlaneCaDir, readOnly: true }] : []),
            ...(options.registryCredentialsSecret !== undefined ? [{ name: 'registry-credentials', mountPath: WEBHOOK.registryCredentialsDir, readOnly: true }] : []),
          ],
        },
      ],
      // Whole-directory mounts (no subPath), so a rotated token or renewed certificate reaches the pod.
      volumes: [
        { name: 'token', secret: { secretName: options.tokenSecret, items: [{ key: 'token', path: 'token' }], defaultMode: 0o440 } },
        { name: 'tls', secret: { secretName: options.tlsSecret, defaultMode: 0o440 } },
        ...(options.storage === undefined ? [{ name: 'data', emptyDir: {} }] : []),
        { name: 'tmp', emptyDir: {} },
        ...(options.controlPlaneCa !== undefined ? [{ name: 'control-plane-ca', configMap: { name: WEBHOOK.controlPlaneCaConfigMap } }] : []),
        ...(options.registryCredentialsSecret !== undefined
          ? [{ name: 'registry-credentials', secret: { secretName: options.registryCredentialsSecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }], defaultMode: 0o440 } }]
          : []),
      ],
    },
  };
}

function podDisruptionBudget(options: InstallOptions): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(WEBHOOK.name, options),
    // A crash-looping replica serves nothing: let a node drain evict it.
    spec: { minAvailable: 1, selector: { matchLabels: SELECTOR }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  };
}

const RULES = [
  { apiGroups: [''], resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'] },
].map((rule) => ({ ...rule, apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }));

// Pinning rewrites what it admits; workload templates stay as written (GitOps tools would see
// drift), only the pods that run are pinned.
const MUTATING_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' },
  { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' },
];

function webhookMeta(options: InstallOptions): ObjectMeta {
  const annotations = options.caBundle === undefined ? { 'cert-manager.io/inject-ca-from': `${options.namespace}/${WEBHOOK.certificate}` } : undefined;
  return { name: 'portcullis', labels: LABELS, ...(annotations && { annotations }) };
}

interface WebhookShape {
  readonly name: string;
  readonly path: string;
  readonly failurePolicy: 'Ignore' | 'Fail';
  readonly rules: readonly unknown[];
}

function webhookEntry(options: InstallOptions, { name, path, failurePolicy, rules }: WebhookShape): Record<string, unknown> {
  return {
    name,
    failurePolicy,
    admissionReviewVersions: ['v1'],
    // Dry runs are evaluated too (their events marked as dry runs): `Some` would make the API
    // server refuse them. Nothing in the cluster changes either way.
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: options.timeoutSeconds,
    matchPolicy: 'Equivalent',
    clientConfig: {
      service: { namespace: options.namespace, name: WEBHOOK.name, path, port: 443 },
      ...(options.caBundle !== undefined && { caBundle: options.caBundle }),
    },
    rules,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excludedNamespaces(options) }] },
    matchConditions: [
      {
        name: 'not-portcullis-itself',
        expression: `request.userInfo.username != 'system:serviceaccount:${options.namespace}:${WEBHOOK.serviceAccount}'`,
      },
    ],
  };
}

function validatingWebhook(options: InstallOptions): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: webhookMeta(options),
    webhooks: [
      webhookEntry(options, { name: 'validate.portcullis.dev', path: WEBHOOK.validatePath, failurePolicy: options.failureMode === 'closed' ? 'Fail' : 'Ignore', rules: RULES }),
    ],
  };
}

function mutatingWebhook(options: InstallOptions): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: webhookMeta(options),
    webhooks: [
      {
        // Pinning is a convenience: admitting or denying is the validating webhook's to decide.
        ...webhookEntry(options, { name: 'pin.portcullis.dev', path: WEBHOOK.mutatePath, failurePolicy: 'Ignore', rules: MUTATING_RULES }),
        // Another mutating webhook may add a container after the pin: pin again.
        reinvocationPolicy: 'IfNeeded',
      },
    ],
  };
}
