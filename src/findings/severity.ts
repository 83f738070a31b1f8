// The one severity scale every source maps onto.

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<Severity, number> = { Critical: 4, High: 3, Medium: 2, Low: 1, Unknown: 0 };

/** Higher is worse: Critical 4 … Unknown 0. */
export function severityRank(severity: Severity): number {
  return RANK[severity];
}

const FROM_SOURCE: Record<string, Severity> = {
  critical: 'Critical',
  high: 'High',
  important: 'High',
  medium: 'Medium',
  moderate: 'Medium',
  low: 'Low',
  negligible: 'Low',
  informational: 'Low',
  info: 'Low',
  minimal: 'Low',
  none: 'Low',
  unknown: 'Unknown',
  unspecified: 'Unknown',
  untriaged: 'Unknown',
  undefined: 'Unknown',
  severity_unspecified: 'Unknown',
  '': 'Unknown',
};

/**
 * Maps a source's own severity word (any case) onto the scale; anything unrecognised is Unknown,
 * so a new word from a scanner never makes a finding disappear.
 */
export function normalizeSeverity(raw: string | null | undefined): Severity {
  if (raw === null || raw === undefined) return 'Unknown';
  return FROM_SOURCE[raw.trim().toLowerCase()] ?? 'Unknown';
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
