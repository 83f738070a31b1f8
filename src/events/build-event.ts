// Turns an engine evaluation into the admission event Admission Monitoring stores and shows.
import type { Finding } from '../findings/model.js';
import type { CompiledRule } from '../policy/compile.js';
import { describeRule } from '../policy/describe.js';
import type { Evaluation, Violation } from '../policy/evaluate.js';
import { NO_COUNTS } from '../policy/evidence.js';
import { isActive } from '../policy/exemptions.js';
import type { Rule } from '../policy/rule.js';
import type { EvaluationTarget, TargetImage } from '../policy/target.js';
import type { AdmissionEvent, EventDecision, EventFinding, EventImage, EventViolation, Operation, RuleSnapshot } from './admission-event.js';

/**
 * Each violation names its worst findings (what a person reads first), and the image holds each
 * of those once in full; findingCount says how many matched, and the image's `matched` names them
 * all. An event of a policy of a thousand rules stays tens of kilobytes, not megabytes, on the
 * admission path.
 */
export const EVENT_FINDINGS_PER_VIOLATION = 5;

export interface EventContext {
  readonly id: string;
  readonly time: Date;
  readonly operation: Operation;
  readonly user?: string;
  readonly dryRun: boolean;
  readonly source: string;
  readonly requestUid?: string;
  readonly breakGlass?: string;
  /** Overrides the engine's decision (BreakGlass, Error). */
  readonly decision?: EventDecision;
  readonly message: string;
}

export function buildAdmissionEvent(
  context: EventContext,
  target: EvaluationTarget,
  evaluation: Evaluation,
  rules: readonly CompiledRule[],
): AdmissionEvent {
  const { cluster, workload } = target;
  return {
    id: context.id,
    time: context.time.toISOString(),
    ...(cluster.name !== undefined && { cluster: cluster.name }),
    ...(cluster.account !== undefined && { account: cluster.account }),
    ...(cluster.provider !== undefined && { provider: cluster.provider }),
    namespace: workload.namespace,
    kind: workload.kind,
    name: workload.name,
    workload: workload.workloadName,
    operation: context.operation,
    ...(context.user !== undefined && { user: context.user }),
    dryRun: context.dryRun,
    decision: context.decision ?? evaluation.decision,
    message: context.message,
    images: target.images.map((image) => eventImage(image, evaluation.violations)),
    rules: ruleSnapshots(evaluation, rules, context.time.getTime()),
    source: context.source,
    ...(context.requestUid !== undefined && { requestUid: context.requestUid }),
    ...(context.breakGlass !== undefined && { breakGlass: context.breakGlass }),
  };
}

// The parts below are made for every image of every recorded admission: plain literals, no spreads.
function eventImage(image: TargetImage, all: readonly Violation[]): EventImage {
  const own = all.filter((v) => v.image === image.reference);
  const matched = new Set<string>();
  for (const violation of own) for (const finding of violation.findings) matched.add(finding.id);
  const counts = image.evidence?.counts ?? NO_COUNTS;
  const named = new Map<string, EventFinding>();
  const violations = own.map((violation) => eventViolation(violation, named));
  const findings = [...named.values()];
  return image.digest === undefined
    ? { reference: image.reference, scanStatus: image.status, counts, violations, findings, matched: [...matched] }
    : { reference: image.reference, digest: image.digest, scanStatus: image.status, counts, violations, findings, matched: [...matched] };
}

/** `named`: the image's findings in full so far, by id; the violation's worst are added to it. */
function eventViolation(violation: Violation, named: Map<string, EventFinding>): EventViolation {
  const worst = Math.min(violation.findings.length, EVENT_FINDINGS_PER_VIOLATION);
  const ids: string[] = [];
  for (let i = 0; i < worst; i++) {
    const finding = violation.findings[i] as Finding;
    ids.push(finding.id);
    if (!named.has(finding.id)) named.set(finding.id, eventFinding(finding));
  }
  return {
    rule: violation.rule.name,
    ...(violation.rule.id !== undefined && { ruleId: violation.rule.id }),
    ...(violation.rule.version !== undefined && { ruleVersion: violation.rule.version }),
    action: violation.action,
    enforced: violation.enforced,
    reason: violation.reason,
    detail: violation.detail,
    findingCount: violation.findings.length,
    findings: ids,
  };
}

export function eventFinding(finding: Finding): EventFinding {
  const { id, severity, fixedVersion, cvss } = finding;
  const { name, version } = finding.package;
  if (fixedVersion === undefined) return cvss === undefined ? { id, severity, package: name, version } : { id, severity, package: name, version, cvss };
  return cvss === undefined ? { id, severity, package: name, version, fixedVersion } : { id, severity, package: name, version, fixedVersion, cvss };
}

/** The triggered rules, and the rules whose exemptions applied, as they were at that moment. */
function ruleSnapshots(evaluation: Evaluation, rules: readonly CompiledRule[], at: number): RuleSnapshot[] {
  const involved = new Set([...evaluation.violations.map((v) => v.rule), ...evaluation.exemptionsApplied.map((e) => e.rule)]);
  return rules
    .filter((rule) => involved.has(rule.ref))
    .map((compiled): RuleSnapshot => {
      const { rule, ref } = compiled;
      const applied = new Set(evaluation.exemptionsApplied.filter((e) => e.rule === ref).map((e) => e.exemption));
      const compiledExemptions = [...compiled.workloadExemptions, ...compiled.imageExemptions, ...compiled.cveExemptions];
      return {
        name: ref.name,
        ...(ref.id !== undefined && { id: ref.id }),
        ...(ref.version !== undefined && { version: ref.version }),
        action: rule.action,
        description: describedRule(rule),
        scope: rule.scope,
        conditions: rule.conditions,
        unscanned: rule.unscanned,
        ...(rule.maxScanAge !== undefined && { maxScanAge: rule.maxScanAge }),
        timeZone: rule.timeZone,
        exemptions: rule.exemptions.map((exemption) => {
          const compiledExemption = compiledExemptions.find((c) => c.exemption === exemption);
          const active = compiledExemption === undefined || isActive(compiledExemption, at);
          return { ...exemption, state: active ? 'Active' : 'Expired', applied: applied.has(exemption) };
        }),
      };
    });
}

const descriptions = new WeakMap<Rule, string>();

/** A rule's plain words, once per rule document: rules change rarely, admissions happen often. */
function describedRule(rule: Rule): string {
  let description = descriptions.get(rule);
  if (description === undefined) descriptions.set(rule, (description = describeRule(rule)));
  return description;
}
