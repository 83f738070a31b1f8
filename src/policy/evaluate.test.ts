// Table tests: one named row per behaviour of DESIGN.md's rule table and the notes under it.
import { describe, expect, test } from 'vitest';
import { compileRules } from './compile.js';
import { evaluate } from './evaluate.js';
import type { Exemption, ResourceScope, Rule } from './rule.js';
import { DEFAULT_RULE } from './rule.js';
import {
  aFinding,
  aRule,
  aTarget,
  at,
  cveExemption,
  decide,
  DIGEST,
  imageWith,
  NOW,
  scannedImage,
  unscannedImage,
} from './testing/builders.js';

const criticalImage = imageWith('CVE-2024-0001');

describe('rule fields', () => {
  test('name: every violation names the rule that triggered', () => {
    const result = decide(aTarget(criticalImage), [aRule({ name: 'deny-critical' })]);
    expect(result.violations.map((v) => v.rule.name)).toEqual(['deny-critical']);
  });

  test.each([
    ['Audit', 'Audited'],
    ['Deny', 'Denied'],
  ] as const)('action %s makes the decision %s', (action, decision) => {
    expect(decide(aTarget(criticalImage), [aRule({ action })]).decision).toBe(decision);
  });

  test('enabled: a disabled rule is kept but never evaluated', () => {
    const compiled = compileRules([{ rule: aRule({ enabled: false }) }, { rule: aRule({ name: 'on', action: 'Audit' }) }]);
    expect(compiled.map((r) => r.ref.name)).toEqual(['on']);
    expect(evaluate(aTarget(criticalImage), compiled, NOW).decision).toBe('Audited');
  });

  test('scope name is a label only: it changes nothing about matching', () => {
    const named = decide(aTarget(criticalImage), [aRule({ scope: { name: 'anything at all' } })]);
    expect(named.decision).toBe('Denied');
  });
});

describe('cloud scope', () => {
  const aws = { name: 'c1', provider: 'aws', account: '123456789012' } as const;
  test.each([
    ['omitted covers every cloud', undefined, aws, true],
    ['empty covers every cloud', [], aws, true],
    ['the cluster account is listed', [{ provider: 'aws', account: '123456789012' }], aws, true],
    ['a provider without account covers all its accounts', [{ provider: 'aws' }], aws, true],
    ['another account of the provider', [{ provider: 'aws', account: '999999999999' }], aws, false],
    ['another provider with the same id', [{ provider: 'gcp', account: '123456789012' }], aws, false],
    ['any of several entries', [{ provider: 'azure', account: 'sub' }, { provider: 'aws', account: '123456789012' }], aws, true],
    ['a cluster with no registered cloud is outside any cloud scope', [{ provider: 'aws' }], { name: 'kind' }, false],
  ] as const)('%s', (_name, cloud, cluster, inScope) => {
    const rule = aRule(cloud === undefined ? {} : { scope: { cloud } });
    const result = decide(aTarget(criticalImage, {}, cluster), [rule]);
    expect(result.decision).toBe(inScope ? 'Denied' : 'Allowed');
    expect(result.rulesInScope.length).toBe(inScope ? 1 : 0);
  });
});

