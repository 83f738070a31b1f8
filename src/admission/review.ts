// Decoding an AdmissionReview (admission.k8s.io/v1) as the API server posts it to the webhook.
// Hand-written checks: this runs on every admission request, and the object and oldObject are
// only checked to be objects here (extraction reads them once, later).
import { InputError } from '../problems.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export const ADMISSION_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type AdmissionOperation = (typeof ADMISSION_OPERATIONS)[number];

export type KubernetesObject = Readonly<Record<string, unknown>>;

export interface GroupVersionKind {
  /** `''` is the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface UserInfo {
  /** Absent only in hand-made requests: the API server always names the user. */
  readonly username?: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface AdmissionRequest {
  readonly uid: string;
  /** The kind of the object, in the version the webhook asked for (matchPolicy: Equivalent may convert). */
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  /** `ephemeralcontainers` for `pods/ephemeralcontainers`, `status`, `scale`, … */
  readonly subResource?: string;
  /** What the client asked for, before any conversion. */
  readonly requestKind?: GroupVersionKind;
  readonly requestResource?: GroupVersionResource;
  readonly requestSubResource?: string;
  /** May be absent on CREATE (the name is generated later). */
  readonly name?: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly operation: AdmissionOperation;
  readonly userInfo: UserInfo;
  /** The object as it would be stored; absent on DELETE. */
  readonly object?: KubernetesObject;
  /** The object as it is stored; present on UPDATE and DELETE. */
  readonly oldObject?: KubernetesObject;
  /** True: nothing is persisted (`kubectl apply --dry-run=server`). */
  readonly dryRun: boolean;
  /** CreateOptions, UpdateOptions, … as sent. */
  readonly options?: KubernetesObject;
}

/**
 * The body is not an AdmissionReview v1 the webhook can decide on: the server answers 400.
 * The message names the field: `request.uid: is required`.
 */
export class ReviewError extends InputError {
  /** The field, as a path from the review: `request.userInfo.groups[1]`. */
  readonly field: string;
  readonly reason: string;
  /** The request's uid, when it could be read before the problem (an answer can then name it). */
  readonly uid?: string;

