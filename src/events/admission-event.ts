// An admission event: one evaluated request, with everything Admission Monitoring shows about
// what happened and why.
import type { Cvss } from '../findings/model.js';
import type { Severity } from '../findings/severity.js';
import type { SeverityCounts } from '../policy/evidence.js';
import type { Action, Conditions, Exemption, Scope, UnscannedMode } from '../policy/rule.js';
import type { ScanStatus } from '../policy/target.js';

export const EVENT_DECISIONS = ['Allowed', 'Audited', 'Denied', 'BreakGlass', 'Error'] as const;
export type EventDecision = (typeof EVENT_DECISIONS)[number];

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'EVALUATE'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface EventFinding {
  readonly id: string;
  readonly severity: Severity;
  readonly package: string;
  readonly version: string;
  readonly fixedVersion?: string;
  readonly cvss?: Cvss;
}

export interface EventViolation {
  readonly rule: string;
  readonly ruleId?: string;
  readonly ruleVersion?: number;
  readonly action: Action;
  /** false: a Deny recorded but not enforced (controller-made pod, unchanged image). */
  readonly enforced: boolean;
  readonly reason: 'Findings' | 'NoEvidence';
  readonly detail: string;
  /** How many findings matched; `findings` names the worst of them (bounded). */
  readonly findingCount: number;
  /** The ids of its worst matched findings, worst first; the image's `findings` holds them in full. */
  readonly findings: readonly string[];
}

export interface EventImage {
  /** As written in the spec. */
  readonly reference: string;
  readonly digest?: string;
  readonly scanStatus: ScanStatus;
  readonly counts: SeverityCounts;
  readonly violations: readonly EventViolation[];
  /**
   * The findings the violations name, in full, each once (several rules mostly name the same
   * worst findings), in the order the violations name them.
   */
  readonly findings: readonly EventFinding[];
  /**
   * Every vulnerability id a violation of this image matched, each once: what the CVE filter
   * finds the event by. (Each violation names only its worst findings.)
   */
  readonly matched: readonly string[];
}

/** The rule as it was applied: the "rule configuration snapshot" of Admission Monitoring. */
export interface RuleSnapshot {
  readonly name: string;
  readonly id?: string;
  readonly version?: number;
  readonly action: Action;
  /** The rule in plain words: the "policy description". */
  readonly description: string;
  readonly scope: Scope;
  readonly conditions: Conditions;
  readonly unscanned: UnscannedMode;
  readonly maxScanAge?: string;
  readonly timeZone: string;
  /** Every exemption of the rule, with whether it was in force at the time, and whether it applied here. */
  readonly exemptions: readonly (Exemption & { readonly state: 'Active' | 'Expired'; readonly applied: boolean })[];
}

export interface AdmissionEvent {
  /** Unique, sortable by time (a UUIDv7): stored once, whatever the retries. */
  readonly id: string;
  /** ISO-8601. */
  readonly time: string;
  readonly cluster?: string;
  readonly account?: string;
  readonly provider?: string;
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  /** The top-level workload's name. */
  readonly workload: string;
  readonly operation: Operation;
  readonly user?: string;
  readonly dryRun: boolean;
  readonly decision: EventDecision;
  /** Why, in one line: the message a developer saw. */
  readonly message: string;
  readonly images: readonly EventImage[];
  /** The rules that triggered, as applied. */
  readonly rules: readonly RuleSnapshot[];
  /** Where it was decided: `webhook`, `evaluate`, `api`. */
  readonly source: string;
  /** The break-glass reason, when the annotation was used. */
  readonly breakGlass?: string;
  /** The AdmissionReview uid, when there was one. */
  readonly requestUid?: string;
}
