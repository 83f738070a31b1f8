// What an admission request asks Portcullis to decide: which workload, which of its images, and
// for each image whether a Deny on it is enforced or only recorded (audited).
import { formatImageReference, taggedName, tryParseImageReference } from '../images/reference.js';
import { formatPath } from '../problems.js';
import { extractWorkload, imagesOf, MalformedObjectError, type Workload } from '../workloads/extract.js';
import { CONTAINER_LISTS } from '../workloads/containers.js';
import { isFields, valueAt } from '../workloads/fields.js';
import { controllerOf, type OwnerReference } from '../workloads/owner-references.js';
import { findPodBearingKind, podSpecOf, podTemplateMetadataOf } from '../workloads/pod-spec.js';
import { ReviewError, type AdmissionOperation, type AdmissionRequest } from './review.js';

/** The annotation that allows a workload whatever the rules say, and always records it. Its value is the reason. */
export const BREAK_GLASS_ANNOTATION = 'portcullis.dev/break-glass';

/** The subresource through which `kubectl debug` adds ephemeral containers to a running pod. */
export const EPHEMERAL_CONTAINERS_SUBRESOURCE = 'ephemeralcontainers';

/**
 * The built-in controllers' service accounts (kube-controller-manager with
 * `--use-service-account-credentials`, the default of kubeadm, AKS, EKS and GKE):
 * `replicaset-controller`, `statefulset-controller`, `daemon-set-controller`, `job-controller`,
 * `replication-controller`, `cronjob-controller`, …
 */
const KUBE_SYSTEM_CONTROLLER = /^system:serviceaccount:kube-system:[a-z0-9]([-a-z0-9]*[a-z0-9])?-controller$/;

export interface PlanOptions {
  /** Honour the break-glass annotation (the `breakGlass.enabled` setting). Off: it is ignored, and the answer says so. */
  readonly breakGlass: boolean;
  /**
   * Namespaces whose requests are allowed untouched. The webhook configuration already leaves out
   * `kube-system` and the webhook's own namespace; this is the same guard inside the webhook, for
   * configurations written by hand.
   */
  readonly excludedNamespaces?: readonly string[];
  /**
   * Users that count as built-in controllers besides the kube-system `*-controller` service
   * accounts, e.g. `system:kube-controller-manager` on a cluster whose controller manager runs
   * without `--use-service-account-credentials`.
   */
  readonly controllerUsers?: readonly string[];
}

/** Why a Deny on an image is recorded but not enforced. */
export type NotEnforcedReason = 'ControllerMade' | 'Unchanged';

export interface PlannedImage {
  /** As written in the spec. */
  readonly reference: string;
  /** false: a Deny on this image is recorded but not enforced (audited). */
  readonly enforce: boolean;
  readonly notEnforced?: NotEnforcedReason;
  /**
   * Digests the old object ran this reference at, pinned (`repo:tag@digest`, as the mutating
   * step writes it): an UPDATE that resolves the tag to one of them changes nothing, so the
   * image counts as unchanged.
   */
  readonly previousDigests: readonly string[];
  /** JSON Pointers of the `image` fields that name this reference and may be pinned (the new ones). */
  readonly pinPaths: readonly string[];
}

interface PlanBase {
  readonly uid: string;
  readonly operation: AdmissionOperation;
  readonly user?: string;
  readonly dryRun: boolean;
  /** For the answer: what the user should know beside the decision (an ignored break-glass, …). */
  readonly warnings: readonly string[];
}

export type SkipReason = 'Operation' | 'SubResource' | 'NotPodBearing' | 'ExcludedNamespace';

/** Nothing to evaluate: the request is allowed untouched and not recorded. */
export interface SkippedAdmission extends PlanBase {
  readonly action: 'Skip';
  readonly reason: SkipReason;
  readonly detail: string;
}

export interface EvaluatedAdmission extends PlanBase {
  readonly action: 'Evaluate';
  readonly workload: Workload;
  readonly subResource?: string;
  /** Each distinct image once, in the order the containers name them. */
  readonly images: readonly PlannedImage[];
  /** The owner, when a built-in controller made the object for an admitted workload. */
  readonly controllerOwner?: OwnerReference;
  /** The break-glass reason, when the annotation is there and honoured. */
  readonly breakGlass?: string;
}

export type AdmissionPlan = SkippedAdmission | EvaluatedAdmission;

/**
 * Plans the decision on a request: DELETE, CONNECT, other subresources and objects that run no
 * pods are skipped; otherwise the workload is extracted and each image marked enforced or not.
 * A malformed object throws a ReviewError naming the field under `request.object`.
 */
