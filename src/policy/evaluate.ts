// The engine: every enabled rule in scope is evaluated against every image of the workload; none
// short-circuits, the most restrictive action wins, and every triggered rule is reported.
import type { Finding } from '../findings/model.js';
import type { CompiledRule } from './compile.js';
import type { ImageEvidence } from './evidence.js';
import { exemptsImage, exemptsWorkload, isActive, type CompiledExemption } from './exemptions.js';
import { matchFindings } from './matching.js';
import type { Action, Exemption, RuleRef } from './rule.js';
import { cloudScopeHolds, imageScopeHolds, WORKLOAD_SCOPES, type WorkloadSubject } from './scope.js';
import type { EvaluationTarget, TargetImage } from './target.js';

export const DECISIONS = ['Allowed', 'Audited', 'Denied'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface Violation {
  readonly rule: RuleRef;
  readonly action: Action;
  /** The image as written in the spec. */
  readonly image: string;
  readonly digest?: string;
  /** Findings: the conditions matched; NoEvidence: the rule treats an image without usable evidence as violating. */
  readonly reason: 'Findings' | 'NoEvidence';
  /** In words: `3 findings`, `not scanned`, `scan older than 30d`, `tag could not be resolved`. */
  readonly detail: string;
  /** The non-exempt findings that matched the conditions, worst first. */
  readonly findings: readonly Finding[];
  /** false for a Deny on an image that is audited instead (controller-made pods, unchanged images). */
  readonly enforced: boolean;
}

export interface AppliedExemption {
  readonly rule: RuleRef;
  readonly exemption: Exemption;
  /** The image it exempted, or undefined when it exempted the whole workload. */
  readonly image?: string;
  /** For a CVE exemption: the ids of the matched findings it removed. */
  readonly findings?: readonly string[];
}

export interface Evaluation {
  readonly decision: Decision;
  readonly violations: readonly Violation[];
  readonly exemptionsApplied: readonly AppliedExemption[];
  /** The enabled rules whose scope covered the workload (exempted or not). */
  readonly rulesInScope: readonly RuleRef[];
}

export function evaluate(target: EvaluationTarget, rules: readonly CompiledRule[], now: Date): Evaluation {
  const at = now.getTime();
  const violations: Violation[] = [];
  const exemptionsApplied: AppliedExemption[] = [];
  const rulesInScope: RuleRef[] = [];
  const subject: WorkloadSubject = { cluster: target.cluster, workload: target.workload };

  // Loops rather than every/find with closures: this runs for every rule in scope and image.
  for (const rule of rules) {
    if (!cloudScopeHolds(rule.rule.scope.cloud, target.cluster)) continue;
    if (!workloadInScope(rule, subject)) continue;
    rulesInScope.push(rule.ref);

    const workloadExemption = exemptingWorkload(rule, target, at);
    if (workloadExemption) {
      exemptionsApplied.push({ rule: rule.ref, exemption: workloadExemption.exemption });
      continue;
    }
    for (const image of target.images) {
      if (!imageInScope(rule, image)) continue;
      const imageExemption = exemptingImage(rule, image, at);
      if (imageExemption) {
        exemptionsApplied.push({ rule: rule.ref, exemption: imageExemption.exemption, image: image.reference });
        continue;
      }
      const violation = violationOf(rule, image, at, exemptionsApplied);
      if (violation) violations.push(violation);
    }
  }
  return { decision: decisionOf(violations), violations, exemptionsApplied, rulesInScope };
}

/** Denied if an enforced Deny triggered, else Audited if anything triggered, else Allowed. */
export function decisionOf(violations: readonly Violation[]): Decision {
  if (violations.some((v) => v.action === 'Deny' && v.enforced)) return 'Denied';
  return violations.length > 0 ? 'Audited' : 'Allowed';
}

function violationOf(rule: CompiledRule, image: TargetImage, at: number, applied: AppliedExemption[]): Violation | undefined {
  const missing = missingEvidence(rule, image, at);
  if (missing !== undefined) {
    return rule.rule.unscanned === 'Trigger' ? violation(rule, image, 'NoEvidence', missing, []) : undefined;
  }
  const { findings, removed } = matchFindings(rule, image.evidence as ImageEvidence, at);
  for (const { exemption, ids } of removed) applied.push({ rule: rule.ref, exemption: exemption.exemption, image: image.reference, findings: ids });
  if (findings.length <= (rule.rule.conditions.moreThan ?? 0)) return undefined;
  return violation(rule, image, 'Findings', findings.length === 1 ? '1 finding' : `${findings.length} findings`, findings);
}

// One plain literal of one shape: thousands are made per evaluation on the admission path.
function violation(rule: CompiledRule, image: TargetImage, reason: Violation['reason'], detail: string, findings: readonly Finding[]): Violation {
  return {
    rule: rule.ref,
    action: rule.rule.action,
    image: image.reference,
    digest: image.digest,
    reason,
    detail,
    findings,
    enforced: image.enforce !== false || rule.rule.action !== 'Deny',
  };
}

/** Why an image has no usable evidence for this rule, or undefined when it has. */
function missingEvidence(rule: CompiledRule, image: TargetImage, at: number): string | undefined {
  if (image.status !== 'Scanned' || !image.evidence) return noEvidence(image);
  const { scannedAt } = image.evidence;
  // A scan of unknown age is taken as current: it cannot be shown to be too old.
  if (rule.maxScanAgeMs !== undefined && scannedAt !== undefined && at - scannedAt > rule.maxScanAgeMs) {
    return `scan older than ${rule.rule.maxScanAge} (scanned ${new Date(scannedAt).toISOString()})`;
  }
  return undefined;
}

const NO_EVIDENCE: Readonly<Record<Exclude<TargetImage['status'], 'Scanned'>, string>> = {
  NotScanned: 'not scanned',
  Failed: 'the scan failed',
  Unsupported: 'scanning is not supported for this image',
  Unresolved: 'tag could not be resolved to a digest',
};

/** Why an image has no evidence to evaluate (its status is not Scanned, or it came without any). */
export function noEvidence(image: TargetImage): string {
  // Unresolved with its digest known: the tag was resolved, but its findings not read in time.
  if (image.status === 'Unresolved' && image.digest !== undefined) return 'findings could not be read in time';
  return NO_EVIDENCE[image.status === 'Scanned' ? 'NotScanned' : image.status];
}

function workloadInScope(rule: CompiledRule, subject: WorkloadSubject): boolean {
  for (const scope of rule.workloadScopes) if (!WORKLOAD_SCOPES[scope.kind as keyof typeof WORKLOAD_SCOPES](scope, subject)) return false;
  return true;
}

function imageInScope(rule: CompiledRule, image: TargetImage): boolean {
  for (const scope of rule.imageScopes) if (!imageScopeHolds(scope, image)) return false;
  return true;
}

/** The first exemption of the rule in force that exempts the workload. */
function exemptingWorkload(rule: CompiledRule, target: EvaluationTarget, at: number): CompiledExemption | undefined {
  for (const exemption of rule.workloadExemptions) if (isActive(exemption, at) && exemptsWorkload(exemption, target.workload)) return exemption;
  return undefined;
}

/** The first exemption of the rule in force that exempts the image. */
function exemptingImage(rule: CompiledRule, image: TargetImage, at: number): CompiledExemption | undefined {
  for (const exemption of rule.imageExemptions) if (isActive(exemption, at) && exemptsImage(exemption, image)) return exemption;
  return undefined;
}
