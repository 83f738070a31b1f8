// The decision on a planned admission: the engine's evaluation of the resolved images, what the
// failure mode makes of unresolved ones, break-glass and gating, and the answer and event of it.
import type { AdmissionEvent, EventDecision } from '../events/admission-event.js';
import { buildAdmissionEvent } from '../events/build-event.js';
import { tryParseImageReference } from '../images/reference.js';
import type { CompiledRule } from '../policy/compile.js';
import { decisionOf, evaluate, noEvidence, type Evaluation, type Violation } from '../policy/evaluate.js';
import type { ClusterContext, EvaluationTarget, TargetImage } from '../policy/target.js';
import {
  allowedAnswer,
  auditAnnotationsOf,
  boundedWarnings,
  deniedAnswer,
  denyMessage,
  imageWarning,
  ruleNames,
  truncate,
  WARNING_MAX_CHARS,
  type AdmissionReviewResponse,
  type AdmissionStatus,
  type ImageViolations,
} from './answer.js';
import type { EvaluatedAdmission, PlannedImage } from './plan.js';

/** What a tag that could not be resolved (in time) means: open admits it, closed treats it as violating. */
export type FailureMode = 'open' | 'closed';

export interface DecideContext {
  readonly cluster: ClusterContext;
  /** Security gating is on for the cluster's account; off: every Deny is recorded, not enforced. */
  readonly gating: boolean;
  readonly now: Date;
  readonly eventId: string;
  readonly failureMode: FailureMode;
  /** Record requests that were plainly allowed too (the `recordAllowed` setting). Default false. */
  readonly recordAllowed?: boolean;
  /** Where the event says it was decided. Default `webhook`. */
  readonly source?: string;
}

export interface AdmissionOutcome {
  readonly allowed: boolean;
  /** The status of a denied answer. */
  readonly status?: AdmissionStatus;
  readonly decision: EventDecision;
  readonly evaluation: Evaluation;
  readonly event: AdmissionEvent;
  /** Whether the event is to be stored (see decideAdmission). */
  readonly record: boolean;
  readonly response: AdmissionReviewResponse;
}

const DEFAULT_SOURCE = 'webhook';
const EVENT_MESSAGE_MAX = 1000;

/**
 * Decides a planned admission against the rules, for the images the server resolved (matched to
 * the plan's by reference; a planned image the server did not hand over counts as Unresolved).
 *
 * - Denied when an enforced Deny triggered (the engine's most-restrictive-wins), else Audited or
 *   Allowed. A Deny is not enforced on an image the plan marks (controller-made, unchanged), on an
 *   UPDATE that resolves a tag to the digest the old object pinned, when gating is off for the
 *   account, or under break-glass (decision BreakGlass, allowed).
 * - An Unresolved image (its tag not resolved, or its findings not read, in time) is checked by
 *   every rule in scope as if it violated it: with failure mode closed a Deny rule then blocks it
 *   unless the Deny is not enforced for one of the reasons above; open admits it with a warning,
 *   audited.
 * - Recorded: everything but a plain Allowed; a plain Allowed too when an image was unresolved,
 *   when gating is off, or when `recordAllowed` is set.
 */
