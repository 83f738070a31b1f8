// Synthetic but realistic data for the benchmarks: findings spread over severities, packages and
// fixes; rules over every scope kind, condition and exemption type. Deterministic (a seeded
// sequence), so runs are comparable.
import type { Finding } from '../src/findings/model.js';
import { SEVERITIES, type Severity } from '../src/findings/severity.js';
import type { Rule } from '../src/policy/rule.js';

export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed;
  return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

function picker(random: Random): <T>(list: readonly T[]) => T {
  return (list) => list[Math.floor(random() * list.length)] as (typeof list)[number];
}

export function syntheticFindings(count: number, image: number, random: Random): Finding[] {
  const pick = picker(random);
  return Array.from({ length: count }, (_, i) => ({
    id: `CVE-20${10 + (i % 15)}-${image}${String(i).padStart(5, '0')}`,
    aliases: i % 7 === 0 ? [`GHSA-${image}-${i}`] : [],
    severity: pick(SEVERITIES),
    cvss: { score: Math.round(random() * 100) / 10 },
    package: { name: `pkg-${i % 120}`, version: `1.${i % 10}.0`, type: 'deb' },
    fixAvailable: i % 3 !== 0,
    ...(i % 3 !== 0 && { fixedVersion: `1.${i % 10}.1` }),
  }));
}

export const SYNTHETIC_NAMESPACES = ['prod-', 'prod-payments', 'staging', 'dev-', 'payments', 'team-a'];
export function syntheticRules(count: number, random: Random): Rule[] {
  const pick = picker(random);
  return Array.from({ length: count }, (_, i): Rule => {
    const severities = SEVERITIES.filter(() => random() < 0.4) as Severity[];
    return {
      apiVersion: 'portcullis.dev/v1',
      kind: 'Rule',
      name: `rule-${i}`,
      action: i % 4 === 0 ? 'Deny' : 'Audit',
      enabled: true,
      timeZone: i % 2 === 0 ? 'UTC' : 'Europe/Berlin',
      scope: {
        resources: [
          { kind: 'Namespace', criterion: pick(['Equals', 'StartsWith', 'Contains', 'NotEquals'] as const), value: pick(SYNTHETIC_NAMESPACES) },
          ...(i % 5 === 0 ? [{ kind: 'LabelSelector' as const, criterion: 'Equals' as const, value: 'env=prod' }] : []),
          ...(i % 9 === 0 ? [{ kind: 'Image' as const, criterion: 'StartsWith' as const, value: 'registry.example.com/' }] : []),
        ],
      },
      conditions: {
        ...(severities.length > 0 ? { severities } : { cves: [`CVE-2012-1000${i % 10}`, 'CVE-2021-44228'] }),
        ...(i % 6 === 0 && { minCvss: 7 }),
        ...(i % 8 === 0 && { fixAvailable: true }),
      },
      unscanned: 'Ignore',
      exemptions: [
        { type: 'CVE', criterion: 'Equals', value: `CVE-2011-1${String(i % 500).padStart(5, '0')}`, expires: '2027-12-31' },
        ...(i % 3 === 0 ? [{ type: 'Namespace' as const, criterion: 'StartsWith' as const, value: 'sandbox-' }] : []),
        ...(i % 10 === 0 ? [{ type: 'CVE' as const, criterion: 'StartsWith' as const, value: 'CVE-2010-' }] : []),
      ],
    };
  });
}

/** Namespaces of the scoped policy: one per team. */
export const TEAM_NAMESPACES = 400;

/**
 * A policy as an installation of many teams writes it: two rules for everyone (audit High and
 * Critical; deny fixable Critical in `prod-` namespaces), the rest one team's namespace each.
 * A request meets the two global rules and the few of its own team.
 */
export function syntheticScopedRules(count: number, random: Random): Rule[] {
  const pick = picker(random);
  const global: Rule[] = [
    {
      apiVersion: 'portcullis.dev/v1',
      kind: 'Rule',
      name: 'audit-high-critical',
      action: 'Audit',
      enabled: true,
      timeZone: 'UTC',
      scope: {},
      conditions: { severities: ['Critical', 'High'] },
      unscanned: 'Ignore',
      exemptions: [],
    },
    {
      apiVersion: 'portcullis.dev/v1',
      kind: 'Rule',
      name: 'deny-fixable-critical-in-prod',
      action: 'Deny',
      enabled: true,
      timeZone: 'Europe/Berlin',
      scope: { resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] },
      conditions: { severities: ['Critical'], fixAvailable: true },
      unscanned: 'Trigger',
      exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2011-100001', expires: '2027-03-31' }],
    },
  ];
  const teams = Array.from({ length: Math.max(0, count - global.length) }, (_, i): Rule => {
    const severities = SEVERITIES.filter(() => random() < 0.3) as Severity[];
    return {
      apiVersion: 'portcullis.dev/v1',
      kind: 'Rule',
      name: `team-${i % TEAM_NAMESPACES}-rule-${i}`,
      action: i % 3 === 0 ? 'Deny' : 'Audit',
      enabled: true,
      timeZone: 'UTC',
      scope: {
        resources: [
          { kind: 'Namespace', criterion: 'Equals', value: `team-${i % TEAM_NAMESPACES}` },
          ...(i % 4 === 0 ? [{ kind: 'LabelSelector' as const, criterion: 'Equals' as const, value: 'env=prod' }] : []),
        ],
      },
      conditions: {
        ...(severities.length > 0 ? { severities } : { cves: [`CVE-2012-1000${i % 10}`, 'CVE-2021-44228'] }),
        ...(i % 5 === 0 && { minCvss: pick([7, 8, 9]) }),
      },
      unscanned: 'Ignore',
      exemptions: i % 2 === 0 ? [{ type: 'CVE', criterion: 'StartsWith', value: 'CVE-2010-', expires: '2027-12-31' }] : [],
    };
  });
  return [...global, ...teams];
}
