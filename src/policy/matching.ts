// Which findings of an image a rule's conditions select, after its CVE exemptions. Answers are
// memoized on the image's evidence by the content of the question, not by rule: a thousand rules
// with a handful of distinct conditions cost a handful of computations per image.
import type { Finding } from '../findings/model.js';
import { severityRank } from '../findings/severity.js';
import { exemptedKey, type CompiledRule } from './compile.js';
import type { ImageEvidence } from './evidence.js';
import { exemptsFinding, isActive, type CompiledExemption } from './exemptions.js';

export interface Matched {
  /** The non-exempt findings the conditions select, worst first. */
  readonly findings: readonly Finding[];
  /** For each CVE exemption that removed something: the ids it removed. */
  readonly removed: readonly { readonly exemption: CompiledExemption; readonly ids: readonly string[] }[];
}

const NOTHING_REMOVED: Matched['removed'] = [];

// On the admission path for every rule and image: the memo keys are made at compile time, and
// nothing is allocated when the rule has no CVE exemption that applies.
export function matchFindings(rule: CompiledRule, evidence: ImageEvidence, at: number): Matched {
  let selected = evidence.recall<readonly Finding[]>(rule.selectionKey);
  if (selected === undefined) {
    const base = rule.allFindings ? evidence.findings : evidence.withSeverities(rule.severityMask);
    selected = selectedFindings(rule, evidence, base);
    // A list the evidence holds already (severities alone select) costs only the memo's entry.
    evidence.remember(rule.selectionKey, selected, selected === base ? 0 : selected.length);
  }
  const all = rule.cveExemptions;
  if (all.length === 0 || selected.length === 0) return { findings: selected, removed: NOTHING_REMOVED };
  let applying: CompiledExemption[] | undefined;
  for (let i = 0; i < all.length; i++) {
    const exemption = all[i] as CompiledExemption;
    const applies = isActive(exemption, at) && touches(exemption, evidence);
    // Made only once one is left out: while every exemption applies, the rule's own key stands.
    if (!applies && applying === undefined) applying = all.slice(0, i);
    else if (applies && applying !== undefined) applying.push(exemption);
  }
  const exemptions = applying ?? all;
  if (exemptions.length === 0) return { findings: selected, removed: NOTHING_REMOVED };
  const key = applying === undefined ? rule.allExemptedKey : exemptedKey(rule.conditionKey, exemptions);
  let matched = evidence.recall<Matched>(key);
  if (matched === undefined) {
    matched = removeExempted(selected, exemptions);
    evidence.remember(key, matched, matched.findings.length + matched.removed.length);
  }
  return matched;
}

/** Does this exemption remove anything from this image at all? (Most name one id exactly.) */
function touches(exemption: CompiledExemption, evidence: ImageEvidence): boolean {
  if (exemption.exemption.criterion === 'Equals') return evidence.hasUpperCaseId(exemption.upperValue);
  let touching = evidence.recall<boolean>(exemption.touchKey);
  if (touching === undefined) evidence.remember(exemption.touchKey, (touching = evidence.findings.some((f) => exemptsFinding(exemption, f))));
  return touching;
}

/** The findings the conditions select, worst first, before CVE exemptions; `base`: those of the rule's severities (all, when it names none). */
function selectedFindings(rule: CompiledRule, evidence: ImageEvidence, base: readonly Finding[]): readonly Finding[] {
  let findings = base;
  // A finding named by id that the severity set already holds adds nothing.
  const extra = rule.cves
    .flatMap((id) => evidence.withId(id))
    .filter((f) => !rule.allFindings && (rule.severityMask & (1 << severityRank(f.severity))) === 0);
  if (extra.length > 0) {
    const chosen = new Set([...findings, ...extra]);
    findings = evidence.findings.filter((f) => chosen.has(f));
  }
  if (!rule.hasFilters) return findings;
  const { minCvss, fixAvailable, knownExploited } = rule.rule.conditions;
  return findings.filter(
    (f) =>
      (minCvss === undefined || (f.cvss?.score ?? -1) >= minCvss) &&
      (fixAvailable !== true || f.fixAvailable) &&
      (knownExploited !== true || f.knownExploited === true),
  );
}

function removeExempted(findings: readonly Finding[], exemptions: readonly CompiledExemption[]): Matched {
  const removed = new Map<CompiledExemption, string[]>();
  const kept = findings.filter((finding) => {
    const exemption = exemptions.find((e) => exemptsFinding(e, finding));
    if (!exemption) return true;
    const ids = removed.get(exemption) ?? [];
    if (!ids.includes(finding.id)) ids.push(finding.id);
    removed.set(exemption, ids);
    return false;
  });
  return { findings: kept, removed: [...removed].map(([exemption, ids]) => ({ exemption, ids })) };
}