export function decideAdmission(
  plan: EvaluatedAdmission,
  images: readonly TargetImage[],
  rules: readonly CompiledRule[],
  context: DecideContext,
): AdmissionOutcome {
  const targets = bindImages(plan, images, context);
  const target: EvaluationTarget = { cluster: context.cluster, workload: plan.workload.identity, images: targets.map((t) => t.image) };
  const evaluation = evaluateTargets(target, targets, rules, context);

  const allowed = evaluation.decision !== 'Denied';
  const decision: EventDecision = plan.breakGlass !== undefined ? 'BreakGlass' : evaluation.decision;
  const unresolved = targets.some((t) => t.image.status === 'Unresolved');
  const record = decision !== 'Allowed' || unresolved || !context.gating || context.recordAllowed === true;
  const eventId = record ? context.eventId : undefined;
  const who = `${plan.workload.kind} ${plan.workload.identity.namespace}/${plan.workload.identity.name}`;

  const perImage = targets.map((t) => imageViolationsOf(t, evaluation.violations));
  const blocking = perImage.flatMap(({ image, blocking }) => (blocking.length > 0 ? [{ ...image, violations: blocking }] : []));
  const told = perImage.flatMap(({ image, blocking }) => (blocking.length === 0 && (image.violations.length > 0 || image.summary !== undefined) ? [image] : []));

  const status: AdmissionStatus | undefined = allowed
    ? undefined
    : { code: 403, reason: 'Forbidden', message: denyMessage({ workload: who, eventId: context.eventId, dryRun: plan.dryRun }, blocking) };
  const toldWarnings = told.map(imageWarning);
  const warnings = boundedWarnings(leadWarnings(plan, { decision, evaluation, who, eventId, unresolved }, context), toldWarnings, eventId);
  const auditAnnotations = auditAnnotationsOf({
    decision,
    ...(eventId !== undefined && { eventId }),
    rules: ruleNames(evaluation.violations),
    dryRun: plan.dryRun,
    ...(plan.breakGlass !== undefined && { breakGlass: plan.breakGlass }),
  });
  const response = status ? deniedAnswer(plan.uid, status.message, { warnings, auditAnnotations }) : allowedAnswer(plan.uid, { warnings, auditAnnotations });

  const event = buildAdmissionEvent(
    {
      id: context.eventId,
      time: context.now,
      operation: plan.operation,
      ...(plan.user !== undefined && { user: plan.user }),
      dryRun: plan.dryRun,
      source: context.source ?? DEFAULT_SOURCE,
      requestUid: plan.uid,
      ...(plan.breakGlass !== undefined && { breakGlass: plan.breakGlass, decision }),
      message: eventMessage(decision, who, plan.dryRun, [...blocking.map(imageWarning), ...toldWarnings]),
    },
    target,
    evaluation,
    rules,
  );
  return { allowed, ...(status && { status }), decision, evaluation, event, record, response };
}

interface BoundImage {
  readonly image: TargetImage;
  /** Why a Deny on it is not enforced, in words for the answer. */
  readonly notEnforced?: string;
}

/** The plan's images with what the server resolved for them, and whether a Deny on each is enforced. */
function bindImages(plan: EvaluatedAdmission, images: readonly TargetImage[], context: DecideContext): BoundImage[] {
  const byReference = new Map(images.map((image) => [image.reference, image]));
  return plan.images.map((planned) => {
    const resolved = byReference.get(planned.reference) ?? unresolvedImage(planned.reference);
    const notEnforced = notEnforcedReason(planned, resolved, plan, context);
    return { image: { ...resolved, reference: planned.reference, enforce: notEnforced === undefined }, ...(notEnforced !== undefined && { notEnforced }) };
  });
}

function unresolvedImage(reference: string): TargetImage {
  const parsed = tryParseImageReference(reference);
  return { reference, ...(parsed !== undefined && { parsed }), status: 'Unresolved' };
}

function notEnforcedReason(planned: PlannedImage, image: TargetImage, plan: EvaluatedAdmission, context: DecideContext): string | undefined {
  if (plan.breakGlass !== undefined) return 'break-glass';
  if (!context.gating) return 'gating off';
  if (planned.notEnforced === 'ControllerMade') return 'made by a controller';
  if (planned.notEnforced === 'Unchanged') return 'image unchanged';
  if (image.digest !== undefined && planned.previousDigests.includes(image.digest)) return 'image unchanged';
  if (image.enforce === false) return 'not enforced';
  if (image.status === 'Unresolved' && context.failureMode === 'open') return 'failure mode open';
  return undefined;
}

/**
 * The engine on the resolved images; the unresolved ones are evaluated apart, by every rule as if
 * it said `unscanned: Trigger`, so that each rule in scope records them (the failure mode, through
 * `enforce`, decides whether a Deny blocks).
 */