describe('resource scope', () => {
  // The workload: cluster prod-eu-1, namespace prod-payments, pod/deployment checkout,
  // labels app=checkout env=prod, image registry.example.com/team/app:1.0.
  const rows: [string, ResourceScope, boolean][] = [
    ['Cluster Equals', { kind: 'Cluster', criterion: 'Equals', value: 'prod-eu-1' }, true],
    ['Cluster Equals another', { kind: 'Cluster', criterion: 'Equals', value: 'prod-eu-2' }, false],
    ['Cluster StartsWith', { kind: 'Cluster', criterion: 'StartsWith', value: 'prod-' }, true],
    ['Cluster EndsWith', { kind: 'Cluster', criterion: 'EndsWith', value: '-1' }, true],
    ['Cluster Contains', { kind: 'Cluster', criterion: 'Contains', value: 'eu' }, true],
    ['Cluster NotEquals', { kind: 'Cluster', criterion: 'NotEquals', value: 'prod-eu-1' }, false],
    ['Namespace Equals', { kind: 'Namespace', criterion: 'Equals', value: 'prod-payments' }, true],
    ['Namespace StartsWith prod-', { kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }, true],
    ['Namespace StartsWith dev-', { kind: 'Namespace', criterion: 'StartsWith', value: 'dev-' }, false],
    ['Namespace EndsWith', { kind: 'Namespace', criterion: 'EndsWith', value: 'payments' }, true],
    ['Namespace Contains', { kind: 'Namespace', criterion: 'Contains', value: 'pay' }, true],
    ['Namespace NotEquals another', { kind: 'Namespace', criterion: 'NotEquals', value: 'kube-system' }, true],
    ['Namespace NotEquals itself', { kind: 'Namespace', criterion: 'NotEquals', value: 'prod-payments' }, false],
    ['Pod Equals', { kind: 'Pod', criterion: 'Equals', value: 'checkout' }, true],
    ['Pod StartsWith', { kind: 'Pod', criterion: 'StartsWith', value: 'check' }, true],
    ['Pod EndsWith', { kind: 'Pod', criterion: 'EndsWith', value: 'nope' }, false],
    ['Pod Contains', { kind: 'Pod', criterion: 'Contains', value: 'eck' }, true],
    ['Pod NotEquals', { kind: 'Pod', criterion: 'NotEquals', value: 'other' }, true],
    ['Deployment Equals', { kind: 'Deployment', criterion: 'Equals', value: 'checkout' }, true],
    ['Deployment StartsWith', { kind: 'Deployment', criterion: 'StartsWith', value: 'cart' }, false],
    ['Deployment EndsWith', { kind: 'Deployment', criterion: 'EndsWith', value: 'out' }, true],
    ['Deployment Contains', { kind: 'Deployment', criterion: 'Contains', value: 'ecko' }, true],
    ['Deployment NotEquals', { kind: 'Deployment', criterion: 'NotEquals', value: 'checkout' }, false],
    ['Image Equals as written', { kind: 'Image', criterion: 'Equals', value: 'registry.example.com/team/app:1.0' }, true],
    ['Image Equals by digest', { kind: 'Image', criterion: 'Equals', value: `registry.example.com/team/app@${DIGEST}` }, true],
    ['Image StartsWith registry', { kind: 'Image', criterion: 'StartsWith', value: 'registry.example.com/' }, true],
    ['Image StartsWith other registry', { kind: 'Image', criterion: 'StartsWith', value: 'docker.io/' }, false],
    ['Image EndsWith tag', { kind: 'Image', criterion: 'EndsWith', value: ':1.0' }, true],
    ['Image Contains', { kind: 'Image', criterion: 'Contains', value: 'team/app' }, true],
    ['Image NotEquals another', { kind: 'Image', criterion: 'NotEquals', value: 'docker.io/library/nginx:latest' }, true],
    ['Image NotEquals itself in normalized form', { kind: 'Image', criterion: 'NotEquals', value: 'registry.example.com/team/app:1.0' }, false],
    ['LabelSelector Equals', { kind: 'LabelSelector', criterion: 'Equals', value: 'env=prod' }, true],
    ['LabelSelector Equals another value', { kind: 'LabelSelector', criterion: 'Equals', value: 'env=dev' }, false],
    ['LabelSelector StartsWith on the value', { kind: 'LabelSelector', criterion: 'StartsWith', value: 'app=check' }, true],
    ['LabelSelector EndsWith on the value', { kind: 'LabelSelector', criterion: 'EndsWith', value: 'app=out' }, true],
    ['LabelSelector Contains on the value', { kind: 'LabelSelector', criterion: 'Contains', value: 'app=ecko' }, true],
    ['LabelSelector Contains needs the label', { kind: 'LabelSelector', criterion: 'Contains', value: 'team=' }, false],
    ['LabelSelector NotEquals holds when the label is absent', { kind: 'LabelSelector', criterion: 'NotEquals', value: 'legacy=true' }, true],
    ['LabelSelector NotEquals fails on the same value', { kind: 'LabelSelector', criterion: 'NotEquals', value: 'env=prod' }, false],
    ['LabelSelector set expression', { kind: 'LabelSelector', criterion: 'Equals', value: 'env in (prod,stage)' }, true],
    ['LabelSelector absence expression', { kind: 'LabelSelector', criterion: 'Equals', value: '!legacy' }, true],
    ['LabelSelector NotEquals of a matching expression', { kind: 'LabelSelector', criterion: 'NotEquals', value: 'env in (prod),app' }, false],
  ];
  test.each(rows)('%s → in scope: %s', (_name, scope, inScope) => {
    const result = decide(aTarget(criticalImage), [aRule({ scope: { resources: [scope] } })]);
    expect(result.decision).toBe(inScope ? 'Denied' : 'Allowed');
  });

  test('all resource scopes must hold', () => {
    const both = (value: string): Rule =>
      aRule({
        scope: {
          resources: [
            { kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' },
            { kind: 'Deployment', criterion: 'Equals', value },
          ],
        },
      });
    expect(decide(aTarget(criticalImage), [both('checkout')]).decision).toBe('Denied');
    expect(decide(aTarget(criticalImage), [both('cart')]).decision).toBe('Allowed');
  });

  test('an Image scope picks out the images of the workload it names', () => {
    const nginx = scannedImage('nginx:1.25', [aFinding('CVE-2024-9', 'Critical')]);
    const result = decide(aTarget([criticalImage, nginx]), [aRule({ scope: { resources: [{ kind: 'Image', criterion: 'Equals', value: 'nginx:1.25' }] } })]);
    expect(result.violations.map((v) => v.image)).toEqual(['nginx:1.25']);
  });

  test('Deployment scope matches the top-level workload of a pod', () => {
    const rule = aRule({ scope: { resources: [{ kind: 'Deployment', criterion: 'Equals', value: 'checkout' }] } });
    const pod = aTarget(criticalImage, { kind: 'Pod', name: 'checkout-5d4f8-x7k2p', podName: 'checkout-5d4f8-x7k2p', workloadName: 'checkout' });
    expect(decide(pod, [rule]).decision).toBe('Denied');
  });
});

describe('conditions', () => {
  const image = scannedImage('app:1', [
    aFinding('CVE-2024-0001', 'High'),
    aFinding('GHSA-aaaa-bbbb-cccc', 'Low', { aliases: ['CVE-2024-0002'] }),
    aFinding('CVE-2024-0003', 'Medium', { cvss: { score: 6.1 }, fixAvailable: true, fixedVersion: '2.0' }),
  ]);
  test.each([
    ['a severity present', { severities: ['High'] }, ['CVE-2024-0001']],
    ['a severity absent', { severities: ['Critical'] }, []],
    ['several severities', { severities: ['High', 'Medium'] }, ['CVE-2024-0001', 'CVE-2024-0003']],
    ['an id present', { cves: ['CVE-2024-0003'] }, ['CVE-2024-0003']],
    ['an id is matched through aliases', { cves: ['CVE-2024-0002'] }, ['GHSA-aaaa-bbbb-cccc']],
    ['ids match without regard to case', { cves: ['cve-2024-0001'] }, ['CVE-2024-0001']],
    ['severity OR id', { severities: ['High'], cves: ['CVE-2024-0002'] }, ['CVE-2024-0001', 'GHSA-aaaa-bbbb-cccc']],
    ['an absent id', { cves: ['CVE-1999-0001'] }, []],
    ['minCvss filters', { severities: ['High', 'Medium'], minCvss: 6 }, ['CVE-2024-0003']],
    ['fixAvailable filters', { severities: ['High', 'Medium', 'Low'], fixAvailable: true }, ['CVE-2024-0003']],
    ['filters alone consider every finding', { minCvss: 5 }, ['CVE-2024-0003']],
    ['knownExploited filters', { severities: ['High'], knownExploited: true }, []],
    ['moreThan: 1 needs two findings', { severities: ['High', 'Medium'], moreThan: 1 }, ['CVE-2024-0001', 'CVE-2024-0003']],
    ['moreThan: 2 is not reached by two', { severities: ['High', 'Medium'], moreThan: 2 }, []],
  ] as const)('%s', (_name, conditions, expected) => {
    const result = decide(aTarget(image), [aRule({ conditions })]);
    expect(result.violations.flatMap((v) => v.findings.map((f) => f.id))).toEqual(expected);
    expect(result.decision).toBe(expected.length > 0 ? 'Denied' : 'Allowed');
  });

  test('matched findings are reported worst first', () => {
    const mixed = scannedImage('app:1', [aFinding('L', 'Low'), aFinding('C', 'Critical'), aFinding('M', 'Medium'), aFinding('H', 'High')]);
    const result = decide(aTarget(mixed), [aRule({ conditions: { severities: ['Low', 'Medium', 'High', 'Critical'] } })]);
    expect(result.violations[0]?.findings.map((f) => f.id)).toEqual(['C', 'H', 'M', 'L']);
  });
});

describe('exemptions', () => {
  const exempt = (exemption: Exemption) => decide(aTarget(criticalImage), [aRule({ exemptions: [exemption] })]);
  const rows: [string, Exemption, boolean][] = [
    ['CVE Equals', { type: 'CVE', criterion: 'Equals', value: 'CVE-2024-0001' }, true],
    ['CVE Equals another', { type: 'CVE', criterion: 'Equals', value: 'CVE-2024-9999' }, false],
    ['CVE StartsWith', { type: 'CVE', criterion: 'StartsWith', value: 'CVE-2024-' }, true],
    ['CVE EndsWith', { type: 'CVE', criterion: 'EndsWith', value: '-0001' }, true],
    ['CVE Contains', { type: 'CVE', criterion: 'Contains', value: '2024' }, true],
    ['Deployment Equals', { type: 'Deployment', criterion: 'Equals', value: 'checkout' }, true],
    ['Deployment StartsWith', { type: 'Deployment', criterion: 'StartsWith', value: 'cart' }, false],
    ['Deployment EndsWith', { type: 'Deployment', criterion: 'EndsWith', value: 'out' }, true],
    ['Deployment Contains', { type: 'Deployment', criterion: 'Contains', value: 'heck' }, true],
    ['Image Equals digest', { type: 'Image', criterion: 'Equals', value: DIGEST }, true],
    ['Image Equals another digest', { type: 'Image', criterion: 'Equals', value: `sha256:${'2'.repeat(64)}` }, false],
    ['Image StartsWith digest prefix', { type: 'Image', criterion: 'StartsWith', value: 'sha256:1111' }, true],
    ['Image EndsWith', { type: 'Image', criterion: 'EndsWith', value: '1111' }, true],
    ['Image Contains', { type: 'Image', criterion: 'Contains', value: 'team/app' }, true],
    ['Namespace Equals', { type: 'Namespace', criterion: 'Equals', value: 'prod-payments' }, true],
    ['Namespace StartsWith', { type: 'Namespace', criterion: 'StartsWith', value: 'prod-' }, true],
    ['Namespace EndsWith', { type: 'Namespace', criterion: 'EndsWith', value: '-dev' }, false],
    ['Namespace Contains', { type: 'Namespace', criterion: 'Contains', value: 'pay' }, true],
    ['Pod Equals', { type: 'Pod', criterion: 'Equals', value: 'checkout' }, true],
    ['Pod StartsWith', { type: 'Pod', criterion: 'StartsWith', value: 'check' }, true],
    ['Pod EndsWith', { type: 'Pod', criterion: 'EndsWith', value: 'x' }, false],
    ['Pod Contains', { type: 'Pod', criterion: 'Contains', value: 'ckou' }, true],
    ['Registry Equals', { type: 'Registry', criterion: 'Equals', value: 'registry.example.com' }, true],
    ['Registry StartsWith', { type: 'Registry', criterion: 'StartsWith', value: 'registry.' }, true],
    ['Registry EndsWith', { type: 'Registry', criterion: 'EndsWith', value: '.example.com' }, true],
    ['Registry Contains', { type: 'Registry', criterion: 'Contains', value: 'docker' }, false],
    ['Repository Equals path', { type: 'Repository', criterion: 'Equals', value: 'team/app' }, true],
    ['Repository Equals with registry', { type: 'Repository', criterion: 'Equals', value: 'registry.example.com/team/app' }, true],
    ['Repository StartsWith', { type: 'Repository', criterion: 'StartsWith', value: 'team/' }, true],
    ['Repository EndsWith', { type: 'Repository', criterion: 'EndsWith', value: '/app' }, true],
    ['Repository Contains', { type: 'Repository', criterion: 'Contains', value: 'other' }, false],
  ];
  test.each(rows)('%s → exempt: %s', (_name, exemption, exempted) => {
    const result = exempt(exemption);
    expect(result.decision).toBe(exempted ? 'Allowed' : 'Denied');
    expect(result.exemptionsApplied.length).toBe(exempted ? 1 : 0);
  });

  test('a CVE exemption removes only that finding; the rest still trigger', () => {
    const result = decide(aTarget(imageWith('CVE-2024-0001', 'CVE-2024-0002')), [aRule({ exemptions: [cveExemption('CVE-2024-0001')] })]);
    expect(result.decision).toBe('Denied');
    expect(result.violations[0]?.findings.map((f) => f.id)).toEqual(['CVE-2024-0002']);
    expect(result.exemptionsApplied).toEqual([{ rule: { name: 'test-rule' }, exemption: cveExemption('CVE-2024-0001'), image: 'registry.example.com/team/app:1.0', findings: ['CVE-2024-0001'] }]);
  });

  test('a CVE exemption matches a finding through its aliases', () => {
    const image = scannedImage('app:1', [aFinding('GHSA-xxxx-yyyy-zzzz', 'Critical', { aliases: ['CVE-2022-22965'] })]);
    expect(decide(aTarget(image), [aRule({ exemptions: [cveExemption('cve-2022-22965')] })]).decision).toBe('Allowed');
  });

  test('an exemption applies to its own rule only', () => {
    const exempted = aRule({ name: 'exempted', exemptions: [{ type: 'Namespace', criterion: 'Equals', value: 'prod-payments' }] });
    const other = aRule({ name: 'other', action: 'Audit' });
    const result = decide(aTarget(criticalImage), [exempted, other]);
    expect(result.decision).toBe('Audited');
    expect(result.violations.map((v) => v.rule.name)).toEqual(['other']);
  });

  test('an image exemption exempts only that image of the workload', () => {
    const other = scannedImage(`ghcr.io/x/y@sha256:${'3'.repeat(64)}`, [aFinding('CVE-1', 'Critical')]);
    const result = decide(aTarget([criticalImage, other]), [aRule({ exemptions: [{ type: 'Registry', criterion: 'Equals', value: 'ghcr.io' }] })]);
    expect(result.violations.map((v) => v.image)).toEqual(['registry.example.com/team/app:1.0']);
  });

  test('a time-bound exemption holds through the end of its day in the rule time zone', () => {
    const rule = aRule({ timeZone: 'America/New_York', exemptions: [cveExemption('CVE-2024-0001', '2026-03-31')] });
    expect(decide(aTarget(criticalImage), [rule], at('2026-04-01T03:59:59.999Z')).decision).toBe('Allowed');
    expect(decide(aTarget(criticalImage), [rule], at('2026-04-01T04:00:00Z')).decision).toBe('Denied');
  });

  test('a time-bound exemption in UTC by default', () => {
    const rule = aRule({ exemptions: [{ type: 'Namespace', criterion: 'Equals', value: 'prod-payments', expires: '2026-06-15' }] });
    expect(decide(aTarget(criticalImage), [rule], at('2026-06-15T23:59:59.999Z')).decision).toBe('Allowed');
    expect(decide(aTarget(criticalImage), [rule], at('2026-06-16T00:00:00Z')).decision).toBe('Denied');
  });

  test('an expired exemption is ignored and not reported as applied', () => {
    const result = decide(aTarget(criticalImage), [aRule({ exemptions: [cveExemption('CVE-2024-0001', '2026-01-01')] })]);
    expect(result.decision).toBe('Denied');
    expect(result.exemptionsApplied).toEqual([]);
  });
});

describe('combination across rules', () => {
  const audit = aRule({ name: 'audit-high', action: 'Audit', conditions: { severities: ['High', 'Critical'] } });
  const deny = aRule({ name: 'deny-critical', action: 'Deny' });
  const denyOther = aRule({ name: 'deny-log4shell', action: 'Deny', conditions: { cves: ['CVE-2021-44228'] } });

  test('all enabled rules in scope are evaluated and every triggered rule is reported', () => {
    const result = decide(aTarget(criticalImage), [audit, deny, denyOther]);
    expect(result.decision).toBe('Denied');
    expect(result.violations.map((v) => v.rule.name)).toEqual(['audit-high', 'deny-critical']);
    expect(result.rulesInScope.map((r) => r.name)).toEqual(['audit-high', 'deny-critical', 'deny-log4shell']);
  });

  test('Audited when only Audit rules trigger', () => {
    expect(decide(aTarget(criticalImage), [audit, denyOther]).decision).toBe('Audited');
  });

  test('Allowed when nothing triggers', () => {
    expect(decide(aTarget(imageWith()), [audit, deny]).decision).toBe('Allowed');
  });

  test('every image of the workload is evaluated', () => {
    const second = scannedImage('nginx:1', [aFinding('CVE-2', 'Critical')]);
    expect(decide(aTarget([criticalImage, second]), [deny]).violations.map((v) => v.image)).toEqual(['registry.example.com/team/app:1.0', 'nginx:1']);
  });

  test('a Deny on an image that is not enforced is recorded and audits instead', () => {
    const notEnforced = { ...criticalImage, enforce: false };
    const result = decide(aTarget(notEnforced), [deny]);
    expect(result.decision).toBe('Audited');
    expect(result.violations[0]).toMatchObject({ action: 'Deny', enforced: false });
  });
});

describe('the default rule', () => {
  test('audits High and Critical everywhere', () => {
    expect(decide(aTarget(scannedImage('a:1', [aFinding('CVE-1', 'High')])), [DEFAULT_RULE]).decision).toBe('Audited');
    expect(decide(aTarget(scannedImage('a:1', [aFinding('CVE-1', 'Medium')])), [DEFAULT_RULE]).decision).toBe('Allowed');
  });
});

describe('images without usable evidence', () => {
  test.each(['NotScanned', 'Failed', 'Unsupported', 'Unresolved'] as const)('%s is ignored by default', (status) => {
    expect(decide(aTarget(unscannedImage('a:1', status)), [aRule()]).decision).toBe('Allowed');
  });

  test.each([
    ['NotScanned', 'not scanned'],
    ['Unresolved', 'tag could not be resolved to a digest'],
  ] as const)('%s triggers a rule with unscanned: Trigger', (status, detail) => {
    const result = decide(aTarget(unscannedImage('a:1', status)), [aRule({ unscanned: 'Trigger' })]);
    expect(result.decision).toBe('Denied');
    expect(result.violations[0]).toMatchObject({ reason: 'NoEvidence', detail, findings: [] });
  });

  test('a scan older than maxScanAge counts as no scan', () => {
    const scannedAt = Date.parse('2026-05-01T00:00:00Z');
    const clean = scannedImage('a:1', [], { scannedAt });
    const stale = aRule({ unscanned: 'Trigger', maxScanAge: '30d' });
    expect(decide(aTarget(clean), [stale], at('2026-05-30T00:00:00Z')).decision).toBe('Allowed');
    const result = decide(aTarget(clean), [stale], at('2026-06-01T00:00:00Z'));
    expect(result.decision).toBe('Denied');
    expect(result.violations[0]?.detail).toMatch(/^scan older than 30d/);
  });

  test('an old scan\'s findings are not used either when unscanned is Ignore', () => {
    const old = scannedImage('a:1', [aFinding('CVE-1', 'Critical')], { scannedAt: Date.parse('2026-01-01T00:00:00Z') });
    expect(decide(aTarget(old), [aRule({ maxScanAge: '30d' })]).decision).toBe('Allowed');
    expect(decide(aTarget(old), [aRule()]).decision).toBe('Denied');
  });
});
