// Scope matching: a fixed table of small predicates, one per resource kind, all of one signature.
import { anySatisfies, satisfies } from './criteria.js';
import { imageNames } from './image-names.js';
import { parseLabelSelector, plainEquality, selectorMatches } from './label-selector.js';
import type { CloudScope, ResourceKind, ResourceScope } from './rule.js';
import type { ClusterContext, TargetImage, WorkloadIdentity } from './target.js';

export interface WorkloadSubject {
  readonly cluster: ClusterContext;
  readonly workload: WorkloadIdentity;
}

type WorkloadPredicate = (scope: ResourceScope, subject: WorkloadSubject) => boolean;

/** Scopes decided by the workload alone: evaluated once per rule, not per image. */
export const WORKLOAD_SCOPES: Readonly<Record<Exclude<ResourceKind, 'Image'>, WorkloadPredicate>> = {
  // A cluster without a name never equals a named one, and is never "not equal" to nothing.
  Cluster: (s, { cluster }) => satisfies(s.criterion, cluster.name ?? '', s.value),
  Namespace: (s, { workload }) => satisfies(s.criterion, workload.namespace, s.value),
  Pod: (s, { workload }) => satisfies(s.criterion, workload.podName, s.value),
  Deployment: (s, { workload }) => satisfies(s.criterion, workload.workloadName, s.value),
  LabelSelector: (s, { workload }) => labelSelectorHolds(s, workload.labels),
};

export function imageScopeHolds(scope: ResourceScope, image: TargetImage): boolean {
  return anySatisfies(scope.criterion, imageNames(image), scope.value);
}

function labelSelectorHolds(scope: ResourceScope, labels: Readonly<Record<string, string>>): boolean {
  const plain = plainEquality(scope.value);
  if (plain) {
    const actual = Object.hasOwn(labels, plain.key) ? labels[plain.key] : undefined;
    // NotEquals also holds when the label is absent; every other criterion needs the label.
    if (actual === undefined) return scope.criterion === 'NotEquals';
    return satisfies(scope.criterion, actual, plain.value);
  }
  // A full selector expression: Equals means "matches", NotEquals "does not match".
  const matches = selectorMatches(parseLabelSelector(scope.value), labels);
  return scope.criterion === 'NotEquals' ? !matches : matches;
}

/** Cloud scope: omitted or empty covers every cloud; else the cluster's provider and account must be listed. */
export function cloudScopeHolds(cloud: readonly CloudScope[] | undefined, cluster: ClusterContext): boolean {
  if (!cloud || cloud.length === 0) return true;
  return cloud.some((c) => c.provider === cluster.provider && (c.account === undefined || c.account === cluster.account));
}
