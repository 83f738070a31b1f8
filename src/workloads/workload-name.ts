// The name the `Deployment` scope and exemption match: the top-level workload's, found from the
// object's controller without asking the API server (admission must answer within its deadline).
import { controllerOf, type OwnerReference } from './owner-references.js';
import { apiGroupOf } from './pod-spec.js';

/** The label the Deployment controller puts on its ReplicaSets and their pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

export interface NamedObject {
  readonly kind: string;
  readonly name: string;
  /** The object's own labels (not its template's). */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The object's own name unless a controller made it; then the controller's name, one level up:
 * a ReplicaSet's Deployment, a Job's CronJob, a Pod's StatefulSet, DaemonSet, Job or
 * ReplicationController. A Pod's ReplicaSet is followed one more step by its name (below).
 *
 * A Pod of a Job answers with the Job's name even when it looks like `<cronjob>-<digits>`: the
 * pod names only the Job, and people name their own Jobs that way too (`migrate-2024`).
 * Stripping the digits could credit the pod to a CronJob that does not exist, and a `Deployment`
 * exemption written for that name would exempt a workload it was never meant for. Keeping the
 * Job's name at worst misses the CronJob's exemption, so the pod is evaluated, never waved through.
 */
export function workloadNameOf(object: NamedObject, owners: readonly OwnerReference[]): string {
  const controller = controllerOf(owners);
  // A static pod's mirror is "controlled" by its Node, which is not a workload.
  if (!controller || (controller.kind === 'Node' && apiGroupOf(controller.apiVersion) === '')) return object.name;
  if (object.kind === 'Pod' && controller.kind === 'ReplicaSet') return deploymentNameOf(controller.name, object.labels);
  return controller.name;
}

/**
 * A Deployment names its ReplicaSets `<deployment>-<pod-template-hash>` and labels their pods
 * with the hash, so the pod itself says which Deployment it belongs to. Without the label (a
 * ReplicaSet made by hand, or by another controller) the ReplicaSet is the top-level workload
 * as far as the pod can tell.
 */
function deploymentNameOf(replicaSetName: string, labels: Readonly<Record<string, string>>): string {
  const hash = labels[POD_TEMPLATE_HASH_LABEL];
  const suffix = `-${hash}`;
  if (hash === undefined || hash === '' || !replicaSetName.endsWith(suffix) || replicaSetName === suffix) return replicaSetName;
  return replicaSetName.slice(0, -suffix.length);
}