export function planAdmission(request: AdmissionRequest, options: PlanOptions): AdmissionPlan {
  const base = {
    uid: request.uid,
    operation: request.operation,
    ...(request.userInfo.username !== undefined && { user: request.userInfo.username }),
    dryRun: request.dryRun,
  };
  const skip = (reason: SkipReason, detail: string): SkippedAdmission => ({ ...base, warnings: [], action: 'Skip', reason, detail });

  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return skip('Operation', `${request.operation} runs no new image`);
  const ephemeral = request.subResource === EPHEMERAL_CONTAINERS_SUBRESOURCE;
  if (request.subResource !== undefined && !ephemeral) return skip('SubResource', `the ${request.subResource} subresource cannot change images`);
  if (request.namespace !== undefined && options.excludedNamespaces?.includes(request.namespace)) {
    return skip('ExcludedNamespace', `namespace ${request.namespace} is excluded`);
  }

  const workload = extract(request);
  if (!workload) return skip('NotPodBearing', `${request.kind.kind} runs no pods`);
  if (options.excludedNamespaces?.includes(workload.identity.namespace)) {
    return skip('ExcludedNamespace', `namespace ${workload.identity.namespace} is excluded`);
  }

  const controllerOwner = controllerOwnerOf(workload, request.userInfo.username, options);
  const previous = previousImages(request, ephemeral);
  const pinnable = pinnableContainers(workload, previous, ephemeral);
  const images = imagesOf(workload).map((reference): PlannedImage => {
    const unchanged = ranBefore(reference, previous);
    const notEnforced: NotEnforcedReason | undefined = controllerOwner ? 'ControllerMade' : unchanged ? 'Unchanged' : undefined;
    return {
      reference,
      enforce: notEnforced === undefined,
      ...(notEnforced !== undefined && { notEnforced }),
      previousDigests: unchanged ? [] : previousDigestsOf(reference, previous.pinned),
      pinPaths: pinnable.filter((container) => container.image === reference).map((container) => container.path),
    };
  });

  const warnings: string[] = [];
  const breakGlass = breakGlassOf(request.object, workload, options, warnings);
  return {
    ...base,
    warnings,
    action: 'Evaluate',
    workload,
    ...(request.subResource !== undefined && { subResource: request.subResource }),
    images,
    ...(controllerOwner !== undefined && { controllerOwner }),
    ...(breakGlass !== undefined && { breakGlass }),
  };
}

/** True for the user names of Kubernetes' built-in controllers (see PlanOptions.controllerUsers). */
export function isControllerUser(username: string | undefined, options: Pick<PlanOptions, 'controllerUsers'> = {}): boolean {
  if (username === undefined) return false;
  return KUBE_SYSTEM_CONTROLLER.test(username) || (options.controllerUsers?.includes(username) ?? false);
}

function extract(request: AdmissionRequest): Workload | undefined {
  try {
    return extractWorkload(request.object, request.namespace === undefined ? {} : { defaultNamespace: request.namespace });
  } catch (error) {
    if (!(error instanceof MalformedObjectError)) throw error;
    const [issue] = error.issues;
    const field = issue ? formatPath('request.object', issue.path) : 'request.object';
    const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
    throw new ReviewError(field, `${issue?.message ?? 'malformed'}${more}`, request.uid);
  }
}

/**
 * An object a built-in controller made for a workload that was admitted before: both the
 * controlling owner reference and the controller's own service account must be there, so a
 * user cannot dodge a Deny by writing an owner reference into a pod. This holds for every
 * pod-bearing kind, not only Pods: the ReplicaSet the Deployment controller makes for a
 * `kubectl rollout restart`, or the Job of a CronJob, must not be stopped either.
 */
function controllerOwnerOf(workload: Workload, username: string | undefined, options: PlanOptions): OwnerReference | undefined {
  const owner = controllerOf(workload.ownerReferences);
  return owner && isControllerUser(username, options) ? owner : undefined;
}

interface PreviousImages {
  /**
   * Images of the old object (any container list), or that the request cannot change, each in its
   * canonical form (`nginx` is `docker.io/library/nginx:latest`): the same image written another
   * way is not a new one.
   */
  readonly exact: ReadonlySet<string>;
  /** `registry/repository:tag` → the digests the old object pinned it to. */
  readonly pinned: ReadonlyMap<string, readonly string[]>;
}

const NO_PREVIOUS: PreviousImages = { exact: new Set(), pinned: new Map() };

/**
 * What ran before the request. On UPDATE, the old object's images; through the ephemeral
 * containers subresource the pod's own containers cannot change either, so they count as well
 * (even when an old object is missing).
 */
