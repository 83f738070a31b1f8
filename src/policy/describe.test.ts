import { describe, expect, test } from 'vitest';
import { describeRule } from './describe.js';
import { DEFAULT_RULE, type Conditions, type Exemption, type ResourceScope, type Rule } from './rule.js';
import { parseRuleDocuments } from './rule-document.js';
import { aRule } from './testing/builders.js';

const ISSUE_EXAMPLE = `apiVersion: portcullis.dev/v1
kind: Rule
name: deny-critical-in-prod
action: Deny
enabled: true
timeZone: UTC
scope:
  name: production
  cloud: [{provider: aws, account: "123456789012"}]
  resources:
    - {kind: Namespace, criterion: StartsWith, value: prod-}
conditions:
  severities: [Critical]
  cves: [CVE-2024-3094]
unscanned: Ignore
maxScanAge: 30d
exemptions:
  - {type: CVE, criterion: Equals, value: CVE-2023-44487, expires: 2026-12-31, reason: "vendor fix pending"}
`;

const IGNORED = 'images without a scan are ignored';

/** A Deny rule on Critical findings everywhere, with these resource scopes. */
const scoped = (...resources: ResourceScope[]): Rule => aRule({ scope: { resources } });
const withConditions = (conditions: Conditions): Rule => aRule({ conditions });
const exempting = (...exemptions: Exemption[]): Rule => aRule({ exemptions });

