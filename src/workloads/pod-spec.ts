// The pod-bearing kinds Portcullis gates, and where each keeps its pod spec and the metadata its
// pods carry. Any other object is allowed untouched.
import { isFields, valueAt, type KubernetesFields } from './fields.js';

export interface PodBearingKind {
  readonly kind: string;
  /**
   * The API groups that serve the kind (`''` is the core group). A custom resource that happens
   * to be called `Job` (Volcano's `batch.volcano.sh` Job has `spec.tasks[]`) is not ours: reading
   * it as a batch Job would reject an object the cluster accepts.
   */
  readonly groups: readonly string[];
  readonly podSpecPath: readonly string[];
  /** The metadata of the pods: a Pod's own; for the others, their pod template's. */
  readonly podMetadataPath: readonly string[];
}

const TEMPLATE_SPEC = ['spec', 'template', 'spec'];
const TEMPLATE_METADATA = ['spec', 'template', 'metadata'];

// `extensions` served Deployments, ReplicaSets and DaemonSets before apps/v1; old manifests use it.
export const POD_BEARING_KINDS: readonly PodBearingKind[] = [
  { kind: 'Pod', groups: [''], podSpecPath: ['spec'], podMetadataPath: ['metadata'] },
  { kind: 'Deployment', groups: ['apps', 'extensions'], podSpecPath: TEMPLATE_SPEC, podMetadataPath: TEMPLATE_METADATA },
  { kind: 'ReplicaSet', groups: ['apps', 'extensions'], podSpecPath: TEMPLATE_SPEC, podMetadataPath: TEMPLATE_METADATA },
  { kind: 'StatefulSet', groups: ['apps'], podSpecPath: TEMPLATE_SPEC, podMetadataPath: TEMPLATE_METADATA },
  { kind: 'DaemonSet', groups: ['apps', 'extensions'], podSpecPath: TEMPLATE_SPEC, podMetadataPath: TEMPLATE_METADATA },
  { kind: 'Job', groups: ['batch'], podSpecPath: TEMPLATE_SPEC, podMetadataPath: TEMPLATE_METADATA },
  {
    kind: 'CronJob',
    groups: ['batch'],
    podSpecPath: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    podMetadataPath: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
  },
  { kind: 'ReplicationController', groups: [''], podSpecPath: TEMPLATE_SPEC, podMetadataPath: TEMPLATE_METADATA },
];

/** The group of an apiVersion: `apps/v1` → `apps`, `v1` → `''` (core). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** The pod-bearing kind that an apiVersion and a kind name, if they name one. */
export function findPodBearingKind(apiVersion: string, kind: string): PodBearingKind | undefined {
  const group = apiGroupOf(apiVersion);
  return POD_BEARING_KINDS.find((entry) => entry.kind === kind && entry.groups.includes(group));
}

/** An object's apiVersion and kind, when it has both as strings. */
export function typeMetaOf(object: unknown): { apiVersion: string; kind: string } | undefined {
  if (!isFields(object)) return undefined;
  const { apiVersion, kind } = object;
  return typeof apiVersion === 'string' && typeof kind === 'string' ? { apiVersion, kind } : undefined;
}

/** The pod-bearing kind of an object, from its apiVersion and kind; undefined for any other object. */
export function podBearingKindOf(object: unknown): PodBearingKind | undefined {
  const typeMeta = typeMetaOf(object);
  return typeMeta && findPodBearingKind(typeMeta.apiVersion, typeMeta.kind);
}

/** The pod spec of a pod-bearing object; undefined for other objects, or when it is not there. */
export function podSpecOf(object: unknown): KubernetesFields | undefined {
  const kind = podBearingKindOf(object);
  const spec = kind && valueAt(object, kind.podSpecPath);
  return isFields(spec) ? spec : undefined;
}

/** The metadata the object's pods carry (a Pod's own); undefined for other objects, or when absent. */
export function podTemplateMetadataOf(object: unknown): KubernetesFields | undefined {
  const kind = podBearingKindOf(object);
  const metadata = kind && valueAt(object, kind.podMetadataPath);
  return isFields(metadata) ? metadata : undefined;
}