function previousImages(request: AdmissionRequest, ephemeral: boolean): PreviousImages {
  if (request.operation !== 'UPDATE') return NO_PREVIOUS;
  const written = [...imagesIn(podSpecOf(request.oldObject))];
  if (ephemeral) written.push(...imagesIn(podSpecOf(request.object), ['initContainers', 'containers']));
  if (written.length === 0) return NO_PREVIOUS;
  const pinned = new Map<string, string[]>();
  for (const image of written) {
    const parsed = image.includes('@') ? tryParseImageReference(image) : undefined;
    const tagged = parsed && taggedName(parsed);
    if (!tagged || parsed.digest === undefined) continue;
    const digests = pinned.get(tagged);
    if (digests) digests.push(parsed.digest);
    else pinned.set(tagged, [parsed.digest]);
  }
  return { exact: new Set(written.map(canonicalImage)), pinned };
}

/** The reference in its canonical form; as written when it is not a valid reference. */
function canonicalImage(image: string): string {
  const parsed = tryParseImageReference(image);
  return parsed ? formatImageReference(parsed) : image;
}

function ranBefore(image: string, previous: PreviousImages): boolean {
  return previous.exact.size > 0 && previous.exact.has(canonicalImage(image));
}

/** The image strings of a pod spec, read leniently: the old object is only compared with. */
function* imagesIn(podSpec: Record<string, unknown> | undefined, lists: readonly string[] = CONTAINER_LISTS): Generator<string> {
  if (!podSpec) return;
  for (const list of lists) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      const image = isFields(container) ? container.image : undefined;
      if (typeof image === 'string') yield image;
    }
  }
}

function previousDigestsOf(reference: string, pinned: ReadonlyMap<string, readonly string[]>): readonly string[] {
  if (pinned.size === 0) return [];
  const parsed = tryParseImageReference(reference);
  const tagged = parsed && parsed.digest === undefined ? taggedName(parsed) : undefined;
  return (tagged === undefined ? undefined : pinned.get(tagged)) ?? [];
}

interface PinnableContainer {
  readonly image: string;
  readonly path: string;
}

/**
 * The containers whose image may be rewritten to its digest: on CREATE all of them; on UPDATE
 * only those whose image is new (rewriting an unchanged one would restart it, or roll out the
 * workload); through the ephemeral containers subresource, only new ephemeral containers (the
 * API server refuses any other change there).
 */
function pinnableContainers(workload: Workload, previous: PreviousImages, ephemeral: boolean): PinnableContainer[] {
  const kind = findPodBearingKind(workload.apiVersion, workload.kind);
  if (!kind) return [];
  const specPointer = kind.podSpecPath.map((key) => `/${key}`).join('');
  const indexes = new Map<string, number>();
  const pinnable: PinnableContainer[] = [];
  // Extraction keeps every entry of every list, in order (a broken entry throws), so counting
  // the containers of a list gives each one's index in it.
  for (const container of workload.containers) {
    const index = indexes.get(container.list) ?? 0;
    indexes.set(container.list, index + 1);
    if (ephemeral && container.list !== 'ephemeralContainers') continue;
    if (ranBefore(container.image, previous)) continue;
    pinnable.push({ image: container.image, path: `${specPointer}/${container.list}/${index}/image` });
  }
  return pinnable;
}

/**
 * The break-glass reason: the annotation on the object's own metadata (what `kubectl annotate`
 * sets and what the user applies). The pod template's annotations are not honoured: every pod
 * would carry them, and changing them rolls the workload out; the pods that controllers make for
 * an admitted workload are never denied anyway.
 */
function breakGlassOf(object: unknown, workload: Workload, options: PlanOptions, warnings: string[]): string | undefined {
  const value = workload.annotations[BREAK_GLASS_ANNOTATION];
  if (value === undefined) {
    if (workload.kind !== 'Pod' && templateHasBreakGlass(object)) {
      warnings.push(`${BREAK_GLASS_ANNOTATION} on the pod template is ignored: annotate the ${workload.kind} itself`);
    }
    return undefined;
  }
  if (!options.breakGlass) {
    warnings.push(`${BREAK_GLASS_ANNOTATION} ignored: break-glass is turned off for this cluster`);
    return undefined;
  }
  const reason = value.trim();
  if (reason === '') {
    warnings.push(`${BREAK_GLASS_ANNOTATION} ignored: its value must give the reason`);
    return undefined;
  }
  return reason;
}

function templateHasBreakGlass(object: unknown): boolean {
  const annotations = valueAt(podTemplateMetadataOf(object), ['annotations']);
  return isFields(annotations) && annotations[BREAK_GLASS_ANNOTATION] !== undefined;
}
