// From a Kubernetes object to the workload Portcullis evaluates: who it is and what it runs.
import type { WorkloadIdentity } from '../policy/target.js';
import { readContainers, type WorkloadContainer } from './containers.js';
import { FieldReader, isFields, valueAt } from './fields.js';
import { readMetadata, readTemplateLabels } from './metadata.js';
import type { OwnerReference } from './owner-references.js';
import { findPodBearingKind, typeMetaOf } from './pod-spec.js';
import { workloadNameOf } from './workload-name.js';

export type { ContainerList, WorkloadContainer } from './containers.js';
export type { OwnerReference } from './owner-references.js';
export { MalformedObjectError, type FieldIssue } from './fields.js';

export interface Workload {
  readonly apiVersion: string;
  readonly kind: string;
  readonly identity: WorkloadIdentity;
  /** initContainers, then containers, then ephemeralContainers. */
  readonly containers: readonly WorkloadContainer[];
  /** The object's own annotations (not its pod template's): where a break-glass annotation is put. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: readonly OwnerReference[];
}

export interface ExtractOptions {
  /** For an object that names no namespace: the request's, or `-n` of the CLI. Default `default`. */
  readonly defaultNamespace?: string;
}

const DEFAULT_NAMESPACE = 'default';

/**
 * The workload of a pod-bearing object (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * Job, CronJob, ReplicationController); undefined for anything else, which is allowed untouched
 * (including `null`, the object of a DELETE). A malformed pod-bearing object throws a
 * MalformedObjectError (an InputError) naming every broken path; the caller adds the file.
 */
export function extractWorkload(object: unknown, options: ExtractOptions = {}): Workload | undefined {
  const typeMeta = typeMetaOf(object);
  const kind = typeMeta && findPodBearingKind(typeMeta.apiVersion, typeMeta.kind);
  if (!kind || !isFields(object)) return undefined;
  const { apiVersion, kind: kindName } = typeMeta;

  const reader = new FieldReader();
  const metadata = readMetadata(object, reader);
  const podSpec = reader.objectAt(object, kind.podSpecPath);
  const containers = podSpec ? readContainers(podSpec, kind.podSpecPath, reader, kind.kind !== 'Pod') : [];
  // A Pod's own metadata is its pod metadata: its labels are already in metadata.labels.
  const templateLabels = kind.kind === 'Pod' ? {} : readTemplateLabels(valueAt(object, kind.podMetadataPath), kind.podMetadataPath, reader);
  reader.throwIfMalformed();

  // Never '' here: an object without a name or generateName was thrown as malformed above.
  const name = metadata.name ?? '';
  const identity: WorkloadIdentity = {
    kind: kindName,
    // `||`: a request for a cluster-scoped object carries an empty namespace.
    namespace: metadata.namespace ?? (options.defaultNamespace || DEFAULT_NAMESPACE),
    name,
    // A template's pods are named `<object>-…`, so the object's name is what a Pod scope can match.
    podName: name,
    workloadName: workloadNameOf({ kind: kindName, name, labels: metadata.labels }, metadata.ownerReferences),
    labels: { ...metadata.labels, ...templateLabels },
  };
  return { apiVersion, kind: kindName, identity, containers, annotations: metadata.annotations, ownerReferences: metadata.ownerReferences };
}

/** The workload's images, each once, in the order its containers name them. */
export function imagesOf(workload: Workload): string[] {
  return [...new Set(workload.containers.map((container) => container.image))];
}