describe('describeRule', () => {
  test('the example of DESIGN.md, word for word', () => {
    const rule = aRule({
      scope: { cloud: [{ provider: 'aws', account: '123456789012' }], resources: [{ kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }] },
      exemptions: [{ type: 'CVE', criterion: 'Equals', value: 'CVE-2023-44487', expires: '2026-12-31', reason: 'vendor fix pending' }],
    });
    expect(describeRule(rule)).toBe(
      "Deny images with Critical vulnerabilities in namespaces starting with 'prod-' on aws account 123456789012; images without a scan are ignored; exempt CVE-2023-44487 until 2026-12-31 (UTC).",
    );
  });

  test("the issue's example document", () => {
    const [rule] = parseRuleDocuments(ISSUE_EXAMPLE, 'rules.yaml');
    expect(describeRule(rule as Rule)).toBe(
      "Deny images with Critical vulnerabilities or CVE-2024-3094 in namespaces starting with 'prod-' on aws account 123456789012; images without a scan, or whose scan is older than 30 days, are ignored; exempt CVE-2023-44487 until 2026-12-31 (UTC).",
    );
  });

  test('the default rule', () => {
    expect(describeRule(DEFAULT_RULE)).toBe('Audit images with Critical or High vulnerabilities on every cluster; images without a scan are ignored.');
  });

  test('a disabled rule says so first', () => {
    expect(describeRule(aRule({ enabled: false }))).toBe(`Disabled (not evaluated): deny images with Critical vulnerabilities on every cluster; ${IGNORED}.`);
  });

  describe('resource scopes: every kind and criterion', () => {
    test.each<[string, ResourceScope, string]>([
      ['namespace equals', { kind: 'Namespace', criterion: 'Equals', value: 'prod' }, "in namespace 'prod'"],
      ['namespace not equals', { kind: 'Namespace', criterion: 'NotEquals', value: 'sandbox' }, "in namespaces other than 'sandbox'"],
      ['namespace starts with', { kind: 'Namespace', criterion: 'StartsWith', value: 'prod-' }, "in namespaces starting with 'prod-'"],
      ['namespace ends with', { kind: 'Namespace', criterion: 'EndsWith', value: '-prod' }, "in namespaces ending with '-prod'"],
      ['namespace contains', { kind: 'Namespace', criterion: 'Contains', value: 'pay' }, "in namespaces containing 'pay'"],
      ['cluster equals', { kind: 'Cluster', criterion: 'Equals', value: 'prod-eu-1' }, "on cluster 'prod-eu-1'"],
      ['cluster starts with', { kind: 'Cluster', criterion: 'StartsWith', value: 'prod-' }, "on clusters starting with 'prod-'"],
      ['pod equals', { kind: 'Pod', criterion: 'Equals', value: 'debug' }, "in pod 'debug'"],
      ['pod contains', { kind: 'Pod', criterion: 'Contains', value: 'worker' }, "in pods containing 'worker'"],
      ['deployment equals', { kind: 'Deployment', criterion: 'Equals', value: 'checkout' }, "in deployment 'checkout'"],
      ['deployment not equals', { kind: 'Deployment', criterion: 'NotEquals', value: 'legacy' }, "in deployments other than 'legacy'"],
      ['label equals', { kind: 'LabelSelector', criterion: 'Equals', value: 'env=prod' }, 'in workloads labelled env=prod'],
      ['label not equals', { kind: 'LabelSelector', criterion: 'NotEquals', value: 'env=dev' }, 'in workloads not labelled env=dev'],
      ['label starts with', { kind: 'LabelSelector', criterion: 'StartsWith', value: 'team=pay' }, "in workloads whose label team starts with 'pay'"],
      ['label ends with', { kind: 'LabelSelector', criterion: 'EndsWith', value: 'tier=-api' }, "in workloads whose label tier ends with '-api'"],
      ['label contains', { kind: 'LabelSelector', criterion: 'Contains', value: 'app=shop' }, "in workloads whose label app contains 'shop'"],
      ['label selector expression', { kind: 'LabelSelector', criterion: 'Equals', value: 'env in (prod,stage)' }, "in workloads matching the label selector 'env in (prod,stage)'"],
      ['negated label selector expression', { kind: 'LabelSelector', criterion: 'NotEquals', value: '!legacy' }, "in workloads not matching the label selector '!legacy'"],
    ])('%s', (_name, scope, phrase) => {
      expect(describeRule(scoped(scope))).toBe(`Deny images with Critical vulnerabilities ${phrase}; ${IGNORED}.`);
    });

    test.each<[string, ResourceScope, string]>([
      ['image equals', { kind: 'Image', criterion: 'Equals', value: 'nginx:1.25' }, "images named 'nginx:1.25'"],
      ['image not equals', { kind: 'Image', criterion: 'NotEquals', value: 'nginx:1.25' }, "images other than 'nginx:1.25'"],
      ['image starts with', { kind: 'Image', criterion: 'StartsWith', value: 'docker.io/' }, "images starting with 'docker.io/'"],
      ['image ends with', { kind: 'Image', criterion: 'EndsWith', value: ':latest' }, "images ending with ':latest'"],
      ['image contains', { kind: 'Image', criterion: 'Contains', value: 'openssl' }, "images containing 'openssl'"],
    ])('%s: the images themselves', (_name, scope, subject) => {
      expect(describeRule(scoped(scope))).toBe(`Deny ${subject} with Critical vulnerabilities on every cluster; ${IGNORED}.`);
    });

    test('all scopes hold together: images first, then workloads, clusters and clouds', () => {
      const rule = aRule({
        scope: {
          name: 'everything',
          cloud: [{ provider: 'azure', account: '00000000-0000-0000-0000-000000000001' }, { provider: 'gcp', account: 'shop-prod' }, { provider: 'aws' }],
          resources: [
            { kind: 'Cluster', criterion: 'StartsWith', value: 'eu-' },
            { kind: 'Image', criterion: 'StartsWith', value: 'ghcr.io/acme/' },
            { kind: 'Namespace', criterion: 'Equals', value: 'shop' },
            { kind: 'Image', criterion: 'NotEquals', value: 'ghcr.io/acme/base:1' },
            { kind: 'LabelSelector', criterion: 'Equals', value: 'env=prod' },
          ],
        },
      });
      expect(describeRule(rule)).toBe(
        "Deny images starting with 'ghcr.io/acme/' and other than 'ghcr.io/acme/base:1' with Critical vulnerabilities in namespace 'shop' and in workloads labelled env=prod on clusters starting with 'eu-' on azure subscription 00000000-0000-0000-0000-000000000001, gcp project shop-prod or any aws account; images without a scan are ignored.",
      );
    });

    test('a cloud scope alone', () => {
      expect(describeRule(aRule({ scope: { cloud: [{ provider: 'gcp' }] } }))).toBe(`Deny images with Critical vulnerabilities on any gcp project; ${IGNORED}.`);
    });
  });

  describe('conditions', () => {
    test.each<[string, Conditions, string]>([
      ['severities, worst first and once each', { severities: ['Low', 'Critical', 'High', 'Low'] }, 'Critical, High or Low vulnerabilities'],
      ['one CVE id', { cves: ['CVE-2024-3094'] }, 'CVE-2024-3094'],
      ['several CVE ids', { cves: ['CVE-2024-3094', 'GHSA-xxxx-yyyy-zzzz', 'CVE-2023-44487'] }, 'CVE-2024-3094, GHSA-xxxx-yyyy-zzzz or CVE-2023-44487'],
      ['severities or ids', { severities: ['High'], cves: ['CVE-2024-3094'] }, 'High vulnerabilities or CVE-2024-3094'],
      ['neither: every finding', {}, 'vulnerabilities of any severity'],
      ['a CVSS floor', { severities: ['High'], minCvss: 7.5 }, 'High vulnerabilities (only findings with a CVSS score of 7.5 or more)'],
      ['a fix available', { severities: ['High'], fixAvailable: true }, 'High vulnerabilities (only findings with a fix available)'],
      ['known exploited', { cves: ['CVE-2024-3094'], knownExploited: true }, 'CVE-2024-3094 (only findings with a known exploit)'],
      ['false filters say nothing', { severities: ['High'], fixAvailable: false, knownExploited: false, moreThan: 0 }, 'High vulnerabilities'],
      ['every filter', { minCvss: 9, fixAvailable: true, knownExploited: true }, 'vulnerabilities of any severity (only findings with a CVSS score of 9 or more, a fix available and a known exploit)'],
      ['a count', { severities: ['Critical', 'High'], moreThan: 5 }, 'Critical or High vulnerabilities (more than 5 findings)'],
      ['a count of one', { severities: ['Medium'], moreThan: 1 }, 'Medium vulnerabilities (more than 1 finding)'],
      ['a count with filters', { severities: ['High'], moreThan: 2, fixAvailable: true }, 'High vulnerabilities (more than 2 findings with a fix available)'],
    ])('%s', (_name, conditions, phrase) => {
      expect(describeRule(withConditions(conditions))).toBe(`Deny images with ${phrase} on every cluster; ${IGNORED}.`);
    });
  });

  describe('images without usable evidence', () => {
    test.each<[string, Partial<Rule>, string]>([
      ['ignored', { unscanned: 'Ignore' }, 'images without a scan are ignored'],
      ['denied by a Deny rule', { unscanned: 'Trigger' }, 'images without a scan are denied'],
      ['audited by an Audit rule', { action: 'Audit', unscanned: 'Trigger' }, 'images without a scan are audited'],
      ['a scan age in days', { unscanned: 'Trigger', maxScanAge: '30d' }, 'images without a scan, or whose scan is older than 30 days, are denied'],
      ['one day', { maxScanAge: '1d' }, 'images without a scan, or whose scan is older than 1 day, are ignored'],
      ['hours', { maxScanAge: '12h' }, 'images without a scan, or whose scan is older than 12 hours, are ignored'],
      ['weeks', { maxScanAge: '2w' }, 'images without a scan, or whose scan is older than 2 weeks, are ignored'],
      ['minutes', { maxScanAge: '90m' }, 'images without a scan, or whose scan is older than 90 minutes, are ignored'],
    ])('%s', (_name, overrides, phrase) => {
      const rule = aRule(overrides);
      expect(describeRule(rule)).toBe(`${rule.action} images with Critical vulnerabilities on every cluster; ${phrase}.`);
    });
  });

  describe('exemptions: every type', () => {
    test.each<[string, Exemption, string]>([
      ['a CVE', { type: 'CVE', criterion: 'Equals', value: 'CVE-2023-44487' }, 'CVE-2023-44487'],
      ['CVEs by prefix', { type: 'CVE', criterion: 'StartsWith', value: 'CVE-2019-' }, "vulnerabilities starting with 'CVE-2019-'"],
      ['a deployment', { type: 'Deployment', criterion: 'Equals', value: 'checkout' }, "deployment 'checkout'"],
      ['deployments by suffix', { type: 'Deployment', criterion: 'EndsWith', value: '-canary' }, "deployments ending with '-canary'"],
      ['an image digest', { type: 'Image', criterion: 'Equals', value: 'sha256:abc' }, "image 'sha256:abc'"],
      ['images by content', { type: 'Image', criterion: 'Contains', value: 'debug' }, "images containing 'debug'"],
      ['a namespace', { type: 'Namespace', criterion: 'Equals', value: 'sandbox' }, "namespace 'sandbox'"],
      ['namespaces by prefix', { type: 'Namespace', criterion: 'StartsWith', value: 'dev-' }, "namespaces starting with 'dev-'"],
      ['a pod', { type: 'Pod', criterion: 'Equals', value: 'toolbox' }, "pod 'toolbox'"],
      ['a registry', { type: 'Registry', criterion: 'Equals', value: 'registry.internal' }, "registry 'registry.internal'"],
      ['registries by suffix', { type: 'Registry', criterion: 'EndsWith', value: '.internal' }, "registries ending with '.internal'"],
      ['a repository', { type: 'Repository', criterion: 'Equals', value: 'team/app' }, "repository 'team/app'"],
      ['repositories by prefix', { type: 'Repository', criterion: 'StartsWith', value: 'vendor/' }, "repositories starting with 'vendor/'"],
    ])('%s', (_name, exemption, phrase) => {
      expect(describeRule(exempting(exemption))).toBe(`Deny images with Critical vulnerabilities on every cluster; ${IGNORED}; exempt ${phrase}.`);
    });

    test("several, time-bound ones in the rule's time zone; reasons are left to the configuration", () => {
      const rule = aRule({
        timeZone: 'America/New_York',
        exemptions: [
          { type: 'CVE', criterion: 'Equals', value: 'CVE-2023-44487', expires: '2026-03-31', reason: 'vendor fix pending' },
          { type: 'Namespace', criterion: 'Equals', value: 'sandbox' },
          { type: 'Image', criterion: 'Equals', value: 'sha256:abc', expires: '2026-01-15' },
        ],
      });
      expect(describeRule(rule)).toBe(
        `Deny images with Critical vulnerabilities on every cluster; ${IGNORED}; exempt CVE-2023-44487 until 2026-03-31 (America/New_York), namespace 'sandbox' and image 'sha256:abc' until 2026-01-15 (America/New_York).`,
      );
    });
  });

  test('everything at once, disabled', () => {
    const rule = aRule({
      action: 'Audit',
      enabled: false,
      timeZone: 'Europe/Berlin',
      scope: { resources: [{ kind: 'Deployment', criterion: 'StartsWith', value: 'pay' }], cloud: [{ provider: 'azure' }] },
      conditions: { severities: ['High', 'Critical'], cves: ['CVE-2024-3094'], minCvss: 8, moreThan: 3 },
      unscanned: 'Trigger',
      maxScanAge: '2w',
      exemptions: [{ type: 'Pod', criterion: 'Contains', value: 'debug', expires: '2026-07-01' }],
    });
    expect(describeRule(rule)).toBe(
      "Disabled (not evaluated): audit images with Critical or High vulnerabilities or CVE-2024-3094 (more than 3 findings with a CVSS score of 8 or more) in deployments starting with 'pay' on any azure subscription; images without a scan, or whose scan is older than 2 weeks, are audited; exempt pods containing 'debug' until 2026-07-01 (Europe/Berlin).",
    );
  });
});
