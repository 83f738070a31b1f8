// Turns a rule into the form evaluation wants: everything that does not depend on the request
// (severity masks, upper-cased ids, exemption expiry instants) is worked out once.
import { parseDuration } from './duration.js';
import { severityMask } from './evidence.js';
import { compileExemption, IMAGE_EXEMPTION_TYPES, WORKLOAD_EXEMPTION_TYPES, type CompiledExemption } from './exemptions.js';
import type { ResourceScope, Rule, RuleRef } from './rule.js';

export interface CompiledRule {
  readonly rule: Rule;
  readonly ref: RuleRef;
  readonly severityMask: number;
  /** The conditions as text: rules with equal keys select the same findings of an image. */
  readonly conditionKey: string;
  /** The memo key of the findings the conditions select (made once: it is looked up per image). */
  readonly selectionKey: string;
  /** The memo key of those findings after every CVE exemption (the usual case: all in force, each touching). */
  readonly allExemptedKey: string;
  /** Upper-cased CVE ids of the conditions. */
  readonly cves: readonly string[];
  /** True when neither severities nor ids are given: every finding is a candidate for the filters. */
  readonly allFindings: boolean;
  readonly hasFilters: boolean;
  readonly maxScanAgeMs?: number;
  readonly workloadScopes: readonly ResourceScope[];
  readonly imageScopes: readonly ResourceScope[];
  readonly workloadExemptions: readonly CompiledExemption[];
  readonly imageExemptions: readonly CompiledExemption[];
  readonly cveExemptions: readonly CompiledExemption[];
}

export function compileRule(rule: Rule, ref: RuleRef = { name: rule.name }): CompiledRule {
  const conditionKey = conditionKeyOf(rule);
  const { conditions } = rule;
  const severities = conditions.severities ?? [];
  const cves = (conditions.cves ?? []).map((id) => id.trim().toUpperCase());
  const resources = rule.scope.resources ?? [];
  const exemptions = rule.exemptions.map((e) => compileExemption(e, rule.timeZone));
  const cveExemptions = exemptions.filter((e) => e.exemption.type === 'CVE');
  return {
    rule,
    ref,
    severityMask: severityMask(severities),
    conditionKey,
    selectionKey: `c:${conditionKey}`,
    allExemptedKey: exemptedKey(conditionKey, cveExemptions),
    cves,
    allFindings: severities.length === 0 && cves.length === 0,
    hasFilters: conditions.minCvss !== undefined || conditions.fixAvailable === true || conditions.knownExploited === true,
    ...(rule.maxScanAge !== undefined && { maxScanAgeMs: parseDuration(rule.maxScanAge) }),
    workloadScopes: resources.filter((s) => s.kind !== 'Image'),
    imageScopes: resources.filter((s) => s.kind === 'Image'),
    workloadExemptions: exemptions.filter((e) => WORKLOAD_EXEMPTION_TYPES.has(e.exemption.type)),
    imageExemptions: exemptions.filter((e) => IMAGE_EXEMPTION_TYPES.has(e.exemption.type)),
    cveExemptions,
  };
}

/** The memo key of the findings these conditions select once these CVE exemptions are taken out. */
export function exemptedKey(conditionKey: string, exemptions: readonly CompiledExemption[]): string {
  return `x:${conditionKey}|${exemptions.map((e) => e.key).join('|')}`;
}

/** Compiles the enabled rules; disabled rules are kept by the store but never evaluated. */
export function compileRules(rules: readonly { rule: Rule; ref?: RuleRef }[]): CompiledRule[] {
  return rules.filter(({ rule }) => rule.enabled).map(({ rule, ref }) => compileRule(rule, ref));
}

function conditionKeyOf({ conditions }: Rule): string {
  return [
    severityMask(conditions.severities ?? []),
    (conditions.cves ?? []).map((id) => id.trim().toUpperCase()).join(','),
    conditions.minCvss ?? '',
    conditions.fixAvailable === true ? 'fix' : '',
    conditions.knownExploited === true ? 'kev' : '',
  ].join('|');
}