  constructor(field: string, reason: string, uid?: string) {
    super([{ ...(field !== '' && { path: field }), message: reason }]);
    this.name = 'ReviewError';
    this.field = field;
    this.reason = reason;
    if (uid !== undefined) this.uid = uid;
  }
}

/** Validates an AdmissionReview v1 body and returns its request. Throws a ReviewError naming the field. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new ReviewError('', `the body must be an AdmissionReview object, not ${describe(body)}`);
  if (body.kind !== 'AdmissionReview') throw new ReviewError('kind', mustBe('AdmissionReview', body.kind));
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    const hint = typeof body.apiVersion === 'string' && body.apiVersion.startsWith('admission.k8s.io/') ? ` (set admissionReviewVersions: ["v1"] on the webhook)` : '';
    throw new ReviewError('apiVersion', `${mustBe(ADMISSION_API_VERSION, body.apiVersion)}${hint}`);
  }
  return parseAdmissionRequest(body.request, 'request');
}

/** Validates the request part alone (what some tools store as test data). */
export function parseAdmissionRequest(value: unknown, at = 'request'): AdmissionRequest {
  const request = required(value, at, requireObject);
  const uid = required(request.uid, `${at}.uid`, requireNonEmptyString);
  // From here on, the problem is reported with the uid, so that the server may answer the request.
  try {
    return readRequest(request, uid, at);
  } catch (error) {
    if (error instanceof ReviewError && error.uid === undefined) throw new ReviewError(error.field, error.reason, uid);
    throw error;
  }
}

function readRequest(request: Record<string, unknown>, uid: string, at: string): AdmissionRequest {
  const operation = required(request.operation, `${at}.operation`, requireOperation);
  const subResource = optional(request.subResource, `${at}.subResource`, requireString);
  const requestKind = optional(request.requestKind, `${at}.requestKind`, requireKind);
  const requestResource = optional(request.requestResource, `${at}.requestResource`, requireResource);
  const requestSubResource = optional(request.requestSubResource, `${at}.requestSubResource`, requireString);
  const name = optional(request.name, `${at}.name`, requireString);
  const namespace = optional(request.namespace, `${at}.namespace`, requireString);
  const object = optional(request.object, `${at}.object`, requireObject);
  const oldObject = optional(request.oldObject, `${at}.oldObject`, requireObject);
  const options = optional(request.options, `${at}.options`, requireObject);
  return {
    uid,
    kind: required(request.kind, `${at}.kind`, requireKind),
    resource: required(request.resource, `${at}.resource`, requireResource),
    ...(subResource !== undefined && subResource !== '' && { subResource }),
    ...(requestKind !== undefined && { requestKind }),
    ...(requestResource !== undefined && { requestResource }),
    ...(requestSubResource !== undefined && requestSubResource !== '' && { requestSubResource }),
    ...(name !== undefined && name !== '' && { name }),
    ...(namespace !== undefined && namespace !== '' && { namespace }),
    operation,
    // The API server always sends userInfo; hand-made requests (and some test data) leave it out.
    userInfo: optional(request.userInfo, `${at}.userInfo`, requireUserInfo) ?? { groups: [] },
    ...(object !== undefined && { object }),
    ...(oldObject !== undefined && { oldObject }),
    dryRun: optional(request.dryRun, `${at}.dryRun`, requireBoolean) ?? false,
    ...(options !== undefined && { options }),
  };
}

type Check<T> = (value: unknown, at: string) => T;

/** Absent and null are both "not given", as Kubernetes reads JSON. */
function optional<T>(value: unknown, at: string, check: Check<T>): T | undefined {
  return value === undefined || value === null ? undefined : check(value, at);
}

function required<T>(value: unknown, at: string, check: Check<T>): T {
  if (value === undefined || value === null) throw new ReviewError(at, 'is required');
  return check(value, at);
}

function requireObject(value: unknown, at: string): Record<string, unknown> {
  if (!isObject(value)) throw new ReviewError(at, `must be an object, not ${describe(value)}`);
  return value;
}

function requireString(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new ReviewError(at, `must be a string, not ${describe(value)}`);
  return value;
}

function requireNonEmptyString(value: unknown, at: string): string {
  if (requireString(value, at) === '') throw new ReviewError(at, 'is required (it is empty)');
  return value as string;
}

function requireBoolean(value: unknown, at: string): boolean {
  if (typeof value !== 'boolean') throw new ReviewError(at, `must be true or false, not ${describe(value)}`);
  return value;
}

function requireOperation(value: unknown, at: string): AdmissionOperation {
  if (typeof value === 'string' && (ADMISSION_OPERATIONS as readonly string[]).includes(value)) return value as AdmissionOperation;
  throw new ReviewError(at, `must be one of ${ADMISSION_OPERATIONS.join(', ')}, not ${describe(value)}`);
}

function requireKind(value: unknown, at: string): GroupVersionKind {
  const fields = requireObject(value, at);
  return {
    group: optional(fields.group, `${at}.group`, requireString) ?? '',
    version: required(fields.version, `${at}.version`, requireNonEmptyString),
    kind: required(fields.kind, `${at}.kind`, requireNonEmptyString),
  };
}

function requireResource(value: unknown, at: string): GroupVersionResource {
  const fields = requireObject(value, at);
  return {
    group: optional(fields.group, `${at}.group`, requireString) ?? '',
    version: required(fields.version, `${at}.version`, requireNonEmptyString),
    resource: required(fields.resource, `${at}.resource`, requireNonEmptyString),
  };
}

function requireUserInfo(value: unknown, at: string): UserInfo {
  const fields = requireObject(value, at);
  const username = optional(fields.username, `${at}.username`, requireString);
  const uid = optional(fields.uid, `${at}.uid`, requireString);
  const groups = optional(fields.groups, `${at}.groups`, requireStringList) ?? [];
  const extra = optional(fields.extra, `${at}.extra`, requireObject);
  return {
    ...(username !== undefined && username !== '' && { username }),
    ...(uid !== undefined && uid !== '' && { uid }),
    groups,
    ...(extra !== undefined && { extra }),
  };
}

function requireStringList(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) throw new ReviewError(at, `must be a list of strings, not ${describe(value)}`);
  for (const [index, entry] of value.entries()) requireString(entry, `${at}[${index}]`);
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mustBe(expected: string, actual: unknown): string {
  return actual === undefined || actual === null ? `is required (${expected})` : `must be ${expected}, not ${describe(actual)}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `the ${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`;
}
