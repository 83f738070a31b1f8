// The AdmissionReview v1 answers, and the texts in them: a Deny message a developer can act on,
// warnings within the limits the API server keeps, audit annotations, and the pinning patch.
import type { Finding } from '../findings/model.js';
import { SEVERITIES } from '../findings/severity.js';
import { formatImageReference, isDigest, tryParseImageReference, withDigest } from '../images/reference.js';
import type { Violation } from '../policy/evaluate.js';
import { compareFindings } from '../policy/evidence.js';
import type { TargetImage } from '../policy/target.js';
import type { EvaluatedAdmission } from './plan.js';
import { ADMISSION_API_VERSION } from './review.js';

/** Kubernetes asks for warnings of at most 120 characters… */
export const WARNING_MAX_CHARS = 120;
/** …and drops what passes 4,096 bytes in all; a margin stays for the API server's own. */
export const WARNINGS_MAX_BYTES = 4000;
/** A Deny message kubectl shows whole. */
export const DENY_MESSAGE_MAX_CHARS = 1500;
/** Findings named per image in a Deny message, before truncation takes them away. */
export const DENY_FINDINGS_PER_IMAGE = 3;

export interface AdmissionStatus {
  readonly code: number;
  readonly reason?: string;
  readonly message: string;
}

export interface JsonPatchOperation {
  readonly op: 'replace';
  /** A JSON Pointer: `/spec/containers/0/image`. */
  readonly path: string;
  readonly value: string;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  readonly warnings?: readonly string[];
  /** Keys are qualified-name parts: the API server prefixes them with the webhook's name. */
  readonly auditAnnotations?: Readonly<Record<string, string>>;
  /** Base64 of the JSON Patch. */
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

export interface AnswerExtras {
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
  /** Operations of the mutating step; none: no patch. */
  readonly patch?: readonly JsonPatchOperation[];
}

/** Allowed, with any warnings, audit annotations and patch. */
export function allowedAnswer(uid: string, extras: AnswerExtras = {}): AdmissionReviewResponse {
  return review({ uid, allowed: true, ...extrasOf(extras) });
}

/** Denied: 403 Forbidden with the message kubectl shows. */
export function deniedAnswer(uid: string, message: string, extras: Omit<AnswerExtras, 'patch'> = {}): AdmissionReviewResponse {
  return review({ uid, allowed: false, status: { code: 403, reason: 'Forbidden', message }, ...extrasOf(extras) });
}

/** Not decided: the request could not be handled (a malformed object: 400; an internal failure: 500). */
export function erroredAnswer(uid: string, code: number, message: string): AdmissionReviewResponse {
  return review({ uid, allowed: false, status: { code, message: truncate(message, DENY_MESSAGE_MAX_CHARS) } });
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

function extrasOf(extras: AnswerExtras): Partial<AdmissionResponse> {
  const { warnings, auditAnnotations, patch } = extras;
  return {
    ...(warnings !== undefined && warnings.length > 0 && { warnings }),
    ...(auditAnnotations !== undefined && Object.keys(auditAnnotations).length > 0 && { auditAnnotations }),
    ...(patch !== undefined && patch.length > 0 && { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }),
  };
}

// ---------------------------------------------------------------------------------------------
// Pinning

/**
 * The JSON Patch of the mutating step: each container image the plan marks pinnable, written as
 * a tag, is replaced by the tag pinned to the digest that was evaluated:
 * `registry/repository:tag@sha256:…`. Images that were not resolved, or already name a digest,
 * stay as written.
 */
export function pinPatch(plan: EvaluatedAdmission, images: readonly TargetImage[]): JsonPatchOperation[] {
  const byReference = new Map(images.map((image) => [image.reference, image]));
  return plan.images.flatMap((planned) => {
    const image = byReference.get(planned.reference);
    if (planned.pinPaths.length === 0 || !image || image.status === 'Unresolved' || image.digest === undefined || !isDigest(image.digest)) return [];
    const parsed = image.parsed ?? tryParseImageReference(planned.reference);
    if (!parsed || parsed.digest !== undefined) return [];
    const value = formatImageReference(withDigest(parsed, image.digest));
    return planned.pinPaths.map((path): JsonPatchOperation => ({ op: 'replace', path, value }));
  });
}

// ---------------------------------------------------------------------------------------------
// Texts

/** One image and the violations to tell about it. */
export interface ImageViolations {
  /** As written in the spec. */
  readonly reference: string;
  /** The digest evaluated. */
  readonly digest?: string;
  readonly violations: readonly Violation[];
  /** How the answer treated it, in two or three words: `audit`, `not denied: image unchanged`. */
  readonly outcome?: string;
  /** What to say instead of the counts of what matched (an image no rule evaluated). */
  readonly summary?: string;
}

export interface DenySubject {
  /** `Deployment shop/web` */
  readonly workload: string;
  readonly eventId: string;
  readonly dryRun: boolean;
}

/**
 * The message of a Deny: the workload; each blocking image with the counts by severity of what
 * matched, its top findings with their fixed versions and the rules; and the event id. At most
 * DENY_MESSAGE_MAX_CHARS: the finding lists go first, then images, then long lines; the event id
 * always stays.
 */
export function denyMessage(subject: DenySubject, images: readonly ImageViolations[]): string {
  const count = images.length === 1 ? '1 image violates' : `${images.length} images violate`;
  const headline = truncate(sanitize(`Portcullis denied ${subject.workload}${subject.dryRun ? ' (dry run)' : ''}: ${count} a Deny rule.`), 400);
  const footer = sanitize(`Event ${subject.eventId}: see Admission Monitoring; fix the images or ask for an exemption.`);
  const budget = DENY_MESSAGE_MAX_CHARS - headline.length - footer.length - 2;
  const blocks = images.map(imageBlock);

  for (const findings of [DENY_FINDINGS_PER_IMAGE, 2, 1, 0]) {
    const body = blocks.flatMap((block) => block.lines(findings, LINE_MAX)).join('\n');
    if (body.length <= budget) return join(headline, body, footer);
  }
  for (let shown = blocks.length - 1; shown >= 1; shown--) {
    const hidden = blocks.length - shown;
    const more = `… and ${hidden} more image${hidden === 1 ? '' : 's'}`;
    const body = [...blocks.slice(0, shown).flatMap((block) => block.lines(0, SHORT_LINE_MAX)), more].join('\n');
    if (body.length <= budget) return join(headline, body, footer);
  }
  const body = blocks.slice(0, 1).flatMap((block) => block.lines(0, SHORT_LINE_MAX)).join('\n');
  return join(headline, truncate(body, Math.max(0, budget)), footer);
}

const LINE_MAX = 240;
const SHORT_LINE_MAX = 120;

function join(headline: string, body: string, footer: string): string {
  const text = [headline, body, footer].filter((part) => part !== '').join('\n');
  // Only a very long workload name gets here: cut the headline, keep the footer whole.
  if (text.length <= DENY_MESSAGE_MAX_CHARS) return text;
  const rest = [body, footer].filter((part) => part !== '').join('\n');
  return `${truncate(headline, Math.max(0, DENY_MESSAGE_MAX_CHARS - rest.length - 1))}\n${rest}`;
}

interface ImageBlock {
  lines(findings: number, lineMax: number): string[];
}

function imageBlock(image: ImageViolations): ImageBlock {
  const rules = ruleNames(image.violations);
  const findings = matchedFindings(image.violations);
  // The digest decided by, unless the reference names it already (a pinned index names another: its platform manifest's).
  const digest = image.digest !== undefined && !image.reference.includes(image.digest) ? ` (${shortDigest(image.digest)})` : '';
  const ruleWord = rules.length === 1 ? 'rule' : 'rules';
  return {
    lines(shown, lineMax) {
      const tail = `${digest}: ${image.summary ?? summaryOf(image.violations, findings)}; ${ruleWord} ${rules.join(', ')}`;
      const head = shortenImage(image.reference, Math.max(40, lineMax - tail.length));
      const lines = [truncate(sanitize(`${head}${tail}`), lineMax)];
      for (const finding of findings.slice(0, shown)) lines.push(truncate(sanitize(`  - ${findingText(finding)}`), lineMax));
      if (shown > 0 && findings.length > shown) lines.push(`  - … ${findings.length - shown} more`);
      return lines;
    },
  };
}

function findingText(finding: Finding): string {
  const fix = finding.fixedVersion !== undefined ? `fixed in ${finding.fixedVersion}` : finding.fixAvailable ? 'fix available' : 'no fix yet';
  return `${finding.id} (${finding.severity}) ${finding.package.name} ${finding.package.version}: ${fix}`;
}

/**
 * One warning for one image, at most WARNING_MAX_CHARS: `nginx:1.25 violates deny-critical:
 * 2 Critical, 1 High (not denied: image unchanged)`. The image keeps room to be
 * recognised: fewer rules are named first (`deny-critical +2`), then the rule name is cut, then
 * the image is shortened (its digest, the middle of its path), and only then the end.
 */
export function imageWarning(image: ImageViolations): string {
  const rules = ruleNames(image.violations);
  const summary = image.summary ?? summaryOf(image.violations, matchedFindings(image.violations));
  const outcome = image.outcome === undefined ? '' : ` (${image.outcome})`;
  const tailOf = (named: string) => sanitize(rules.length === 0 ? `: ${summary}${outcome}` : ` violates ${named}: ${summary}${outcome}`);
  const room = WARNING_MAX_CHARS - Math.min(image.reference.length, IMAGE_ROOM_CHARS);
  let tail = tailOf(rules.join(', '));
  for (let shown = rules.length - 1; shown >= 1 && tail.length > room; shown--) {
    tail = tailOf(`${rules.slice(0, shown).join(', ')} +${rules.length - shown}`);
  }
  if (tail.length > room && rules.length > 0) {
    const others = rules.length > 1 ? ` +${rules.length - 1}` : '';
    const first = rules[0] ?? '';
    tail = tailOf(`${truncate(first, Math.max(MIN_RULE_CHARS, first.length - (tail.length - room)))}${others}`);
  }
  const head = sanitize(shortenImage(image.reference, Math.max(MIN_IMAGE_CHARS, WARNING_MAX_CHARS - tail.length)));
  return truncate(`${head}${tail}`, WARNING_MAX_CHARS);
}

/** What an image may keep before the rules give way. */
const IMAGE_ROOM_CHARS = 44;
const MIN_RULE_CHARS = 12;
const MIN_IMAGE_CHARS = 24;

/**
 * The warnings of an answer within the API server's limits: `lead` (short notes on the whole
 * answer, each cut to WARNING_MAX_CHARS) always, then as many per-image warnings as the byte
 * budget holds; the rest are counted in a last warning.
 */
export function boundedWarnings(lead: readonly string[], perImage: readonly string[], eventId?: string): string[] {
  const warnings = lead.map((text) => truncate(sanitize(text), WARNING_MAX_CHARS));
  const items = perImage.map((text) => truncate(sanitize(text), WARNING_MAX_CHARS));
  let used = warnings.reduce((sum, text) => sum + bytes(text), 0);
  for (const [index, item] of items.entries()) {
    const left = items.length - index - 1;
    // Keep room for the overflow note unless this is the last one.
    const reserve = left > 0 ? OVERFLOW_RESERVE_BYTES : 0;
    if (used + bytes(item) + reserve > WARNINGS_MAX_BYTES) {
      const see = eventId === undefined ? '' : `: see event ${eventId}`;
      const hidden = items.length - index;
      const note = truncate(sanitize(`… and ${hidden} more image${hidden === 1 ? ' violates' : 's violate'} rules${see}`), WARNING_MAX_CHARS);
      if (used + bytes(note) <= WARNINGS_MAX_BYTES) warnings.push(note);
      return warnings;
    }
    warnings.push(item);
    used += bytes(item);
  }
  return warnings;
}

/** Room for the "… and N more" note: WARNING_MAX_CHARS of the widest UTF-8. */
const OVERFLOW_RESERVE_BYTES = WARNING_MAX_CHARS * 3;

export interface AuditAnnotationInput {
  readonly decision: string;
  readonly eventId?: string;
  readonly rules: readonly string[];
  readonly dryRun: boolean;
  readonly breakGlass?: string;
}

/** The audit annotations (each key a qualified-name part; the API server adds `<webhook>/`). */
export function auditAnnotationsOf(input: AuditAnnotationInput): Record<string, string> {
  return {
    decision: input.decision,
    ...(input.eventId !== undefined && { 'event-id': input.eventId }),
    ...(input.rules.length > 0 && { rules: truncate(input.rules.join(','), ANNOTATION_VALUE_MAX) }),
    ...(input.dryRun && { 'dry-run': 'true' }),
    ...(input.breakGlass !== undefined && { 'break-glass': truncate(input.breakGlass, ANNOTATION_VALUE_MAX) }),
  };
}

const ANNOTATION_VALUE_MAX = 1024;

/** The rules of the violations, each once, in order. */
export function ruleNames(violations: readonly Violation[]): string[] {
  return [...new Set(violations.map((violation) => violation.rule.name))];
}

/** The findings that matched, each once, worst first. */
function matchedFindings(violations: readonly Violation[]): readonly Finding[] {
  // One violation's findings are that already (the engine keeps the image's order).
  if (violations.length === 1) return (violations[0] as Violation).findings;
  const findings = new Set<Finding>();
  for (const violation of violations) for (const finding of violation.findings) findings.add(finding);
  return [...findings].sort(compareFindings);
}

/** `3 Critical, 1 High` of what matched, or why there was no evidence (`not scanned`). */
function summaryOf(violations: readonly Violation[], findings: readonly Finding[]): string {
  if (findings.length === 0) return violations.find((violation) => violation.reason === 'NoEvidence')?.detail ?? 'no findings';
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  return SEVERITIES.filter((severity) => counts.has(severity))
    .map((severity) => `${counts.get(severity)} ${severity}`)
    .join(', ');
}

/** `sha256:0123456789ab` */
function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.length > colon + 13 ? digest.slice(0, colon + 13) : digest;
}

/**
 * An image reference in at most `max` characters, keeping what tells images apart: first the
 * digest is dropped when there is a tag (else shortened), then the path between the registry
 * and the last component, then the registry, then the middle of what is left.
 */
export function shortenImage(reference: string, max: number): string {
  if (reference.length <= max) return reference;
  let text = reference;
  const at = text.indexOf('@');
  if (at !== -1) {
    const name = text.slice(0, at);
    const hasTag = name.lastIndexOf(':') > name.lastIndexOf('/');
    text = hasTag ? name : `${name}@${shortDigest(text.slice(at + 1))}`;
    if (text.length <= max) return text;
  }
  const end = text.indexOf('@') === -1 ? text.length : text.indexOf('@');
  const first = text.indexOf('/');
  const last = text.lastIndexOf('/', end);
  if (last !== -1) {
    // The registry and the last path component (`docker.elastic.co/…/elasticsearch:7.14.0`), else the last alone.
    const kept = first < last ? `${text.slice(0, first)}/…${text.slice(last)}` : text;
    if (kept.length <= max) return kept;
    text = `…${text.slice(last)}`;
    if (text.length <= max) return text;
  }
  return middleTruncate(text, max);
}

/** At most `max` UTF-16 units, never splitting a character, ending in `…` when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let length = 0;
  let result = '';
  for (const char of text) {
    if (length + char.length > max - 1) break;
    result += char;
    length += char.length;
  }
  return `${result}…`;
}

function middleTruncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return truncate(text, max);
  const chars = [...text];
  const keep = max - 1;
  let head = '';
  let tail = '';
  // Half for the head, the rest for the tail (the tag is at the end), by UTF-16 length.
  for (const char of chars) {
    if (head.length + char.length > Math.floor(keep / 2)) break;
    head += char;
  }
  for (let i = chars.length - 1; i >= 0; i--) {
    const char = chars[i] ?? '';
    if (head.length + tail.length + char.length > keep) break;
    tail = char + tail;
  }
  return `${head}…${tail}`;
}

/** Control characters break a warning header and a terminal: they become spaces. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
