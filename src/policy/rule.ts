// The rule model: what a security team writes. Validation lives in rule-document.ts.
import type { Severity } from '../findings/severity.js';

export const ACTIONS = ['Audit', 'Deny'] as const;
export type Action = (typeof ACTIONS)[number];

export const CLOUD_PROVIDERS = ['azure', 'aws', 'gcp'] as const;
export type CloudProvider = (typeof CLOUD_PROVIDERS)[number];

export const RESOURCE_KINDS = ['Cluster', 'Namespace', 'Pod', 'Deployment', 'Image', 'LabelSelector'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export const SCOPE_CRITERIA = ['Equals', 'StartsWith', 'EndsWith', 'Contains', 'NotEquals'] as const;
export type ScopeCriterion = (typeof SCOPE_CRITERIA)[number];

export const EXEMPTION_TYPES = ['CVE', 'Deployment', 'Image', 'Namespace', 'Pod', 'Registry', 'Repository'] as const;
export type ExemptionType = (typeof EXEMPTION_TYPES)[number];

export const EXEMPTION_CRITERIA = ['Equals', 'StartsWith', 'EndsWith', 'Contains'] as const;
export type ExemptionCriterion = (typeof EXEMPTION_CRITERIA)[number];

export const UNSCANNED_MODES = ['Ignore', 'Trigger'] as const;
export type UnscannedMode = (typeof UNSCANNED_MODES)[number];

export interface CloudScope {
  readonly provider: CloudProvider;
  /** Azure subscription id, AWS account id or GCP project id; omitted: every account of the provider. */
  readonly account?: string;
}

export interface ResourceScope {
  readonly kind: ResourceKind;
  readonly criterion: ScopeCriterion;
  readonly value: string;
}

export interface Scope {
  readonly name?: string;
  /** Omitted or empty: every cloud and account. */
  readonly cloud?: readonly CloudScope[];
  /** All must hold; omitted or empty: every resource. */
  readonly resources?: readonly ResourceScope[];
}

export interface Conditions {
  /** A finding of any of these severities triggers. */
  readonly severities?: readonly Severity[];
  /** A finding with any of these ids (or aliases) triggers. */
  readonly cves?: readonly string[];
  /** Only findings with a CVSS score at or above this count. */
  readonly minCvss?: number;
  /** true: only findings with a fix available count. */
  readonly fixAvailable?: boolean;
  /** true: only findings known to be exploited count. */
  readonly knownExploited?: boolean;
  /** Trigger only when more than this many findings count (default 0: any one). */
  readonly moreThan?: number;
}

export interface Exemption {
  readonly type: ExemptionType;
  readonly criterion: ExemptionCriterion;
  readonly value: string;
  /** A calendar day `YYYY-MM-DD`: the exemption holds through the end of it in the rule's time zone. */
  readonly expires?: string;
  readonly reason?: string;
}

/** A rule document as written (after defaults are filled in). */
export interface Rule {
  readonly apiVersion: 'portcullis.dev/v1';
  readonly kind: 'Rule';
  readonly name: string;
  readonly description?: string;
  readonly action: Action;
  readonly enabled: boolean;
  /** IANA time zone for exemption expiry. */
  readonly timeZone: string;
  readonly scope: Scope;
  readonly conditions: Conditions;
  readonly unscanned: UnscannedMode;
  /** `30d`, `12h`, `2w`: an older scan counts as no scan. */
  readonly maxScanAge?: string;
  readonly exemptions: readonly Exemption[];
}

/** Which stored rule (and which version of it) a decision was made against. */
export interface RuleRef {
  readonly name: string;
  readonly id?: string;
  readonly version?: number;
}

/** The default rule of a new installation: audit High and Critical everywhere. */
export const DEFAULT_RULE: Rule = Object.freeze({
  apiVersion: 'portcullis.dev/v1',
  kind: 'Rule',
  name: 'default-audit-high-critical',
  description: 'Flags image deployments with High or Critical vulnerabilities on every cluster.',
  action: 'Audit',
  enabled: true,
  timeZone: 'UTC',
  scope: { name: 'all' },
  conditions: { severities: ['Critical', 'High'] },
  unscanned: 'Ignore',
  exemptions: [],
}) as Rule;
