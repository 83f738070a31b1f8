// Builders for engine tests: a valid rule, a workload, an image with findings, an instant.
import type { Finding } from '../../findings/model.js';
import type { Severity } from '../../findings/severity.js';
import { parseImageReference } from '../../images/reference.js';
import { compileRule } from '../compile.js';
import { evaluate, type Evaluation } from '../evaluate.js';
import { ImageEvidence } from '../evidence.js';
import type { Exemption, Rule } from '../rule.js';
import type { ClusterContext, EvaluationTarget, TargetImage, WorkloadIdentity } from '../target.js';

type RuleOverrides = Partial<Omit<Rule, 'scope' | 'conditions'>> & { scope?: Rule['scope']; conditions?: Rule['conditions'] };

export function aRule(overrides: RuleOverrides = {}): Rule {
  return {
    apiVersion: 'portcullis.dev/v1',
    kind: 'Rule',
    name: 'test-rule',
    action: 'Deny',
    enabled: true,
    timeZone: 'UTC',
    scope: {},
    conditions: { severities: ['Critical'] },
    unscanned: 'Ignore',
    exemptions: [],
    ...overrides,
  };
}

let counter = 0;

export function aFinding(id: string, severity: Severity = 'Critical', extra: Partial<Finding> = {}): Finding {
  counter++;
  return {
    id,
    aliases: [],
    severity,
    package: { name: `pkg-${counter}`, version: '1.0.0', type: 'deb' },
    fixAvailable: false,
    ...extra,
  };
}

export const DIGEST = `sha256:${'1'.repeat(64)}`;

export function scannedImage(reference: string, findings: readonly Finding[], options: Partial<TargetImage> & { scannedAt?: number } = {}): TargetImage {
  const parsed = parseImageReference(reference);
  const { scannedAt, ...rest } = options;
  return {
    reference,
    parsed,
    digest: parsed.digest ?? DIGEST,
    status: 'Scanned',
    evidence: new ImageEvidence(findings, scannedAt),
    ...rest,
  };
}

export function imageWith(...ids: string[]): TargetImage {
  return scannedImage('registry.example.com/team/app:1.0', ids.map((id) => aFinding(id)));
}

export function unscannedImage(reference: string, status: TargetImage['status'] = 'NotScanned'): TargetImage {
  return { reference, parsed: parseImageReference(reference), status };
}

export function aWorkload(overrides: Partial<WorkloadIdentity> = {}): WorkloadIdentity {
  return {
    kind: 'Deployment',
    namespace: 'prod-payments',
    name: 'checkout',
    podName: 'checkout',
    workloadName: 'checkout',
    labels: { app: 'checkout', env: 'prod' },
    ...overrides,
  };
}

export function aTarget(images: TargetImage | readonly TargetImage[], workload: Partial<WorkloadIdentity> = {}, cluster: ClusterContext = { name: 'prod-eu-1', provider: 'aws', account: '123456789012' }): EvaluationTarget {
  return { cluster, workload: aWorkload(workload), images: Array.isArray(images) ? images : [images as TargetImage] };
}

export function at(iso: string): Date {
  return new Date(iso);
}

export const NOW = at('2026-06-15T12:00:00Z');

export function cveExemption(value: string, expires?: string): Exemption {
  return { type: 'CVE', criterion: 'Equals', value, ...(expires !== undefined && { expires }), reason: 'test' };
}

/** Evaluate a target against plain rules at a time. */
export function decide(target: EvaluationTarget, rules: readonly Rule[], now: Date = NOW): Evaluation {
  return evaluate(target, rules.map((r) => compileRule(r)), now);
}