function evaluateTargets(target: EvaluationTarget, bound: readonly BoundImage[], rules: readonly CompiledRule[], context: DecideContext): Evaluation {
  const unresolved = bound.filter((b) => b.image.status === 'Unresolved').map((b) => b.image);
  if (unresolved.length === 0) return evaluate(target, rules, context.now);

  const resolved = evaluate({ ...target, images: bound.filter((b) => b.image.status !== 'Unresolved').map((b) => b.image) }, rules, context.now);
  const triggering = rules.map((rule) => (rule.rule.unscanned === 'Trigger' ? rule : { ...rule, rule: { ...rule.rule, unscanned: 'Trigger' as const } }));
  const failed = evaluate({ ...target, images: unresolved }, triggering, context.now);
  const suffix = context.failureMode === 'closed' ? ' (failure mode closed)' : '';
  const violations = [...resolved.violations, ...failed.violations.map((v): Violation => ({ ...v, detail: `${v.detail}${suffix}` }))];
  return {
    decision: decisionOf(violations),
    violations,
    // Workload exemptions were found by both evaluations: the first one's are kept.
    exemptionsApplied: [...resolved.exemptionsApplied, ...failed.exemptionsApplied.filter((e) => e.image !== undefined)],
    rulesInScope: resolved.rulesInScope,
  };
}

function imageViolationsOf(bound: BoundImage, violations: readonly Violation[]): { image: ImageViolations; blocking: Violation[] } {
  const { image } = bound;
  const own = violations.filter((v) => v.image === image.reference);
  const blocking = own.filter((v) => v.action === 'Deny' && v.enforced);
  const hasDeny = own.some((v) => v.action === 'Deny');
  const outcome = hasDeny ? (bound.notEnforced === 'failure mode open' ? 'allowed: failure mode open' : `not denied: ${bound.notEnforced ?? 'audited'}`) : 'audit';
  const base = { reference: image.reference, ...(image.digest !== undefined && { digest: image.digest }), violations: own };
  if (own.length === 0 && image.status === 'Unresolved') {
    return { image: { ...base, summary: noEvidence(image), outcome: 'no rule applies' }, blocking };
  }
  return { image: own.length > 0 && blocking.length === 0 ? { ...base, outcome } : base, blocking };
}

/** Short notes on the whole answer, before the per-image warnings. */
function leadWarnings(plan: EvaluatedAdmission, outcome: LeadOutcome, context: DecideContext): string[] {
  const { decision, evaluation, who, eventId, unresolved } = outcome;
  const lead: string[] = [];
  const dry = plan.dryRun ? ' (dry run)' : '';
  const event = eventId === undefined ? '' : `, event ${eventId}`;
  if (decision === 'BreakGlass') lead.push(fit(`Portcullis break-glass${dry} (`, plan.breakGlass ?? '', `): allowed and recorded${event}`));
  else if (decision === 'Audited') lead.push(fit(`Portcullis audited${dry} `, who, event));
  // Allowed, yet worth a note: an image could not be resolved and was let through.
  else if (decision === 'Allowed' && unresolved) lead.push(fit(`Portcullis allowed${dry} `, who, event));
  if (!context.gating && evaluation.violations.some((v) => v.action === 'Deny')) {
    const account = context.cluster.account === undefined ? 'this account' : `account ${context.cluster.account}`;
    lead.push(`Portcullis gating is off for ${account}: Deny rules are only recorded`);
  }
  lead.push(...plan.warnings);
  return lead;
}

interface LeadOutcome {
  readonly decision: EventDecision;
  readonly evaluation: Evaluation;
  readonly who: string;
  readonly eventId: string | undefined;
  readonly unresolved: boolean;
}

/** `prefix + middle + suffix` in WARNING_MAX_CHARS, cutting the middle only. */
function fit(prefix: string, middle: string, suffix: string): string {
  return `${prefix}${truncate(middle, Math.max(8, WARNING_MAX_CHARS - prefix.length - suffix.length))}${suffix}`;
}

/** The event's one line: the decision, the workload, and the warning of each image told about. */
function eventMessage(decision: EventDecision, who: string, dryRun: boolean, imageWarnings: readonly string[]): string {
  const head = `${decision}${dryRun ? ' (dry run)' : ''}: ${who}`;
  if (imageWarnings.length === 0) return `${head}: no rule triggered`;
  return truncate(`${head}: ${imageWarnings.join('; ')}`, EVENT_MESSAGE_MAX);
}
