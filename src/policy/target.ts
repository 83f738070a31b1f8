// What the engine evaluates: one workload, its images with their evidence, and where it runs.
import type { ImageReference } from '../images/reference.js';
import type { ImageEvidence } from './evidence.js';
import type { CloudProvider } from './rule.js';

export const SCAN_STATUSES = ['Scanned', 'NotScanned', 'Failed', 'Unsupported', 'Unresolved'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];

export interface ClusterContext {
  readonly name?: string;
  readonly provider?: CloudProvider;
  readonly account?: string;
}

export interface WorkloadIdentity {
  /** The object's kind: Pod, Deployment, CronJob, … */
  readonly kind: string;
  readonly namespace: string;
  /** The object's own name (a Pod made from generateName answers with the generateName). */
  readonly name: string;
  /**
   * What the `Pod` scope and exemption match: a Pod's name, and for a pod template, the object's
   * name (the prefix of every pod its controller makes).
   */
  readonly podName: string;
  /**
   * What the `Deployment` scope and exemption match: the top-level workload's name. A ReplicaSet
   * or Pod owned by a Deployment answers with the Deployment's name.
   */
  readonly workloadName: string;
  /** The object's labels merged with its pod template's labels (the template's win). */
  readonly labels: Readonly<Record<string, string>>;
}

export interface TargetImage {
  /** The reference as written in the spec. */
  readonly reference: string;
  /** The normalized reference; undefined when the written one is not valid. */
  readonly parsed?: ImageReference;
  /** The manifest digest the decision is made for, when known. */
  readonly digest?: string;
  readonly status: ScanStatus;
  /** The findings index, present when status is Scanned. */
  readonly evidence?: ImageEvidence;
  /**
   * false: a Deny on this image is recorded but not enforced (pods made by a controller for an
   * admitted workload, images unchanged by an UPDATE). Default true.
   */
  readonly enforce?: boolean;
}

export interface EvaluationTarget {
  readonly cluster: ClusterContext;
  readonly workload: WorkloadIdentity;
  readonly images: readonly TargetImage[];
}
