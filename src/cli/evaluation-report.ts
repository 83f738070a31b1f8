// How `evaluate` shows its verdicts: JSON for machines, a table for people.
import type { WorkloadVerdict } from '../evaluation/evaluate-workloads.js';
import type { Finding } from '../findings/model.js';
import { SEVERITIES } from '../findings/severity.js';
import type { SeverityCounts } from '../policy/evidence.js';
import type { Violation } from '../policy/evaluate.js';
import { countsSummary, table } from './output.js';

const TOP_FINDINGS = 5;

export function renderJson(verdicts: readonly WorkloadVerdict[]): string {
  const results = verdicts.map(({ workload, images, evaluation }) => ({
    kind: workload.identity.kind,
    namespace: workload.identity.namespace,
    name: workload.identity.name,
    decision: evaluation.decision,
    images: images.map((i) => ({ image: i.image, digest: i.digest ?? null, scanStatus: i.scanStatus, counts: i.counts })),
    violations: evaluation.violations.map((v) => ({
      rule: v.rule.name,
      action: v.action,
      image: v.image,
      digest: v.digest ?? null,
      detail: v.detail,
      findings: v.findings.map((f) => f.id),
    })),
    exemptions: evaluation.exemptionsApplied.map((e) => ({
      rule: e.rule.name,
      type: e.exemption.type,
      criterion: e.exemption.criterion,
      value: e.exemption.value,
      ...(e.image !== undefined && { image: e.image }),
      ...(e.findings !== undefined && { findings: e.findings }),
    })),
  }));
  return `${JSON.stringify({ results }, null, 2)}\n`;
}

export function renderTable(verdicts: readonly WorkloadVerdict[]): string {
  if (verdicts.length === 0) return 'No pod-bearing objects (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController) found.\n';
  const rows = verdicts.map(({ workload, images, evaluation }) => [
    workload.identity.kind,
    workload.identity.namespace,
    workload.identity.name,
    evaluation.decision,
    `${images.length} image${images.length === 1 ? '' : 's'}: ${summarize(images.map((i) => i.counts), images.filter((i) => i.scanStatus !== 'Scanned').length)}`,
  ]);
  const lines = table(['KIND', 'NAMESPACE', 'NAME', 'DECISION', 'IMAGES'], rows).trimEnd().split('\n');

  const withViolations = verdicts.filter((v) => v.evaluation.violations.length > 0);
  if (withViolations.length > 0) lines.push('', 'Violations:');
  for (const { workload, evaluation } of withViolations) {
    lines.push(`${workload.identity.kind} ${workload.identity.namespace}/${workload.identity.name}: ${evaluation.decision}`);
    for (const violation of evaluation.violations) lines.push(...violationLines(violation));
  }
  const exempted = verdicts.flatMap((v) => v.evaluation.exemptionsApplied.map((e) => ({ v, e })));
  if (exempted.length > 0) lines.push('', 'Exemptions applied:');
  for (const { v, e } of exempted) {
    const what = e.findings ? `${e.findings.join(', ')} on ${e.image}` : (e.image ?? `${v.workload.identity.kind} ${v.workload.identity.namespace}/${v.workload.identity.name}`);
    lines.push(`  ${e.rule.name}: ${e.exemption.type} ${e.exemption.criterion} ${e.exemption.value}${e.exemption.expires ? ` (until ${e.exemption.expires})` : ''} exempts ${what}`);
  }
  return `${lines.join('\n')}\n`;
}

function violationLines(violation: Violation): string[] {
  const enforced = violation.action === 'Deny' && !violation.enforced ? ' (not enforced: audited)' : '';
  const digest = violation.digest ? ` (${violation.digest.slice(0, 19)}…)` : '';
  const lines = [`  ${violation.action.padEnd(5)} ${violation.rule.name}${enforced}: ${violation.image}${digest}: ${violation.detail}`];
  for (const finding of violation.findings.slice(0, TOP_FINDINGS)) lines.push(`        ${findingLine(finding)}`);
  const more = violation.findings.length - TOP_FINDINGS;
  if (more > 0) lines.push(`        … and ${more} more`);
  return lines;
}

function findingLine(f: Finding): string {
  const score = f.cvss ? ` ${f.cvss.score.toFixed(1)}` : '';
  const fix = f.fixAvailable && f.fixedVersion ? `fixed in ${f.fixedVersion}` : 'no fix yet';
  return `${f.id} ${f.severity}${score}  ${f.package.name} ${f.package.version}: ${fix}`;
}

function summarize(counts: readonly SeverityCounts[], unscanned: number): string {
  const total = Object.fromEntries(SEVERITIES.map((s) => [s, counts.reduce((sum, c) => sum + c[s], 0)])) as SeverityCounts;
  return countsSummary(total, unscanned > 0 ? [`${unscanned} without scan`] : []);
}
